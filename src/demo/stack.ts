// The whole pipeline in one process for `uns-meta demo`: an embedded Mosquitto, the Canary simulator, the MQTT
// ingestor and the Canary sync worker, pointed at each other and at the database of DATABASE_URL / PG*.
// Log lines of warning level and above go to stderr; everything else stays quiet.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createLogger } from '../runtime/log.ts';
import { type CanarySim, startCanarySim } from '../canary-sim/index.ts';
import { type EmbeddedBroker, startEmbeddedBroker } from '../embedded-mosquitto.ts';
import { loadIngestConfig } from '../runtime/config/ingest.ts';
import { type Ingestor, startIngestor } from '../ingest/service.ts';
import { loadWorkerConfig } from '../runtime/config/worker.ts';
import { type RunningWorker, startWorker } from '../worker/index.ts';

export interface DemoStack {
  broker: EmbeddedBroker;
  sim: CanarySim;
  ingestor: Ingestor;
  worker: RunningWorker;
  /** How often the worker looks for due jobs (ms). */
  workerPollMs: number;
  /** Stops what was started, newest first. */
  stop(): Promise<void>;
}

export type Say = (line: string) => void;

const WORKER_POLL_MS = 250;

/** A pino destination that passes warnings and errors to stderr and reports the ingestor's subscription. */
function quietDestination(onSubscribed: () => void): pino.DestinationStream {
  return {
    write(line: string) {
      if (line.includes('"event":"mqtt.subscribed"')) onSubscribed();
      const level = (JSON.parse(line) as { level?: number }).level ?? 0;
      if (level >= 40) process.stderr.write(line);
    },
  };
}

async function within<T>(what: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function startDemoStack(say: Say): Promise<DemoStack> {
  const stops: { name: string; stop: () => Promise<void> }[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) {
      try {
        await s.stop();
      } catch (err) {
        process.stderr.write(`demo: stopping ${s.name} failed: ${(err as Error).message}\n`);
      }
    }
    stops.length = 0;
  };
  try {
    const broker = await startEmbeddedBroker();
    stops.push({ name: 'Mosquitto', stop: () => broker.stop() });
    say(`Mosquitto listening on ${broker.url}`);

    const sim = await startCanarySim({ port: 0 });
    stops.push({ name: 'the Canary simulator', stop: () => sim.close() });
    say(`Canary simulator listening on ${sim.url}`);

    const spoolDir = mkdtempSync(join(tmpdir(), 'uns-meta-demo-spool-'));
    stops.push({ name: 'the spool directory', stop: () => Promise.resolve(rmSync(spoolDir, { recursive: true, force: true })) });
    const ingestEnv = { MQTT_URL: broker.url, METRICS_PORT: '0', METRICS_HOST: '127.0.0.1', INGEST_SPOOL_DIR: spoolDir, LOG_LEVEL: 'info' };
    let onSubscribed = () => {};
    const subscribed = new Promise<void>((resolve) => (onSubscribed = resolve));
    const ingestor = await startIngestor(loadIngestConfig(ingestEnv), { logDestination: quietDestination(() => onSubscribed()) });
    stops.push({ name: 'the ingestor', stop: () => ingestor.stop() });
    await within('the ingestor subscribing to births on Mosquitto', 10_000, subscribed);
    say(`ingestor subscribed to spBv1.0/+/DBIRTH/# and NBIRTH on ${broker.url}`);

    const workerConfig = loadWorkerConfig({ CANARY_URL: sim.url, CANARY_API_TOKEN: 'demo', CANARY_HISTORIANS: 'localhost', WORKER_POLL_INTERVAL_MS: String(WORKER_POLL_MS) });
    const logger = createLogger('uns-meta-worker', { level: 'warn', destination: pino.destination({ fd: 2, sync: true }) });
    const worker = await startWorker(workerConfig, { logger });
    stops.push({ name: 'the worker', stop: () => worker.stop() });
    say(`worker running canary_sync_device jobs against ${sim.url}`);

    return { broker, sim, ingestor, worker, workerPollMs: WORKER_POLL_MS, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
