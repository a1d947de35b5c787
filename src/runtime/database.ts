// The database of every process, in one place: connection settings from DATABASE_URL, else the standard PG*
// variables (section [database] of .env.example; node-postgres reads PGHOST, PGPORT, PGUSER, PGDATABASE and
// PGPASSWORD itself). A password missing from both is looked up in the libpq password file (PGPASSFILE, default
// ~/.pgpass), as psql and sqitch do. createPool is the one pool factory: every command's pool is built here.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { type LostRelease, PatientPool } from './patient-pool.ts';

type Env = Record<string, string | undefined>;

interface Target {
  url: URL | undefined;
  host: string;
  port: string;
  user: string;
  database: string;
}

function target(env: Env): Target {
  const raw = env.DATABASE_URL;
  if (raw && !URL.canParse(raw)) throw new Error('DATABASE_URL is not a URL: write it as postgres://<role>@<host>:<port>/<database>');
  const url = raw ? new URL(raw) : undefined;
  const user = decodeURIComponent(url?.username ?? '') || env.PGUSER || process.env.USER || '';
  return {
    url,
    host: url?.hostname || env.PGHOST || 'localhost',
    port: url?.port || env.PGPORT || '5432',
    user,
    database: decodeURIComponent(url?.pathname.slice(1) ?? '') || env.PGDATABASE || user,
  };
}

/** The database password, wherever it comes from (URL, PGPASSWORD, password file), so logs can scrub it. */
export function databasePassword(env: Env): string | undefined {
  let t: Target;
  try {
    t = target(env);
  } catch {
    return undefined;
  }
  if (t.url?.password) return decodeURIComponent(t.url.password);
  if (env.PGPASSWORD) return env.PGPASSWORD;
  return passwordFromFile(env.PGPASSFILE || join(homedir(), '.pgpass'), t.host, t.port, t.database, t.user);
}

export function connectionConfig(env: Env = process.env): pg.PoolConfig {
  const { url: params, host, port, user, database } = target(env);
  const base: pg.PoolConfig = params ? { connectionString: env.DATABASE_URL } : {};
  if (env.PGPASSWORD || params?.password) return base;
  const password = passwordFromFile(env.PGPASSFILE || join(homedir(), '.pgpass'), host, port, database, user);
  if (password === undefined) return base;
  // The password goes to node-postgres as a function, never as data: a pool or client printed by a test runner
  // or an error report then shows no secret. (A connection string, even without a password, would override
  // it with an empty one, so the URL is taken apart here.)
  const config: pg.PoolConfig = { host, port: Number(port), user, database, password: () => password };
  let sslmode: string | undefined;
  let rootCert: string | undefined;
  for (const [name, value] of params?.searchParams ?? []) {
    if (name === 'application_name') config.application_name = value;
    else if (name === 'options') config.options = value; // libpq's session settings, e.g. -c lock_timeout=5s
    else if (name === 'sslmode' && ['disable', 'require', 'verify-full'].includes(value)) sslmode = value;
    else if (name === 'sslrootcert') rootCert = value;
    else {
      throw new Error(`DATABASE_URL parameter ${name}=${value} is not supported with a password file; ` +
        'supported: application_name, options, sslmode=disable|require|verify-full, sslrootcert (or give the password in PGPASSWORD)');
    }
  }
  if (sslmode === 'disable') config.ssl = false;
  else if (sslmode !== undefined) {
    // as libpq: sslrootcert replaces the system's CAs (the server's certificate must chain to it)
    config.ssl = { rejectUnauthorized: sslmode === 'verify-full', ...(rootCert === undefined ? {} : { ca: readCaFile(rootCert) }) };
  }
  return config;
}

function readCaFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`DATABASE_URL sslrootcert: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}

/** The first matching `host:port:database:user:password` line of a libpq password file. */
export function passwordFromFile(file: string, host: string, port: string, database: string, user: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const want = [host, port, database, user];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const fields = line.split(/(?<!\\):/).map((f) => f.replace(/\\([:\\])/g, '$1'));
    if (fields.length < 5) continue;
    if (want.every((w, i) => fields[i] === '*' || fields[i] === w)) return fields.slice(4).join(':');
  }
  return undefined;
}

export interface PoolOptions extends pg.PoolConfig {
  /** Shows the process in pg_stat_activity (`uns-meta worker`, `uns-meta status`, ...). */
  name: string;
  /** Connection settings (default: DATABASE_URL / PG* of `env`). */
  connection?: pg.PoolConfig;
  env?: Env;
  /** A failed idle connection is logged here (default: ignored; the next query reports it). */
  logger?: Logger;
  /** Wait out a refused connection for this long on graphile-worker's path (src/runtime/patient-pool.ts). */
  patienceMs?: number;
  /** With patienceMs: told of a graphile-worker job release that failed all the same (src/runtime/patient-pool.ts). */
  onLostRelease?: LostRelease;
}

/** The one pool factory: DATABASE_URL / PG*, the process's name, its size; a failed idle connection never crashes. */
export function createPool(options: PoolOptions): pg.Pool {
  const { name, connection, env, logger, patienceMs, onLostRelease, ...extra } = options;
  const config: pg.PoolConfig = { ...(connection ?? connectionConfig(env)), application_name: name, ...extra };
  const pool = patienceMs === undefined ? new pg.Pool(config) : new PatientPool(config, patienceMs, onLostRelease);
  pool.on('error', (err) => logger?.warn({ event: 'db.idle_client_error', err: err.message }, `idle database connection failed: ${err.message}`));
  if (logger) pool.on('connect', (client) => client.on('error', (err) => logger.warn({ event: 'db.client_error', err: err.message }, `database connection failed: ${err.message}`)));
  return pool;
}

/** A connection description safe for logs and errors: never the password. */
export function describeConnection(env: Env = process.env): string {
  const url = env.DATABASE_URL;
  if (url) {
    try {
      const u = new URL(url);
      return `${u.username || '(default user)'}@${u.hostname}:${u.port || '5432'}${u.pathname}`;
    } catch {
      return '(unparseable DATABASE_URL)';
    }
  }
  return `${env.PGUSER ?? '(default user)'}@${env.PGHOST ?? 'localhost'}:${env.PGPORT ?? '5432'}/${env.PGDATABASE ?? '(default database)'}`;
}
