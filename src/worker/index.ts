// The worker's one public entry. `uns-meta worker`: graphile-worker runs the debounced `canary_sync_device` jobs
// that ingest_birth enqueues and brings Canary up to date for each device (startWorker). `uns-meta canary
// resync|replay`: the same sync for an operator's selection (runOperatorSync). See docs/worker.md.
import { EventEmitter } from 'node:events';
import { Logger as GraphileLogger, run, type Runner, type Task, type WorkerEvents } from 'graphile-worker';
import type { Logger } from 'pino';
import type pg from 'pg';
import { checkDatabase, waitForDatabase } from '../db-check/index.ts';
import type { WorkerConfig } from '../runtime/config/worker.ts';
import { connectionConfig, createPool } from '../runtime/database.ts';
import { startProbeServer, type ProbeServer } from '../runtime/probe.ts';
import { type LastError, startStatusPublisher } from '../runtime/status.ts';
import { registerCatalogMetrics } from './catalog-metrics.ts';
import { createSyncDeps } from './canary-sync.ts';
import { Liveness, unlockDeadWorkers, unlockOrphanedJobs } from './liveness.ts';
import { workerSql } from './sql.ts';
import { isSuperseded, removeStrandedSuperseded } from './superseded.ts';
import { refreshStatistics, syncSelection, WORKER_SESSION_OPTIONS, type Selection, type SyncDeps, type SyncReport } from './sync.ts';

export type { Selection, SyncReport } from './sync.ts';

export interface RunningWorker {
  deps: SyncDeps;
  probe: ProbeServer | undefined;
  /** Finishes in-flight jobs, revokes the Canary session, closes connections. */
  stop(): Promise<void>;
  /** Resolves when the runner stops (after stop(), or on a fatal error). */
  done: Promise<void>;
}

export function parseDeviceId(payload: unknown): string {
  const id = (payload as { device_id?: unknown } | null)?.device_id;
  if ((typeof id === 'number' && Number.isSafeInteger(id) && id > 0) || (typeof id === 'string' && /^[1-9][0-9]*$/.test(id))) return String(id);
  throw new Error(`canary_sync_device: payload must be {"device_id": <positive integer>}, got ${JSON.stringify(payload)}; the job is malformed, delete it`);
}

function graphileLogger(logger: Logger): GraphileLogger {
  return new GraphileLogger((scope) => (level, message, meta) => {
    const fields = { graphile: { ...scope, ...meta } };
    if (level === 'error') logger.error(fields, message);
    else if (level === 'warning') logger.warn(fields, message);
    else logger.debug(fields, message); // its info lines (a line per job, "cron is disabled") are noise at info
  });
}

export interface StartWorkerOptions {
  logger: Logger;
  /** Database connection (default: DATABASE_URL / PG* of the environment). */
  database?: pg.PoolConfig;
  /** How often an unreachable database is retried at start (default 5000 ms). */
  retryDatabaseMs?: number;
  /** The logger's last error (createLogger's `lastError`), for the status topic. */
  lastError?: LastError;
}

export async function startWorker(config: WorkerConfig, options: StartWorkerOptions): Promise<RunningWorker> {
  const { logger } = options;
  const connection = options.database ?? connectionConfig();
  // Patient through a PostgreSQL restart where graphile-worker's job release is not (src/runtime/patient-pool.ts); a
  // release lost all the same is reported here and its job unlocked by the orphan check below.
  const lostReleases = { count: 0 };
  const pool = createPool({
    name: 'uns-meta worker', connection, logger, max: config.dbPoolSize, options: WORKER_SESSION_OPTIONS, patienceMs: config.operationTimeoutMs,
    onLostRelease: (err, statement) => {
      lostReleases.count++;
      deps.metrics.jobReleasesLost.inc();
      logger.error({ err: err.message, statement },
        `graphile-worker could not release a finished job (${err.message}); it stays locked until the orphan check unlocks it (within WORKER_STALE_CHECK_MS after WORKER_STALE_LOCK_SECONDS) and runs again`);
    },
  });
  const deps = createSyncDeps(config, pool, logger);
  const liveness = new Liveness(connection, logger);
  const events: WorkerEvents = new EventEmitter() as WorkerEvents;
  let workerPoolId: string | undefined;
  let registration: Promise<void> | undefined;
  events.on('pool:create', ({ workerPool }) => {
    workerPoolId = workerPool.id;
    registration = liveness.register(workerPool.id).catch((err: unknown) => logger.warn({ err: String(err) }, 'liveness registration failed'));
  });
  events.on('pool:release', () => void liveness.release());
  // The jobs this process runs, and those it finished a moment ago (their release may still be on its way).
  const ours = new Set<string>();
  const finished = (id: string) => setTimeout(() => ours.delete(id), Math.max(1000, config.staleLockSeconds * 1000)).unref();
  // Sync jobs running in this process: the statistics timer waits while there are any (see statsTimer).
  let syncing = 0;

  const canary_sync_device: Task = async (payload, helpers) => {
    const deviceId = parseDeviceId(payload);
    const last = helpers.job.attempts >= helpers.job.max_attempts;
    const started = Date.now();
    ours.add(helpers.job.id);
    syncing++;
    try {
      const report = await syncSelection(deps, { deviceId }, { force: false, dryRun: false, deadLetterTransient: last, attempts: helpers.job.attempts });
      const fields = { deviceId, ...report, ms: Date.now() - started, attempt: helpers.job.attempts };
      if (report.deadLettered > 0) {
        // Not a success: Canary refused these changes for good. The job is done (retrying cannot help), the
        // changes wait in uns_meta.canary_dead_letters for an operator.
        deps.metrics.jobs.inc({ outcome: 'dead_lettered' });
        logger.error(fields, `device sync dead-lettered ${report.deadLettered} changes: see uns_meta.canary_dead_letters, fix the cause, then run uns-meta canary replay --send`);
      } else {
        deps.metrics.jobs.inc({ outcome: 'done' });
        logger.info(fields, 'device synced to Canary');
      }
    } catch (err) {
      const fields = { deviceId, err: err instanceof Error ? err.message : String(err), attempt: helpers.job.attempts, maxAttempts: helpers.job.max_attempts };
      if (await isSuperseded(pool, helpers.job.id).catch(() => false)) {
        // graphile-worker would keep this job as failed for ever (src/worker/superseded.ts); the newer one carries it.
        deps.metrics.jobs.inc({ outcome: 'superseded' });
        logger.warn(fields, 'device sync incomplete; a birth queued a newer sync job of the device meanwhile, which sends the rest: this one ends');
        return;
      }
      deps.metrics.jobs.inc({ outcome: 'retry' });
      logger.warn(fields, 'device sync incomplete; graphile-worker retries the job');
      throw err;
    } finally {
      syncing--;
      finished(helpers.job.id);
    }
  };

  // /readyz answers 503 while the database is unreachable at start; a misconfiguration throws (the CLI exits).
  let running = false;
  const ready = async () => {
    // Before the start-up check passed the database is known unreachable: no query that might hang.
    const reachable = running && await pool.query('select 1').then(() => true, () => false);
    return { ok: running && reachable, checks: { runner: running ? 'running' : 'stopped', postgres: reachable ? 'reachable' : 'unreachable' } };
  };
  if (config.metricsPort !== undefined) registerCatalogMetrics(deps.metrics.registry, pool, logger);
  const probe = config.metricsPort === undefined ? undefined
    : await startProbeServer({ port: config.metricsPort, host: config.metricsHost, registry: deps.metrics.registry, ready });
  try {
    await waitForDatabase(pool, 'worker', options.retryDatabaseMs ?? 5000, (err) => logger.warn({ err: err.message }, `${err.message}; retrying (not ready until it answers)`));
  } catch (err) {
    await probe?.close();
    await deps.client.close();
    await pool.end();
    throw err;
  }

  const staleLockSeconds = config.staleLockSeconds;
  const unlock = async () => {
    try {
      const ids = await unlockDeadWorkers(pool, staleLockSeconds, workerPoolId);
      if (ids.length > 0) logger.warn({ workers: ids }, 'unlocked the jobs of worker processes that died');
      if (workerPoolId === undefined) return;
      const jobs = await unlockOrphanedJobs(pool, workerPoolId, [...ours], staleLockSeconds);
      if (jobs.length > 0) {
        deps.metrics.orphanedJobsUnlocked.inc(jobs.length);
        logger.warn({ jobs, lostReleases: lostReleases.count }, `unlocked ${jobs.length} jobs of this worker whose release graphile-worker lost; they run again`);
      }
      const stranded = await removeStrandedSuperseded(pool);
      if (stranded.length > 0) {
        logger.warn({ jobs: stranded }, `removed ${stranded.length} superseded sync jobs that can never run again (unlocked after their worker died or lost their release); the newer job of each device sends their changes`);
      }
    } catch (err) {
      logger.warn({ err: String(err) }, 'could not check for jobs of dead workers or lost releases');
    }
  };

  const runner: Runner = await run({
    pgPool: pool,
    taskList: { canary_sync_device },
    concurrency: config.concurrency,
    pollInterval: config.pollIntervalMs,
    noHandleSignals: true,
    logger: graphileLogger(logger),
    events,
  }, undefined, []); // no cron items: graphile-worker then looks for no crontab file
  await registration;
  await unlock();
  const staleTimer = setInterval(() => void unlock(), config.staleCheckMs);
  staleTimer.unref();
  // Statistics of a bulk birth are refreshed while its sync job waits out the debounce, not when the sync starts.
  // Not while this process syncs: canary_sync_state grows by more than 20 % every few seconds during a big sync, and
  // each tick then ANALYZEd it again (3-9 times in a 100,000-metric sync, docs/worker.md "Profile of a 100,000-metric
  // sync") for no page read's benefit; every sync refreshes the statistics before its first page anyway.
  let refreshing: Promise<void> | undefined;
  const statsTimer = config.statsRefreshMs > 0 ? setInterval(() => {
    if (syncing > 0) return;
    refreshing ??= refreshStatistics(deps).finally(() => { refreshing = undefined; });
  }, config.statsRefreshMs) : undefined;
  statsTimer?.unref();

  running = true;
  const circuitNames = ['closed', 'half-open', 'open', 'isolated'];
  const status = config.status === undefined ? undefined
    : startStatusPublisher(config.status, { name: 'uns-meta-worker', pid: process.pid }, async () => {
      const value = (await deps.metrics.circuitState.get()).values[0]?.value ?? 0;
      return { circuitState: circuitNames[value] ?? String(value) };
    }, options.lastError ?? {}, logger);
  // workerPool: what graphile_worker.jobs.locked_by names for the jobs this process runs
  logger.info({ canary: config.canaryUrl, dataset: config.dataset ?? '(group)', rateLimitRps: config.rateLimitRps, metricsPort: probe?.port, workerPool: workerPoolId }, 'worker started');

  let stopping: Promise<void> | undefined;
  const done = runner.promise.then(() => undefined, (err: unknown) => {
    logger.error({ err: String(err) }, 'graphile-worker runner failed');
  });
  return {
    deps,
    probe,
    done,
    stop() {
      stopping ??= (async () => {
        running = false;
        clearInterval(staleTimer);
        clearInterval(statsTimer);
        await runner.stop();
        await refreshing;
        await done;
        await deps.client.close();
        await liveness.release();
        await probe?.close();
        await pool.end();
        await status?.stop();
        logger.info('worker stopped; Canary session revoked');
      })();
      return stopping;
    },
  };
}

export interface OperatorSync {
  action: 'resync' | 'replay';
  selection: Selection;
  dryRun: boolean;
  /** Gets the `properties` object (JSON) of each request a dry run would send. */
  onDryRun?: (propertiesJson: string) => void;
  logger: Logger;
  /** Connection settings (default: DATABASE_URL / PG*), as for startWorker. */
  database?: pg.PoolConfig;
}

/**
 * `uns-meta canary resync|replay`: checks the database, then re-sends the full metadata of the selection (resync)
 * or of the metrics with open dead letters in it (replay; undefined when there are none). The rate cap is shared
 * with running workers through PostgreSQL. Throws DatabaseMisconfigured / DatabaseUnreachable from the check.
 */
export async function runOperatorSync(config: WorkerConfig, op: OperatorSync): Promise<SyncReport | undefined> {
  const pool = createPool({ name: `uns-meta canary ${op.action}`, connection: op.database, logger: op.logger, max: config.dbPoolSize, options: WORKER_SESSION_OPTIONS });
  try {
    await checkDatabase(pool, 'operator');
  } catch (err) {
    await pool.end();
    throw err;
  }
  const deps = createSyncDeps(config, pool, op.logger);
  try {
    const selection = { ...op.selection };
    if (op.action === 'replay') {
      const { rows } = await pool.query<{ metric_id: string }>(workerSql['open-dead-letters'], [selection.deviceId ?? null, selection.pathPrefix ?? null]);
      if (rows.length === 0) return undefined;
      selection.metricIds = rows.map((r) => r.metric_id);
    }
    return await syncSelection(deps, selection, { force: true, dryRun: op.dryRun, deadLetterTransient: true, attempts: 0, onDryRun: op.onDryRun });
  } finally {
    await deps.client.close();
    await pool.end();
  }
}
