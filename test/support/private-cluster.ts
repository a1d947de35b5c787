// A throwaway PostgreSQL cluster of our own, for what the machine's shared cluster cannot take: restarting the
// server mid-test, and other major versions (the version matrix, scripts/test-matrix.ts). `initdb` into a
// temporary directory, a free port on 127.0.0.1, the unix socket in that directory, the roles and the database of
// scripts/bootstrap.sql with the passwords of the machine's password file (its lines match any port, so psql,
// sqitch, pg_prove and our processes connect to it with nothing but another PGPORT), and scripts/deploy-db.sh for
// the schema. destroy() stops it and removes the directory; a process that exits without calling it still stops
// the server (an exit hook), so no postgres is left running. With `tls`, the server takes TCP connections only over
// TLS (`ssl = on`, `hostssl` lines and no `host` line) and every client of the cluster verifies it
// (sslmode=verify-full against the given CA).
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { passwordFromFile } from '../../src/runtime/database.ts';
import { freePort } from '../../src/embedded-mosquitto.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const ROLES = ['uns_meta_admin', 'uns_meta_app', 'uns_meta_ro', 'uns_meta_cdc'] as const;
/** The machine's server (Debian's PostgreSQL 15, what scripts/setup.sh installs). */
export const MACHINE_BIN_DIR = '/usr/lib/postgresql/15/bin';

export interface PrivateClusterOptions {
  /** Directory of initdb, pg_ctl and postgres; default UNS_META_PG_BIN, else the machine's PostgreSQL 15. */
  binDir?: string;
  /** The database bootstrap.sql creates (deploy() deploys it). */
  database?: string;
  /** TLS only: the server's certificate and key (naming 127.0.0.1) and the CA clients verify them against. */
  tls?: { certFile: string; keyFile: string; caFile: string };
  /** More postgresql.conf lines, e.g. `shared_preload_libraries = 'plpgsql_check'` (scripts/coverage-sql.ts). */
  settings?: string[];
}

export interface PrivateCluster {
  binDir: string;
  dir: string;
  port: number;
  /** The major version the server reports. */
  major: number;
  database: string;
  /**
   * What a child process needs to use the cluster: the roles' connection and the superuser's socket; with `tls`,
   * libpq's PGSSLMODE=verify-full and PGSSLROOTCERT.
   */
  env: { PGHOST: string; PGPORT: string; UNS_META_SUPERUSER_HOST: string; UNS_META_SUPERUSER_PORT: string; PGSSLMODE?: string; PGSSLROOTCERT?: string };
  /**
   * postgres://<role>@127.0.0.1:<port>/<database> (the password comes from PGPASSFILE); with `tls`,
   * `?sslmode=verify-full&sslrootcert=<CA>`.
   */
  url(role?: string, database?: string): string;
  /** Runs SQL as the superuser over the unix socket; returns psql's unaligned output. */
  superuser(sql: string, database?: string): string;
  /** The graphile-worker schema and every Sqitch change (scripts/deploy-db.sh). */
  deploy(database?: string): Promise<void>;
  /**
   * The test template (UNS_META_TEST_TEMPLATE) on this cluster, for createTestDatabase({ host, port }): copied with
   * pg_dump | pg_restore from the cluster PGHOST/PGPORT point at (where `make test-sql` built it) when the machine's
   * pg_dump can read that server, else deployed afresh with scripts/deploy-db.sh (slower: Sqitch runs each change).
   */
  loadTemplate(): Promise<'copied' | 'deployed'>;
  /** `pg_ctl restart -m <mode>`: `fast` ends sessions cleanly, `immediate` is a crash (recovery on start). */
  restart(mode: 'fast' | 'immediate'): Promise<void>;
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  /** The server log so far. */
  log(): string;
  destroy(): Promise<void>;
}

const isRoot = process.getuid?.() === 0;

/** argv run as the unprivileged `postgres` user when we are root (PostgreSQL refuses to run as root). */
function asServerUser(argv: string[]): string[] {
  return isRoot ? ['runuser', '-u', 'postgres', '--', ...argv] : argv;
}

/** Runs argv; a failure's error quotes the end of its output unless `secret` says the output may hold one. */
function run(argv: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; secret?: boolean } = {}): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const [cmd, ...args] = argv;
    const child = spawn(cmd!, args, { cwd: options.cwd ?? '/', env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolvePromise(out);
      else if (options.secret) reject(new Error(`${argv[0]} exited with ${code} (its output is not shown: it may quote a password)`));
      else reject(new Error(`${argv.slice(0, 3).join(' ')} exited with ${code}: ${(err || out).trim().split('\n').slice(-5).join(' | ')}`));
    });
    child.stdin.end(options.input ?? '');
  });
}

function rolePasswords(passfile: string, port: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const role of ROLES) {
    const pw = passwordFromFile(passfile, '127.0.0.1', String(port), 'postgres', role);
    if (pw === undefined) throw new Error(`PGPASSFILE ${passfile} has no password for ${role} on 127.0.0.1: run \`make setup\` first`);
    out.set(role, pw);
  }
  return out;
}

export async function startPrivateCluster(options: PrivateClusterOptions = {}): Promise<PrivateCluster> {
  const binDir = options.binDir ?? process.env.UNS_META_PG_BIN ?? MACHINE_BIN_DIR;
  const database = options.database ?? 'uns_meta';
  const passfile = process.env.PGPASSFILE ?? join(process.env.HOME ?? '/root', '.config/uns-meta/pgpass');
  const dir = mkdtempSync(join(tmpdir(), 'uns-meta-pg-'));
  const data = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const port = await freePort();
  let running = false;
  const pgCtl = (...args: string[]) => run(asServerUser([join(binDir, 'pg_ctl'), '-D', data, ...args]));
  // Last resort when the test process ends without destroy(): stop the server synchronously.
  const onExit = () => {
    if (!running) return;
    const [cmd, ...args] = asServerUser([join(binDir, 'pg_ctl'), '-D', data, 'stop', '-m', 'immediate']);
    try {
      execFileSync(cmd!, args, { stdio: 'ignore', cwd: '/' });
    } catch {
      // already gone
    }
  };
  process.on('exit', onExit);

  const superuser = (sql: string, db = 'postgres') =>
    execFileSync('psql', ['-qAtX', '-v', 'ON_ERROR_STOP=1', '-h', dir, '-p', String(port), '-U', 'postgres', '-d', db, '-c', sql], {
      encoding: 'utf8', cwd: '/', env: { ...process.env, PGPASSFILE: join(dir, 'no-password-file'), PGOPTIONS: '-c client_min_messages=warning' },
    });

  const tls = options.tls;
  const cluster: PrivateCluster = {
    binDir, dir, port, major: 0, database,
    env: {
      PGHOST: '127.0.0.1', PGPORT: String(port), UNS_META_SUPERUSER_HOST: dir, UNS_META_SUPERUSER_PORT: String(port),
      ...(tls ? { PGSSLMODE: 'verify-full', PGSSLROOTCERT: tls.caFile } : {}),
    },
    url: (role = 'uns_meta_app', db = database) =>
      `postgres://${role}@127.0.0.1:${port}/${db}${tls ? `?sslmode=verify-full&sslrootcert=${encodeURIComponent(tls.caFile)}` : ''}`,
    superuser,
    async deploy(db = database) {
      await run([join(ROOT, 'scripts/deploy-db.sh'), db], { cwd: ROOT, env: { ...process.env, ...cluster.env } });
    },
    async loadTemplate() {
      const template = process.env.UNS_META_TEST_TEMPLATE ?? 'uns_meta_test_template';
      const source = { ...process.env, PGHOST: process.env.PGHOST ?? '127.0.0.1', PGPORT: process.env.PGPORT ?? '5432' };
      const serverMajor = Number((await run(['psql', '-qAtX', '-U', 'uns_meta_admin', '-d', 'postgres', '-c', 'show server_version_num'], { env: source })).trim()) / 10000;
      const dumpMajor = Number(/(\d+)/.exec(await run(['pg_dump', '--version']))?.[1]);
      if (Math.floor(serverMajor) !== dumpMajor || dumpMajor > cluster.major) {
        await cluster.deploy(template);
        return 'deployed';
      }
      superuser(`create database ${template} owner uns_meta_admin encoding 'UTF8' locale 'C.UTF-8' template template0`);
      // The archive goes through a file: pg_restore as the superuser keeps every owner and grant of the original.
      const archive = join(dir, 'template.dump');
      await run(['pg_dump', '-Fc', '-U', 'uns_meta_admin', '-d', template, '-f', archive], { env: source });
      if (isRoot) execFileSync('chown', ['postgres', archive]);
      await run(['pg_restore', '--exit-on-error', '-h', dir, '-p', String(port), '-U', 'postgres', '-d', template, archive],
        { env: { ...process.env, PGPASSFILE: join(dir, 'no-password-file') } });
      return 'copied';
    },
    async start() {
      await pgCtl('start', '-w', '-t', '60', '-l', logFile);
      running = true;
    },
    async stop(mode = 'fast') {
      await pgCtl('stop', '-w', '-t', '60', '-m', mode);
      running = false;
    },
    async restart(mode) {
      await pgCtl('restart', '-w', '-t', '60', '-m', mode, '-l', logFile);
      running = true;
    },
    log: () => {
      try {
        return readFileSync(logFile, 'utf8');
      } catch {
        return '';
      }
    },
    async destroy() {
      try {
        if (running) await cluster.stop('immediate');
      } finally {
        process.off('exit', onExit);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };

  try {
    if (isRoot) execFileSync('chown', ['postgres:postgres', dir]);
    chmodSync(dir, 0o700);
    await run(asServerUser([join(binDir, 'initdb'), '-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256',
      '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']));
    // Settings of a test server: ours only on 127.0.0.1 and the private socket, logical decoding for the
    // publication, no fsync (a test cluster; a crash of the server, not of the machine, loses nothing anyway), and
    // no statement text in the log (a failed ALTER ROLE would show its password; errors quote the log's tail).
    writeFileSync(join(dir, 'extra.conf'), [
      `port = ${port}`, `listen_addresses = '127.0.0.1'`, `unix_socket_directories = '${dir}'`, 'wal_level = logical',
      'fsync = off', 'full_page_writes = off', 'shared_buffers = 32MB', 'max_connections = 100', `lc_messages = 'C'`,
      `log_min_messages = warning`, 'log_min_error_statement = panic',
      ...(options.settings ?? []),
      ...(tls ? [`ssl = on`, `ssl_cert_file = '${join(dir, 'server.crt')}'`, `ssl_key_file = '${join(dir, 'server.key')}'`, `ssl_min_protocol_version = 'TLSv1.3'`] : []),
      '',
    ].join('\n'));
    await run(asServerUser(['sh', '-c', `cat '${join(dir, 'extra.conf')}' >> '${join(data, 'postgresql.conf')}'`]));
    if (tls) {
      // The key readable by the server's user alone (PostgreSQL refuses it otherwise); TCP over TLS only: a
      // connection without TLS finds no pg_hba.conf entry.
      copyFileSync(tls.certFile, join(dir, 'server.crt'));
      copyFileSync(tls.keyFile, join(dir, 'server.key'));
      chmodSync(join(dir, 'server.key'), 0o600);
      if (isRoot) execFileSync('chown', ['postgres', join(dir, 'server.crt'), join(dir, 'server.key')]);
      writeFileSync(join(dir, 'pg_hba.conf'), 'local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n');
      await run(asServerUser(['sh', '-c', `cat '${join(dir, 'pg_hba.conf')}' > '${join(data, 'pg_hba.conf')}'`]));
    }
    await cluster.start();
    cluster.major = Math.floor(Number(superuser('show server_version_num').trim()) / 10000);
    // scripts/bootstrap.sql, fed as scripts/setup.sh feeds it: the passwords on standard input, never in argv.
    const passwords = rolePasswords(passfile, port);
    const input = [...passwords].map(([role, pw]) => `\\set pw_${role} ${pw}`).join('\n') +
      `\n\\set db ${database}\n` + readFileSync(join(ROOT, 'scripts/bootstrap.sql'), 'utf8');
    await run(['psql', '-qX', '-v', 'ON_ERROR_STOP=1', '-h', dir, '-p', String(port), '-U', 'postgres', '-d', 'postgres'],
      { input, secret: true, env: { ...process.env, PGPASSFILE: join(dir, 'no-password-file'), PGOPTIONS: '-c client_min_messages=warning' } });
    return cluster;
  } catch (err) {
    const tail = cluster.log().trim().split('\n').slice(-5).join(' | ');
    await cluster.destroy().catch(() => undefined);
    throw new Error(`private PostgreSQL cluster (${binDir}) failed to start: ${(err as Error).message}${tail ? `; server log: ${tail}` : ''}`, { cause: err });
  }
}
