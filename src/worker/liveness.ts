// Jobs whose lock nobody will release. graphile-worker (0.18) locks a job with the id of its worker pool (one per
// `uns-meta worker` process) and leaves a lock it does not release for 4 hours. Two ways that happens:
//   - the process died (SIGKILL, power loss). The pool keeps one connection named 'uns-meta-worker <pool id>',
//     reconnected after a PostgreSQL restart; a pool id that locks jobs without such a connection belongs to a dead
//     process, and its jobs are unlocked (graphile_worker.force_unlock_workers) so another worker resumes them;
//   - the process lives but lost the release of a job that ended while PostgreSQL restarted (graphile-worker
//     neither awaits nor retries it; patient-pool.ts reports it). The job is locked by our own pool id but runs
//     nowhere in the process: it is unlocked, and runs again.
// Both at start-up and every WORKER_STALE_CHECK_MS, for locks older than WORKER_STALE_LOCK_SECONDS.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import pg from 'pg';
import { workerSql } from './sql.ts';

/** One session named after the worker pool, for as long as the pool runs; reopened when the server drops it. */
export class Liveness {
  private client: pg.Client | undefined;
  private poolId: string | undefined;
  private released = false;
  private readonly connection: pg.PoolConfig;
  private readonly logger: Logger;
  private readonly retryMs: number;

  constructor(connection: pg.PoolConfig, logger: Logger, retryMs = 1000) {
    this.connection = connection;
    this.logger = logger;
    this.retryMs = retryMs;
  }

  /** Opens the pool's session; resolves once it is open or release() was called (while it cannot connect it keeps trying, a warning per attempt). */
  async register(poolId: string): Promise<void> {
    this.poolId = poolId;
    await this.open();
  }

  private async open(): Promise<void> {
    while (!this.released && this.poolId !== undefined) {
      const client = new pg.Client({ ...this.connection, application_name: `uns-meta-worker ${this.poolId}`.slice(0, 63) });
      client.on('error', () => undefined); // until connected, connect() reports the failure
      try {
        await client.connect();
      } catch (err) {
        await client.end().catch(() => undefined);
        this.logger.warn({ err: (err as Error).message, workerPool: this.poolId }, 'liveness connection failed; retrying');
        await sleep(this.retryMs);
        continue;
      }
      if (this.released) {
        await client.end().catch(() => undefined);
        return;
      }
      this.client = client;
      let lost = false;
      const reopen = (err?: Error) => {
        if (lost) return;
        lost = true;
        if (this.client === client) this.client = undefined;
        if (this.released) return;
        this.logger.warn({ err: err?.message, workerPool: this.poolId }, 'liveness connection lost; reopening it');
        void sleep(this.retryMs).then(() => this.open());
      };
      client.on('error', reopen);
      client.on('end', () => reopen());
      return;
    }
  }

  async release(): Promise<void> {
    this.released = true;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}

/** Unlocks the jobs of dead workers (never those of `ownPoolId`); returns their pool ids. */
export async function unlockDeadWorkers(pool: pg.Pool, minLockAgeSeconds: number, ownPoolId?: string): Promise<string[]> {
  const { rows } = await pool.query<{ locked_by: string }>(workerSql['stale-workers'], [minLockAgeSeconds, ownPoolId ?? null]);
  const ids = rows.map((r) => r.locked_by);
  if (ids.length > 0) await pool.query('select graphile_worker.force_unlock_workers($1::text[])', [ids]);
  return ids;
}

/** Unlocks the jobs our own pool locked that run nowhere in this process (a lost release); returns their ids. */
export async function unlockOrphanedJobs(pool: pg.Pool, poolId: string, running: readonly string[], minLockAgeSeconds: number): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(workerSql['orphaned-jobs'], [poolId, running, minLockAgeSeconds]);
  return rows.map((r) => r.id);
}
