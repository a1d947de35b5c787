// The worker's pool, patient through a PostgreSQL restart where graphile-worker is not. graphile-worker (0.18)
// releases a finished job (completeJob / failJob) with a call it neither awaits nor retries when the connection is
// refused, so a job that ends while PostgreSQL restarts loses its release: an unhandled rejection, and the job stays
// locked by a live worker that never runs it again. graphile-worker is the only caller of the promise form of
// connect() (pg.Pool's own query() uses the callback form): that form retries a refused connection, or one the
// server does not accept yet, for up to `patienceMs`, so the release waits out the restart instead of being lost.
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

/** Errors of a server that is restarting: connection refused or reset, "the database system is starting up". */
const RESTARTING = new Set(['ECONNREFUSED', 'ECONNRESET', '57P03']);

export class PatientPool extends pg.Pool {
  readonly #patienceMs: number;

  constructor(config: pg.PoolConfig, patienceMs: number) {
    super(config);
    this.#patienceMs = patienceMs;
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(callback: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void): void;
  override connect(callback?: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void): Promise<pg.PoolClient> | void {
    if (callback !== undefined) return super.connect(callback);
    return this.#connectPatiently();
  }

  async #connectPatiently(): Promise<pg.PoolClient> {
    const deadline = Date.now() + this.#patienceMs;
    for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
      try {
        return await super.connect();
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (typeof code !== 'string' || !RESTARTING.has(code) || Date.now() + delay > deadline) throw err;
        await sleep(delay);
      }
    }
  }
}
