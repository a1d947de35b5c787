// `uns-meta db contract`: docs/contracts/postgres_schema.json is the schema Sqitch deploys (the template every test
// clones), and the check names what differs when someone changes the schema without regenerating the file.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { namedBlock } from '../support/markdown.ts';

const exec = promisify(execFile);

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

async function contract(...args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawnCli(['db', 'contract', ...args], { DATABASE_URL: db.url('uns_meta_ro') });
  const code = await child.exited;
  return { code, output: child.output() };
}

describe('uns-meta db contract', () => {
  it('the deployed schema matches docs/contracts/postgres_schema.json (if not: regenerate it on purpose, see docs/schema.md)', async () => {
    const { code, output } = await contract('--check');
    expect(output).toContain('the database matches');
    expect(code).toBe(0);
  });

  it('writes the same file from the database', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'uns-meta-contract-')), 'postgres_schema.json');
    expect((await contract('--file', file)).code).toBe(0);
    const written = readFileSync(file, 'utf8');
    expect(written).toBe(readFileSync(new URL('../../docs/contracts/postgres_schema.json', import.meta.url), 'utf8'));
    const parsed = JSON.parse(written) as { tables: Record<string, { columns: { name: string; type: string }[]; grants: Record<string, string> }>; functions: Record<string, { security: string; settings?: string[] }> };
    // what the contract holds, checked against facts of the deploy scripts
    expect(parsed.tables.metrics!.columns.find((c) => c.name === 'uns_path')?.type).toBe('text');
    expect(parsed.tables.metric_versions!.grants.uns_meta_ro).toBe('SELECT');
    expect(parsed.functions['ingest_birth(birth jsonb)']?.security).toBe('invoker');
    const reserve = Object.entries(parsed.functions).find(([k]) => k.startsWith('canary_reserve_requests('))?.[1];
    expect(reserve?.security).toBe('definer');
    expect(reserve?.settings).toEqual(['search_path=pg_catalog, pg_temp']);
  });

  it('docs/schema.md\'s regeneration command rewrites the file from the database (here: this file\'s clone, which matches it)', async () => {
    const file = new URL('../../docs/contracts/postgres_schema.json', import.meta.url);
    const before = readFileSync(file, 'utf8');
    // only when the database matches the file: the command then rewrites the very same bytes
    expect((await contract('--check')).code).toBe(0);
    const block = namedBlock('schema.md', 'contract-regenerate').text;
    const { stdout } = await exec('bash', ['--norc', '-euo', 'pipefail', '-c', block], {
      cwd: fileURLToPath(new URL('../../', import.meta.url)), env: { ...process.env, UNS_META_TEST_TEMPLATE: db.name, DATABASE_URL: '' },
    });
    expect(stdout).toContain('uns-meta db contract: wrote');
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('fails on a schema change, printing what differs', async () => {
    const admin = db.pool('uns_meta_admin');
    await admin.query('alter table uns_meta.metrics add column plant_code text');
    await admin.query('grant update on uns_meta.metric_versions to uns_meta_ro');
    const { code, output } = await contract('--check');
    expect(code).toBe(1);
    expect(output).toContain('the database differs from');
    expect(output).toContain('+ tables.metrics.columns[plant_code].type: "text"');
    expect(output).toContain('- tables.metric_versions.grants.uns_meta_ro: "SELECT"');
    expect(output).toContain('+ tables.metric_versions.grants.uns_meta_ro: "SELECT, UPDATE"');
  });
});
