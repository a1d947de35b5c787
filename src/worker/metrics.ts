// Prometheus metrics of the worker (prom-client), on their own registry so tests can run several workers.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createWorkerMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'uns_meta_worker_' });
  const r = { registers: [registry] };
  return {
    registry,
    requests: new Counter({ name: 'uns_meta_canary_requests_total', help: 'Canary API requests by method and outcome', labelNames: ['method', 'outcome'], ...r }),
    requestDuration: new Histogram({ name: 'uns_meta_canary_request_duration_seconds', help: 'Canary API request time, sent to answer read (rate-slot wait excluded), by method', labelNames: ['method'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], ...r }),
    retries: new Counter({ name: 'uns_meta_canary_retries_total', help: 'Canary request attempts retried after a transient failure', ...r }),
    tagsWritten: new Counter({ name: 'uns_meta_canary_tags_written_total', help: 'Tags whose properties Canary confirmed', ...r }),
    propertiesWritten: new Counter({ name: 'uns_meta_canary_properties_written_total', help: 'Property rows Canary confirmed', ...r }),
    batchTags: new Histogram({ name: 'uns_meta_canary_batch_tags', help: 'Tags per storeData request', buckets: [1, 5, 10, 25, 50, 75, 100, 250], ...r }),
    batchBytes: new Histogram({ name: 'uns_meta_canary_batch_bytes', help: 'Body bytes per storeData request', buckets: [1e3, 1e4, 5e4, 1e5, 2.5e5, 5e5, 1e6, 2e6], ...r }),
    rateSlotWaiting: new Gauge({ name: 'uns_meta_canary_rate_slot_waiting', help: 'Requests waiting for their slot in the shared rate schedule (CANARY_RATE_LIMIT_RPS)', ...r }),
    rateSlotWait: new Histogram({ name: 'uns_meta_canary_rate_slot_wait_seconds', help: 'Time a request waited for its slot in the shared rate schedule', buckets: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 30], ...r }),
    requestsInFlight: new Gauge({ name: 'uns_meta_canary_requests_in_flight', help: 'storeData calls of this process in flight (at most CANARY_MAX_IN_FLIGHT)', ...r }),
    slotsMissed: new Counter({ name: 'uns_meta_canary_rate_slots_missed_total', help: 'Reserved request slots given up because the request was not ready within the tolerance', ...r }),
    circuitOpens: new Counter({ name: 'uns_meta_canary_circuit_opens_total', help: 'Times the circuit breaker opened (consecutive failures or the failure ratio)', ...r }),
    circuitState: new Gauge({ name: 'uns_meta_canary_circuit_state', help: 'Circuit breaker: 0 closed, 1 half-open, 2 open, 3 isolated', ...r }),
    sessionRefreshes: new Counter({ name: 'uns_meta_canary_session_refreshes_total', help: 'Canary sessions acquired (first and re-acquired)', ...r }),
    deadLetters: new Counter({ name: 'uns_meta_canary_dead_letters_total', help: 'Metric changes written to canary_dead_letters', ...r }),
    endToEnd: new Histogram({ name: 'uns_meta_canary_end_to_end_seconds', help: 'From the metric change commit (metrics.updated_at) to Canary confirmation', buckets: [1, 5, 30, 60, 120, 180, 240, 300, 600, 1800, 3600], ...r }),
    jobs: new Counter({ name: 'uns_meta_worker_jobs_total', help: 'canary_sync_device jobs by outcome', labelNames: ['outcome'], ...r }),
    jobReleasesLost: new Counter({ name: 'uns_meta_worker_job_releases_lost_total', help: 'Finished jobs graphile-worker could not release (the connection failed under it); the orphan check unlocks them', ...r }),
    orphanedJobsUnlocked: new Counter({ name: 'uns_meta_worker_orphaned_jobs_unlocked_total', help: 'Jobs locked by this worker but running nowhere in it (a lost release), unlocked to run again', ...r }),
  };
}
export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;
