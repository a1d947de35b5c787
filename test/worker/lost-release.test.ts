// A job whose release graphile-worker loses, made to happen on purpose: the job's row is locked by the test while
// the sync runs, so the worker's completeJob (a DELETE graphile-worker neither awaits nor retries) waits on it, and
// that backend is then terminated under it — the connection dies mid-query, as in a PostgreSQL restart. The worker
// reports the lost release and lives (no unhandled rejection: vitest would fail this file), its orphan check
// unlocks the job, the job runs again and is released. And a live worker's long job is never unlocked as a dead
// worker's, by itself or by another worker process.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { birth, ingest, startTestWorker, useWorkerFixture, waitFor, allInSync } from './helpers.ts';

const fx = useWorkerFixture();

interface JobRow { id: string; locked_by: string | null; attempts: number }

const jobs = async () =>
  (await fx.db.pool('uns_meta_app').query<JobRow>('select id::text, locked_by, attempts from graphile_worker._private_jobs order by id')).rows;

describe('a job release lost under a dying connection', () => {
  it('is reported, the worker lives, and the job is unlocked, run again and released', { timeout: 60_000 }, async () => {
    const lines: string[] = [];
    // storeData answers after 5 s (the request timeout is 10 s): time enough to take the job's row, however loaded.
    fx.sim.state.setFaults({ latency: { ms: 5000, methods: ['storeData'] } });
    fx.worker = await startTestWorker(fx.sim, fx.db, { WORKER_STALE_CHECK_MS: '300', CANARY_REQUEST_TIMEOUT_MS: '10000' }, pino({ level: 'info' }, { write: (l: string) => void lines.push(l) }));
    await ingest(fx.db, birth('Lost', { 'Area/m1': { engUnit: 'bar' } }));
    const running = await waitFor('the sync job to run', async () => (await jobs()).find((j) => j.locked_by !== null));

    // Hold the job's row so that its release waits for the test, then kill the backend that waits.
    const holder = await fx.db.pool('uns_meta_app').connect();
    try {
      await holder.query('begin');
      await holder.query('select 1 from graphile_worker._private_jobs where id = $1 for update', [running.id]);
      const pid = await waitFor('the release to wait on the row', async () => {
        const { rows } = await fx.db.pool('uns_meta_app').query<{ pid: number }>(
          `select pid from pg_stat_activity
            where datname = current_database() and application_name = 'uns-meta worker' and wait_event_type = 'Lock' and query ilike '%\\_private\\_jobs%'`);
        return rows[0]?.pid;
      }, 30_000);
      fx.sim.state.clearFaults();
      await fx.db.pool('uns_meta_app').query('select pg_terminate_backend($1)', [pid]);
    } finally {
      await holder.query('rollback').catch(() => undefined);
      holder.release();
    }

    await waitFor('the lost release reported', () => Promise.resolve(lines.some((l) => l.includes('could not release a finished job'))), 20_000);
    await waitFor('the job unlocked, run again and released', async () => (await jobs()).length === 0, 30_000);
    expect(lines.filter((l) => l.includes('whose release graphile-worker lost')).length).toBeGreaterThanOrEqual(1);
    const metrics = await fx.worker.deps.metrics.registry.metrics();
    expect(metrics).toMatch(/^uns_meta_worker_job_releases_lost_total 1$/m);
    expect(metrics).toMatch(/^uns_meta_worker_orphaned_jobs_unlocked_total [1-9]/m);
    expect(await allInSync(fx.db)).toBe(true);
  });

  it('a live worker\'s job that runs longer than WORKER_STALE_LOCK_SECONDS stays locked and runs once, whichever worker checks', { timeout: 60_000 }, async () => {
    fx.sim.state.setFaults({ latency: { ms: 3000, methods: ['storeData'] } });
    const env = { WORKER_STALE_CHECK_MS: '200', CANARY_REQUEST_TIMEOUT_MS: '10000' };
    fx.worker = await startTestWorker(fx.sim, fx.db, env);
    // A second worker in the process checks too, as another process would (it has nothing to run meanwhile).
    const other = await startTestWorker(fx.sim, fx.db, env);
    try {
      await ingest(fx.db, birth('Long', { 'Area/m1': { engUnit: 'mbar' } }));
      const job = await waitFor('the sync job to run', async () => (await jobs()).find((j) => j.locked_by !== null));
      // Several checks of both workers pass while the job runs (storeData takes 3 s; locks count as stale after 1 s).
      const seen: JobRow[] = [];
      while (true) {
        const now = (await jobs()).find((j) => j.id === job.id);
        if (now === undefined) break; // released: done
        seen.push(now);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(seen.length).toBeGreaterThan(5);
      expect(seen.every((j) => j.locked_by === job.locked_by && j.attempts === 1)).toBe(true);
      expect(await allInSync(fx.db)).toBe(true);
    } finally {
      await other.stop();
    }
  });
});
