// The ingestor's start and stop as ops see them (src/ingest/service.ts), in-process: a stop that outlasts its grace
// cancels the birth still being applied (stuck behind a DBA's lock) into the spool, says so and how many births the
// spool holds; a stop within its grace cancels nothing; the next start says what the spool holds from the earlier run
// and replays it. Each line is checked for the fields the docs name (docs/ingestor.md).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appliedOrder, numberedBirth } from './support/births.ts';
import { useIngestEnvironment } from './support/environment.ts';
import { type RunningIngestor, startTestIngestor, waitFor } from './support/ingestor.ts';

const env = useIngestEnvironment();
const spoolDir = mkdtempSync(join(tmpdir(), 'uns-meta-service-stop-'));

afterAll(() => {
  rmSync(spoolDir, { recursive: true, force: true });
});

const start = (stopGraceMs: number) => startTestIngestor({
  MQTT_URL: env.broker.url, DATABASE_URL: env.db.url('uns_meta_app'), INGEST_SPOOL_DIR: spoolDir, INGEST_CONCURRENCY: '2',
}, { stopGraceMs });
const lines = (ing: RunningIngestor, event: string) => ing.records().filter((r) => r.event === event);
const topic = (device: string) => `spBv1.0/Svc/DBIRTH/E/${device}`;

/** Resolves once a session waits on a lock of uns_meta.devices. */
const waitLocked = () => waitFor('the birth waiting on the lock', async () => {
  const { rows } = await env.admin().query(`select 1 from pg_locks where database = (select oid from pg_database where datname = current_database()) and relation = 'uns_meta.devices'::regclass and not granted`);
  return rows.length > 0;
});

/** Resolves with how long `p` took, or rejects after `limitMs`. */
async function within<T>(p: Promise<T>, limitMs: number): Promise<number> {
  const t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`not done within ${limitMs} ms`)), limitMs)))]);
  clearTimeout(timer);
  return Date.now() - t0;
}

describe('stopping the ingestor', () => {
  it('cancels a birth still being applied after the grace into the spool; the next start finds it there and applies it', async () => {
    const first = await start(300);
    expect(lines(first, 'spool.found')).toEqual([]); // an empty spool is not announced
    const locker = await env.admin().connect();
    try {
      await locker.query('begin');
      await locker.query('lock table uns_meta.devices in exclusive mode'); // a DBA's lock the birth waits on
      first.pipeline.accept(topic('Stuck'), numberedBirth(0));
      await waitLocked();
      const { rows } = await env.admin().query<{ application_name: string }>(
        `select a.application_name from pg_locks l join pg_stat_activity a using (pid) where l.database = (select oid from pg_database where datname = current_database()) and l.relation = 'uns_meta.devices'::regclass and not l.granted`);
      expect(rows.map((r) => r.application_name)).toEqual(['uns-meta ingest']); // what a DBA sees waiting on the lock
      await within(first.stop(), 15_000); // the lock is still held: only the cancel ends the birth
    } finally {
      await locker.query('rollback');
      locker.release();
    }
    expect(new Set(first.records().map((r) => r.name))).toEqual(new Set(['uns-meta-ingest']));
    expect(lines(first, 'ingest.stopping').map((r) => r.msg)).toEqual(['stopping: no new births; finishing the ones in progress, spooling the rest']);
    const cancel = lines(first, 'ingest.stop_cancel');
    expect(cancel.map((r) => [r.graceMs, r.msg])).toEqual([[300, 'births still being applied after 300 ms: cancelling them into the spool']]);
    expect(cancel[0]?.sessions).toBeGreaterThanOrEqual(1);
    expect(lines(first, 'ingest.stop_cancel_failed')).toEqual([]);
    expect(lines(first, 'ingest.stopped').map((r) => [r.spoolDepth, r.msg])).toEqual([[1, 'stopped; 1 births in the spool']]);
    expect(await appliedOrder(env.admin(), 'Svc/E/Stuck')).toEqual([]);

    const second = await start(300);
    try {
      const url = new URL(env.db.url('uns_meta_app'));
      const database = `${url.username}@${url.hostname}:${url.port}${url.pathname}`;
      expect(lines(second, 'ingest.starting').map((r) => [r.database, r.spool, r.queueLimit, r.concurrency, r.msg])).toEqual([
        [database, spoolDir, 1000, 2, `uns-meta ingest starting: database ${database}, spool ${spoolDir}`]]);
      expect(lines(second, 'spool.found').map((r) => [r.depth, r.dir, r.msg])).toEqual([[1, spoolDir, 'the spool holds 1 births from an earlier run; replaying']]);
      expect(lines(second, 'http.listening').map((r) => [r.port, r.msg])).toEqual([
        [second.metricsPort, `metrics on :${second.metricsPort}/metrics, /healthz, /readyz`]]);
      await second.pipeline.drained();
      expect(await appliedOrder(env.admin(), 'Svc/E/Stuck')).toEqual([0]);
    } finally {
      await second.stop();
    }
    expect(lines(second, 'ingest.stopped').map((r) => r.spoolDepth)).toEqual([0]);
  });

  it('cancels nothing when the running birth finishes within the grace', async () => {
    const ing = await start(10_000);
    const locker = await env.admin().connect();
    let took: number;
    try {
      await locker.query('begin');
      await locker.query('lock table uns_meta.devices in exclusive mode');
      ing.pipeline.accept(topic('Quick'), numberedBirth(0));
      await waitLocked();
      const stopping = within(ing.stop(), 15_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await locker.query('rollback'); // the lock goes within the grace: the birth commits
      took = await stopping;
    } finally {
      locker.release();
    }
    expect(took).toBeLessThan(10_000);
    expect(lines(ing, 'ingest.stop_cancel')).toEqual([]);
    expect(lines(ing, 'ingest.stopped').map((r) => r.spoolDepth)).toEqual([0]);
    expect(await appliedOrder(env.admin(), 'Svc/E/Quick')).toEqual([0]);
  });
});

describe('starting the ingestor', () => {
  it('refuses a database that is not deployed (no uns_meta schema), saying so, with no session left open', async () => {
    const url = new URL(env.db.url('uns_meta_app'));
    url.pathname = '/postgres';
    const error = await startTestIngestor({ MQTT_URL: env.broker.url, DATABASE_URL: url.toString(), INGEST_SPOOL_DIR: spoolDir })
      .then(() => undefined, (err: unknown) => err);
    expect((error as Error | undefined)?.constructor.name).toBe('DatabaseMisconfigured');
    await waitFor('no ingest session left', async () => (await env.admin().query(
      `select 1 from pg_stat_activity where application_name = 'uns-meta ingest' and datname = 'postgres'`)).rowCount === 0, 5000);
  });
});
