// The status topic (docs/operations.md, "Status topic"): a process publishes its state, retained, on a plain topic
// outside spBv1.0/ for the plant's Ignition watchdog, over its own MQTT connection:
//   - at connect: {"status":"online", ...} retained; refreshed every STATUS_INTERVAL_MS with the last error, the
//     circuit state (worker) and the spool depth (ingestor);
//   - the connection's Will: {"status":"offline","reason":"connection lost"} retained, which the broker publishes
//     when the process dies (SIGKILL, a crash, a lost network) without saying goodbye;
//   - at an orderly stop: {"status":"offline","reason":"stopped"} retained, then a clean disconnect (no Will).
import { hostname } from 'node:os';
import mqtt from 'mqtt';
import type { StatusConfig } from './config/status.ts';
import type { Logger } from './log.ts';

/** What the process adds to its status: e.g. { spoolDepth: 3 } or { circuitState: 'closed' }. */
export type StatusDetails = () => Promise<Record<string, unknown>> | Record<string, unknown>;

/** The last error a process logged, kept for its status (src/runtime/log.ts fills it). */
export interface LastError {
  message?: string;
  at?: string;
}

export interface StatusPublisher {
  /** Publishes the current status now (also done every intervalMs). */
  publish(): Promise<void>;
  /** Orderly offline (retained), then disconnects without the Will. */
  stop(): Promise<void>;
}

export function startStatusPublisher(config: StatusConfig, process_: { name: string; pid: number }, details: StatusDetails,
  lastError: LastError, logger: Logger): StatusPublisher {
  const base = { process: process_.name, host: hostname(), pid: process_.pid };
  const message = (status: 'online' | 'offline', extra: Record<string, unknown>) => JSON.stringify({ status, ...base, ...extra, time: new Date().toISOString() });
  const client = mqtt.connect(config.url, {
    username: config.username,
    password: config.password,
    clientId: `uns-meta-status-${process_.name}-${process_.pid}-${Math.random().toString(16).slice(2, 8)}`,
    clean: true,
    reconnectPeriod: 5000,
    connectTimeout: 10_000,
    will: { topic: config.topic, payload: Buffer.from(message('offline', { reason: 'connection lost' })), qos: 1, retain: true },
  });
  const publish = async () => {
    if (!client.connected) return;
    const payload = message('online', { lastError: lastError.message ?? null, lastErrorAt: lastError.at ?? null, ...(await details()) });
    await client.publishAsync(config.topic, payload, { qos: 1, retain: true });
  };
  const publishLogged = () => publish().catch((err: unknown) => logger.warn({ event: 'status.publish_failed', err: String(err) }, `status topic ${config.topic}: publish failed`));
  client.on('connect', () => {
    logger.info({ event: 'status.online', topic: config.topic }, `status online on ${config.topic}`);
    void publishLogged();
  });
  client.on('error', (err) => logger.warn({ event: 'status.mqtt_error', err: err.message }, `status topic ${config.topic}: ${err.message}`));
  const timer = setInterval(() => void publishLogged(), config.intervalMs);
  timer.unref();
  return {
    publish,
    async stop() {
      clearInterval(timer);
      if (client.connected) {
        await client.publishAsync(config.topic, message('offline', { reason: 'stopped', ...(await details()) }), { qos: 1, retain: true })
          .catch((err: unknown) => logger.warn({ event: 'status.publish_failed', err: String(err) }, 'status topic: the offline status was not published'));
      }
      await client.endAsync();
    },
  };
}
