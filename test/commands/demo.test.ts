// `uns-meta demo` end to end on a private database: decode the embedded birth, ingest it twice, show it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const run = promisify(execFile);
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

it('ingests the embedded plant DBIRTH, then finds the same birth a no-op', async () => {
  const { stdout } = await run(process.execPath, ['src/cli.ts', 'demo'], {
    env: { ...process.env, DATABASE_URL: db.url('uns_meta_app') },
  });
  const summaries = stdout
    .split('\n')
    .filter((l) => l.startsWith('demo: ingest_birth'))
    .map((l) => JSON.parse(l.slice(l.indexOf('{'))) as { metrics: { inserted: number; unchanged: number } });
  expect(summaries.map((s) => s.metrics)).toMatchObject([
    { inserted: 3, unchanged: 0 },
    { inserted: 0, unchanged: 3 },
  ]);
  expect(stdout).toContain('Secil.Portugal.Cement.Maceira.400 - Clinker Production.432 - Kiln.Normalised.Machines.FO6RGH32M1.Closed');
});

it('fails with a clear message and exit code 1 when the database is not deployed', async () => {
  const err = await run(process.execPath, ['src/cli.ts', 'demo'], {
    env: { ...process.env, DATABASE_URL: db.url('uns_meta_app').replace(/\/[^/]+$/, '/postgres') },
  }).catch((e: unknown) => e as { code: number; stderr: string });
  expect(err).toMatchObject({ code: 1 });
  expect((err as { stderr: string }).stderr).toMatch(/run `make db`/);
});
