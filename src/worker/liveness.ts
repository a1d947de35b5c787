// Jobs locked by a worker process that died (SIGKILL, power loss) stay locked for 4 hours in graphile-worker.
// Each live graphile worker of ours keeps one connection named 'uns-meta-worker <worker id>'; any worker id that
// locks jobs without such a connection belongs to a dead process, and its jobs are unlocked at start-up and
// every WORKER_STALE_CHECK_MS (graphile_worker.force_unlock_workers), so another worker resumes them.
import type { Logger } from 'pino';
import pg from 'pg';
import { workerSql } from './sql.ts';

export class Liveness {
  private readonly clients = new Map<string, pg.Client>();
  private readonly connectionString: pg.PoolConfig;
  private readonly logger: Logger;

  constructor(connection: pg.PoolConfig, logger: Logger) {
    this.connectionString = connection;
    this.logger = logger;
  }

  async register(workerId: string): Promise<void> {
    const client = new pg.Client({ ...this.connectionString, application_name: `uns-meta-worker ${workerId}`.slice(0, 63) });
    client.on('error', (err) => this.logger.warn({ err: err.message, workerId }, 'liveness connection lost'));
    this.clients.set(workerId, client);
    await client.connect();
  }

  async release(workerId: string): Promise<void> {
    const client = this.clients.get(workerId);
    this.clients.delete(workerId);
    await client?.end().catch(() => undefined);
  }

  async releaseAll(): Promise<void> {
    await Promise.all([...this.clients.keys()].map((id) => this.release(id)));
  }
}

/** Unlocks the jobs of dead workers; returns their ids. */
export async function unlockDeadWorkers(pool: pg.Pool, minLockAgeSeconds: number): Promise<string[]> {
  const { rows } = await pool.query<{ locked_by: string }>(workerSql['stale-workers'], [minLockAgeSeconds]);
  const ids = rows.map((r) => r.locked_by);
  if (ids.length > 0) await pool.query('select graphile_worker.force_unlock_workers($1::text[])', [ids]);
  return ids;
}
