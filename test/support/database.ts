// Every test file works in its own database, cloned from the template that `scripts/test-sql.sh` deploys
// (Sqitch deploy + graphile-worker schema), and dropped afterwards. Clones are cheap (file copy), so tests
// start clean, fast, and can run in parallel without touching the developer's database.
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { connectionConfig } from '../../src/runtime/database.ts';

export const templateDatabase = process.env.UNS_META_TEST_TEMPLATE ?? 'uns_meta_test_template';
const host = process.env.PGHOST ?? '127.0.0.1';
const port = process.env.PGPORT ?? '5432';

export type Role = 'uns_meta_admin' | 'uns_meta_app' | 'uns_meta_ro' | 'uns_meta_cdc';

export interface TestDatabase {
  name: string;
  /** Connection URL for a role (password from PGPASSFILE, never in the URL). */
  url(role?: Role): string;
  /** The pool connected as the role (one per role, at most 4 connections, made on first use); closed by drop(). */
  pool(role?: Role): pg.Pool;
  drop(): Promise<void>;
}

/** Connection settings for a URL, with the password from PGPASSFILE as every process of ours reads it. */
export function configFor(url: string): pg.PoolConfig {
  return connectionConfig({ ...process.env, DATABASE_URL: url });
}

/** Where the template lives: PGHOST/PGPORT, or a private cluster (test/support/private-cluster.ts). */
export interface Server { host: string; port: string }

function adminClient(database = 'postgres', server: Server = { host, port }): pg.Client {
  return new pg.Client(configFor(`postgres://uns_meta_admin@${server.host}:${server.port}/${database}`));
}

export async function createTestDatabase(server: Server = { host, port }): Promise<TestDatabase> {
  const name = `uns_meta_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = adminClient('postgres', server);
  await admin.connect();
  try {
    await admin.query(`create database ${name} template ${templateDatabase} owner uns_meta_admin`);
  } finally {
    await admin.end();
  }
  // One pool per role: a test that polls with db.pool(role).query(...) must not open a new pool per call (a
  // polling loop once used up the server's 100 connections that way).
  const pools = new Map<Role, pg.Pool>();
  const url = (role: Role = 'uns_meta_app') => `postgres://${role}@${server.host}:${server.port}/${name}`;
  return {
    name,
    url,
    pool(role: Role = 'uns_meta_app') {
      let p = pools.get(role);
      if (p === undefined) {
        p = new pg.Pool({ ...configFor(url(role)), max: 4 });
        // An idle client's connection ends when drop() removes the database (57P01): expected, not a test failure.
        p.on('error', () => undefined);
        pools.set(role, p);
      }
      return p;
    },
    async drop() {
      await Promise.all([...pools.values()].map((p) => p.end()));
      const c = adminClient('postgres', server);
      await c.connect();
      try {
        // A child process (ingestor, worker) that just exited may leave its sessions closing for a moment, and
        // DROP ... WITH (FORCE) may not end another role's sessions (42501): wait for them, up to 30 s.
        for (let attempt = 1; ; attempt++) {
          try {
            await c.query(`drop database if exists ${name} with (force)`);
            return;
          } catch (err) {
            if ((err as { code?: string }).code !== '42501' || attempt >= 30) throw err;
            await sleep(1000);
          }
        }
      } finally {
        await c.end();
      }
    },
  };
}
