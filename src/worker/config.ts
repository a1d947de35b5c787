// Worker configuration from environment variables (every one is documented in docs/worker.md and README.md).
// Parsing fails with a message that names the variable and says what is expected.

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
  /** A job lock older than this with no live owner process is released. */
  staleLockSeconds: number;
  staleCheckMs: number;
  /** How often an idle worker refreshes the catalog statistics (uns_meta.refresh_catalog_statistics); 0 = only before a sync. */
  statsRefreshMs: number;
  /** V8 semi-space cap (MB) for the `uns-meta worker` process; 0 = Node's default. See docs/worker.md "Memory". */
  maxSemiSpaceMb: number;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function text(env: Env, name: string, fallback?: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? fallback : v;
}

function num(env: Env, name: string, fallback: number, check: (n: number) => boolean, what: string): number {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || !check(n)) throw new ConfigError(`${name} must be ${what}, got "${raw}"`);
  return n;
}

const int = (env: Env, name: string, fallback: number, min = 1): number =>
  num(env, name, fallback, (n) => Number.isInteger(n) && n >= min, `an integer >= ${min}`);

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

export function loadWorkerConfig(env: Env = process.env): WorkerConfig {
  const canaryUrl = text(env, 'CANARY_URL', 'https://localhost:55293') ?? '';
  let parsed: URL | undefined;
  try {
    parsed = new URL(canaryUrl);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || !['http:', 'https:'].includes(parsed.protocol) || parsed.hostname === '' || !/^https?:\/\//i.test(canaryUrl)) {
    throw new ConfigError(`CANARY_URL must be an http(s) base URL such as https://canary:55293, got "${canaryUrl}"`);
  }
  const apiToken = text(env, 'CANARY_API_TOKEN');
  if (apiToken === undefined) {
    throw new ConfigError('CANARY_API_TOKEN is not set: set it to the API token Canary issued for this writer (an EnvironmentFile or credential, docs/worker.md)');
  }
  const dataset = text(env, 'CANARY_DATASET');
  if (dataset !== undefined && dataset.includes('.')) {
    throw new ConfigError(`CANARY_DATASET must not contain ".", got "${dataset}" (the first "." of a tag ends the dataset)`);
  }
  const metricsPort = text(env, 'METRICS_PORT');
  return {
    canaryUrl: canaryUrl.replace(/\/+$/, ''),
    apiToken,
    historians: (text(env, 'CANARY_HISTORIANS', 'localhost') ?? '').split(',').map((h) => h.trim()).filter((h) => h !== ''),
    clientId: text(env, 'CANARY_CLIENT_ID', 'uns-meta-worker') ?? 'uns-meta-worker',
    dataset,
    rateLimitRps: int(env, 'CANARY_RATE_LIMIT_RPS', 500),
    rateSafety: num(env, 'CANARY_RATE_SAFETY', 0.8, (n) => n > 0 && n <= 1, 'a fraction in (0, 1]'),
    slotToleranceMs: int(env, 'CANARY_SLOT_TOLERANCE_MS', 25),
    maxInFlight: int(env, 'CANARY_MAX_IN_FLIGHT', 16),
    batchMaxTags: int(env, 'CANARY_BATCH_MAX_TAGS', 100),
    batchMaxBytes: int(env, 'CANARY_BATCH_MAX_BYTES', 1_000_000, 1024),
    sessionTimeoutMs: int(env, 'CANARY_SESSION_TIMEOUT_MS', 60_000, 1000),
    requestTimeoutMs: int(env, 'CANARY_REQUEST_TIMEOUT_MS', 10_000),
    retryAttempts: int(env, 'CANARY_RETRY_ATTEMPTS', 6),
    retryInitialDelayMs: int(env, 'CANARY_RETRY_INITIAL_DELAY_MS', 200, 0),
    retryMaxDelayMs: int(env, 'CANARY_RETRY_MAX_DELAY_MS', 6400, 0),
    operationTimeoutMs: int(env, 'CANARY_OPERATION_TIMEOUT_MS', 60_000),
    breakerConsecutive: int(env, 'CANARY_BREAKER_CONSECUTIVE_FAILURES', 20),
    breakerFailureRatio: num(env, 'CANARY_BREAKER_FAILURE_RATIO', 0.02, (n) => n > 0 && n < 1, 'a fraction in (0, 1)'),
    breakerWindowMs: int(env, 'CANARY_BREAKER_WINDOW_MS', 60_000, 1000),
    breakerMinimumRps: num(env, 'CANARY_BREAKER_MINIMUM_RPS', 5, (n) => n > 0, 'a positive number'),
    breakerHalfOpenAfterMs: int(env, 'CANARY_BREAKER_HALF_OPEN_AFTER_MS', 60_000),
    syncTransient: bool(env, 'CANARY_SYNC_TRANSIENT', false),
    pageSize: int(env, 'WORKER_PAGE_SIZE', 2000),
    concurrency: int(env, 'WORKER_CONCURRENCY', 2),
    dbPoolSize: int(env, 'WORKER_DB_POOL_SIZE', 6, 2),
    pollIntervalMs: int(env, 'WORKER_POLL_INTERVAL_MS', 2000, 100),
    metricsPort: metricsPort === undefined ? undefined : int(env, 'METRICS_PORT', 9465, 0),
    staleLockSeconds: int(env, 'WORKER_STALE_LOCK_SECONDS', 10),
    staleCheckMs: int(env, 'WORKER_STALE_CHECK_MS', 30_000, 100),
    statsRefreshMs: int(env, 'WORKER_STATS_REFRESH_MS', 5000, 0),
    maxSemiSpaceMb: int(env, 'WORKER_MAX_SEMI_SPACE_MB', 4, 0),
  };
}

/** loadWorkerConfig for a command: a bad variable is printed (`<command>: <problem>`) and undefined returned. */
export function loadCommandConfig(command: string, env: Env = process.env): WorkerConfig | undefined {
  try {
    return loadWorkerConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`${command}: ${err.message}`);
    return undefined;
  }
}

/** The session settings sent with getSessionToken: a metadata-only writer never writes "No Data". */
export function sessionSettings(config: WorkerConfig): Record<string, unknown> {
  return {
    clientTimeout: config.sessionTimeoutMs,
    autoWriteNoData: false,
    ...(config.dataset === 'Test' ? { autoCreateDatasets: true } : {}),
  };
}
