// `uns-meta watch` as a process, connected as uns_meta_ro, on a real catalog: births through ingest_birth, a DBA's
// property UPDATE, a retirement, a rename by a path rule and a Canary confirmation (the worker's own statement)
// each print their line, filtered by --device and by --prefix (another device's changes are not printed); it prints
// what committed while its connection was cut (pg-listen reconnects), and exits 0 on SIGINT and SIGTERM. Expected
// lines are written from the changes the test makes.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli, type CliProcess } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { ingest } from '../worker/helpers.ts';
import { namedBlock } from '../support/markdown.ts';
import { birth } from './support.ts';

const confirmSql = readFileSync(new URL('../../src/worker/sql/confirm.sql', import.meta.url), 'utf8');
let db: TestDatabase;
const children: CliProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});
// A test that failed leaves its watchers running: end them before the next test counts connections.
afterEach(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
afterAll(async () => {
  await db.drop();
});

async function until(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; the watchers printed:\n${children.map((c) => c.output()).join('\n--\n')}`);
    await sleep(50);
  }
}

async function watch(args: string[]): Promise<CliProcess> {
  const child = spawnCli(['watch', ...args], { DATABASE_URL: db.url('uns_meta_ro') });
  children.push(child);
  await until('the watcher to listen', () => child.output().includes('uns-meta watch: listening on'));
  return child;
}

/** The change lines printed so far (stdout lines start with the time), without the time column. */
const lines = (c: CliProcess) => c.output().split('\n').filter((l) => /^\d{4}-/.test(l)).map((l) => l.replace(/^\S+ {2}/, ''));
const jsonLines = (c: CliProcess) => c.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

/** The arguments of the `uns-meta watch ...` line of a named sh block of docs/operations.md ('quoted' words kept whole). */
function docCommand(name: string): string[] {
  const line = namedBlock('operations.md', name).text.split('\n').find((l) => l.startsWith('uns-meta watch'));
  if (line === undefined) throw new Error(`docs/operations.md block ${name} has no uns-meta watch line`);
  return line.match(/'[^']*'|\S+/g)!.slice(2).map((w) => w.replace(/^'(.*)'$/, '$1'));
}

async function metricId(path: string): Promise<string> {
  return (await db.pool('uns_meta_admin').query<{ id: string }>('select metric_id::text as id from uns_meta.metrics where uns_path = $1', [path])).rows[0]!.id;
}

describe('uns-meta watch', () => {
  it('prints each change of one device (--device) or under a path (--prefix, --json), and nothing else', async () => {
    // the commands of docs/operations.md, as written
    const byDevice = await watch(docCommand('watch-device'));
    const byPrefix = await watch(docCommand('watch-prefix'));
    expect(docCommand('watch-device')).toEqual(['--device', 'Portugal/Cement']);
    expect(docCommand('watch-prefix')).toEqual(['--prefix', 'Secil/Portugal/Kiln/Area', '--json']);

    await ingest(db, birth('Cement', { 'Area/T1': { engUnit: 'bar' }, 'Area/T2': { engUnit: 'bar' } }, 1));
    await ingest(db, birth('Kiln', { 'Area/X': { engUnit: 'K' }, 'Other/Y': { engUnit: 'K' } }, 1));
    const t1 = await metricId('Secil/Portugal/Cement/Area/T1');
    // a DBA's UPDATE of a property (versioned by triggers/catalog_changes)
    await db.pool('uns_meta_admin').query(`update uns_meta.metric_properties set value_string = 'mbar' where metric_id = $1 and key = 'engUnit'`, [t1]);
    // a re-birth without T2 retires it
    await ingest(db, birth('Cement', { 'Area/T1': { engUnit: 'mbar' } }, 2));
    // a path rule renames Kiln's Area to Zone
    await db.pool('uns_meta_admin').query(`insert into uns_meta.path_rewrite_rules (pattern, replacement, description)
                                           values ('^(Secil/Portugal/Kiln)/Area(/|$)', '\\1/Zone\\2', 'watch test')`);
    await db.pool('uns_meta_admin').query('select uns_meta.reapply_path_rules()');
    // Canary confirms T1's version 2 (the worker's statement, as the worker's role)
    await db.pool('uns_meta_app').query(confirmSql, [[t1], [2], ['Secil.Secil.Portugal.Cement.Area.T1'], ['written'], [new Date()]]);

    const expectedA = [
      'Portugal/Cement  Secil/Portugal/Cement/Area/T1  created  v1 by system: datatype 10; uns_path "Secil/Portugal/Cement/Area/T1"',
      'Portugal/Cement  Secil/Portugal/Cement/Area/T2  created  v1 by system: datatype 10; uns_path "Secil/Portugal/Cement/Area/T2"',
      'Portugal/Cement  Secil/Portugal/Cement/Area/T1  updated  v2 by uns_meta_admin: engUnit "bar" → "mbar"',
      'Portugal/Cement  Secil/Portugal/Cement/Area/T2  retired  v2 by system',
      'Portugal/Cement  Secil/Portugal/Cement/Area/T1  confirmed  v2 written (Secil.Secil.Portugal.Cement.Area.T1)',
    ];
    await until('device A\'s five changes', () => lines(byDevice).length >= expectedA.length);
    await until('Kiln Area/X\'s two changes', () => jsonLines(byPrefix).length >= 2);
    await sleep(500); // nothing more arrives
    expect(lines(byDevice)).toEqual(expectedA);
    expect(jsonLines(byPrefix).map((j) => [j.device, j.path, j.kind, j.version, j.what])).toEqual([
      ['Portugal/Kiln', 'Secil/Portugal/Kiln/Area/X', 'created', 1, 'datatype 10; uns_path "Secil/Portugal/Kiln/Area/X"'],
      ['Portugal/Kiln', 'Secil/Portugal/Kiln/Zone/X', 'renamed', 2, 'from Secil/Portugal/Kiln/Area/X'],
    ]);
    expect(jsonLines(byPrefix)[1]!.diff).toEqual({ uns_path: { old: 'Secil/Portugal/Kiln/Area/X', new: 'Secil/Portugal/Kiln/Zone/X' } });

    byDevice.kill('SIGINT');
    byPrefix.kill('SIGTERM');
    expect(await byDevice.exited).toBe(0);
    expect(await byPrefix.exited).toBe(0);
    expect(byDevice.output()).toContain('uns-meta watch: stopped (SIGINT)');
    expect(byPrefix.output()).toContain('uns-meta watch: stopped (SIGTERM)');
  });

  it('reconnects after its connection is cut and prints what committed meanwhile, once', async () => {
    const w = await watch(['--device', 'Portugal/WatchC']);
    await ingest(db, birth('WatchC', { M1: { engUnit: 'A' } }, 1));
    await until('the first change', () => lines(w).length === 1);
    // cut the listening connection (a role may end its own sessions) and commit a change at once
    const ro = db.pool('uns_meta_ro');
    const { rows } = await ro.query<{ n: number }>(`select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
                                                    where datname = current_database() and application_name = 'uns-meta watch (listen)'`);
    expect(rows[0]!.n).toBe(1);
    await ingest(db, birth('WatchC', { M1: { engUnit: 'A' }, M2: { engUnit: 'V' } }, 2));
    await until('the reconnection', () => w.output().includes('uns-meta watch: reconnected'));
    await until('the change made while cut off', () => lines(w).length >= 2);
    await ingest(db, birth('WatchC', { M1: { engUnit: 'mA' }, M2: { engUnit: 'V' } }, 3));
    await until('a change after the reconnection', () => lines(w).length >= 3);
    await sleep(500);
    expect(lines(w)).toEqual([
      'Portugal/WatchC  Secil/Portugal/WatchC/M1  created  v1 by system: datatype 10; uns_path "Secil/Portugal/WatchC/M1"',
      'Portugal/WatchC  Secil/Portugal/WatchC/M2  created  v1 by system: datatype 10; uns_path "Secil/Portugal/WatchC/M2"',
      'Portugal/WatchC  Secil/Portugal/WatchC/M1  updated  v2 by system: engUnit "A" → "mA"',
    ]);
    w.kill('SIGTERM');
    expect(await w.exited).toBe(0);
  });

  it('refuses a malformed --device (exit 64) and a database it cannot reach (exit 1), in one line', async () => {
    const bad = spawnCli(['watch', '--device', 'a/b/c'], { DATABASE_URL: db.url('uns_meta_ro') });
    expect(await bad.exited).toBe(64);
    expect(bad.output().trim()).toBe('uns-meta watch: --device must be a device_id or <edge node>/<device>, got "a/b/c"');
    const gone = spawnCli(['watch'], { DATABASE_URL: `postgres://uns_meta_ro@127.0.0.1:${process.env.PGPORT ?? '5432'}/uns_meta_no_such_db` });
    expect(await gone.exited).toBe(1);
    expect(gone.output().trim()).toMatch(/^uns-meta watch: cannot listen on uns_meta_ro@127\.0\.0\.1:\d+\/uns_meta_no_such_db \(database "uns_meta_no_such_db" does not exist\)$/);
  });
});
