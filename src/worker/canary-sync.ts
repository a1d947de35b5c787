// Everything a Canary sync needs (rate gate, client, limiter, metrics), shared by the worker and the operator
// commands (`uns-meta canary resync|replay`).
import type { Logger } from 'pino';
import type pg from 'pg';
import { CanaryClient } from './canary-client.ts';
import type { WorkerConfig } from './config.ts';
import { createWorkerMetrics, type WorkerMetrics } from './metrics.ts';
import { RateGate } from './rate-gate.ts';
import { createLimiter, type SyncDeps } from './sync.ts';

export function createSyncDeps(config: WorkerConfig, pool: pg.Pool, logger: Logger, metrics: WorkerMetrics = createWorkerMetrics()): SyncDeps {
  const gate = new RateGate(pool, {
    rateLimitRps: config.rateLimitRps,
    safety: config.rateSafety,
    toleranceMs: config.slotToleranceMs,
    blockMax: config.maxInFlight,
    onMissedSlot: () => metrics.slotsMissed.inc(),
  });
  const client = new CanaryClient(config, { gate, metrics, logger });
  return { pool, client, limiter: createLimiter(config), metrics, logger, config };
}
