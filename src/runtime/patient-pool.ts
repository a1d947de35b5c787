// The worker's pool, patient through a PostgreSQL restart where graphile-worker is not. graphile-worker (0.18)
// releases a finished job (completeJob / failJob) with a call it neither awaits nor retries when the connection is
// refused or dies, so a job that ends while PostgreSQL restarts loses its release: an unhandled rejection (which
// ends the process), and the job stays locked by a live worker that never runs it again. Two defences here:
//   - graphile-worker is the only caller of the promise form of connect() (pg.Pool's own query() uses the callback
//     form): that form retries a connection a restarting server refuses, drops while it is being opened, or does
//     not accept yet, for up to `patienceMs`, so the release waits out the restart instead of being lost;
//   - a release statement that fails all the same (the connection died mid-query) is reported to `onLostRelease`
//     and resolves empty instead of rejecting, so the process lives; the job's lock is then the orphan check's
//     (liveness.ts), which unlocks it so it runs again.
// graphile-worker names its release statements (prepared statements, its default): complete_job/<schema>,
// complete_jobs/…, complete_job_q/…, fail_job/…, fail_job_q/…. Everything else it runs is awaited by it and
// passes through unchanged.
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

/**
 * Errors of a server that is restarting: connection refused or reset, terminated by a shutdown (57P01 admin, 57P02
 * crash), "the database system is starting up / shutting down" (57P03), or dropped while being opened (pg's
 * "Connection terminated unexpectedly", which has no code).
 */
const RESTARTING = new Set(['ECONNREFUSED', 'ECONNRESET', '57P01', '57P02', '57P03']);
const DROPPED = /^Connection terminated/;

function restarting(err: unknown): boolean {
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code === 'string') return RESTARTING.has(code);
  return typeof message === 'string' && DROPPED.test(message);
}
const RELEASE = /^(complete_jobs?|complete_job_q|fail_job|fail_job_q)\//;

/** Called with the error of a job release graphile-worker would have lost, and the statement's name. */
export type LostRelease = (err: Error, statement: string) => void;

type Query = (...args: unknown[]) => unknown;

export class PatientPool extends pg.Pool {
  readonly #patienceMs: number;
  readonly #onLostRelease: LostRelease | undefined;
  readonly #guarded = new WeakSet<pg.PoolClient>();

  constructor(config: pg.PoolConfig, patienceMs: number, onLostRelease?: LostRelease) {
    super(config);
    this.#patienceMs = patienceMs;
    this.#onLostRelease = onLostRelease;
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(callback: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void): void;
  override connect(callback?: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void): Promise<pg.PoolClient> | void {
    if (callback !== undefined) return super.connect(callback);
    return this.#connectPatiently().then((client) => this.#guard(client));
  }

  async #connectPatiently(): Promise<pg.PoolClient> {
    const deadline = Date.now() + this.#patienceMs;
    for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
      try {
        return await super.connect();
      } catch (err) {
        if (!restarting(err) || Date.now() + delay > deadline) throw err;
        await sleep(delay);
      }
    }
  }

  /** Makes the client's release statements report a failure instead of rejecting (once per client). */
  #guard(client: pg.PoolClient): pg.PoolClient {
    if (this.#onLostRelease === undefined || this.#guarded.has(client)) return client;
    this.#guarded.add(client);
    const report = this.#onLostRelease;
    const query = client.query.bind(client) as Query;
    (client as unknown as { query: Query }).query = (...args: unknown[]) => {
      const [config] = args;
      const name = typeof config === 'object' && config !== null ? (config as { name?: unknown }).name : undefined;
      const result = query(...args);
      if (typeof name !== 'string' || !RELEASE.test(name) || !(result instanceof Promise)) return result;
      return result.catch((err: unknown) => {
        report(err instanceof Error ? err : new Error(String(err)), name);
        return { command: '', rowCount: 0, oid: 0, fields: [], rows: [] };
      });
    };
    return client;
  }
}
