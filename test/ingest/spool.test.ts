// Nothing lost: the database cut off from the ingestor mid-stream (a TCP proxy between them, so the shared
// cluster keeps running), and a full in-memory queue. Births go to the on-disk spool and are replayed in order.
import { readdirSync } from 'node:fs';
import type { MqttClient } from 'mqtt';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, createTestDatabase } from '../support/database.ts';
import { appliedOrder, numberedBirth } from './support/births.ts';
import { type Broker, startBroker } from './support/mosquitto.ts';
import { type RunningIngestor, publisher, startTestIngestor, subscribed, waitFor } from './support/ingestor.ts';
import { type TcpProxy, startTcpProxy } from './support/tcp-proxy.ts';

let db: TestDatabase;
let adminPool: pg.Pool | undefined;
/** One pool for the whole file (each db.pool() call opens a new one). */
const admin = (): pg.Pool => (adminPool ??= db.pool('uns_meta_admin'));
let broker: Broker;
let proxy: TcpProxy;
let pub: MqttClient;

beforeAll(async () => {
  db = await createTestDatabase();
  broker = await startBroker();
  proxy = await startTcpProxy(process.env.PGHOST ?? '127.0.0.1', Number(process.env.PGPORT ?? 5432));
  pub = await publisher(broker.url);
});

afterAll(async () => {
  await pub?.endAsync();
  await proxy?.close();
  await broker?.stop();
  await db?.drop();
});

function viaProxy(): string {
  const u = new URL(db.url('uns_meta_app'));
  u.port = String(proxy.port);
  return u.toString();
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('the spool', () => {
  let ing: RunningIngestor;

  it('keeps births while the database is unreachable and replays them in order, none lost', async () => {
    ing = await startTestIngestor({ MQTT_URL: broker.url, DATABASE_URL: viaProxy(), INGEST_CONCURRENCY: '3' });
    await subscribed(ing);
    const devices = range(5).map((d) => `Cut/E/D${d}`);
    const perDevice = 12;
    let cutAt = -1;
    let spooledWhileCut = 0;
    for (let k = 0; k < perDevice; k++) {
      if (k === 4) {
        await proxy.cut();
        cutAt = k;
      }
      if (k === 9) {
        spooledWhileCut = await waitFor('births in the spool', () => ing.pipeline.spoolDepth() >= 5 * (9 - cutAt) - 3 && ing.pipeline.spoolDepth());
        expect(readdirSync(ing.spoolDir).filter((f) => f.endsWith('.msg')).length).toBe(ing.pipeline.spoolDepth());
        const ready = await fetch(`http://127.0.0.1:${ing.metricsPort}/readyz`);
        expect(ready.status).toBe(503);
        expect(await ready.json()).toEqual({ mqtt: 'connected', postgres: 'unreachable' });
        await proxy.restore();
      }
      for (const d of range(5)) await pub.publishAsync(`spBv1.0/Cut/DBIRTH/E/D${d}`, numberedBirth(k));
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(spooledWhileCut).toBeGreaterThan(0);
    await waitFor('every birth applied', async () => {
      for (const d of devices) if ((await appliedOrder(admin(), d)).length !== perDevice) return false;
      return true;
    }, 30_000);
    for (const d of devices) expect(await appliedOrder(admin(), d)).toEqual(range(perDevice));
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
    ing = await startTestIngestor({ MQTT_URL: broker.url, DATABASE_URL: db.url('uns_meta_app'), INGEST_CONCURRENCY: '1', ...limits });
    await subscribed(ing);
    const n = 40;
    const group = label.startsWith('births') ? 'Full' : 'Bytes';
    for (let k = 0; k < n; k++) pub.publish(`spBv1.0/${group}/DBIRTH/E/D${k % 2}`, numberedBirth(Math.floor(k / 2)));
    const order = (d: number) => appliedOrder(admin(), `${group}/E/D${d}`);
    await waitFor('every birth applied', async () => (await order(0)).length === n / 2 && (await order(1)).length === n / 2);
    expect(await order(0)).toEqual(range(n / 2));
    expect(await order(1)).toEqual(range(n / 2));
    expect(ing.lines.some((l) => l.includes(logged))).toBe(true);
    await ing.stop();
  });
});
