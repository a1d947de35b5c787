// What ops see of the pipeline, checked against what happened: the queue, spool and held gauges; why each birth went
// to the spool (the in-memory queue's two limits at their boundaries); the log line and the latency of each applied
// birth; one `db.unavailable` per outage and the probe's backoff; which dead letters ask for a rebirth; `drained()`
// waiting for what is still in flight; and `stop()`: births not started are spooled, births the disk still refuses
// are reported lost, nothing is taken after it. The pipeline runs on the real database (through a TCP proxy, for
// the outage) and a real spool directory, as in held-order.test.ts.
import { readdirSync, statSync, truncateSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodePayload } from '../../src/sparkplug/encode.ts';
import { appliedOrder, numberedBirth } from './support/births.ts';
import { useIngestEnvironment } from './support/environment.ts';
import { waitFor } from './support/ingestor.ts';
import { type StartedPipeline as Started, useProxiedPipeline } from './support/proxied-pipeline.ts';

const env = useIngestEnvironment({ proxy: true });
const start = useProxiedPipeline(env);

const gauge = async (g: { get(): Promise<{ values: { value: number }[] }> }) => (await g.get()).values[0]?.value;
const gauges = async (s: Started) => ({ queue: await gauge(s.metrics.queueDepth), spool: await gauge(s.metrics.spoolDepth), held: await gauge(s.metrics.spoolHeld) });
const events = (s: Started, event: string) => s.records().filter((r) => r.event === event);
/** Why each spooled birth went to the spool, by topic. */
const spooledWhy = (s: Started) => events(s, 'spool.written').map((r) => [r.topic, r.why, r.msg]);
const topicOf = (device: string) => `spBv1.0/Acct/DBIRTH/E/${device}`;

describe('the in-memory queue', () => {
  it('sends a birth to the spool once the queue holds INGEST_QUEUE_LIMIT births, not before', async () => {
    const s = await start({ INGEST_QUEUE_LIMIT: '2' });
    for (const d of ['Q1', 'Q2', 'Q3']) s.pipeline.accept(topicOf(d), numberedBirth(0));
    expect(await gauges(s)).toEqual({ queue: 2, spool: 1, held: 0 }); // two waiting or running, the third being written
    await s.pipeline.drained();
    expect(spooledWhy(s)).toEqual([[topicOf('Q3'), 'the in-memory queue is full (2)', 'spooled (the in-memory queue is full (2))']]);
    expect(await gauges(s)).toEqual({ queue: 0, spool: 0, held: 0 });
    for (const d of ['Q1', 'Q2', 'Q3']) expect(await appliedOrder(env.admin(), `Acct/E/${d}`)).toEqual([0]);
  });

  it('sends a birth to the spool when the bytes in memory would pass INGEST_QUEUE_MAX_BYTES, at the limit not, and counts the bytes of finished births out', async () => {
    const size = numberedBirth(0).length; // every birth below has this size
    const s = await start({ INGEST_QUEUE_MAX_BYTES: String(2 * size) });
    for (const d of ['B1', 'B2', 'B3']) s.pipeline.accept(topicOf(d), numberedBirth(0)); // 2 × size fits exactly, the third does not
    await s.pipeline.drained();
    expect(spooledWhy(s)).toEqual([[topicOf('B3'), `the in-memory queue holds ${2 * size} bytes (INGEST_QUEUE_MAX_BYTES ${2 * size})`,
      `spooled (the in-memory queue holds ${2 * size} bytes (INGEST_QUEUE_MAX_BYTES ${2 * size}))`]]);
    // The same again: the bytes of the births that finished no longer count.
    for (const d of ['B4', 'B5']) s.pipeline.accept(topicOf(d), numberedBirth(0));
    await s.pipeline.drained();
    expect(spooledWhy(s)).toHaveLength(1);
    for (const d of ['B1', 'B2', 'B3', 'B4', 'B5']) expect(await appliedOrder(env.admin(), `Acct/E/${d}`)).toEqual([0]);
  });

  it('takes a birth larger than INGEST_QUEUE_MAX_BYTES into memory when nothing else is there', async () => {
    const s = await start({ INGEST_QUEUE_MAX_BYTES: '10' });
    s.pipeline.accept(topicOf('Big'), numberedBirth(0));
    await s.pipeline.drained();
    expect(spooledWhy(s)).toEqual([]);
    expect(await appliedOrder(env.admin(), 'Acct/E/Big')).toEqual([0]);
  });
});

describe('topics', () => {
  it('warns about a malformed birth topic and counts it; ignores a malformed or non-birth other topic silently', async () => {
    const s = await start();
    const birth = numberedBirth(0);
    s.pipeline.accept('spBv1.0/Acct/DBIRTH', birth); // no edge node
    s.pipeline.accept('spBv1.0/Acct/NBIRTH/E/extra', birth); // an NBIRTH names no device
    s.pipeline.accept('spBv1.0/Acct/DDATA', birth); // malformed, but not a birth
    s.pipeline.accept('plant/spBv1.0/Acct/DBIRTH', birth); // not Sparkplug at all
    s.pipeline.accept('spBv1.0/Acct/NDATA/E', birth); // well-formed, not a birth
    await s.pipeline.drained();
    expect(events(s, 'birth.bad_topic').map((r) => r.topic)).toEqual(['spBv1.0/Acct/DBIRTH', 'spBv1.0/Acct/NBIRTH/E/extra']);
    for (const r of events(s, 'birth.bad_topic')) expect(r.msg).toBe(`${String(r.err)}; ignored`);
    const received = (await s.metrics.birthsReceived.get()).values.map((v) => [v.labels.type, v.value]);
    expect(received).toEqual([['malformed', 2]]);
    expect((await s.metrics.ignored.get()).values[0]?.value).toBe(3);
    expect(s.spool.depth + s.pipeline.memoryDepth()).toBe(0);
  });
});

describe('an outage', () => {
  it('is reported once, spools what arrives, probes with a doubling backoff up to its cap, and replays in order; the gauges follow', async () => {
    const s = await start({}, { probeMaxMs: 1000 });
    await env.proxy.cut();
    const started = Date.now();
    // Two devices at once: both reach the database before either finds it gone.
    s.pipeline.accept(topicOf('O1'), numberedBirth(0));
    s.pipeline.accept(topicOf('O2'), numberedBirth(0));
    await waitFor('both spooled', () => s.spool.depth === 2 && !s.pipeline.databaseAvailable());
    s.pipeline.accept(topicOf('O1'), numberedBirth(1));
    await waitFor('the third spooled', () => events(s, 'spool.written').length === 3);
    expect(await gauges(s)).toEqual({ queue: 0, spool: 3, held: 0 });
    await waitFor('two failed probes', () => events(s, 'db.probe_failed').length >= 2, 30_000);
    await env.proxy.restore();
    await s.pipeline.drained();
    const wall = (Date.now() - started) / 1000;

    expect(await appliedOrder(env.admin(), 'Acct/E/O1')).toEqual([0, 1]);
    expect(await appliedOrder(env.admin(), 'Acct/E/O2')).toEqual([0]);
    expect(await gauges(s)).toEqual({ queue: 0, spool: 0, held: 0 });
    const unavailable = events(s, 'db.unavailable');
    expect(unavailable).toHaveLength(1);
    expect(unavailable[0]?.msg).toMatch(/; births go to the spool until it is back$/);
    expect(events(s, 'db.available').map((r) => r.msg)).toEqual(['the database is reachable again; replaying the spool']);
    // 250 ms before the first probe, then doubled: 500, then the cap (1000)
    expect(events(s, 'db.probe_failed').slice(0, 2).map((r) => [r.retryInMs, r.msg])).toEqual([[500, 'database probe failed'], [1000, 'database probe failed']]);
    expect(spooledWhy(s).map(([topic, why]) => [topic, why]).sort()).toEqual([
      [topicOf('O1'), 'database unavailable'],
      [topicOf('O1'), 'the spool holds earlier births'],
      [topicOf('O2'), 'database unavailable'],
    ]);
    const ingested = events(s, 'birth.ingested');
    expect(ingested.map((r) => [r.topic, r.type, r.metrics, r.msg])).toEqual(expect.arrayContaining([
      [topicOf('O1'), 'DBIRTH', 1, 'DBIRTH applied: 1 metrics'], [topicOf('O2'), 'DBIRTH', 1, 'DBIRTH applied: 1 metrics'],
    ]));
    expect(ingested).toHaveLength(3);
    // the latency histogram: three births, each within the test's wall time, in seconds
    const latency = (await s.metrics.ingestLatency.get()).values;
    const sum = latency.find((v) => v.metricName === 'uns_meta_ingest_latency_seconds_sum')?.value ?? -1;
    expect(latency.find((v) => v.metricName === 'uns_meta_ingest_latency_seconds_count')?.value).toBe(3);
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeLessThanOrEqual(3 * wall);
  });
});

describe('drained()', () => {
  it('waits for a birth still being applied', async () => {
    const s = await start();
    s.pipeline.accept(topicOf('D1'), numberedBirth(0));
    expect(s.pipeline.memoryDepth()).toBe(1);
    expect(await gauges(s)).toEqual({ queue: 1, spool: 0, held: 0 });
    await s.pipeline.drained();
    expect(await appliedOrder(env.admin(), 'Acct/E/D1')).toEqual([0]); // at once, no waiting
    expect(await gauges(s)).toEqual({ queue: 0, spool: 0, held: 0 });
  });

  it('waits for a birth the disk refused (held in memory) to be applied', async () => {
    let refused = false;
    const s = await start({}, {
      wrap: (append) => (m) => {
        if (refused) return append(m);
        refused = true;
        return Promise.reject(Object.assign(new Error('EROFS: read-only file system (the test refused this write)'), { code: 'EROFS' }));
      },
    });
    await env.proxy.cut();
    s.pipeline.accept(topicOf('D3'), numberedBirth(0));
    await waitFor('the birth held', async () => (await gauges(s)).held === 1 && s.pipeline.memoryDepth() === 0);
    let drained = false;
    const draining = s.pipeline.drained().then(() => { drained = true; });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(drained).toBe(false);
    await env.proxy.restore();
    await draining;
    expect(await appliedOrder(env.admin(), 'Acct/E/D3')).toEqual([0]);
  });

  it('waits for the spool to be replayed', async () => {
    const s = await start();
    await env.proxy.cut();
    s.pipeline.accept(topicOf('D2'), numberedBirth(0));
    await waitFor('the birth spooled', () => s.spool.depth === 1 && s.pipeline.memoryDepth() === 0);
    await env.proxy.restore();
    await s.pipeline.drained();
    expect(s.spool.depth).toBe(0);
    expect(await appliedOrder(env.admin(), 'Acct/E/D2')).toEqual([0]);
  });
});

describe('dead letters and rebirth requests', () => {
  it('asks the edge node for a rebirth after an undecodable birth, not after one refused for its size', async () => {
    const s = await start({ INGEST_MAX_PAYLOAD_BYTES: '1000' });
    s.pipeline.accept('spBv1.0/Acct/DBIRTH/Garbled/D', Buffer.from([0xff, 0xff, 0xff]));
    const huge = numberedBirth(0, 100);
    expect(huge.length).toBeGreaterThan(1000);
    s.pipeline.accept('spBv1.0/Acct/DBIRTH/Huge/D', huge);
    await waitFor('both dead-lettered', () => events(s, 'birth.dead_lettered').length === 2);
    await s.pipeline.drained();
    expect(s.rebirths).toEqual(['spBv1.0/Acct/NCMD/Garbled']);
    expect(await gauges(s)).toEqual({ queue: 0, spool: 0, held: 0 }); // each dead-lettered birth left memory once
    const refused = events(s, 'birth.dead_lettered').find((r) => r.topic === 'spBv1.0/Acct/DBIRTH/Huge/D');
    expect(refused?.msg).toBe(`dead-lettered to uns_meta.dead_letters: ${String(refused?.reason)}`);
    const { rows } = await env.admin().query<{ topic: string }>(`select topic from uns_meta.dead_letters where topic like 'spBv1.0/Acct/%' order by topic`);
    expect(rows.map((r) => r.topic)).toEqual(['spBv1.0/Acct/DBIRTH/Garbled/D', 'spBv1.0/Acct/DBIRTH/Huge/D']);
  });

  it('names the first five alias-only metrics without a name, and asks for a rebirth', async () => {
    const s = await start();
    const aliases = ['11', '12', '13', '14', '15', '16'];
    s.pipeline.accept(topicOf('Aliased'), encodePayload({ timestamp: '1', seq: '0', metrics: aliases.map((alias) => ({ alias, datatype: 3, intValue: 1 })) }));
    await s.pipeline.drained();
    const warned = events(s, 'birth.unresolved_aliases');
    expect(warned.map((r) => [r.aliases, r.msg])).toEqual([[6,
      "6 alias-only metrics had no name in the device's or the edge node's map (alias 11, 12, 13, 14, 15); stored as alias:<id>"]]);
    expect(s.rebirths).toEqual(['spBv1.0/Acct/NCMD/E']);
  });
});

describe('stop()', () => {
  it('spools the births that had not started, lets the running one finish, and takes nothing afterwards', async () => {
    const s = await start({ INGEST_CONCURRENCY: '1' });
    const locker = await env.admin().connect();
    try {
      await locker.query('begin');
      await locker.query('lock table uns_meta.devices in exclusive mode'); // the first birth waits on it
      for (const d of ['S1', 'S2', 'S3']) s.pipeline.accept(topicOf(d), numberedBirth(0));
      await waitFor('the first birth waiting on the lock', async () => {
        const { rows } = await env.admin().query(`select 1 from pg_locks where database = (select oid from pg_database where datname = current_database()) and relation = 'uns_meta.devices'::regclass and not granted`);
        return rows.length > 0;
      });
      const stopping = s.pipeline.stop();
      await waitFor('the two not started spooled', () => s.spool.depth === 2);
      await locker.query('rollback');
      await stopping;
    } finally {
      locker.release();
    }
    expect(await appliedOrder(env.admin(), 'Acct/E/S1')).toEqual([0]);
    expect(spooledWhy(s).map(([topic, why]) => [topic, why]).sort()).toEqual([[topicOf('S2'), 'shutting down'], [topicOf('S3'), 'shutting down']]);
    expect(await gauges(s)).toEqual({ queue: 0, spool: 2, held: 0 });

    s.pipeline.accept(topicOf('After'), numberedBirth(0));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(s.spool.depth).toBe(2);
    expect(readdirSync(s.spool.dir).filter((f) => !f.startsWith('.'))).toHaveLength(2);
    expect((await s.metrics.birthsReceived.get()).values.reduce((n, v) => n + v.value, 0)).toBe(3);
  });

  it('waits for the dead letter of a birth it refused to be written', async () => {
    const s = await start();
    const locker = await env.admin().connect();
    try {
      await locker.query('begin');
      await locker.query('lock table uns_meta.dead_letters in exclusive mode'); // the dead letter's insert waits
      s.pipeline.accept('spBv1.0/Acct/DBIRTH/Refused/AtStop', Buffer.from([0xff, 0xff, 0xff]));
      await waitFor('the dead letter waiting on the lock', async () =>
        (await env.admin().query(`select 1 from pg_locks where database = (select oid from pg_database where datname = current_database()) and relation = 'uns_meta.dead_letters'::regclass and not granted`)).rowCount! > 0);
      let stopped = false;
      const stopping = s.pipeline.stop().then(() => { stopped = true; });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(stopped).toBe(false); // still waiting for the dead letter
      await locker.query('rollback');
      await stopping;
    } finally {
      await locker.query('rollback').catch(() => undefined);
      locker.release();
    }
    const { rows } = await env.admin().query(`select 1 from uns_meta.dead_letters where topic = 'spBv1.0/Acct/DBIRTH/Refused/AtStop'`);
    expect(rows).toHaveLength(1);
    expect(await gauges(s)).toEqual({ queue: 0, spool: 0, held: 0 });
  });

  it.each([
    ['reports the births the disk still refuses at its last try as lost, by topic', true],
    ['spools the births the disk takes at its last try, and reports none lost', false],
  ])('%s', async (_name, stillRefusing) => {
    let refusing = true;
    const s = await start({}, {
      wrap: (append) => (m) => (refusing
        ? Promise.reject(Object.assign(new Error('ENOSPC: no space left on device (the test refused this write)'), { code: 'ENOSPC' }))
        : append(m)),
    });
    await env.proxy.cut();
    s.pipeline.accept(topicOf('L1'), numberedBirth(0));
    await waitFor('the birth held', async () => (await gauges(s)).held === 1);
    expect(events(s, 'spool.write_failed')[0]?.msg).toMatch(/^cannot write to the spool .*: ENOSPC: no space left on device \(the test refused this write\); keeping the birth in memory \(free or fix INGEST_SPOOL_DIR\)$/);
    refusing = stillRefusing;
    await s.pipeline.stop();
    const lost = events(s, 'spool.lost_at_stop');
    if (stillRefusing) {
      expect(lost.map((r) => [r.births, r.topics])).toEqual([[1, [topicOf('L1')]]]);
      expect(lost[0]?.msg).toMatch(/^stopping with 1 births the spool .* refused; they are lost \(free or fix INGEST_SPOOL_DIR\)$/);
    } else {
      expect(lost).toEqual([]);
      expect(s.spool.sequences()).toHaveLength(1);
    }
    expect(await gauges(s)).toEqual({ queue: 0, spool: stillRefusing ? 0 : 1, held: 0 });
  });
});

describe('the replay of files an operator should look at', () => {
  it('removes a spooled file that is not a birth and moves an unreadable one aside, each said in an error line; the births around them are applied', async () => {
    const s = await start();
    await env.proxy.cut();
    s.pipeline.accept(topicOf('F1'), numberedBirth(0));
    await waitFor('the birth spooled', () => s.spool.depth === 1 && s.pipeline.memoryDepth() === 0);
    const [first] = s.spool.sequences();
    // put there by hand: a file whose topic is no birth, and a birth whose payload was cut short on disk
    const foreign = first! + 1;
    const truncated = first! + 2;
    await s.spool.append({ seq: foreign, topic: 'spBv1.0/Acct/NDATA/E', receivedAt: new Date(), payload: Buffer.from([1, 2, 3]) });
    await s.spool.append({ seq: truncated, topic: topicOf('F2'), receivedAt: new Date(), payload: numberedBirth(0) });
    const file = readdirSync(s.spool.dir).find((f) => f.includes(String(truncated)))!;
    truncateSync(join(s.spool.dir, file), statSync(join(s.spool.dir, file)).size - 3);
    s.pipeline.accept(topicOf('F3'), numberedBirth(0)); // after them, to the spool too
    await waitFor('four files spooled', () => s.spool.depth === 4);
    await env.proxy.restore();
    await waitFor('the spool replayed', () => s.spool.depth === 0, 20_000);
    await s.pipeline.drained();

    expect(await appliedOrder(env.admin(), 'Acct/E/F1')).toEqual([0]);
    expect(await appliedOrder(env.admin(), 'Acct/E/F3')).toEqual([0]);
    expect(await appliedOrder(env.admin(), 'Acct/E/F2')).toEqual([]);
    expect(events(s, 'spool.foreign_file').map((r) => [r.level, r.topic, r.seq, r.msg])).toEqual([
      [50, 'spBv1.0/Acct/NDATA/E', foreign, `spool file ${foreign} is not a birth; removing it from the replay`],
    ]);
    const unreadable = events(s, 'spool.unreadable');
    expect(unreadable.map((r) => [r.level, r.topic, r.seq])).toEqual([[50, topicOf('F2'), truncated]]);
    const bad = join(s.spool.dir, file.replace(/\.[^.]+$/, '.bad'));
    expect(unreadable[0]!.file).toBe(bad);
    expect(unreadable[0]!.msg).toBe(`spool file ${truncated} is unreadable (${String(unreadable[0]!.err)}); moved aside to ${bad} for an operator`);
    expect(String(unreadable[0]!.err)).toMatch(/is truncated: \d+ of \d+ payload bytes$/);
    // the unreadable birth is kept for an operator; the foreign file is gone
    expect(readdirSync(s.spool.dir).filter((f) => !f.startsWith('.')).sort()).toEqual([basename(bad)]);
  });
});

describe('what an applied birth reports', () => {
  it('an identical re-birth is logged and counted as unchanged, with its latency; a node birth is named by its edge node', async () => {
    const s = await start();
    const t0 = Date.now();
    s.pipeline.accept(topicOf('Same'), numberedBirth(0, 3));
    await s.pipeline.drained();
    s.pipeline.accept(topicOf('Same'), numberedBirth(0, 3));
    await s.pipeline.drained();
    s.pipeline.accept('spBv1.0/Acct/NBIRTH/Node', numberedBirth(0));
    await s.pipeline.drained();
    const wall = (Date.now() - t0) / 1000;

    const unchanged = events(s, 'birth.unchanged');
    expect(unchanged.map((r) => [r.level, r.topic, r.device, r.type, r.metrics, r.msg])).toEqual([
      [30, topicOf('Same'), 'Acct/E/Same', 'DBIRTH', 3, 'DBIRTH of Acct/E/Same unchanged: the catalog holds its fingerprint (3 metrics); nothing sent'],
    ]);
    expect(events(s, 'birth.ingested').map((r) => [r.topic, r.device])).toEqual([
      [topicOf('Same'), 'Acct/E/Same'], ['spBv1.0/Acct/NBIRTH/Node', 'Acct/Node'],
    ]);
    expect((await s.metrics.birthsIngested.get()).values[0]?.value).toBe(3);
    expect((await s.metrics.birthsUnchanged.get()).values[0]?.value).toBe(1);
    const latency = (await s.metrics.ingestLatency.get()).values;
    expect(latency.find((v) => v.metricName?.endsWith('_count'))?.value).toBe(3);
    const sum = latency.find((v) => v.metricName?.endsWith('_sum'))?.value ?? -1;
    expect(sum).toBeGreaterThanOrEqual(0);
    expect(sum).toBeLessThanOrEqual(3 * wall);
  });
});
