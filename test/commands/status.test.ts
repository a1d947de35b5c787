// `uns-meta status` as a process on a real catalog: healthy (a birth ingested, its sync job waiting out the
// debounce) exits 0; then an overdue job, an ingest dead letter, a plan the database is behind and a spooled birth
// each show up in `attention`, and it exits 1. The JSON shape is docs/operations.md's.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { codeBlocks } from '../support/markdown.ts';
import { birth, ingest } from '../worker/helpers.ts';

let db: TestDatabase;
let dir: string;
const planText = readFileSync(new URL('../../sqitch.plan', import.meta.url), 'utf8');
const lastChange = planText.trimEnd().split('\n').filter((l) => /^[a-z]/.test(l)).at(-1)!.split(' ')[0]!;

beforeAll(async () => {
  db = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'uns-meta-status-'));
});
afterAll(async () => {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

async function status(args: string[], spoolDir: string): Promise<{ code: number | null; out: string }> {
  const child = spawnCli(['status', ...args], { DATABASE_URL: db.url('uns_meta_admin'), INGEST_SPOOL_DIR: spoolDir });
  const code = await child.exited;
  return { code, out: child.output() };
}

interface Report {
  ok: boolean; attention: string[];
  database: { name: string; role: string; uns_meta_schema: boolean; graphile_worker_schema: boolean; settings: Record<string, unknown>;
    plan: { state: string; plan_changes: number; deployed_changes: number; pending: string[] } };
  jobs: { waiting: number; due: number; running: number; failed: number; oldest_waiting_seconds: number; overdue_seconds: number };
  dead_letters: { ingest_total: number; ingest_last_24h: number; canary_open: number };
  parity: Record<string, number>;
  spool: { dir: string; depth: number } | null;
  devices: { device_id: string; uns_path: string; last_birth_at: string }[];
}

describe('uns-meta status', () => {
  it('healthy: exit 0, the plan deployed, a waiting job, the device and its parity', async () => {
    await ingest(db, birth('StatusDev', { 'Area/T1': { engUnit: 'bar' }, 'Area/T2': { engUnit: 'bar' } }));
    const { code, out } = await status(['--json'], join(dir, 'no-spool-here'));
    const r = JSON.parse(out) as Report;
    expect(r.attention).toEqual([]);
    expect(code).toBe(0);
    expect(r.ok).toBe(true);
    expect(r.database).toMatchObject({ name: db.name, role: 'uns_meta_admin', uns_meta_schema: true, graphile_worker_schema: true,
      settings: { debounce_interval: '3 minutes' } });
    expect(r.database.plan.state).toBe('deployed');
    expect(r.database.plan.pending).toEqual([]);
    expect(r.database.plan.deployed_changes).toBe(r.database.plan.plan_changes);
    expect(r.jobs).toMatchObject({ waiting: 1, due: 0, running: 0, failed: 0, overdue_seconds: 0 });
    expect(r.dead_letters).toEqual({ ingest_total: 0, ingest_last_24h: 0, canary_open: 0 });
    expect(Object.values(r.parity).reduce((a, b) => a + b, 0)).toBe(2);
    expect(r.spool).toBeNull();
    expect(r.devices.map((d) => d.uns_path)).toEqual(['Secil/Portugal/StatusDev']);
    // The documented shape: the same keys as docs/operations.md's example, section by section.
    const documented = JSON.parse(codeBlocks('operations.md').find((b) => b.lang === 'json')!.text) as Report;
    const keys = (o: object | null) => Object.keys(o ?? {}).sort();
    expect(keys(r)).toEqual(keys(documented));
    expect(keys(r.database)).toEqual(keys(documented.database));
    expect(keys(r.database.plan)).toEqual(keys(documented.database.plan));
    expect(keys(r.jobs)).toEqual(keys(documented.jobs));
    expect(keys(r.dead_letters)).toEqual(keys(documented.dead_letters));
    expect(keys(r.devices[0]!)).toEqual(keys(documented.devices[0]!));
    const text = await status([], join(dir, 'no-spool-here'));
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^ok {9}nothing needs attention$/m);
  });

  it('as uns_meta_app (the processes\' role, no read on the Sqitch registry) and uns_meta_ro: the plan compared all the same', async () => {
    for (const role of ['uns_meta_app', 'uns_meta_ro'] as const) {
      const child = spawnCli(['status', '--json'], { DATABASE_URL: db.url(role), INGEST_SPOOL_DIR: join(dir, 'no-spool-here') });
      await child.exited;
      const r = JSON.parse(child.output()) as Report;
      expect(r.database.role).toBe(role);
      expect(r.database.plan).toEqual({ state: 'deployed', plan_changes: planText.split('\n').filter((l) => /^[a-z]/.test(l)).length,
        deployed_changes: planText.split('\n').filter((l) => /^[a-z]/.test(l)).length, pending: [] });
    }
  });

  it('unhealthy: an overdue job, a dead letter, the plan behind, a spooled birth; exit 1 and each named', async () => {
    const admin = db.pool('uns_meta_admin');
    await admin.query(`select graphile_worker.add_job('status_test', '{}'::json, run_at := now() - interval '1 hour')`);
    await admin.query(`insert into uns_meta.dead_letters (topic, received_at, payload, payload_size, reason)
                       values ('spBv1.0/Secil/DBIRTH/Portugal/X', now(), '\\x00', 1, 'test')`);
    await admin.query(`delete from sqitch.changes where change_id = (select change_id from sqitch.changes where project = 'uns_meta' order by committed_at desc limit 1)`);
    const spool = join(dir, 'spool');
    mkdirSync(spool);
    writeFileSync(join(spool, '00000000000000000001.msg'), 'x');

    const { code, out } = await status(['--json'], spool);
    const r = JSON.parse(out) as Report;
    expect(code).toBe(1);
    expect(r.ok).toBe(false);
    expect(r.database.plan).toMatchObject({ state: 'behind', pending: [lastChange] });
    expect(r.jobs.due).toBe(1);
    expect(r.jobs.overdue_seconds).toBeGreaterThan(3500);
    expect(r.dead_letters).toMatchObject({ ingest_total: 1, ingest_last_24h: 1 });
    expect(r.spool).toEqual({ dir: spool, depth: 1 });
    expect(r.attention).toEqual([
      expect.stringMatching(/^spool: 1 births wait in /),
      expect.stringMatching(new RegExp(`^plan: 1 changes of the checkout's plan are not deployed \\(first: ${lastChange}\\): run sqitch deploy --verify$`)),
      expect.stringMatching(/^jobs: the oldest due job waits \d+ s past its run_at/),
      expect.stringMatching(/^dead letters: 1 births dead-lettered by the ingestor in the last 24 h/),
    ]);
    const text = await status([], spool);
    expect(text.code).toBe(1);
    expect(text.out).toMatch(/plan BEHIND: 1 of \d+ changes pending/);
    expect(text.out).toMatch(/^ATTENTION$/m);
  });

  it('a database it cannot reach: exit 1 with the reason', async () => {
    const child = spawnCli(['status', '--json'], { DATABASE_URL: `postgres://uns_meta_admin@127.0.0.1:${process.env.PGPORT ?? '5432'}/uns_meta_no_such_db`, INGEST_SPOOL_DIR: join(dir, 'none') });
    expect(await child.exited).toBe(1);
    const r = JSON.parse(child.output()) as Report;
    expect(r.database).toBeNull();
    expect(r.attention).toEqual([expect.stringMatching(/^database: unreachable or refused \(database "uns_meta_no_such_db" does not exist\)$/)]);
  });
});
