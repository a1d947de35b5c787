// Starts the ingestor in-process against a test broker and a test database, with its log lines captured.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt, { type MqttClient } from 'mqtt';
import { loadIngestConfig as loadConfig } from '../../../src/runtime/config/ingest.ts';
import { type Ingestor, startIngestor } from '../../../src/ingest/service.ts';

export interface RunningIngestor extends Ingestor {
  lines: string[];
  spoolDir: string;
  /** Parsed log records. */
  records(): Record<string, unknown>[];
}

export async function startTestIngestor(env: Record<string, string>, options: { probeMaxMs?: number; stopGraceMs?: number } = {}): Promise<RunningIngestor> {
  const spoolDir = env.INGEST_SPOOL_DIR ?? mkdtempSync(join(tmpdir(), 'uns-meta-spool-'));
  const fullEnv = { ...process.env, METRICS_PORT: '0', METRICS_HOST: '127.0.0.1', LOG_LEVEL: 'debug', INGEST_SPOOL_DIR: spoolDir, ...env };
  const lines: string[] = [];
  const ingestor = await startIngestor(loadConfig(fullEnv), {
    env: fullEnv,
    logDestination: { write: (s: string) => void lines.push(s) },
    probeMaxMs: options.probeMaxMs ?? 500,
    stopGraceMs: options.stopGraceMs,
  });
  return Object.assign(ingestor, {
    lines,
    spoolDir,
    records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  });
}

export async function publisher(url: string, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(url, { clientId: `test-pub-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 0, ...options });
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(50);
  }
}

/** Resolves once the ingestor's MQTT client has subscribed (a log line says so). */
export async function subscribed(ing: RunningIngestor): Promise<void> {
  await waitFor('the ingestor to subscribe', () => ing.lines.some((l) => l.includes('"event":"mqtt.subscribed"')));
}
