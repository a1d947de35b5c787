// How the ingestor reacts to a database error:
//   retry        serialization failure, deadlock, lock timeout: retried in place with backoff
//   rejected     the birth itself is wrong (our class U0, data exceptions 22, integrity 23, program limits 54):
//                dead-lettered, never retried
//   unavailable  everything else (connection refused or reset, server shutting down, authentication, a missing
//                function or privilege): the database cannot take births now; the birth goes to the spool and
//                is replayed once a probe succeeds. Nothing is dropped for an operator's problem.
export type ErrorClass = 'retry' | 'rejected' | 'unavailable';

const RETRY = new Set(['40001', '40P01', '55P03']);

export function sqlstateOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export function classifyPgError(err: unknown): ErrorClass {
  const state = sqlstateOf(err);
  if (state === undefined) return 'unavailable';
  if (RETRY.has(state)) return 'retry';
  const cls = state.slice(0, 2);
  if (cls === 'U0' || cls === '22' || cls === '23' || cls === '54') return 'rejected';
  return 'unavailable';
}

/** The database cannot take births now: the caller spools the message and waits for a probe to succeed. */
export class DatabaseUnavailable extends Error {
  override readonly name = 'DatabaseUnavailable';
  readonly sqlstate: string | undefined;

  constructor(cause: unknown) {
    const state = sqlstateOf(cause);
    super(`database unavailable${state ? ` (${state})` : ''}: ${(cause as Error | undefined)?.message ?? String(cause)}`, { cause });
    this.sqlstate = state;
  }
}
