// Storms and limits, through a real Mosquitto and the ingestor as its own process (`uns-meta ingest`), so its
// queue depth and resident memory are the process's own, read from its /metrics while the storm runs:
//   - the same DBIRTH 1,000 times as fast as the broker takes it: one device, no duplicate rows, no deadlock;
//   - 1,000 devices' births published within about a second: all ingested; the in-memory queue stays within
//     INGEST_QUEUE_LIMIT (the rest waits in the spool) and the RSS stays bounded;
//   - a payload over INGEST_MAX_PAYLOAD_BYTES: dead-lettered with the reason, the births around it ingested.
// The measured peaks are printed (observations on a shared machine, not benchmarks).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/embedded-mosquitto.ts';
import { encodePayload } from '../../src/sparkplug/encode.ts';
import { type ChildIngestor, spawnIngestor } from '../ingest/support/child.ts';
import { useIngestEnvironment } from '../ingest/support/environment.ts';
import { waitFor } from '../ingest/support/ingestor.ts';

const env = useIngestEnvironment();
const QUEUE_LIMIT = 100;
const MAX_PAYLOAD = 200_000;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** A birth of `metrics` Float metrics, each with engineering units and limits (what a plant device sends). */
function deviceBirth(metrics: number, seq = 0): Buffer {
  return encodePayload({
    timestamp: String(1_700_000_000_000 + seq),
    seq: String(seq % 256),
    metrics: range(metrics).map((i) => ({
      name: `Line/Sensor${i}`, datatype: 9, floatValue: i,
      properties: { keys: ['engUnit', 'engLow', 'engHigh'], values: [{ type: 12, stringValue: 'degC' }, { type: 9, floatValue: 0 }, { type: 9, floatValue: 100 + i }] },
    })),
  });
}

let ing: ChildIngestor;
let metricsUrl: string;

/** One sample of the ingestor's /metrics: the named series' values. */
async function scrape(): Promise<Map<string, number>> {
  const text = await (await fetch(metricsUrl)).text();
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\S+) (\S+)$/.exec(line);
    if (m?.[1] && m[2]) values.set(m[1], Number(m[2]));
  }
  return values;
}

/** Samples queue depth, spool depth and RSS every 50 ms until stopped; returns the peaks seen. */
function sampler() {
  const peak = { queue: 0, spool: 0, rssBytes: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      const s = await scrape().catch(() => undefined);
      if (s) {
        peak.queue = Math.max(peak.queue, s.get('uns_meta_ingest_queue_depth') ?? 0);
        peak.spool = Math.max(peak.spool, s.get('uns_meta_ingest_spool_depth') ?? 0);
        peak.rssBytes = Math.max(peak.rssBytes, s.get('uns_meta_ingest_process_resident_memory_bytes') ?? 0);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return { peak, stop: async () => { running = false; await loop; return peak; } };
}

const counter = async (name: string) => (await scrape()).get(name) ?? 0;

beforeAll(async () => {
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  ing = spawnIngestor({
    MQTT_URL: env.broker.url, DATABASE_URL: env.db.url('uns_meta_app'), METRICS_PORT: String(port), LOG_LEVEL: 'info',
    INGEST_SPOOL_DIR: mkdtempSync(join(tmpdir(), 'uns-meta-spool-')), INGEST_QUEUE_LIMIT: String(QUEUE_LIMIT),
    INGEST_MAX_PAYLOAD_BYTES: String(MAX_PAYLOAD),
  });
  await waitFor('the ingestor to subscribe', () => ing.output().includes('"event":"mqtt.subscribed"'), 30_000);
}, 60_000);

afterAll(async () => {
  ing?.child.kill('SIGTERM');
  await ing?.exited;
});

describe('storms', () => {
  it('the same DBIRTH 1,000 times as fast as the broker takes it: one device, no duplicate rows, no deadlock', { timeout: 60_000 }, async () => {
    const birth = deviceBirth(20);
    const before = await counter('uns_meta_ingest_births_ingested_total');
    const s = sampler();
    for (let i = 0; i < 1000; i++) env.pub.publish('spBv1.0/Storm/DBIRTH/Edge/Same', birth);
    await waitFor('1,000 births applied', async () => (await counter('uns_meta_ingest_births_ingested_total')) - before >= 1000, 50_000);
    const peak = await s.stop();
    console.log(`same DBIRTH x1000: queue peak ${peak.queue}, spool peak ${peak.spool}, RSS peak ${(peak.rssBytes / 2 ** 20).toFixed(0)} MiB`);

    expect((await scrape()).get('uns_meta_ingest_births_received_total{type="DBIRTH"}')).toBeGreaterThanOrEqual(1000);
    const q = (sql: string) => env.admin().query<{ n: number }>(sql, ['Storm/Edge/Same']).then((r) => r.rows[0]?.n);
    expect(await q('select count(*)::int as n from uns_meta.devices where uns_path = $1')).toBe(1);
    expect(await q('select count(*)::int as n from uns_meta.metrics join uns_meta.devices d using (device_id) where d.uns_path = $1')).toBe(20);
    expect(await q('select count(distinct m.name)::int as n from uns_meta.metrics m join uns_meta.devices d using (device_id) where d.uns_path = $1')).toBe(20);
    // Identical re-births make no version: the first birth's 20 versions are all there are.
    expect(await q('select count(*)::int as n from uns_meta.metric_versions join uns_meta.metrics using (metric_id) join uns_meta.devices d using (device_id) where d.uns_path = $1')).toBe(20);
    const letters = await env.admin().query<{ n: number }>(`select count(*)::int as n from uns_meta.dead_letters where topic like 'spBv1.0/Storm/%'`);
    expect(letters.rows[0]?.n).toBe(0);
    expect(ing.output()).not.toMatch(/deadlock|40P01/i);
    expect(ing.output()).not.toContain('"level":50');
    expect(peak.queue).toBeLessThanOrEqual(QUEUE_LIMIT);
  });

  it('1,000 devices\' births within about a second: all ingested, queue within its limit, RSS bounded', { timeout: 60_000 }, async () => {
    const before = await counter('uns_meta_ingest_births_ingested_total');
    const s = sampler();
    const started = Date.now();
    const births = range(1000).map((d) => deviceBirth(5, d));
    for (const d of range(1000)) env.pub.publish(`spBv1.0/Storm/DBIRTH/Many/D${d}`, births[d] as Buffer);
    await new Promise<void>((resolve) => env.pub.publish('spBv1.0/Storm/STATE/done', 'x', () => resolve()));
    const publishMs = Date.now() - started;
    await waitFor('1,000 devices applied', async () => (await counter('uns_meta_ingest_births_ingested_total')) - before >= 1000, 55_000);
    const peak = await s.stop();
    console.log(`1,000 devices: published in ${publishMs} ms; queue peak ${peak.queue} (limit ${QUEUE_LIMIT}), spool peak ${peak.spool}, RSS peak ${(peak.rssBytes / 2 ** 20).toFixed(0)} MiB`);

    const { rows } = await env.admin().query<{ devices: number; metrics: number }>(
      `select count(distinct device_id)::int as devices, count(*)::int as metrics
         from uns_meta.metrics join uns_meta.devices d using (device_id) where d.uns_path like 'Storm/Many/%'`);
    expect(rows[0]).toEqual({ devices: 1000, metrics: 5000 });
    expect(peak.queue).toBeLessThanOrEqual(QUEUE_LIMIT);
    expect(peak.rssBytes).toBeGreaterThan(0);
    expect(peak.rssBytes).toBeLessThan(512 * 2 ** 20);
    await waitFor('the spool empty', async () => (await scrape()).get('uns_meta_ingest_spool_depth') === 0, 20_000);
    expect(ing.output()).not.toContain('"level":50');
  });

  it('a payload over INGEST_MAX_PAYLOAD_BYTES is dead-lettered with the reason, undecoded; the births around it are ingested', { timeout: 60_000 }, async () => {
    const big = deviceBirth(4000);
    expect(big.length).toBeGreaterThan(MAX_PAYLOAD);
    const before = await counter('uns_meta_ingest_births_ingested_total');
    env.pub.publish('spBv1.0/Storm/DBIRTH/Limit/Before', deviceBirth(3));
    env.pub.publish('spBv1.0/Storm/DBIRTH/Limit/Big', big);
    env.pub.publish('spBv1.0/Storm/DBIRTH/Limit/After', deviceBirth(3));
    const letter = await waitFor('the dead letter', async () => {
      const { rows } = await env.admin().query<{ payload_size: number; reason: string }>(
        `select payload_size::int as payload_size, reason from uns_meta.dead_letters where topic = 'spBv1.0/Storm/DBIRTH/Limit/Big'`);
      return rows[0];
    }, 30_000);
    expect(letter.payload_size).toBe(big.length);
    expect(letter.reason).toBe(`payload of ${big.length} bytes on spBv1.0/Storm/DBIRTH/Limit/Big is over INGEST_MAX_PAYLOAD_BYTES (${MAX_PAYLOAD}); not decoded, the catalog is unchanged; raise the limit or split the device's birth`);
    await waitFor('the births around it', async () => (await counter('uns_meta_ingest_births_ingested_total')) - before >= 2, 30_000);
    const { rows } = await env.admin().query<{ uns_path: string }>(`select uns_path from uns_meta.devices where uns_path like 'Storm/Limit/%' order by 1`);
    expect(rows.map((r) => r.uns_path)).toEqual(['Storm/Limit/After', 'Storm/Limit/Before']);
    const m = await scrape();
    expect(m.get('uns_meta_ingest_dead_letters_total{reason="oversize"}')).toBe(1);
    expect(m.get('uns_meta_ingest_decode_errors_total')).toBe(0);
    expect(ing.output()).toContain('"event":"birth.dead_lettered"');
  });
});
