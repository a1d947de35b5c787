// Sync jobs a newer job of the same device superseded. Every canary_sync_device job has the key
// 'canary_sync_device:<device id>' (uns_meta.enqueue_canary_sync). When a birth enqueues the device's job while that
// job is locked (running), graphile-worker (0.18, add_jobs) does not touch the running job's run: it clears its key,
// sets its attempts to max_attempts and inserts a new job under the key. So a superseded job is never retried:
//   - if its run fails (Canary down, the circuit open), graphile-worker keeps it for ever as failed
//     (uns_meta.canary_sync_schedule: 'failed');
//   - if its worker dies holding it, it is unlocked (liveness.ts) but can never run again.
// Nothing is lost either way: the newer job syncs every metric of the device whose version Canary has not
// confirmed, which includes whatever the superseded job could not deliver. So a failed run of a superseded job ends
// the job (isSuperseded), and the periodic check removes superseded jobs nothing runs (removeStrandedSuperseded).
import type pg from 'pg';
import { workerSql } from './sql.ts';

/** Whether a birth queued a newer job of the device while job `jobId` ran (its run may then end without retry). */
export async function isSuperseded(pool: pg.Pool, jobId: string): Promise<boolean> {
  const { rows } = await pool.query<{ superseded: boolean }>(workerSql['job-superseded'], [jobId]);
  return rows[0]?.superseded === true;
}

/** Removes superseded jobs that are locked by nobody and have no attempts left; returns their ids. */
export async function removeStrandedSuperseded(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(workerSql['superseded-jobs']);
  return rows.map((r) => r.id);
}
