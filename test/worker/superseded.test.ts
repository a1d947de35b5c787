// Superseded sync jobs (src/worker/superseded.ts), made to happen on purpose rather than by timing.
//
// 1. A device's sync job runs and its storeData is held by the simulator (a `hang` fault: never answered). A new
//    birth of the device arrives: graphile-worker's add_jobs clears the running job's key, spends its attempts and
//    adds a newer job. The test holds the newer job's row (get_job skips locked rows), so the worker cannot take it
//    yet. Canary then goes down (the simulator closed: the held request's connection ends, retries are refused):
//    the superseded run fails and must end as `superseded`, its job gone rather than kept as failed for ever.
//    Canary comes back (restarted with its data), the newer job is let go and brings Canary up to date.
// 2. removeStrandedSuperseded removes a superseded job whose worker died (unlocked, no attempts left), and neither a
//    superseded job still locked, nor a failed job that was not superseded, nor the newer job, nor jobs without a key
//    of another task or with attempts left.
import pino from 'pino';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CanarySim, startCanarySim } from '../../src/canary-sim/index.ts';
import type { RunningWorker } from '../../src/worker/index.ts';
import { unlockDeadWorkers } from '../../src/worker/liveness.ts';
import { removeStrandedSuperseded } from '../../src/worker/superseded.ts';
import { type TestDatabase, createTestDatabase } from '../support/database.ts';
import { birth, canaryProps, ingest, parity, setDebounce, startTestWorker, storeRequests, TAG, waitFor } from './helpers.ts';

let db: TestDatabase;
let sim: CanarySim;
let worker: RunningWorker | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
  await setDebounce(db, '0 seconds');
  sim = await startCanarySim({ port: 0 });
}, 60_000);

afterAll(async () => {
  await worker?.stop().catch(() => undefined);
  await sim?.close();
  await db?.drop().catch(() => undefined);
}, 60_000);

interface JobRow { id: string; key: string | null; locked_at: Date | null; locked_by: string | null; attempts: number; max_attempts: number; last_error: string | null }

const admin = () => db.pool('uns_meta_admin');

/** The canary_sync_device jobs of a device, oldest first. */
async function deviceJobs(deviceId: string): Promise<JobRow[]> {
  const { rows } = await admin().query<JobRow>(
    `select j.id::text, j.key, j.locked_at, j.locked_by, j.attempts, j.max_attempts, j.last_error
       from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
      where t.identifier = 'canary_sync_device' and j.payload ->> 'device_id' = $1 order by j.id`, [deviceId]);
  return rows;
}

async function jobById(id: string): Promise<JobRow | undefined> {
  const { rows } = await admin().query<JobRow>(
    'select id::text, key, locked_at, locked_by, attempts, max_attempts, last_error from graphile_worker._private_jobs where id = $1', [id]);
  return rows[0];
}

async function deviceId(path: string): Promise<string> {
  const { rows } = await admin().query<{ device_id: string }>('select device_id::text from uns_meta.devices where uns_path = $1', [path]);
  const id = rows[0]?.device_id;
  if (id === undefined) throw new Error(`no device ${path}`);
  return id;
}

/** A birth of `device` with one metric `Area/m1` whose Description is `text` (with the timestamp and seq a birth carries). */
function describedBirth(device: string, text: string, k: number): unknown {
  const b = birth(device, { 'Area/m1': { engUnit: 'bar', documentation: text } }) as { payload: Record<string, unknown> };
  return { ...b, payload: { ...b.payload, timestamp: String(1_700_000_000_000 + k), seq: String(k) } };
}

/** canary_parity of device `device`'s metrics. */
const deviceParity = async (device: string) => (await parity(db)).filter((r) => r.uns_path.startsWith(`Secil/Portugal/${device}/`));

/** Each case starts from an empty job queue (removeStrandedSuperseded and the worker look at every job). */
async function emptyQueue(debounce: string): Promise<void> {
  await setDebounce(db, debounce);
  await admin().query('delete from graphile_worker._private_jobs');
}

const outcomes = async (w: RunningWorker) =>
  Object.fromEntries((await w.deps.metrics.jobs.get()).values.map((v) => [String(v.labels.outcome), v.value]));

describe('a superseded sync job', () => {
  it('whose held storeData then fails ends as superseded (not failed); the newer job brings Canary up to date', { timeout: 90_000 }, async () => {
    await emptyQueue('0 seconds');
    const lines: { level: number; msg: string; deviceId?: string }[] = [];
    const w = await startTestWorker(sim, db, {
      // The held request must outlast the test's steps: only the simulator's close ends it.
      CANARY_REQUEST_TIMEOUT_MS: '120000', CANARY_OPERATION_TIMEOUT_MS: '120000',
      // The periodic removal of stranded superseded jobs must not clean up behind a superseded run that failed its
      // job: only the run's own outcome is under test here (the check runs once, at start).
      WORKER_STALE_CHECK_MS: '600000',
    }, pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as { level: number; msg: string }) }));
    worker = w;

    // The first sync of the device: its storeData is held.
    sim.state.setFaults({ hang: { count: 1, methods: ['storeData'] } });
    await ingest(db, describedBirth('Superseded', 'first', 1));
    const device = await deviceId('Secil/Portugal/Superseded');
    const key = `canary_sync_device:${device}`;
    const running = await waitFor('the sync job running', async () => (await deviceJobs(device)).find((j) => j.locked_at !== null));
    await waitFor('its storeData held by the simulator', () => Promise.resolve(
      storeRequests(sim).some((r) => r.outcome === 'hang' && r.tagPaths.includes(TAG('Area/m1', 'Superseded')))));
    expect(running).toMatchObject({ key, attempts: 1 });

    // A new birth of the device while the job runs: the running job's key is cleared, its attempts spent, and a
    // newer job holds the key.
    await ingest(db, describedBirth('Superseded', 'second', 2));
    const [old, newer, ...more] = await deviceJobs(device);
    expect(more).toEqual([]);
    expect(old).toMatchObject({ id: running.id, key: null, locked_by: running.locked_by, attempts: running.max_attempts });
    expect(old?.locked_at).not.toBeNull();
    expect(newer).toMatchObject({ key, locked_at: null, attempts: 0 });
    const newerId = newer!.id;

    // The newer job's row is held, so the worker (which skips locked rows) cannot take it until Canary is back.
    const holder: pg.PoolClient = await admin().connect();
    let holding = true;
    const letGo = async () => {
      if (!holding) return;
      holding = false;
      await holder.query('rollback').catch(() => undefined);
      holder.release();
    };
    try {
      await holder.query('begin');
      await holder.query('select 1 from graphile_worker._private_jobs where id = $1 for update', [newerId]);

      // Canary goes down: the held storeData's connection ends, its retries are refused, the sync fails.
      const { state, port } = sim;
      await sim.close();
      const ended = await waitFor('the superseded run to end', async () => {
        const job = await jobById(running.id);
        return job === undefined ? 'gone' : job.locked_at === null ? job : false;
      }, 60_000);
      // Ended, not failed: graphile-worker removed the job (a failed run would keep it, no attempts left, for ever).
      expect(ended).toBe('gone');
      const { rows: failed } = await admin().query(`select device_id from uns_meta.canary_sync_schedule where status = 'failed'`);
      expect(failed).toEqual([]);
      expect(await outcomes(w)).toEqual({ superseded: 1 });
      expect(lines.filter((l) => l.msg.startsWith('device sync'))).toEqual([expect.objectContaining({
        level: 40,
        deviceId: device,
        msg: 'device sync incomplete; a birth queued a newer sync job of the device meanwhile, which sends the rest: this one ends',
      })]);
      expect((await deviceParity('Superseded')).map((r) => r.status)).not.toContain('in_sync');

      // Canary is back with its data; the newer job is let go.
      sim = await startCanarySim({ port, state });
      await letGo();
    } finally {
      await letGo();
    }

    await waitFor('the newer job done', async () => (await jobById(newerId)) === undefined, 30_000);
    await waitFor('Canary in sync', async () => (await deviceParity('Superseded')).every((r) => r.status === 'in_sync'), 30_000);
    expect(canaryProps(sim, TAG('Area/m1', 'Superseded'))).toMatchObject({ Description: 'second' });
    expect((await deviceParity('Superseded')).map((r) => r.status)).toEqual(['in_sync']);
    expect((await admin().query('select 1 from graphile_worker._private_jobs')).rowCount).toBe(0);
    expect((await admin().query('select 1 from uns_meta.canary_dead_letters')).rowCount).toBe(0);
    expect(await outcomes(w)).toEqual({ superseded: 1, done: 1 });
    await w.stop();
    worker = undefined;
  });
});

describe('removeStrandedSuperseded', () => {
  it('removes a superseded job whose worker died (unlocked, attempts spent), not a locked one, a failed one not superseded, the newer job or other keyless jobs', { timeout: 30_000 }, async () => {
    await emptyQueue('1 hour'); // no worker runs; the jobs wait
    const app = db.pool('uns_meta_app');

    // Device A: its job taken by a worker pool that then dies (as graphile-worker's get_job locks a job, a minute ago).
    await ingest(db, describedBirth('StrandedA', 'a1', 1));
    const a = await deviceId('Secil/Portugal/StrandedA');
    const [taken] = await deviceJobs(a);
    await admin().query(`update graphile_worker._private_jobs set locked_by = 'dead-pool', locked_at = now() - interval '1 minute', attempts = attempts + 1
                          where id = $1`, [taken!.id]);
    // A birth of A while the job is locked: superseded.
    await ingest(db, describedBirth('StrandedA', 'a2', 2));
    const [superseded, newerA] = await deviceJobs(a);
    expect(superseded).toMatchObject({ id: taken!.id, key: null, locked_by: 'dead-pool', attempts: taken!.max_attempts });
    expect(newerA).toMatchObject({ key: `canary_sync_device:${a}`, locked_at: null });

    // Device B: a job that failed for good without being superseded (its key kept, no attempts left).
    await ingest(db, describedBirth('StrandedB', 'b1', 1));
    const b = await deviceId('Secil/Portugal/StrandedB');
    const [failedB] = await deviceJobs(b);
    await admin().query(`update graphile_worker._private_jobs set attempts = max_attempts, last_error = 'Canary refused' where id = $1`, [failedB!.id]);
    const { rows: schedule } = await admin().query<{ device_id: string; status: string }>(
      'select device_id::text, status from uns_meta.canary_sync_schedule order by device_id, queued_at');
    expect(schedule).toEqual([
      { device_id: a, status: 'running' }, { device_id: a, status: 'waiting' }, { device_id: b, status: 'failed' },
    ]);

    // Jobs without a key that are not stranded superseded sync jobs: another task's job that failed for good, and a
    // sync job queued by hand without a key, attempts left.
    const { rows: [other] } = await admin().query<{ id: string }>(
      `select id::text from graphile_worker.add_job('other_task', '{}'::json, max_attempts => 1)`);
    await admin().query(`update graphile_worker._private_jobs set attempts = 1, last_error = 'failed' where id = $1`, [other!.id]);
    const { rows: [keyless] } = await admin().query<{ id: string }>(
      `select id::text from graphile_worker.add_job('canary_sync_device', json_build_object('device_id', $1::bigint), run_at => now() + interval '1 hour')`, [b]);

    // While the dead worker's lock holds, nothing is removed.
    expect(await removeStrandedSuperseded(app)).toEqual([]);

    // The dead worker's jobs unlocked (the product's check), the superseded one is stranded: removed, it alone.
    expect(await unlockDeadWorkers(app, 1)).toEqual(['dead-pool']);
    expect((await jobById(taken!.id))?.locked_at).toBeNull();
    expect(await removeStrandedSuperseded(app)).toEqual([taken!.id]);
    const left = await admin().query<{ id: string }>('select id::text from graphile_worker._private_jobs order by id');
    expect(left.rows.map((r) => r.id)).toEqual([newerA!.id, failedB!.id, other!.id, keyless!.id]);
    expect(await removeStrandedSuperseded(app)).toEqual([]);
  });
});
