// The start-up check of the database every long-running process and operator command makes (docs/deployment.md,
// "Start-up checks"): reachable, deployed, and the connected role's rights. Two outcomes besides success:
//   DatabaseMisconfigured  cannot heal by waiting (no such database, login refused, schema not deployed, a right
//                          missing): the process exits non-zero with this one line, which names what to fix.
//   DatabaseUnreachable    the server does not answer now (refused, timed out, starting up or shutting down):
//                          long-running processes retry and report not ready; operator commands exit.
import type pg from 'pg';
import { loadSql } from '../runtime/sql.ts';

/** What the caller will do with the database. */
export type DatabaseNeeds = 'ingest' | 'worker' | 'operator';

export class DatabaseMisconfigured extends Error {
  override readonly name = 'DatabaseMisconfigured';
}

export class DatabaseUnreachable extends Error {
  override readonly name = 'DatabaseUnreachable';
}

interface CheckRow {
  role: string;
  database: string;
  uns_meta_deployed: boolean;
  graphile_worker_deployed: boolean;
  ingest_birth_deployed: boolean;
  canary_dead_letters_deployed: boolean;
  uns_meta_usage: boolean;
  graphile_worker_usage: boolean;
  ingest_birth_execute: boolean;
  canary_dead_letters_insert: boolean;
}

const CHECK_SQL = loadSql(new URL('./', import.meta.url), ['check']).check;
const DEPLOY = 'deploy it with `sqitch deploy --verify` (docs/deployment.md)';

/** Node's codes for a server certificate that does not verify: the CA is not the one given, or it expired. */
const UNTRUSTED_CERTIFICATE = new Set(['SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_UNTRUSTED', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_SIGNATURE_FAILURE']);

/** Login-time errors that only a change of configuration can fix. */
function misconfiguredAtConnect(err: unknown): string | undefined {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `the database server's certificate does not name the host dialled (${message}): connect to a name it holds (DATABASE_URL / PGHOST)`;
  }
  if (typeof code === 'string' && UNTRUSTED_CERTIFICATE.has(code)) {
    // without Node's own hint (--use-system-ca): the fix named here is the CA file
    const reason = message.replace(/; if the root CA is installed locally.*$/, '');
    return `the database server's certificate is not trusted (${code}: ${reason}): set sslrootcert=<the CA that signed it> in DATABASE_URL`;
  }
  if (/server does not support SSL/i.test(message)) return `${message}: the server takes no TLS; fix sslmode in DATABASE_URL or enable ssl on the server`;
  if (code === '3D000') return `${message}: create it (scripts/bootstrap.sql) or fix the database name in DATABASE_URL / PGDATABASE`;
  if (code === '28000' && /no encryption/.test(message)) {
    return `${message}: the server takes only TLS connections: set sslmode=verify-full and sslrootcert=<the CA of its certificate> in DATABASE_URL`;
  }
  if (code === '28P01' || code === '28000') return `${message}: check the role in DATABASE_URL / PGUSER and its password (PGPASSFILE or PGPASSWORD)`;
  if (code === '42501') return `${message}: the role may not connect; grant it CONNECT or use uns_meta_app`;
  if (/password must be a string|no password/i.test(message)) return 'no password for the role: add a line for it to PGPASSFILE (or set PGPASSWORD)';
  return undefined;
}

function missing(row: CheckRow, needs: DatabaseNeeds): string | undefined {
  const where = `database "${row.database}"`;
  if (!row.uns_meta_deployed) return `${where} has no schema uns_meta: ${DEPLOY}`;
  if (!row.graphile_worker_deployed && needs !== 'operator') {
    return `${where} has no schema graphile_worker: install it with \`graphile-worker --schema-only\`, then ${DEPLOY}`;
  }
  if (!row.uns_meta_usage) return `role "${row.role}" may not use schema uns_meta: connect as uns_meta_app (or grant it uns_meta_app)`;
  if (needs === 'ingest') {
    if (!row.ingest_birth_deployed) return `${where} has no function uns_meta.ingest_birth(jsonb): ${DEPLOY}`;
    if (!row.ingest_birth_execute) return `role "${row.role}" may not execute uns_meta.ingest_birth(jsonb): connect as uns_meta_app (or grant it uns_meta_app)`;
  }
  if (needs === 'worker' && !row.graphile_worker_usage) return `role "${row.role}" may not use schema graphile_worker: connect as uns_meta_app (or grant it uns_meta_app)`;
  if (needs !== 'ingest') {
    if (!row.canary_dead_letters_deployed) return `${where} has no table uns_meta.canary_dead_letters: ${DEPLOY}`;
    if (!row.canary_dead_letters_insert) return `role "${row.role}" may not insert into uns_meta.canary_dead_letters: connect as uns_meta_app (or grant it uns_meta_app)`;
  }
  return undefined;
}

/** Resolves when the database is ready for `needs`; throws DatabaseMisconfigured or DatabaseUnreachable. */
export async function checkDatabase(pool: pg.Pool, needs: DatabaseNeeds): Promise<void> {
  let row: CheckRow | undefined;
  try {
    ({ rows: [row] } = await pool.query<CheckRow>(CHECK_SQL));
  } catch (err) {
    const fatal = misconfiguredAtConnect(err);
    if (fatal !== undefined) throw new DatabaseMisconfigured(fatal);
    const code = (err as { code?: unknown }).code;
    throw new DatabaseUnreachable(`database unreachable${typeof code === 'string' ? ` (${code})` : ''}: ${err instanceof Error ? err.message || err.name : String(err)}`);
  }
  if (row === undefined) throw new Error('the database check returned no row');
  const problem = missing(row, needs);
  if (problem !== undefined) throw new DatabaseMisconfigured(problem);
}

/**
 * checkDatabase until it succeeds: an unreachable database is retried every `intervalMs` with a warning line each
 * time (`onWaiting`); a misconfiguration is thrown at once.
 */
export async function waitForDatabase(pool: pg.Pool, needs: DatabaseNeeds, intervalMs: number, onWaiting: (err: DatabaseUnreachable) => void): Promise<void> {
  for (;;) {
    try {
      await checkDatabase(pool, needs);
      return;
    } catch (err) {
      if (!(err instanceof DatabaseUnreachable)) throw err;
      onWaiting(err);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
