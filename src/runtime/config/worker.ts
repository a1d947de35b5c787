// `uns-meta worker` and `uns-meta canary resync|replay`: their variables (section [worker] of .env.example;
// docs/worker.md#configuration-environment) and the WorkerConfig they run on, resolved once.
import { commonSchema, databaseSchema } from './common.ts';
import { loadStatusConfig, type StatusConfig } from './status.ts';
import { type Env, boolean, decimal, envSchema, integer, optionalInteger, optionalString, required, resolveEnv, string, url } from '../env.ts';

export interface WorkerConfig {
  /** Base URL of Canary's SaF web API, e.g. https://canary:55293 (calls go to <url>/api/v1/<method>). */
  canaryUrl: string;
  apiToken: string;
  historians: string[];
  clientId: string;
  /** Dataset override; undefined = each tag's first UNS segment (the Sparkplug group). */
  dataset: string | undefined;
  /** The plant's cap: requests in any one-second window, across all worker processes. */
  rateLimitRps: number;
  /** Fraction of the cap the shared schedule uses (the rest absorbs send-time jitter). */
  rateSafety: number;
  /** A request more than this late for its slot is not sent; a new slot is reserved. */
  slotToleranceMs: number;
  maxInFlight: number;
  batchMaxTags: number;
  batchMaxBytes: number;
  /** Canary session idle timeout (clientTimeout setting), ms. */
  sessionTimeoutMs: number;
  requestTimeoutMs: number;
  retryAttempts: number;
  retryInitialDelayMs: number;
  retryMaxDelayMs: number;
  operationTimeoutMs: number;
  breakerConsecutive: number;
  breakerFailureRatio: number;
  breakerWindowMs: number;
  breakerMinimumRps: number;
  breakerHalfOpenAfterMs: number;
  syncTransient: boolean;
  /** Metrics read from Postgres per page while syncing a device. */
  pageSize: number;
  concurrency: number;
  /** Connections of the worker's pool (graphile-worker and the sync queries share it). */
  dbPoolSize: number;
  pollIntervalMs: number;
  metricsPort: number | undefined;
  metricsHost: string;
  /** A job lock older than this with no live owner process is released. */
  staleLockSeconds: number;
  staleCheckMs: number;
  /** How often an idle worker refreshes the catalog statistics (uns_meta.refresh_catalog_statistics); 0 = only before a sync. */
  statsRefreshMs: number;
  /** V8 semi-space cap (MB) for the `uns-meta worker` process; 0 = Node's default. See docs/worker.md "Memory". */
  maxSemiSpaceMb: number;
  /** The status topic; undefined = off (STATUS_TOPIC unset). */
  status: StatusConfig | undefined;
}

const MAX = Number.MAX_SAFE_INTEGER;

export const workerSchema = envSchema('worker', {
  CANARY_URL: url('https://localhost:55293', ['http', 'https'], 'http(s)://host[:port][/path], e.g. https://canary:55293', { meaning: 'Canary SaF web API base URL' }),
  CANARY_API_TOKEN: required({ meaning: 'API token Canary issued for this writer', expected: 'the API token Canary issued for this writer (an EnvironmentFile or credential, docs/worker.md)', secret: true }),
  CANARY_HISTORIANS: string('localhost', { meaning: 'comma-separated historians', expected: 'host names separated by commas' }),
  CANARY_CLIENT_ID: string('uns-meta-worker', { meaning: 'session client id' }),
  CANARY_DATASET: optionalString({ meaning: 'dataset override (Test turns on autoCreateDatasets)', computed: 'the Sparkplug group', expected: 'a dataset name without "." (the first "." of a tag ends the dataset)', check: [/^[^.]+$/, 'contains "."'] }),
  CANARY_RATE_LIMIT_RPS: integer(500, 1, MAX, { meaning: 'requests in any one-second window, all workers together' }),
  CANARY_RATE_SAFETY: decimal(0.8, 'in (0, 1]', (n) => n > 0 && n <= 1, { meaning: 'fraction of the cap the shared schedule hands out' }),
  CANARY_SLOT_TOLERANCE_MS: integer(25, 1, MAX, { meaning: 'a request later than this for its rate slot takes a new one' }),
  CANARY_MAX_IN_FLIGHT: integer(16, 1, MAX, { meaning: 'Canary requests in flight per process' }),
  CANARY_BATCH_MAX_TAGS: integer(100, 1, MAX, { meaning: 'tags per storeData request' }),
  CANARY_BATCH_MAX_BYTES: integer(1_000_000, 1024, MAX, { meaning: 'body bytes per storeData request' }),
  CANARY_SESSION_TIMEOUT_MS: integer(60_000, 1000, MAX, { meaning: 'Canary session idle timeout' }),
  CANARY_REQUEST_TIMEOUT_MS: integer(10_000, 1, MAX, { meaning: 'one HTTP attempt' }),
  CANARY_OPERATION_TIMEOUT_MS: integer(60_000, 1, MAX, { meaning: 'one call with its retries' }),
  CANARY_RETRY_ATTEMPTS: integer(6, 1, MAX, { meaning: 'attempts of a call' }),
  CANARY_RETRY_INITIAL_DELAY_MS: integer(200, 0, MAX, { meaning: 'first retry backoff (doubles, full jitter)' }),
  CANARY_RETRY_MAX_DELAY_MS: integer(6400, 0, MAX, { meaning: 'largest retry backoff' }),
  CANARY_BREAKER_CONSECUTIVE_FAILURES: integer(20, 1, MAX, { meaning: 'circuit opens after this many failures in a row' }),
  CANARY_BREAKER_FAILURE_RATIO: decimal(0.02, 'in (0, 1)', (n) => n > 0 && n < 1, { meaning: 'or at this failure ratio over the window' }),
  CANARY_BREAKER_WINDOW_MS: integer(60_000, 1000, MAX, { meaning: 'window of the failure ratio' }),
  CANARY_BREAKER_MINIMUM_RPS: decimal(5, '> 0', (n) => n > 0, { meaning: 'calls per second below which the ratio is not judged' }),
  CANARY_BREAKER_HALF_OPEN_AFTER_MS: integer(60_000, 1, MAX, { meaning: 'an open circuit tries one call after this' }),
  CANARY_SYNC_TRANSIENT: boolean(false, { meaning: 'also sync is_transient metrics' }),
  WORKER_CONCURRENCY: integer(2, 1, MAX, { meaning: 'jobs run at once' }),
  WORKER_DB_POOL_SIZE: integer(6, 2, MAX, { meaning: 'database connections of the process' }),
  WORKER_PAGE_SIZE: integer(2000, 1, MAX, { meaning: 'metrics read per page while syncing a device' }),
  WORKER_POLL_INTERVAL_MS: integer(2000, 100, MAX, { meaning: 'job queue poll interval' }),
  WORKER_STALE_LOCK_SECONDS: integer(10, 1, MAX, { meaning: 'a job lock this old whose worker died is released' }),
  WORKER_STALE_CHECK_MS: integer(30_000, 100, MAX, { meaning: 'how often dead workers\' locks are looked for' }),
  WORKER_STATS_REFRESH_MS: integer(5000, 0, MAX, { meaning: 'refresh catalog statistics a bulk birth left stale (0 = only at the sync)' }),
  WORKER_MAX_SEMI_SPACE_MB: integer(4, 0, MAX, { meaning: 'V8 semi-space cap of uns-meta worker (0 = Node\'s default)' }),
  METRICS_PORT: optionalInteger(0, 65535, { meaning: 'port of /metrics, /healthz, /readyz (unset = none; 0 = any free port)' }),
  METRICS_HOST: string('0.0.0.0', { meaning: 'interface of /metrics, /healthz, /readyz', expected: 'an IP address or host name' }),
});

/** The worker's configuration from env; throws ConfigError with the one error line. */
export function loadWorkerConfig(env: Env = process.env): WorkerConfig {
  resolveEnv(commonSchema, env);
  resolveEnv(databaseSchema, env);
  const v = resolveEnv(workerSchema, env);
  return {
    canaryUrl: v.CANARY_URL.replace(/\/+$/, ''),
    apiToken: v.CANARY_API_TOKEN,
    historians: v.CANARY_HISTORIANS.split(',').map((h) => h.trim()).filter((h) => h !== ''),
    clientId: v.CANARY_CLIENT_ID,
    dataset: v.CANARY_DATASET,
    rateLimitRps: v.CANARY_RATE_LIMIT_RPS,
    rateSafety: v.CANARY_RATE_SAFETY,
    slotToleranceMs: v.CANARY_SLOT_TOLERANCE_MS,
    maxInFlight: v.CANARY_MAX_IN_FLIGHT,
    batchMaxTags: v.CANARY_BATCH_MAX_TAGS,
    batchMaxBytes: v.CANARY_BATCH_MAX_BYTES,
    sessionTimeoutMs: v.CANARY_SESSION_TIMEOUT_MS,
    requestTimeoutMs: v.CANARY_REQUEST_TIMEOUT_MS,
    retryAttempts: v.CANARY_RETRY_ATTEMPTS,
    retryInitialDelayMs: v.CANARY_RETRY_INITIAL_DELAY_MS,
    retryMaxDelayMs: v.CANARY_RETRY_MAX_DELAY_MS,
    operationTimeoutMs: v.CANARY_OPERATION_TIMEOUT_MS,
    breakerConsecutive: v.CANARY_BREAKER_CONSECUTIVE_FAILURES,
    breakerFailureRatio: v.CANARY_BREAKER_FAILURE_RATIO,
    breakerWindowMs: v.CANARY_BREAKER_WINDOW_MS,
    breakerMinimumRps: v.CANARY_BREAKER_MINIMUM_RPS,
    breakerHalfOpenAfterMs: v.CANARY_BREAKER_HALF_OPEN_AFTER_MS,
    syncTransient: v.CANARY_SYNC_TRANSIENT,
    pageSize: v.WORKER_PAGE_SIZE,
    concurrency: v.WORKER_CONCURRENCY,
    dbPoolSize: v.WORKER_DB_POOL_SIZE,
    pollIntervalMs: v.WORKER_POLL_INTERVAL_MS,
    metricsPort: v.METRICS_PORT,
    metricsHost: v.METRICS_HOST,
    staleLockSeconds: v.WORKER_STALE_LOCK_SECONDS,
    staleCheckMs: v.WORKER_STALE_CHECK_MS,
    statsRefreshMs: v.WORKER_STATS_REFRESH_MS,
    maxSemiSpaceMb: v.WORKER_MAX_SEMI_SPACE_MB,
    status: loadStatusConfig(env),
  };
}
