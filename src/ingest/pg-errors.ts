// How the ingestor reacts to a database error:
//   retry        serialization failure, deadlock, lock timeout: retried in place with backoff
//   rejected     the birth itself is wrong (our class U0, data exceptions 22, integrity 23, program limits 54):
//                dead-lettered, never retried
//   unavailable  any other SQLSTATE (server shutting down, authentication, a missing function or privilege), and
//                errors of the connection itself (refused, reset, timed out, terminated): the database cannot
//                take births now; the birth goes to the spool and is replayed once a probe succeeds. Nothing is
//                dropped for an operator's problem.
//   internal     an error with neither (a bug of ours on this input): dead-lettered with its message, so one
//                birth can never block the spool for good
export type ErrorClass = 'retry' | 'rejected' | 'unavailable' | 'internal';

const CONNECTION_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);
const CONNECTION_MESSAGE = /connection terminated|connection error|not queryable|timeout exceeded|terminating connection|server closed the connection|socket/i;

const RETRY = new Set(['40001', '40P01', '55P03']);

export function sqlstateOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export function classifyPgError(err: unknown): ErrorClass {
  const state = sqlstateOf(err);
  if (state === undefined) {
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && CONNECTION_ERRNO.has(code)) return 'unavailable';
    if (err instanceof AggregateError) return 'unavailable'; // every address of the host refused
    return CONNECTION_MESSAGE.test((err as Error | null)?.message ?? '') ? 'unavailable' : 'internal';
  }
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
