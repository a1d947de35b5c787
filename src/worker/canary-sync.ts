// Everything a Canary sync needs (rate limits, client, metrics), shared by the worker and the operator
// commands (`uns-meta canary resync|replay`, through src/worker/index.ts).
import type { Logger } from 'pino';
import type pg from 'pg';
import type { WorkerConfig } from '../runtime/config/worker.ts';
import { CanaryClient } from './canary-client.ts';
import { createWorkerMetrics, type WorkerMetrics } from './metrics.ts';
import { createRateLimit } from './rate-limit.ts';
import type { SyncDeps } from './sync.ts';

export function createSyncDeps(config: WorkerConfig, pool: pg.Pool, logger: Logger, metrics: WorkerMetrics = createWorkerMetrics()): SyncDeps {
  const { gate, inFlight } = createRateLimit(config, pool, metrics);
  const client = new CanaryClient(config, { gate, metrics, logger });
  return { pool, client, limiter: inFlight, metrics, logger, config };
}
