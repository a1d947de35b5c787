// src/runtime/database.ts: connection settings from DATABASE_URL / PG* and the libpq password file, with the password kept
// out of every object a test runner or error report could print.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { connectionConfig, describeConnection } from '../src/runtime/database.ts';

const dir = mkdtempSync(join(tmpdir(), 'uns-meta-db-'));
const passfile = join(dir, 'pgpass');
const secret = 's3cr:et-ab\\c';
writeFileSync(passfile, `# comment\nother:5432:*:u:wrong\ndbhost:6543:cat:svc:${secret.replace(/([:\\])/g, '\\$1')}\n`, { mode: 0o600 });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const env = { PGPASSFILE: passfile, DATABASE_URL: 'postgres://svc@dbhost:6543/cat' };

describe('connectionConfig', () => {
  it('takes the password from the password file, matching host, port, database and user', async () => {
    const config = connectionConfig(env);
    expect(config).toMatchObject({ host: 'dbhost', port: 6543, user: 'svc', database: 'cat' });
    expect(typeof config.password).toBe('function');
    expect(await (config.password as () => Promise<string> | string)()).toBe(secret);
  });

  it('never shows the password when the config, a pool or a client is printed', () => {
    const config = connectionConfig(env);
    const pool = new pg.Pool(config);
    const client = new pg.Client(config);
    for (const printed of [inspect(config, { depth: 10 }), inspect(pool, { depth: 10 }), inspect(client, { depth: 10 }), JSON.stringify(config)]) {
      expect(printed).not.toContain('s3cr');
    }
    void pool.end();
  });

  it('keeps application_name, options and sslmode from the URL, and refuses a parameter it would drop', () => {
    expect(connectionConfig({ ...env, DATABASE_URL: `${env.DATABASE_URL}?application_name=x&sslmode=require&options=-c%20lock_timeout%3D5s` })).toMatchObject({
      application_name: 'x', ssl: { rejectUnauthorized: false }, options: '-c lock_timeout=5s',
    });
    expect(() => connectionConfig({ ...env, DATABASE_URL: `${env.DATABASE_URL}?connect_timeout=3` })).toThrow(/DATABASE_URL parameter connect_timeout=3 is not supported/);
  });

  it('takes sslrootcert as libpq does: the file\'s CA is the one the server\'s certificate must chain to (either order)', () => {
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\ntest\n-----END CERTIFICATE-----\n');
    for (const query of [`sslmode=verify-full&sslrootcert=${ca}`, `sslrootcert=${encodeURIComponent(ca)}&sslmode=verify-full`]) {
      const config = connectionConfig({ ...env, DATABASE_URL: `${env.DATABASE_URL}?${query}` });
      expect(config.ssl).toEqual({ rejectUnauthorized: true, ca: Buffer.from('-----BEGIN CERTIFICATE-----\ntest\n-----END CERTIFICATE-----\n') });
    }
    expect(connectionConfig({ ...env, DATABASE_URL: `${env.DATABASE_URL}?sslmode=disable&sslrootcert=${ca}` }).ssl).toBe(false);
    expect(() => connectionConfig({ ...env, DATABASE_URL: `${env.DATABASE_URL}?sslmode=verify-full&sslrootcert=${dir}/missing.pem` }))
      .toThrow(`DATABASE_URL sslrootcert: cannot read ${dir}/missing.pem: ENOENT`);
  });

  it('leaves a password given in the URL or PGPASSWORD to node-postgres', () => {
    expect(connectionConfig({ ...env, DATABASE_URL: 'postgres://svc:pw@dbhost:6543/cat' })).toEqual({ connectionString: 'postgres://svc:pw@dbhost:6543/cat' });
    expect(connectionConfig({ ...env, PGPASSWORD: 'pw' })).toEqual({ connectionString: env.DATABASE_URL });
  });

  it('describes the connection without a password', () => {
    expect(describeConnection({ DATABASE_URL: 'postgres://svc:pw@dbhost:6543/cat' })).toBe('svc@dbhost:6543/cat');
  });
});
