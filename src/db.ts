// Database connection settings shared by every process: DATABASE_URL, else the standard PG* variables
// (node-postgres reads PGHOST, PGPORT, PGUSER, PGDATABASE and PGPASSWORD itself). A password missing from
// both is looked up in the libpq password file (PGPASSFILE, default ~/.pgpass), as psql and sqitch do.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export function connectionConfig(env: NodeJS.ProcessEnv = process.env): pg.PoolConfig {
  const url = env.DATABASE_URL;
  if (url && !URL.canParse(url)) throw new Error('DATABASE_URL is not a URL: write it as postgres://<role>@<host>:<port>/<database>');
  const base: pg.PoolConfig = url ? { connectionString: url } : {};
  if (env.PGPASSWORD || (url && new URL(url).password)) return base;
  const params = url ? new URL(url) : undefined;
  const host = params?.hostname || env.PGHOST || 'localhost';
  const port = params?.port || env.PGPORT || '5432';
  const user = decodeURIComponent(params?.username ?? '') || env.PGUSER || process.env.USER || '';
  const database = decodeURIComponent(params?.pathname.slice(1) ?? '') || env.PGDATABASE || user;
  const password = passwordFromFile(env.PGPASSFILE ?? join(homedir(), '.pgpass'), host, port, database, user);
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

/** A pool for the given settings; `application_name` shows the process in pg_stat_activity. */
export function createPool(applicationName: string, extra: pg.PoolConfig = {}): pg.Pool {
  return new pg.Pool({ ...connectionConfig(), application_name: applicationName, ...extra });
}

/** A connection description safe for logs and errors: never the password. */
export function describeConnection(env: NodeJS.ProcessEnv = process.env): string {
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
