// Nothing lost: the database cut off from the ingestor mid-stream (a TCP proxy between them, so the shared
// cluster keeps running), and a full in-memory queue. Births go to the on-disk spool and are replayed in order.
import { readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { appliedOrder, numberedBirth } from './support/births.ts';
import { useIngestEnvironment } from './support/environment.ts';
import { type RunningIngestor, startTestIngestor, subscribed, waitFor } from './support/ingestor.ts';

const env = useIngestEnvironment({ proxy: true });

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('the spool', () => {
  let ing: RunningIngestor;

  it('keeps births while the database is unreachable and replays them in order, none lost', async () => {
    ing = await startTestIngestor({ MQTT_URL: env.broker.url, DATABASE_URL: env.viaProxy(), INGEST_CONCURRENCY: '3' });
    await subscribed(ing);
    const devices = range(5).map((d) => `Cut/E/D${d}`);
    const perDevice = 12;
    let cutAt = -1;
    let spooledWhileCut = 0;
    for (let k = 0; k < perDevice; k++) {
      if (k === 4) {
        await env.proxy.cut();
        cutAt = k;
      }
      if (k === 9) {
        // Every birth published while the database is cut is on disk (the depth counts writes in flight too).
        const onDisk = () => readdirSync(ing.spoolDir).filter((f) => f.endsWith('.msg')).length;
        spooledWhileCut = await waitFor('births in the spool', () => {
          const depth = ing.pipeline.spoolDepth();
          return depth >= 5 * (9 - cutAt) - 3 && onDisk() === depth && depth;
        });
        const ready = await fetch(`http://127.0.0.1:${ing.metricsPort}/readyz`);
        expect(ready.status).toBe(503);
        expect(await ready.json()).toEqual({ mqtt: 'connected', postgres: 'unreachable' });
        await env.proxy.restore();
      }
      for (const d of range(5)) await env.pub.publishAsync(`spBv1.0/Cut/DBIRTH/E/D${d}`, numberedBirth(k));
      await sleep(20);
    }
    expect(spooledWhileCut).toBeGreaterThan(0);
    await waitFor('every birth applied', async () => {
      for (const d of devices) if ((await appliedOrder(env.admin(), d)).length !== perDevice) return false;
      return true;
    }, 30_000);
    for (const d of devices) expect(await appliedOrder(env.admin(), d)).toEqual(range(perDevice));
    await ing.pipeline.drained();
    expect(readdirSync(ing.spoolDir)).toEqual([]);
    const records = ing.records();
    expect(records.filter((r) => r.event === 'db.unavailable').length).toBeGreaterThanOrEqual(1);
    expect(records.some((r) => r.event === 'db.available')).toBe(true);
    const metrics = await (await fetch(`http://127.0.0.1:${ing.metricsPort}/metrics`)).text();
    expect(metrics).toContain(`uns_meta_ingest_births_ingested_total ${5 * perDevice}`);
    expect(metrics).toContain('uns_meta_ingest_spool_depth 0');
    await ing.stop();
  });

  it.each([
    ['births (INGEST_QUEUE_LIMIT 2)', { INGEST_QUEUE_LIMIT: '2' }, 'the in-memory queue is full (2)'],
    ['bytes (INGEST_QUEUE_MAX_BYTES 1)', { INGEST_QUEUE_MAX_BYTES: '1' }, '(INGEST_QUEUE_MAX_BYTES 1)'],
  ])('sends births to the spool when the in-memory queue is full of %s, and still applies them in order', async (label, limits, logged) => {
    ing = await startTestIngestor({ MQTT_URL: env.broker.url, DATABASE_URL: env.db.url('uns_meta_app'), INGEST_CONCURRENCY: '1', ...limits });
    await subscribed(ing);
    const n = 40;
    const group = label.startsWith('births') ? 'Full' : 'Bytes';
    for (let k = 0; k < n; k++) env.pub.publish(`spBv1.0/${group}/DBIRTH/E/D${k % 2}`, numberedBirth(Math.floor(k / 2)));
    const order = (d: number) => appliedOrder(env.admin(), `${group}/E/D${d}`);
    await waitFor('every birth applied', async () => (await order(0)).length === n / 2 && (await order(1)).length === n / 2);
    expect(await order(0)).toEqual(range(n / 2));
    expect(await order(1)).toEqual(range(n / 2));
    expect(ing.lines.some((l) => l.includes(logged))).toBe(true);
    await ing.stop();
  });
});
