// The ingestor and its broker: reconnection after the broker goes away (capped backoff, resubscribed, counted,
// /readyz follows), scaling out with a shared subscription, and rebirth requests on the wire.
import { setTimeout as sleep } from 'node:timers/promises';
import type { MqttClient } from 'mqtt';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePayload } from '../../src/sparkplug/decode.ts';
import { encodePayload } from '../../src/sparkplug/encode.ts';
import { type TestDatabase, createTestDatabase } from '../support/database.ts';
import { numberedBirth } from './support/births.ts';
import { freePort } from '../../src/embedded-mosquitto.ts';
import { type Broker, startBroker } from './support/mosquitto.ts';
import { type RunningIngestor, publisher, startTestIngestor, subscribed, waitFor } from './support/ingestor.ts';

let db: TestDatabase;
const admin = (): pg.Pool => db.pool('uns_meta_admin');

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.drop();
});

async function devices(prefix: string): Promise<number> {
  const { rows } = await admin().query<{ n: number }>(`select count(*)::int as n from uns_meta.devices where uns_path like $1`, [`${prefix}%`]);
  return rows[0]?.n ?? 0;
}

const metricValue = async (ing: RunningIngestor, name: string): Promise<number> => {
  const text = await (await fetch(`http://127.0.0.1:${ing.metricsPort}/metrics`)).text();
  const m = new RegExp(`^${name} (\\d+)`, 'm').exec(text);
  return Number(m?.[1] ?? NaN);
};

describe('the MQTT connection', () => {
  it('reconnects after the broker restarts, resubscribes, and says so', async () => {
    let broker: Broker = await startBroker();
    const port = broker.port;
    const ing = await startTestIngestor({ MQTT_URL: broker.url, DATABASE_URL: db.url('uns_meta_app'), MQTT_RECONNECT_MAX_MS: '1000' });
    try {
      await subscribed(ing);
      await broker.stop();
      await waitFor('the disconnect', () => ing.records().some((r) => r.event === 'mqtt.disconnected'));
      const ready = await fetch(`http://127.0.0.1:${ing.metricsPort}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ mqtt: 'disconnected', postgres: 'reachable' });
      expect(await metricValue(ing, 'uns_meta_ingest_mqtt_connected')).toBe(0);
      await waitFor('a failed reconnection attempt', () => ing.records().some((r) => r.event === 'mqtt.connect_failed'));
      broker = await startBroker({ port });
      await waitFor('the second subscription', () => ing.records().filter((r) => r.event === 'mqtt.subscribed').length === 2);
      const pub = await publisher(broker.url);
      await pub.publishAsync('spBv1.0/Re/DBIRTH/E/D', numberedBirth(1));
      await pub.endAsync();
      await waitFor('the birth after the reconnect', async () => (await devices('Re/')) === 1);
      expect(await metricValue(ing, 'uns_meta_ingest_mqtt_reconnects_total')).toBeGreaterThanOrEqual(1);
      expect(await metricValue(ing, 'uns_meta_ingest_mqtt_connected')).toBe(1);
      const delays = ing.records().filter((r) => r.event === 'mqtt.connect_failed' || r.event === 'mqtt.disconnected').map((r) => Number(r.retryInMs));
      expect(Math.max(...delays)).toBeLessThanOrEqual(1000);
    } finally {
      await ing.stop();
      await broker.stop();
    }
  });

  it('is not ready before it ever connected, says where it tried, and connects once the broker is there', async () => {
    const port = await freePort();
    const ing = await startTestIngestor({ MQTT_URL: `mqtt://127.0.0.1:${port}`, DATABASE_URL: db.url('uns_meta_app'), MQTT_CLIENT_ID: 'never-yet', MQTT_RECONNECT_MAX_MS: '100' });
    const where = `mqtt://127.0.0.1:${port}`;
    let broker: Broker | undefined;
    let stopped = false;
    try {
      const ready = await fetch(`http://127.0.0.1:${ing.metricsPort}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ mqtt: 'disconnected', postgres: 'reachable' });
      const failed = await waitFor('a failed connection', () => ing.records().find((r) => r.event === 'mqtt.connect_failed'));
      expect(failed).toMatchObject({ broker: where, attempt: 1, msg: `MQTT connection failed; reconnecting in ${String(failed.retryInMs)} ms (attempt 1)` });
      expect(await waitFor('a reconnection attempt', () => ing.records().find((r) => r.event === 'mqtt.reconnecting'))).toMatchObject({ broker: where, attempt: 1 });
      broker = await startBroker({ port });
      await subscribed(ing);
      expect(ing.records().find((r) => r.event === 'mqtt.connected')).toMatchObject({ broker: where, clientId: 'never-yet', msg: `MQTT connected to ${where}` });
      expect(ing.records().find((r) => r.event === 'mqtt.subscribed')).toMatchObject({
        topics: ['spBv1.0/+/NBIRTH/#', 'spBv1.0/+/DBIRTH/#'], msg: 'subscribed to spBv1.0/+/NBIRTH/#, spBv1.0/+/DBIRTH/#',
      });
      expect((await fetch(`http://127.0.0.1:${ing.metricsPort}/readyz`)).status).toBe(200);
      // stopped, it stays away: no disconnect reported, no reconnection once closed, with the broker still there (backoff here <= 100 ms)
      await ing.stop();
      stopped = true;
      const closedAt = ing.records().findIndex((r) => r.event === 'mqtt.closed');
      expect(ing.records()[closedAt]).toMatchObject({ broker: where, msg: 'MQTT connection closed' });
      await sleep(500);
      // nothing but the close from the stop on: no disconnect reported, no reconnection
      const stoppingAt = ing.records().findIndex((r) => r.event === 'ingest.stopping');
      expect(ing.records().slice(stoppingAt).filter((r) => String(r.event).startsWith('mqtt.')).map((r) => r.event)).toEqual(['mqtt.closed']);
    } finally {
      if (!stopped) await ing.stop();
      await broker?.stop();
    }
  });

  it('splits the births between ingestors that share a subscription ($share/<name>/)', async () => {
    const broker = await startBroker();
    const env = { MQTT_URL: broker.url, DATABASE_URL: db.url('uns_meta_app'), MQTT_SHARED_GROUP: 'uns-meta' };
    const a = await startTestIngestor(env);
    const b = await startTestIngestor(env);
    try {
      await subscribed(a);
      await subscribed(b);
      const pub = await publisher(broker.url);
      for (let i = 0; i < 40; i++) await pub.publishAsync(`spBv1.0/Share/DBIRTH/E/D${i}`, numberedBirth(i));
      await pub.endAsync();
      const received = (ing: RunningIngestor) => ing.records().filter((r) => r.event === 'birth.ingested').length;
      await waitFor('40 births logged', () => received(a) + received(b) === 40);
      expect(await devices('Share/')).toBe(40);
      expect(received(a)).toBeGreaterThan(0);
      expect(received(b)).toBeGreaterThan(0);
    } finally {
      await a.stop();
      await b.stop();
      await broker.stop();
    }
  });

  it('requests a rebirth (NCMD Node Control/Rebirth) when enabled, once per edge node per interval', async () => {
    const broker = await startBroker();
    const ing = await startTestIngestor({ MQTT_URL: broker.url, DATABASE_URL: db.url('uns_meta_app'), INGEST_REBIRTH_REQUESTS: 'true' });
    const commands: [string, Buffer][] = [];
    let sub: MqttClient | undefined;
    try {
      await subscribed(ing);
      sub = await publisher(broker.url);
      sub.on('message', (topic, payload) => commands.push([topic, payload]));
      await sub.subscribeAsync('spBv1.0/+/NCMD/#');
      const aliasOnly = encodePayload({ timestamp: '1', seq: '0', metrics: [{ alias: '5', datatype: 11, booleanValue: true }] });
      for (let i = 0; i < 3; i++) await sub.publishAsync('spBv1.0/Rb/DBIRTH/E1/D', aliasOnly);
      await sub.publishAsync('spBv1.0/Rb/DBIRTH/E2/D', Buffer.from([0xff]));
      await waitFor('three births and a dead letter', () =>
        ing.records().filter((r) => r.event === 'birth.ingested').length === 3 && ing.records().some((r) => r.event === 'birth.dead_lettered'));
      await waitFor('two rebirth requests', () => commands.length === 2);
      await sleep(200);
      expect(commands.map(([t]) => t).sort()).toEqual(['spBv1.0/Rb/NCMD/E1', 'spBv1.0/Rb/NCMD/E2']);
      // not retained: a client subscribing later (an edge node reconnecting) is not sent the old request
      const late = await publisher(broker.url);
      const retained: string[] = [];
      late.on('message', (topic) => retained.push(topic));
      await late.subscribeAsync('spBv1.0/+/NCMD/#');
      await sleep(300);
      await late.endAsync();
      expect(retained).toEqual([]);
      for (const [, payload] of commands) {
        expect(decodePayload(payload).metrics).toEqual([expect.objectContaining({ name: 'Node Control/Rebirth', datatype: 11, booleanValue: true })]);
      }
      const causes = ing.records().filter((r) => r.event === 'rebirth.requested').map((r) => String(r.cause));
      expect(causes.sort()).toEqual([
        'DBIRTH spBv1.0/Rb/DBIRTH/E1/D has alias-only metrics without a known name (alias 5)',
        'undecodable DBIRTH on spBv1.0/Rb/DBIRTH/E2/D',
      ]);
      expect(await metricValue(ing, 'uns_meta_ingest_rebirths_requested_total')).toBe(2);
      expect(await metricValue(ing, 'uns_meta_ingest_rebirths_suppressed_total')).toBe(2);
    } finally {
      await sub?.endAsync();
      await ing.stop();
      await broker.stop();
    }
  });
});
