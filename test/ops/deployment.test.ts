// docs/deployment.md, run as written: the systemd units pass `systemd-analyze verify` and `security`, and the DBA's
// database steps run as a DBA role that is not a superuser, against a private PostgreSQL 15 cluster (initdb in a
// temporary directory) that accepts only TLS connections, verified (sslmode=verify-full) against a throwaway CA:
// Sqitch identity, roles and database, graphile-worker schema and `sqitch deploy --verify`, upgrade and rollback to
// the release tag, and the processes' own TLS connection checking the schema contract.
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/embedded-mosquitto.ts';
import { createTestPki, type TestPki } from '../ingest/support/certificates.ts';
import { namedBlock } from '../support/markdown.ts';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
const PG_BIN = '/usr/lib/postgresql/15/bin';

interface Result { code: number; stdout: string; stderr: string }

/** A block of the page through bash, in the checkout, with `env`; never throws. */
async function runBlock(text: string, env: NodeJS.ProcessEnv): Promise<Result> {
  try {
    const { stdout, stderr } = await exec('bash', ['--norc', '-euo', 'pipefail', '-c', text], { cwd: root, env, maxBuffer: 16 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('systemd units', () => {
  it('pass `systemd-analyze verify` and `security` (exposure at most 2.0) as the page runs them', async () => {
    // ExecStart must exist for verify: the copies run the checkout's launcher instead of /opt/uns-meta's.
    const dir = mkdtempSync(join(tmpdir(), 'uns-meta-units-'));
    for (const unit of ['uns-meta-ingest.service', 'uns-meta-worker.service']) {
      const text = readFileSync(join(root, 'docs/ops/systemd', unit), 'utf8');
      for (const directive of ['DynamicUser=yes', 'ProtectSystem=strict', 'EnvironmentFile=/etc/uns-meta/', 'NoNewPrivileges=yes', 'ExecStart=/opt/uns-meta/bin/uns-meta ']) {
        expect(text, `${unit}: ${directive}`).toContain(directive);
      }
      writeFileSync(join(dir, unit), text.replaceAll('/opt/uns-meta', root));
    }
    expect(readFileSync(join(dir, 'uns-meta-ingest.service'), 'utf8')).toMatch(/^StateDirectory=uns-meta\/ingest-spool$/m);
    const block = namedBlock('deployment.md', 'systemd-verify').text.replaceAll('docs/ops/systemd/', `${dir}/`);
    const r = await runBlock(block, process.env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Overall exposure level for uns-meta-worker.service');

    // a unit that exposes more fails the threshold
    writeFileSync(join(dir, 'uns-meta-worker.service'), readFileSync(join(dir, 'uns-meta-worker.service'), 'utf8')
      .replace(/^(DynamicUser|ProtectSystem|ProtectHome|PrivateDevices|PrivateUsers|CapabilityBoundingSet|SystemCallFilter|RestrictAddressFamilies|PrivateTmp)=.*$/gm, ''));
    expect((await runBlock(block, process.env)).code).not.toBe(0);
  });
});

describe('database steps for a DBA, over verified TLS, on a private cluster', () => {
  let dir: string;
  let pki: TestPki;
  let port: number;
  let env: NodeJS.ProcessEnv;
  let started = false;
  const asPostgres = (cmd: string, args: string[]) => execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { cwd: '/', stdio: 'pipe' }).toString();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'uns-meta-cluster-'));
    chmodSync(dir, 0o755);
    pki = createTestPki();
    port = await freePort();
    const owner = { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) };
    // the server's files, socket and log in directories of its own user
    const data = join(dir, 'data');
    const run = join(dir, 'run');
    for (const d of [data, run]) {
      mkdirSync(d, { mode: 0o700 });
      chownSync(d, owner.uid, owner.gid);
    }
    chmodSync(run, 0o755);
    asPostgres(`${PG_BIN}/initdb`, ['-D', data, '-U', 'postgres', '--auth-local=peer', '--auth-host=reject', '-E', 'UTF8', '--locale=C.UTF-8']);
    for (const f of ['server.crt', 'server.key']) {
      copyFileSync(join(pki.dir, f), join(data, f));
      chownSync(join(data, f), owner.uid, owner.gid);
      chmodSync(join(data, f), 0o600);
    }
    writeFileSync(join(data, 'postgresql.auto.conf'), [
      `port = ${port}`, "listen_addresses = 'localhost'", `unix_socket_directories = '${run}'`,
      'ssl = on', "ssl_cert_file = 'server.crt'", "ssl_key_file = 'server.key'",
      'max_connections = 40', 'shared_buffers = 32MB', 'fsync = off', 'synchronous_commit = off', 'full_page_writes = off',
    ].join('\n') + '\n');
    // TLS only: no `host` lines, so a connection without TLS finds no entry
    writeFileSync(join(data, 'pg_hba.conf'), 'local all postgres peer\nhostssl all all 127.0.0.1/32 scram-sha-256\nhostssl all all ::1/128 scram-sha-256\n');
    asPostgres(`${PG_BIN}/pg_ctl`, ['-D', data, '-l', join(run, 'server.log'), '-w', '-t', '60', 'start']);
    started = true;

    // The cluster's superuser makes the DBA role: CREATEROLE and CREATEDB, not a superuser.
    const pw = (r: string) => `${r}-${Math.random().toString(36).slice(2)}`;
    const passwords = Object.fromEntries(['dba', 'uns_meta_admin', 'uns_meta_app', 'uns_meta_ro', 'uns_meta_cdc'].map((r) => [r, pw(r)]));
    asPostgres(`${PG_BIN}/psql`, ['-X', '-q', '-h', run, '-p', String(port), '-d', 'postgres', '-v', 'ON_ERROR_STOP=1',
      '-c', `create role dba login createrole createdb nosuperuser password '${passwords.dba}'`]);
    const pgpass = join(dir, 'pgpass');
    writeFileSync(pgpass, Object.entries(passwords).map(([r, p]) => `localhost:${port}:*:${r}:${p}\n`).join(''), { mode: 0o600 });

    // a DBA's shell: the host's PATH, without the project's Node 24 and node_modules/.bin that `make` puts first (the
    // steps must find graphile-worker and a Node that runs src/cli.ts by themselves, as on a plant's host)
    env = { ...process.env, PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      PGHOST: 'localhost', PGPORT: String(port), PGSSLMODE: 'verify-full', PGSSLROOTCERT: pki.caCert, PGPASSFILE: pgpass,
      SQITCH_USER_CONFIG: join(dir, 'sqitch-user.conf') };
    // the page's steps must set what they need: nothing from the test run's own database settings or Sqitch identity
    for (const v of ['PGUSER', 'PGDATABASE', 'DATABASE_URL', 'SQITCH_FULLNAME', 'SQITCH_EMAIL', 'SQITCH_USERNAME', 'NODE_EXTRA_CA_CERTS']) delete env[v];
  }, 120_000);

  afterAll(() => {
    if (dir === undefined) return;
    try {
      if (started) asPostgres(`${PG_BIN}/pg_ctl`, ['-D', join(dir, 'data'), '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const psqlAs = async (user: string, sql: string, extra: NodeJS.ProcessEnv = {}) =>
    (await exec('psql', ['-XAtq', '-U', user, '-d', 'uns_meta', '-c', sql], { env: { ...env, ...extra } })).stdout.trim();

  it('runs the page\'s steps in order: identity, roles and database, deploy, upgrade and rollback, the TLS check', async () => {
    const step = async (name: string) => {
      const r = await runBlock(namedBlock('deployment.md', name).text, env);
      if (r.code !== 0) throw new Error(`docs/deployment.md step ${name} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
      return r;
    };
    await step('dba-identity');
    const bootstrap = await step('dba-bootstrap');
    expect(bootstrap.stdout).toContain('uns_meta_cdc has no REPLICATION yet');
    expect(await psqlAs('dba', `select string_agg(rolname || ':' || rolsuper || rolcreaterole || rolcreatedb || rolreplication, ' ' order by rolname) from pg_roles where rolname like 'uns_meta%' or rolname = 'dba'`))
      .toBe('dba:falsetruetruefalse uns_meta_admin:falsefalsetruefalse uns_meta_app:falsefalsefalsefalse uns_meta_cdc:falsefalsefalsefalse uns_meta_ro:falsefalsefalsefalse');
    expect(await psqlAs('dba', `select pg_get_userbyid(datdba) || ' ' || pg_encoding_to_char(encoding) from pg_database where datname = 'uns_meta'`)).toBe('uns_meta_admin UTF8');
    // the one superuser step the page names, then the bootstrap again: it succeeds and leaves uns_meta_cdc alone
    const superuserStep = /`(alter role uns_meta_cdc replication)`/.exec(readFileSync(join(root, 'docs/deployment.md'), 'utf8'))?.[1];
    expect(superuserStep).toBeDefined();
    asPostgres(`${PG_BIN}/psql`, ['-X', '-q', '-h', join(dir, 'run'), '-p', String(port), '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-c', superuserStep!]);
    expect((await step('dba-bootstrap')).stdout).toContain('uns_meta_cdc already has REPLICATION');
    expect(await psqlAs('dba', `select rolreplication from pg_roles where rolname = 'uns_meta_cdc'`)).toBe('t');

    const deploy = await step('dba-deploy');
    expect(deploy.stdout).toMatch(/\+ views\/metric_catalog \.+ ok/);
    expect(deploy.stdout).toContain('Nothing to deploy (up-to-date)');
    expect(await psqlAs('uns_meta_admin', `select distinct committer_name || ' <' || committer_email || '>' from sqitch.changes`)).toBe('Plant DBA <dba@plant.example>');

    const upgrade = await step('dba-upgrade-rollback');
    expect(upgrade.stdout).toMatch(/- views\/metric_catalog \.+ ok[\s\S]*\+ views\/metric_catalog \.+ ok[\s\S]*Verify successful/);

    const tls = await step('tls-check');
    expect(tls.stdout).toContain('the database matches');
    // the catalog works: the service role ingests, the analysts' role reads
    await psqlAs('uns_meta_app', `select uns_meta.ingest_birth('{"topic":"spBv1.0/G/DBIRTH/E/D","payload":{"metrics":[{"name":"a/b","datatype":10}]}}')`);
    expect(await psqlAs('uns_meta_ro', 'select uns_path from uns_meta.metric_catalog')).toBe('G/E/D/a/b');
  }, 300_000);

  it('refuses connections that are not TLS, and TLS to a name the certificate does not hold', async () => {
    await expect(psqlAs('uns_meta_ro', 'select 1', { PGSSLMODE: 'disable' })).rejects.toThrow(/no pg_hba.conf entry/);
    // the server certificate names localhost only: verify-full to 127.0.0.1 must fail, in psql and in our processes
    await expect(psqlAs('uns_meta_ro', 'select 1', { PGHOST: '127.0.0.1' })).rejects.toThrow(/does not match host name|server certificate/);
    const node = await runBlock(namedBlock('deployment.md', 'tls-check').text, { ...env, PGHOST: '127.0.0.1' });
    expect(node.code).toBe(1);
    expect(node.stderr).toMatch(/Hostname\/IP does not match certificate's altnames|ERR_TLS_CERT_ALTNAME_INVALID/);
    // and a server certificate from another CA fails even with the right name
    const other = await runBlock(namedBlock('deployment.md', 'tls-check').text, { ...env, PGSSLROOTCERT: pki.otherCaCert });
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/self[- ]signed|unable to verify|unable to get local issuer/);
  }, 60_000);
});
