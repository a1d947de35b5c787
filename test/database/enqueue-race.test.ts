// A birth's enqueue of its device's Canary sync job at the moment a worker takes that job (functions/
// enqueue_canary_sync). graphile-worker's add_jobs keeps a job's key unless the job is locked, then upserts on the
// key "where locked_at is null": a job the worker locks between those two steps is neither replaced nor followed by
// a new one, and the worker, already running, reads the catalog from before the birth's commit. The birth's change
// then never reached Canary until the device's next birth (the likely cause of two metrics left pending for good in a
// run of the fault scenario test/faults/broker-restart.test.ts). enqueue_canary_sync locks the devices' jobs first, so a worker taking one
// waits for the birth, or has taken it before and the birth adds a new job. pgTAP runs in one transaction, so the
// two sessions are tested here.
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let db: TestDatabase;
let worker: pg.PoolClient;
let birth: pg.PoolClient;
beforeAll(async () => {
  db = await createTestDatabase();
  worker = await db.pool('uns_meta_admin').connect();
  birth = await db.pool('uns_meta_app').connect();
});
afterAll(async () => {
  worker.release();
  birth.release();
  await db.drop();
});

const jobs = async (device: number) => (await worker.query<{ locked: boolean }>(
  `select locked_at is not null as locked from graphile_worker._private_jobs where payload::jsonb = jsonb_build_object('device_id', $1::bigint) order by id`,
  [device])).rows;

describe('a birth enqueues while a worker takes the same device job', () => {
  it('the change is not lost: the job taken meanwhile is followed by a new, unlocked job', async () => {
    await birth.query('select uns_meta.enqueue_canary_sync(array[42]::bigint[])');
    expect(await jobs(42)).toEqual([{ locked: false }]);
    // The worker's get_job, caught in the middle: the job row locked and marked taken, not committed yet.
    await worker.query('begin');
    await worker.query(`update graphile_worker._private_jobs set locked_at = now(), locked_by = 'test-worker', attempts = attempts + 1
                         where key = 'canary_sync_device:42'`);
    await birth.query('begin');
    const pid = (await birth.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    const enqueued = birth.query('select uns_meta.enqueue_canary_sync(array[42]::bigint[])');
    for (let i = 0; ; i++) {
      if ((await db.pool('uns_meta_admin').query('select 1 from pg_locks where pid = $1 and not granted', [pid])).rowCount) break;
      if (i > 200) throw new Error("the birth's enqueue never waited for the worker's lock on the job");
      await sleep(25);
    }
    await worker.query('commit');
    await enqueued;
    await birth.query('commit');
    // The job the worker took (it read the catalog before the birth), and a new one for the birth's change.
    expect(await jobs(42)).toEqual([{ locked: true }, { locked: false }]);
  });
});
