// `uns-meta ingest` wired together: config → logger (secrets scrubbed) → spool → database pool → pipeline →
// MQTT client → /metrics, /healthz, /readyz. startIngestor() is what the CLI runs and what tests start in-process.
import pg from 'pg';
import { checkDatabase, DatabaseMisconfigured } from '../db-check/index.ts';
import type { IngestConfig } from '../runtime/config/ingest.ts';
import { connectionConfig, createPool, describeConnection } from '../runtime/database.ts';
import { type Logger, createLogger } from '../runtime/log.ts';
import { type ProbeServer, startProbeServer } from '../runtime/probe.ts';
import { type LastError, startStatusPublisher } from '../runtime/status.ts';
import { type IngestMetrics, createMetrics } from './metrics.ts';
import { type MqttConnection, connectMqtt } from './mqtt.ts';
import { type Pipeline, createPipeline } from './pipeline.ts';
import { createRebirthRequester } from './rebirth.ts';
import { Spool } from './spool.ts';
import { ingestSql } from './sql.ts';

export interface Ingestor {
  log: Logger;
  metrics: IngestMetrics;
  pipeline: Pipeline;
  mqtt: MqttConnection;
  metricsPort: number;
  stop(): Promise<void>;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  /** Where log lines go (default stdout). */
  logDestination?: NonNullable<Parameters<typeof createLogger>[1]>['destination'];
  probeMaxMs?: number;
  /** How long stop() lets running births finish before cancelling them into the spool (default 5000 ms). */
  stopGraceMs?: number;
}

export async function startIngestor(config: IngestConfig, options: StartOptions = {}): Promise<Ingestor> {
  const env = options.env ?? process.env;
  const pgConfig = connectionConfig(env);
  const lastError: LastError = {};
  const log = createLogger('uns-meta-ingest', { level: config.logLevel, env, secrets: [config.mqtt.password, config.status?.password], destination: options.logDestination, lastError });
  const metrics = createMetrics();
  const sql = ingestSql;

  const { spool, unreadable } = await Spool.open(config.spoolDir);
  for (const name of unreadable) log.error({ event: 'spool.unreadable', file: name }, `spool file ${name} has no readable header; left in place for an operator`);
  if (spool.depth > 0) log.info({ event: 'spool.found', depth: spool.depth, dir: spool.dir }, `the spool holds ${spool.depth} births from an earlier run; replaying`);

  const pool = createPool({ name: 'uns-meta ingest', connection: pgConfig, logger: log, max: config.concurrency + 1, connectionTimeoutMillis: 5000, keepAlive: true });
  // The backend pid of each of our sessions: a stop that outlasts its grace cancels what they still run.
  const backends = new Map<pg.PoolClient, number>();
  pool.on('connect', (client) => {
    const pid = (client as unknown as { processID: number | null }).processID;
    if (pid !== null) backends.set(client, pid);
  });
  pool.on('remove', (client) => backends.delete(client));
  log.info({ event: 'ingest.starting', database: describeConnection(env), spool: spool.dir, queueLimit: config.queueLimit, concurrency: config.concurrency },
    `uns-meta ingest starting: database ${describeConnection(env)}, spool ${spool.dir}`);

  // A misconfigured database (missing, undeployed, a role without rights) stops the start; an unreachable one
  // does not: births are spooled until it answers, and /readyz says 503 meanwhile.
  try {
    await checkDatabase(pool, 'ingest');
  } catch (err) {
    if (err instanceof DatabaseMisconfigured) {
      await pool.end();
      throw err;
    }
    log.warn({ event: 'db.unreachable', err: (err as Error).message }, `${(err as Error).message}; births are spooled until it answers (/readyz 503)`);
  }

  // Rebirth requests go out through the MQTT connection, which is made after the pipeline it feeds.
  const link: { mqtt?: MqttConnection } = {};
  const rebirth = createRebirthRequester(config.rebirth, (topic, payload) => {
    if (!link.mqtt) return Promise.reject(new Error('MQTT is not connected'));
    return link.mqtt.publish(topic, payload);
  }, metrics);
  const pipeline = createPipeline({
    pool, sql, spool, log, metrics, rebirth,
    limits: config,
    probeMaxMs: options.probeMaxMs,
  });
  const mqtt = connectMqtt(config.mqtt, (topic, payload) => pipeline.accept(topic, payload), log, metrics);
  link.mqtt = mqtt;

  let probe: ProbeServer;
  try {
    probe = await startProbeServer({
      port: config.metricsPort,
      host: config.metricsHost,
      registry: metrics.registry,
      ready: async () => {
        const connected = mqtt.connected();
        const reachable = await checkDatabase(pool, 'ingest').then(() => true, () => false);
        return { ok: connected && reachable, checks: { mqtt: connected ? 'connected' : 'disconnected', postgres: reachable ? 'reachable' : 'unreachable' } };
      },
    });
  } catch (err) {
    await mqtt.close();
    await pipeline.stop();
    await pool.end();
    throw err;
  }
  const metricsPort = probe.port;
  const status = config.status === undefined ? undefined
    : startStatusPublisher(config.status, { name: 'uns-meta-ingest', pid: process.pid }, () => ({ mqtt: mqtt.connected() ? 'connected' : 'disconnected', spoolDepth: spool.depth }), lastError, log);
  log.info({ event: 'http.listening', port: metricsPort }, `metrics on :${metricsPort}/metrics, /healthz, /readyz`);

  return {
    log, metrics, pipeline, mqtt, metricsPort,
    async stop() {
      log.info({ event: 'ingest.stopping' }, 'stopping: no new births; finishing the ones in progress, spooling the rest');
      await mqtt.close();
      // Births being applied get a grace period; then their statements are cancelled, so they roll back and go
      // to the spool (a birth stuck behind a DBA's lock must not hold up a stop that systemd ends with SIGKILL).
      const stopping = pipeline.stop();
      const graceMs = options.stopGraceMs ?? 5000;
      let timer: NodeJS.Timeout | undefined;
      const late = await Promise.race([stopping.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs)))]);
      clearTimeout(timer);
      if (late) {
        log.warn({ event: 'ingest.stop_cancel', sessions: backends.size, graceMs }, `births still being applied after ${graceMs} ms: cancelling them into the spool`);
        const canceller = new pg.Client({ ...pgConfig, application_name: 'uns-meta ingest (stop)', connectionTimeoutMillis: 2000 });
        try {
          await canceller.connect();
          await canceller.query(sql.cancel_backends, [[...backends.values()]]);
        } catch (err) {
          log.error({ event: 'ingest.stop_cancel_failed', err: (err as Error).message }, `could not cancel the running births: ${(err as Error).message}`);
        } finally {
          await canceller.end().catch(() => undefined);
        }
      }
      await stopping;
      await probe.close();
      await status?.stop();
      await pool.end();
      log.info({ event: 'ingest.stopped', spoolDepth: spool.depth }, `stopped; ${spool.depth} births in the spool`);
    },
  };
}
