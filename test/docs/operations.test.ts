// docs/operations.md, run as written: the page's `uns-meta status` block through bash (bin/uns-meta) as
// uns_meta_admin, on a catalog that holds the plant's DBIRTH fixture and its waiting sync job. Expected values come
// from the fixture (its device, its metric count) and the checkout's sqitch.plan.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PayloadJson } from '../../src/sparkplug/json-types.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { shell } from '../support/doc-shell.ts';
import { codeBlocks } from '../support/markdown.ts';

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/sparkplug/plant-dbirth-portugal-cement.json', import.meta.url), 'utf8')) as PayloadJson;
const planChanges = readFileSync(new URL('../../sqitch.plan', import.meta.url), 'utf8').split('\n').filter((l) => /^[a-z]/.test(l)).length;
let db: TestDatabase;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'uns-meta-ops-doc-'));
  await db.pool('uns_meta_app').query('select uns_meta.ingest_birth($1::jsonb)', [JSON.stringify({ topic: 'spBv1.0/Secil/DBIRTH/Portugal/Cement', payload: fixture })]);
});
afterAll(async () => {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('docs/operations.md', () => {
  it('the status block: one screen of text, then the same as JSON; healthy, exit 0', async () => {
    const block = codeBlocks('operations.md').find((b) => b.lang === 'sh')!.text;
    expect(block.trim().split('\n').map((l) => l.replace(/\s+#.*$/, ''))).toEqual(['uns-meta status', 'uns-meta status --json']);
    const r = await shell(block, { DATABASE_URL: db.url('uns_meta_admin'), INGEST_SPOOL_DIR: join(dir, 'no-spool') });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const jsonStart = r.stdout.indexOf('\n{') + 1;
    const [text, json] = [r.stdout.slice(0, jsonStart), r.stdout.slice(jsonStart)];
    expect(text).toMatch(/^ok {9}nothing needs attention$/m);
    expect(text).toContain('Secil/Portugal/Cement');
    const report = JSON.parse(json) as { ok: boolean; database: { name: string; plan: { deployed_changes: number } }; parity: Record<string, number>; jobs: { waiting: number }; devices: { uns_path: string }[] };
    expect(report.ok).toBe(true);
    expect(report.database.name).toBe(db.name);
    expect(report.database.plan.deployed_changes).toBe(planChanges);
    expect(Object.values(report.parity).reduce((a, b) => a + b, 0)).toBe(fixture.metrics!.length);
    expect(report.jobs.waiting).toBe(1);
    expect(report.devices.map((d) => d.uns_path)).toEqual(['Secil/Portugal/Cement']);
  });
});
