// End-to-end speed and memory of `uns-meta ingest` (issue 4, "Speed"): a real Mosquitto, the ingestor as a child
// process (`node src/cli.ts ingest`), a fresh clone of the test template.
//
//   node bench/ingest-e2e.ts                  (a) the 98,332-metric plant-shaped DBIRTH, publish → committed, then
//                                             (a2) the same birth again, publish → acknowledged by its fingerprint
//   node bench/ingest-e2e.ts --million        (b) also a 1,000,000-metric DBIRTH, peak RSS of the ingestor
//   node bench/ingest-e2e.ts --sustained      (c) also 200 small DBIRTHs per second (50 metrics each) for 30 s
//   options: --metrics N (size of a), --chunk N (INGEST_CHUNK_METRICS), --heap MB (the ingestor's
//            --max-old-space-size), --rate N, --seconds N, --devices N, --changed-every N (for c), --no-docs
//
// (a) The birth (syntheticBirthBuffer, 36.5 MB) is published once; the clock runs from just before the publish
//     to the ingestor's `birth.ingested` log line, written after COMMIT. That line also says when the message
//     arrived (receivedAt: publish → delivery through the broker), and how much of the ingestor's time went to
//     decoding and JSON building versus waiting for the database.
// (b) 1,000,000 metrics encode to ~373 MB, more than an MQTT packet can carry (268,435,455 bytes), so the birth
//     is sent as Tahu compresses large payloads: uuid SPBV1.0_COMPRESSED, DEFLATE body. Peak RSS is the child's
//     VmHWM from /proc/<pid>/status after the commit.
// (c) --devices devices (default 1,000): a warm-up round births each once (timed on its own: new devices taken in
//     per second), then re-births of them in turn at --rate per second (default 200) for --seconds (default 30),
//     one in --changed-every (default 10) with one changed property. /metrics is sampled every 250 ms for the
//     queue and spool depth during the timed re-births.
// Rewrites the "ingestor" section of docs/benchmarks.md (unless --no-docs).
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import mqtt from 'mqtt';
import { compressPayload, encodePayload } from '../src/sparkplug/encode.ts';
import { syntheticBirthBuffer } from '../src/sparkplug/synthetic.ts';
import { createTestDatabase } from '../test/support/database.ts';
import { spawnIngestor } from '../test/ingest/support/child.ts';
import { startBroker } from '../test/ingest/support/mosquitto.ts';
import { writeBenchmarkSection } from './support/benchmarks-doc.ts';

const { values: args } = parseArgs({
  options: {
    metrics: { type: 'string', default: '98332' },
    chunk: { type: 'string', default: '20000' },
    million: { type: 'boolean', default: false },
    sustained: { type: 'boolean', default: false },
    heap: { type: 'string' },
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '30' },
    devices: { type: 'string', default: '1000' },
    'changed-every': { type: 'string', default: '10' },
    docs: { type: 'boolean', default: true },
  },
  allowNegative: true,
});

interface Run {
  name: string;
  metrics: number;
  wireMB: number;
  seconds: number;
  transferS: number;
  decodeS: number;
  databaseS: number;
  peakRssMB: number;
  load: string;
}

interface Sustained {
  rate: number;
  seconds: number;
  devices: number;
  /** One re-birth in this many carries a changed property. */
  changedEvery: number;
  /** The warm-up: every device's first birth, publish of the first → all committed. */
  warmSeconds: number;
  published: number;
  publishSeconds: number;
  drainSeconds: number;
  maxQueue: number;
  maxSpool: number;
  ingested: number;
  /** Mean per birth, from the ingestor's birth.ingested lines: its whole time and the database's part. */
  meanTotalMs: number;
  meanDatabaseMs: number;
  load: string;
}

const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

function peakRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

async function main(): Promise<void> {
  const db = await createTestDatabase();
  const broker = await startBroker();
  const spool = mkdtempSync(join(tmpdir(), 'uns-meta-bench-spool-'));
  const ingestor = spawnIngestor({
    MQTT_URL: broker.url, DATABASE_URL: db.url('uns_meta_app'), INGEST_SPOOL_DIR: spool, LOG_LEVEL: 'info', INGEST_CHUNK_METRICS: args.chunk,
    ...(args.heap ? { NODE_OPTIONS: `--max-old-space-size=${args.heap}` } : {}),
  });
  const pub = await mqtt.connectAsync(broker.url, { clientId: 'bench-publisher', reconnectPeriod: 0 });
  const runs: Run[] = [];
  let sustained: Sustained | undefined;
  try {
    while (!ingestor.output().includes('"event":"mqtt.subscribed"')) {
      if (ingestor.child.exitCode !== null) throw new Error(`the ingestor exited: ${ingestor.output()}`);
      await sleep(50);
    }

    async function measure(name: string, topic: string, bytes: Buffer, metrics: number, expected: 'birth.ingested' | 'birth.unchanged' = 'birth.ingested'): Promise<void> {
      const before = load();
      const seen = ingestor.output().length;
      const t0 = Date.now();
      await pub.publishAsync(topic, bytes);
      let line: Record<string, unknown> | undefined;
      while (!line) {
        if (ingestor.child.exitCode !== null) throw new Error(`the ingestor exited: ${ingestor.output().slice(-2000)}`);
        for (const l of ingestor.output().slice(seen).split('\n')) {
          if (!l.startsWith('{')) continue;
          const rec = JSON.parse(l) as Record<string, unknown>;
          if (rec.topic === topic && ['birth.ingested', 'birth.unchanged', 'birth.dead_lettered'].includes(String(rec.event))) line = rec;
        }
        await sleep(20);
      }
      if (line.event === 'birth.dead_lettered') throw new Error(`${name}: dead-lettered: ${String(line.reason)}`);
      if (line.event !== expected) throw new Error(`${name}: ${String(line.event)}, expected ${expected}`);
      const t1 = Date.parse(String(line.time));
      const run: Run = {
        name, metrics, wireMB: bytes.length / 1e6,
        seconds: (t1 - t0) / 1000,
        transferS: (Date.parse(String(line.receivedAt)) - t0) / 1000,
        decodeS: Number(line.decodeMs) / 1000,
        databaseS: Number(line.databaseMs) / 1000,
        peakRssMB: peakRss(ingestor.child.pid ?? 0),
        load: before,
      };
      const summary = line.summary as { metrics: { inserted: number } } | undefined;
      if (expected === 'birth.ingested' && summary?.metrics.inserted === undefined) throw new Error(`${name}: no summary`);
      const count = await db.pool('uns_meta_admin').query<{ n: number }>(
        `select count(*)::int as n from uns_meta.metrics m join uns_meta.devices d using (device_id) where d.device = $1 and m.retired_at is null`, [topic.split('/')[4]]);
      if (count.rows[0]?.n !== metrics) throw new Error(`${name}: ${count.rows[0]?.n} metrics in the database, expected ${metrics}`);
      runs.push(run);
      console.log(`${name}: ${run.seconds.toFixed(2)} s publish → committed (transfer ${run.transferS.toFixed(2)} s, decode+JSON ${run.decodeS.toFixed(2)} s, database ${run.databaseS.toFixed(2)} s), peak RSS ${run.peakRssMB.toFixed(0)} MB, load ${before}`);
    }

    const plant = Number(args.metrics);
    const plantBirth = syntheticBirthBuffer({ metrics: plant, seed: 1 });
    await measure(`(a) DBIRTH, ${plant.toLocaleString('en')} metrics`, 'spBv1.0/Secil/DBIRTH/Portugal/Cement', plantBirth, plant);
    // The reconnect case: the same birth again, answered by its fingerprint (uns_meta.birth_is_current), nothing sent.
    await measure(`(a2) the same DBIRTH again (identical re-birth, answered by its fingerprint)`, 'spBv1.0/Secil/DBIRTH/Portugal/Cement', plantBirth, plant, 'birth.unchanged');
    if (args.million) {
      const raw = syntheticBirthBuffer({ metrics: 1_000_000, seed: 2 });
      const rawMB = raw.length / 1e6;
      const compressed = compressPayload(raw, { algorithm: 'DEFLATE' });
      console.log(`1,000,000-metric birth: ${rawMB.toFixed(0)} MB encoded, ${(compressed.length / 1e6).toFixed(1)} MB compressed (DEFLATE)`);
      await measure('(b) DBIRTH, 1,000,000 metrics (DEFLATE-compressed on the wire)', 'spBv1.0/Secil/DBIRTH/Portugal/Million', compressed, 1_000_000);
    }
    if (args.sustained) sustained = await sustain(() => ingestor.output(), pub);
    if (args.docs) writeDocs(runs, sustained); // before the clean-up, so a failing drop loses no figure
  } finally {
    await pub.endAsync();
    ingestor.child.kill('SIGTERM');
    await ingestor.exited;
    await broker.stop();
    await db.drop();
    rmSync(spool, { recursive: true, force: true });
  }
}

/**
 * (c): first a warm-up round that births every device once (the devices and their metrics are created; timed as
 * its own figure, the rate at which new devices are taken in), then re-births of the same devices at a steady rate,
 * one in --changed-every of them with one changed property; the queue and spool depth sampled from /metrics.
 */
async function sustain(output: () => string, pub: mqtt.MqttClient): Promise<Sustained> {
  const rate = Number(args.rate);
  const seconds = Number(args.seconds);
  const devices = Number(args.devices);
  const changedEvery = Number(args['changed-every']);
  const port = /"event":"http.listening","port":(\d+)/.exec(output())?.[1];
  if (!port) throw new Error('the ingestor did not log its metrics port');
  const sample = async () => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
    return { queue: value('uns_meta_ingest_queue_depth'), spool: value('uns_meta_ingest_spool_depth'), ingested: value('uns_meta_ingest_births_ingested_total') };
  };
  const small = (device: number, round: number) => {
    const metrics = Array.from({ length: 50 }, (_, i) => ({
      name: `Line ${device % 7}/Cell ${i % 5}/Tag ${i}`, datatype: i % 2 ? 9 : 11, ...(i % 2 ? { floatValue: i } : { booleanValue: true }),
      properties: { keys: ['engUnit', 'documentation', 'Quality'], values: [
        { type: 12, stringValue: 'kW' },
        { type: 12, stringValue: round > 0 && device % changedEvery === 0 && i === 0 ? `rev ${round}` : `tag ${i} of device ${device}` },
        { type: 3, intValue: 192 },
      ] },
    }));
    return encodePayload({ timestamp: String(Date.now()), seq: '0', metrics });
  };
  /** Publishes births n = from .. to-1 at `rate` per second (device n % devices, round n / devices). */
  const publish = async (from: number, to: number) => {
    const t0 = Date.now();
    for (let n = from; n < to; n++) {
      const wait = t0 + ((n - from) * 1000) / rate - Date.now();
      if (wait > 0) await sleep(wait);
      const device = n % devices;
      pub.publish(`spBv1.0/Load/DBIRTH/E${device % 10}/D${device}`, small(device, Math.floor(n / devices)));
    }
    return (Date.now() - t0) / 1000;
  };
  const until = async (count: number) => {
    while ((await sample()).ingested < count) await sleep(100);
  };

  // Warm-up: every device born once.
  const base = (await sample()).ingested;
  const warmStart = Date.now();
  await publish(0, devices);
  await until(base + devices);
  const warmSeconds = (Date.now() - warmStart) / 1000;
  const warmLines = output().split('\n').length;

  let maxQueue = 0;
  let maxSpool = 0;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const s = await sample().catch(() => ({ queue: 0, spool: 0, ingested: 0 }));
      maxQueue = Math.max(maxQueue, s.queue);
      maxSpool = Math.max(maxSpool, s.spool);
      await sleep(250);
    }
  })();
  const before = load();
  const total = rate * seconds;
  const t0 = Date.now();
  const publishSeconds = await publish(devices, devices + total);
  await until(base + devices + total);
  const drainSeconds = (Date.now() - t0) / 1000 - publishSeconds;
  polling = false;
  await poller;
  const lines = output().split('\n').slice(warmLines).filter((l) => l.includes('"event":"birth.ingested"') && l.includes('"topic":"spBv1.0/Load/'));
  const mean = (key: string) => lines.reduce((sum, l) => sum + Number((JSON.parse(l) as Record<string, unknown>)[key]), 0) / Math.max(1, lines.length);
  const result = {
    rate, seconds, devices, changedEvery, warmSeconds, published: total, publishSeconds, drainSeconds, maxQueue, maxSpool,
    ingested: (await sample()).ingested - base - devices, meanTotalMs: mean('totalMs'), meanDatabaseMs: mean('databaseMs'), load: before,
  };
  console.log(`(c) warm-up: ${devices} new devices committed in ${warmSeconds.toFixed(1)} s; then ${total} re-births (1 in ${changedEvery} changed) at ${rate}/s over ${publishSeconds.toFixed(1)} s: all committed ${drainSeconds.toFixed(1)} s after the last publish; max queue depth ${maxQueue}, max spool depth ${maxSpool}; per birth ${result.meanTotalMs.toFixed(1)} ms (database ${result.meanDatabaseMs.toFixed(1)} ms); load ${before}`);
  return result;
}

// The commit measured: taken at start, as the ingestor's code is read when it starts.
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();

function writeDocs(runs: Run[], sustained: Sustained | undefined): void {
  const pgVersion = execFileSync('psql', ['-AtX', '-U', 'uns_meta_admin', '-d', 'postgres', '-c', 'show server_version'], { encoding: 'utf8' }).trim();
  const cmd = `node bench/ingest-e2e.ts${args.million ? ' --million' : ''}${args.sustained ? ' --sustained' : ''}${args.heap ? ` --heap ${args.heap}` : ''}${args.chunk !== '20000' ? ` --chunk ${args.chunk}` : ''}`;
  const rows = runs.map((r) =>
    `| ${r.name} | ${r.wireMB.toFixed(1)} MB | **${r.seconds.toFixed(1)} s** | ${r.transferS.toFixed(1)} s | ${r.decodeS.toFixed(1)} s | ${r.databaseS.toFixed(1)} s | ${r.peakRssMB.toFixed(0)} MB | ${r.load} |`);
  const a = runs.find((r) => r.name.startsWith('(a)'));
  const a2 = runs.find((r) => r.name.startsWith('(a2)'));
  const b = runs.find((r) => r.name.startsWith('(b)'));
  const section = `## ingestor

\`${cmd}\` — run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on commit ${commit}.

- Machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB RAM, PostgreSQL ${pgVersion},
  Node ${process.version}, Mosquitto 2.0.11; shared with other engineers' runs (load average before each birth in the table).
- Path: publish to a local Mosquitto (QoS 0) → \`uns-meta ingest\` (a child process, defaults: \`INGEST_CHUNK_METRICS\`
  ${args.chunk}, so the birth goes to \`ingest_birth\` in chunks inside one transaction) → COMMIT. The time is from
  just before the publish to the ingestor's \`birth.ingested\` log line (written after COMMIT; for (a2) its
  \`birth.unchanged\` line, written once \`uns_meta.birth_is_current\` answered); *transfer* is publish →
  the message handed to the ingestor; *decode + JSON* and *database* split the ingestor's own time (decoding and
  building each chunk's JSON, versus waiting for \`ingest_birth\` and the alias-map statements).
- Peak RSS: \`VmHWM\` of the ingestor process after the commit (the whole run so far, so (b) includes (a)).
- The birth is the plant-shaped synthetic one (\`syntheticBirthBuffer\`, 8.4 properties per metric). 1,000,000
  metrics encode to ${b ? '~373 MB' : '~373 MB'}, beyond MQTT's 268,435,455-byte packet limit, so (b) is sent the way
  Tahu sends large payloads: \`SPBV1.0_COMPRESSED\` with a DEFLATE body; the ingestor inflates it and decodes it in chunks.

| birth | on the wire | publish → committed | transfer | decode + JSON | database | ingestor peak RSS | load avg before |
|---|---:|---:|---:|---:|---:|---:|---|
${rows.join('\n')}

${a ? `Targets: (a) ≤ 12 s publish → committed — **${a.seconds <= 12 ? 'met' : 'not met'}**: ${(100 * a.databaseS / a.seconds).toFixed(0)} % of the time is \`ingest_birth\`
(what the database cannot avoid for this birth: the "ingest floor" section), ${(a.transferS + a.decodeS).toFixed(1)} s is transfer, decoding and JSON.` : ''}
${a2 ? `(a2) identical re-birth ≤ 1 s publish → acknowledged (its \`birth.unchanged\` line) — **${a2.seconds <= 1 ? 'met' : 'not met'}**: ${a2.seconds.toFixed(2)} s, of which transfer ${a2.transferS.toFixed(2)} s, decoding and fingerprinting ${a2.decodeS.toFixed(2)} s, the \`birth_is_current\` question ${a2.databaseS.toFixed(2)} s.` : ''}
${b ? `(b) peak RSS ≤ 1 GB — **${b.peakRssMB <= 1024 ? 'met' : 'not met'}** (${b.peakRssMB.toFixed(0)} MB${args.heap ? `, ingestor run with \`NODE_OPTIONS=--max-old-space-size=${args.heap}\`` : ''}); the million-metric birth took ${(b.seconds / 60).toFixed(1)} minutes end to end.` : '(b) not run in this invocation (`--million`).'}
${sustained ? `
(c) Sustained load, ${sustained.devices} devices of 50 metrics (3 properties each). Warm-up: the first birth of each device,
published at ${sustained.rate}/s, all committed ${sustained.warmSeconds.toFixed(1)} s after the first publish (**${(sustained.devices / sustained.warmSeconds).toFixed(0)} new devices/s**).
Then ${sustained.published} re-births at ${sustained.rate}/s for ${sustained.publishSeconds.toFixed(1)} s, the devices in turn, one in ${sustained.changedEvery} with one changed
property; load before ${sustained.load}. All committed ${sustained.drainSeconds.toFixed(1)} s after the last publish
(**${(sustained.ingested / (sustained.publishSeconds + sustained.drainSeconds)).toFixed(0)} births/s** overall); queue depth at most **${sustained.maxQueue}** (limit 1000), spool depth at most
**${sustained.maxSpool}**. Target (200/s sustained, queue bounded): **${sustained.drainSeconds <= 5 && sustained.maxSpool === 0 ? 'met' : 'not met'}** (the bench calls it met when nothing
was spooled and the last birth was committed within 5 s of its publish).
Per birth the ingestor spent ${sustained.meanTotalMs.toFixed(1)} ms on average, ${sustained.meanDatabaseMs.toFixed(1)} ms of it waiting for the database (\`INGEST_CONCURRENCY\` ${process.env.INGEST_CONCURRENCY ?? 4}).
` : '(c) not run in this invocation (`--sustained`).'}
`;
  writeBenchmarkSection('ingestor', section);
}

await main();
