// The status topic for the plant's Ignition watchdog (docs/operations.md, "Status topic"), against a real
// Mosquitto and real `uns-meta ingest` / `uns-meta worker` processes: online (retained) at start, offline through
// the MQTT Will when the process is SIGKILLed, an orderly offline on SIGTERM; off when STATUS_TOPIC is unset.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCanarySim, type CanarySim } from '../../src/canary-sim/index.ts';
import { loadIngestConfig } from '../../src/runtime/config/ingest.ts';
import { loadWorkerConfig } from '../../src/runtime/config/worker.ts';
import { spawnCli, type CliProcess } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startBroker, type Broker } from '../ingest/support/mosquitto.ts';
import { testEnv } from '../worker/helpers.ts';

let db: TestDatabase;
let broker: Broker;
let sim: CanarySim;
let spool: string;
const children: CliProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  broker = await startBroker();
  sim = await startCanarySim({ port: 0 });
  spool = mkdtempSync(join(tmpdir(), 'uns-meta-status-'));
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
  await sim.close();
  await broker.stop();
  await db.drop();
  rmSync(spool, { recursive: true, force: true });
});

interface Status {
  status: 'online' | 'offline';
  process: string;
  pid: number;
  reason?: string;
  lastError?: string | null;
  spoolDepth?: number;
  circuitState?: string;
}

/** The retained message of `topic`, as a new subscriber (the watchdog after a restart) receives it. */
async function retained(topic: string): Promise<Status | undefined> {
  const client = await mqtt.connectAsync(broker.url, { clientId: `status-reader-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 0 });
  try {
    const first = new Promise<Status | undefined>((resolve) => {
      client.on('message', (_t, payload, packet) => resolve(packet.retain ? (JSON.parse(payload.toString()) as Status) : undefined));
      setTimeout(() => resolve(undefined), 1000);
    });
    await client.subscribeAsync(topic, { qos: 1 });
    return await first;
  } finally {
    await client.endAsync();
  }
}

async function untilRetained(topic: string, want: (s: Status) => boolean, ms = 30_000): Promise<Status> {
  const end = Date.now() + ms;
  let last: Status | undefined;
  for (;;) {
    last = await retained(topic);
    if (last && want(last)) return last;
    if (Date.now() > end) throw new Error(`${topic}: no such retained status; last ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function start(args: string[], env: Record<string, string>): CliProcess {
  const child = spawnCli(args, { LOG_LEVEL: 'info', ...env });
  children.push(child);
  return child;
}

const ingestEnv = (topic: string) => ({
  MQTT_URL: broker.url, DATABASE_URL: db.url('uns_meta_app'), INGEST_SPOOL_DIR: spool, METRICS_PORT: '0', METRICS_HOST: '127.0.0.1',
  STATUS_TOPIC: topic, STATUS_INTERVAL_MS: '300',
});

describe('status topic', () => {
  it('is off unless STATUS_TOPIC is set, and stays outside spBv1.0/', () => {
    expect(loadIngestConfig({}).status).toBeUndefined();
    expect(loadIngestConfig({ STATUS_TOPIC: 'plant/uns-meta/ingest-1', MQTT_URL: 'mqtt://b:1883' }).status)
      .toEqual({ topic: 'plant/uns-meta/ingest-1', url: 'mqtt://b:1883', username: undefined, password: undefined, intervalMs: 10_000 });
    expect(() => loadIngestConfig({ STATUS_TOPIC: 'spBv1.0/G/STATE/x' })).toThrow(/^STATUS_TOPIC: "spBv1\.0\/G\/STATE\/x" is inside spBv1\.0\/ or has a wildcard; expected a plain MQTT topic/);
    expect(() => loadWorkerConfig({ CANARY_API_TOKEN: 't', STATUS_TOPIC: 'plant/w' })).toThrow(/^STATUS_MQTT_URL: is not set but STATUS_TOPIC is/);
  });

  it('the ingestor: online at start, offline through its Will when killed, an orderly offline on SIGTERM', { timeout: 120_000 }, async () => {
    const topic = 'plant/uns-meta/ingest-1';
    const first = start(['ingest'], ingestEnv(topic));
    const online = await untilRetained(topic, (s) => s.status === 'online' && s.pid === first.pid);
    expect(online).toMatchObject({ process: 'uns-meta-ingest', spoolDepth: 0, lastError: null });

    first.kill('SIGKILL');
    expect(await untilRetained(topic, (s) => s.status === 'offline' && s.pid === first.pid)).toMatchObject({ process: 'uns-meta-ingest', reason: 'connection lost' });

    const second = start(['ingest'], ingestEnv(topic));
    await untilRetained(topic, (s) => s.status === 'online' && s.pid === second.pid);
    second.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(await retained(topic)).toMatchObject({ status: 'offline', reason: 'stopped', process: 'uns-meta-ingest', pid: second.pid, spoolDepth: 0 });
  });

  it('the worker: online with its circuit state, offline through its Will when killed, an orderly offline on SIGTERM', { timeout: 120_000 }, async () => {
    const topic = 'plant/uns-meta/worker-1';
    const env = testEnv(sim, db, { STATUS_TOPIC: topic, STATUS_MQTT_URL: broker.url, STATUS_INTERVAL_MS: '300' });
    const first = start(['worker'], env);
    expect(await untilRetained(topic, (s) => s.status === 'online' && s.pid === first.pid)).toMatchObject({ process: 'uns-meta-worker', circuitState: 'closed', lastError: null });

    first.kill('SIGKILL');
    expect(await untilRetained(topic, (s) => s.status === 'offline' && s.pid === first.pid)).toMatchObject({ reason: 'connection lost' });

    const second = start(['worker'], env);
    await untilRetained(topic, (s) => s.status === 'online' && s.pid === second.pid);
    second.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(await retained(topic)).toMatchObject({ status: 'offline', reason: 'stopped', process: 'uns-meta-worker', pid: second.pid });
  });
});
