// The one owner of Canary's request limits, built from the worker's configuration by createRateLimit:
//   - the plant's cap across every worker process (RateGate, below): CANARY_RATE_LIMIT_RPS × CANARY_RATE_SAFETY;
//   - this process's requests in flight (a Bottleneck with maxConcurrent = CANARY_MAX_IN_FLIGHT and no rate of
//     its own: the gate alone spaces requests; a second per-process schedule from the same numbers only added waits).
// Metrics: uns_meta_canary_rate_slot_waiting / _rate_slot_wait_seconds (requests waiting for a slot of the shared
// schedule), uns_meta_canary_rate_slots_missed_total, uns_meta_canary_requests_in_flight.
//
// The plant's request cap across every worker process: request slots come from one schedule in Postgres
// (uns_meta.canary_reserve_requests), evenly spaced at rate * safety per second. A request is sent at its slot,
// or, if this process was too slow to use it within the tolerance, the slot is dropped and a new one reserved,
// so every request leaves within [slot, slot + tolerance] and any one-second window holds at most
// (1000 + tolerance) / spacing requests. Every attempt takes a slot, failed ones included.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import Bottleneck from 'bottleneck';
import type pg from 'pg';
import type { WorkerConfig } from '../runtime/config/worker.ts';
import type { WorkerMetrics } from './metrics.ts';

export interface RateGateOptions {
  rateLimitRps: number;
  safety: number;
  toleranceMs: number;
  /** Most slots reserved per database call. */
  blockMax: number;
  onMissedSlot?: () => void;
}

export class RateGate {
  private readonly slots: number[] = [];
  private reserving: Promise<void> | undefined;
  private demand = 0;
  private readonly pool: pg.Pool;
  private readonly options: RateGateOptions;

  constructor(pool: pg.Pool, options: RateGateOptions) {
    this.pool = pool;
    this.options = options;
  }

  /** Requests per second the shared schedule hands out. */
  get scheduleRate(): number {
    return this.options.rateLimitRps * this.options.safety;
  }

  /** Resolves when the caller may send one request now. */
  async acquire(): Promise<void> {
    this.demand++;
    try {
      for (;;) {
        const slot = await this.nextSlot();
        const wait = slot - performance.now();
        if (wait > 0) await sleep(wait);
        if (performance.now() - slot <= this.options.toleranceMs) return;
        this.options.onMissedSlot?.();
      }
    } finally {
      this.demand--;
    }
  }

  private async nextSlot(): Promise<number> {
    for (;;) {
      const now = performance.now();
      while (this.slots.length > 0 && now - (this.slots[0] ?? 0) > this.options.toleranceMs) {
        this.slots.shift();
        this.options.onMissedSlot?.();
      }
      const slot = this.slots.shift();
      if (slot !== undefined) return slot;
      this.reserving ??= this.reserve(Math.max(1, Math.min(this.options.blockMax, this.demand))).finally(() => {
        this.reserving = undefined;
      });
      await this.reserving;
    }
  }

  private async reserve(n: number): Promise<void> {
    const { rows } = await this.pool.query<{ first_slot_in_ms: number; spacing_ms: number }>(
      'select first_slot_in_ms, spacing_ms from uns_meta.canary_reserve_requests($1, $2)',
      [n, this.scheduleRate],
    );
    const row = rows[0];
    if (!row) throw new Error('uns_meta.canary_reserve_requests returned no row; is the database deployed?');
    const first = performance.now() + row.first_slot_in_ms;
    for (let i = 0; i < n; i++) this.slots.push(first + i * row.spacing_ms);
  }
}

export interface RateLimit {
  /** Slots of the plant-wide schedule: every HTTP attempt takes one (CanaryClient). */
  gate: RateGate;
  /** At most CANARY_MAX_IN_FLIGHT requests of this process at once (a storeData batch holds it for its call). */
  inFlight: Bottleneck;
}

export function createRateLimit(config: WorkerConfig, pool: pg.Pool, metrics: WorkerMetrics): RateLimit {
  const gate = new RateGate(pool, {
    rateLimitRps: config.rateLimitRps,
    safety: config.rateSafety,
    toleranceMs: config.slotToleranceMs,
    blockMax: config.maxInFlight,
    onMissedSlot: () => metrics.slotsMissed.inc(),
  });
  const inFlight = new Bottleneck({ maxConcurrent: config.maxInFlight });
  inFlight.on('executing', () => metrics.requestsInFlight.inc());
  inFlight.on('done', () => metrics.requestsInFlight.dec());
  return { gate, inFlight };
}
