// Fault: Mosquitto restarted (stopped, then started again on the same port) twice during a stream of births of many
// devices: once mid-stream, once over the last round, so every device's last birth reaches the catalog only as the
// re-birth its edge node publishes after reconnecting. The edge nodes are the test's MQTT clients and behave as
// Sparkplug edge nodes do: a birth due while the broker is down is not delivered (QoS 0, nothing queued); after a
// reconnect the node publishes its NBIRTH and every device's DBIRTH again, with the state it holds now. As a
// Sparkplug 3.0 edge node waits for its primary host's STATE before birthing, these wait for the ingestor to be
// subscribed again (its `mqtt.subscribed` log line stands for the STATE message it does not publish): a clean MQTT
// session lost with the broker cannot hear births published before it subscribes again. At the end every birth the
// broker delivered is accounted for (received = applied or unchanged, no dead letter, nothing in the spool), each
// device's catalog holds its last birth with its versions in publishing order, and the Canary simulator holds what
// PostgreSQL holds, with no job left locked.
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CanarySim, startCanarySim } from '../../src/canary-sim/index.ts';
import { encodePayload } from '../../src/sparkplug/encode.ts';
import type { RunningWorker } from '../../src/worker/index.ts';
import { type TestDatabase, createTestDatabase } from '../support/database.ts';
import { appliedOrder, numberedBirth } from '../ingest/support/births.ts';
import { type RunningIngestor, startTestIngestor, subscribed, waitFor } from '../ingest/support/ingestor.ts';
import { type Broker, startBroker } from '../ingest/support/mosquitto.ts';
import { allInSync, canaryProps, parity, setDebounce, startTestWorker } from '../worker/helpers.ts';

const NODES = 4;
const DEVICES_PER_NODE = 6;
const ROUNDS = 8;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

let db: TestDatabase;
let broker: Broker;
let sim: CanarySim;
let ingestor: RunningIngestor | undefined;
let worker: RunningWorker | undefined;
const nodes: EdgeNode[] = [];
const workerLines: string[] = [];

/** The number of times the ingestor has subscribed (once per connection to a broker). */
const subscriptions = () => ingestor?.records().filter((r) => r.event === 'mqtt.subscribed').length ?? 0;

/**
 * A Sparkplug edge node with its devices: it publishes a device's DBIRTH when the device's state (its `n`) changes
 * and it is connected; on every connect it waits for the host (the ingestor subscribed on this broker), then
 * publishes its NBIRTH and all its DBIRTHs with the current state.
 */
class EdgeNode {
  readonly name: string;
  readonly state = new Map<string, number>();
  readonly client: MqttClient;
  rebirths = 0;
  private connects = 0;

  constructor(name: string, devices: string[], url: string, hostReady: () => boolean) {
    this.name = name;
    for (const d of devices) this.state.set(d, -1);
    this.client = mqtt.connect(url, { clientId: `edge-${name}-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 250, connectTimeout: 2000, queueQoSZero: false });
    this.client.on('error', () => undefined); // refused while the broker is down: mqtt.js reconnects
    this.client.on('connect', () => {
      const connect = ++this.connects;
      void (async () => {
        while (!hostReady()) {
          if (!this.client.connected || connect !== this.connects) return; // lost again: the next connect births
          await sleep(50);
        }
        await this.publish(`spBv1.0/Secil/NBIRTH/${this.name}`, encodePayload({ timestamp: String(Date.now()), seq: '0', metrics: [{ name: 'Node Control/Rebirth', datatype: 11, booleanValue: false }] }));
        for (const [device, n] of this.state) if (n >= 0) await this.publish(`spBv1.0/Secil/DBIRTH/${this.name}/${device}`, numberedBirth(n));
        if (connect > 1) this.rebirths++;
      })();
    });
  }

  /** The device's state changes to n: a new DBIRTH, delivered only if the broker is there. */
  async change(device: string, n: number): Promise<void> {
    this.state.set(device, n);
    await this.publish(`spBv1.0/Secil/DBIRTH/${this.name}/${device}`, numberedBirth(n));
  }

  private async publish(topic: string, payload: Buffer): Promise<void> {
    if (!this.client.connected) return; // not delivered: the re-birth after the reconnect carries the state
    await this.client.publishAsync(topic, payload, { qos: 0 }).catch(() => undefined);
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
  await setDebounce(db, '0 seconds');
  broker = await startBroker();
  sim = await startCanarySim({ port: 0 });
}, 120_000);

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.client.endAsync(true).catch(() => undefined)));
  await worker?.stop().catch(() => undefined);
  await ingestor?.stop().catch(() => undefined);
  await sim?.close();
  await broker?.stop();
  await db?.drop().catch(() => undefined);
}, 60_000);

describe('Mosquitto restarted under a stream of births', () => {
  it(`two restarts while ${NODES * DEVICES_PER_NODE} devices of ${NODES} edge nodes send ${ROUNDS} births each: the re-births after the reconnect are applied, Canary = PostgreSQL`, { timeout: 150_000 }, async () => {
    const port = broker.port;
    ingestor = await startTestIngestor({ MQTT_URL: broker.url, DATABASE_URL: db.url('uns_meta_app'), LOG_LEVEL: 'info', MQTT_RECONNECT_MAX_MS: '500' });
    await subscribed(ingestor);
    worker = await startTestWorker(sim, db, {}, pino({ level: 'debug' }, { write: (l: string) => void workerLines.push(l) }));
    // Broker generation g (1, 2, 3): an edge node's connect to it births once the ingestor has subscribed g times.
    let generation = 1;
    const hostReady = () => subscriptions() >= generation;
    for (const e of range(NODES)) nodes.push(new EdgeNode(`E${e}`, range(DEVICES_PER_NODE).map((d) => `D${d}`), broker.url, hostReady));
    await waitFor('the edge nodes connected', () => nodes.every((n) => n.client.connected));

    const restart = async () => {
      await broker.stop();
      generation++;
      await waitFor('the ingestor and the edge nodes to see the broker gone', () => !ingestor?.mqtt.connected() && nodes.every((n) => !n.client.connected));
    };
    const start = async () => {
      broker = await startBroker({ port });
    };
    for (const k of range(ROUNDS)) {
      if (k === 3) await restart(); // rounds 3 and 4 are due while the broker is down: not delivered
      if (k === 5) await start(); // round 5 reaches the nodes already back; the others re-birth with it later
      if (k === ROUNDS - 1) {
        // Every node back on the second broker (re-birthed) first; then the last round is due with the broker down.
        await waitFor('the re-births on the second broker', () => nodes.every((n) => n.rebirths === 1), 30_000);
        await restart();
      }
      for (const node of nodes) for (const d of node.state.keys()) await node.change(d, k);
      await sleep(100);
    }
    await start();

    // Every device's last birth arrives through its node's re-birth on the third broker.
    const devicePaths = nodes.flatMap((n) => [...n.state.keys()].map((d) => `Secil/${n.name}/${d}`));
    await waitFor('every device at its last birth', async () => {
      for (const p of devicePaths) if ((await appliedOrder(db.pool('uns_meta_admin'), p)).at(-1) !== ROUNDS - 1) return false;
      return true;
    }, 60_000);
    await ingestor.pipeline.drained();
    expect(subscriptions()).toBe(3);
    expect(ingestor.records().filter((r) => r.event === 'mqtt.disconnected')).toHaveLength(2);
    expect(nodes.map((n) => n.rebirths)).toEqual(range(NODES).map(() => 2));

    // Each device: versions in publishing order (never an older birth after a newer one), ending at its last birth;
    // the births of rounds 0-2 were published with the broker and ingestor up, so all of them are there.
    for (const p of devicePaths) {
      const order = await appliedOrder(db.pool('uns_meta_admin'), p);
      expect(order.slice(0, 3), p).toEqual([0, 1, 2]);
      expect(order.at(-1), p).toBe(ROUNDS - 1);
      expect(order.every((n, i) => i === 0 || n > order[i - 1]!), `${p}: ${order.join(',')}`).toBe(true);
    }
    // Every birth delivered is accounted for: applied (a new version) or unchanged (a re-birth the catalog held);
    // none dead-lettered, none left in the spool.
    const metrics = await (await fetch(`http://127.0.0.1:${ingestor.metricsPort}/metrics`)).text();
    const received = Number(/^uns_meta_ingest_births_received_total\{type="DBIRTH"\} (\d+)/m.exec(metrics)?.[1]);
    const outcomes = ingestor.records().filter((r) => r.type === 'DBIRTH' && (r.event === 'birth.ingested' || r.event === 'birth.unchanged'));
    expect(received).toBeGreaterThanOrEqual(devicePaths.length * 4); // rounds 0-2 and the last re-birth at least
    expect(outcomes).toHaveLength(received);
    expect(ingestor.pipeline.spoolDepth()).toBe(0);
    const { rows: letters } = await db.pool('uns_meta_admin').query<{ n: number }>('select count(*)::int as n from uns_meta.dead_letters');
    expect(letters[0]?.n).toBe(0);

    // Canary = PostgreSQL, and the simulator holds every device's last birth.
    await waitFor('Canary in sync', () => allInSync(db), 90_000).catch(async (err: unknown) => {
      const statuses = (await parity(db)).map((r) => r.status).sort().join(' ');
      const pending = (await parity(db)).filter((r) => r.status !== 'in_sync');
      const jobs = (await db.pool('uns_meta_admin').query('select id, task_identifier, key, payload, attempts, last_error, run_at, locked_by, locked_at, now() from graphile_worker.jobs')).rows;
      const mine = workerLines.filter((l) => pending.some((r) => l.includes(r.metric_id) || l.includes(r.uns_path)));
      throw new Error(`${(err as Error).message}; parity: ${statuses}; pending ${JSON.stringify(pending)}; jobs ${JSON.stringify(jobs)}; worker lines ${mine.slice(-20).join(' ')}; worker's last errors: ${workerLines.filter((l) => l.includes('"level":50')).slice(-3).join(' ')}`);
    });
    const rows = await parity(db);
    expect(rows).toHaveLength(devicePaths.length);
    for (const r of rows) expect(canaryProps(sim, r.canary_tag ?? '')).toMatchObject({ n: ROUNDS - 1 });
    await waitFor('no job left locked', async () =>
      (await db.pool('uns_meta_app').query<{ n: number }>('select count(*)::int as n from graphile_worker._private_jobs where locked_by is not null')).rows[0]?.n === 0, 60_000);
  });
});
