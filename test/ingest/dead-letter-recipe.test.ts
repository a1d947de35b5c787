// docs/ingestor.md's recipe to extract a dead letter, decode it and encode it again, run as written (the block
// `dead-letter-recipe`) on a real dead letter larger than 57 bytes: the bytes come out exactly as stored.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { namedBlock } from '../support/markdown.ts';

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const payload = readFileSync(fileURLToPath(new URL('../../fixtures/sparkplug/plant-dbirth-portugal-cement.bin', import.meta.url)));
let db: TestDatabase;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'uns-meta-dl-recipe-'));
});
afterAll(async () => {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('docs/ingestor.md: the dead-letter recipe', () => {
  it('extracts the stored bytes, decodes them and encodes the JSON back to the same bytes', async () => {
    expect(payload.length).toBeGreaterThan(57 * 10);
    const { rows: [row] } = await db.pool('uns_meta_app').query<{ id: string }>(
      `insert into uns_meta.dead_letters (topic, received_at, payload, payload_size, reason)
       values ('spBv1.0/Secil/DBIRTH/Portugal/Cement', now(), $1, $2, 'test: refused') returning dead_letter_id as id`, [payload, payload.length]);
    const block = namedBlock('ingestor.md', 'dead-letter-recipe').text;
    expect(block).toMatch(/^id=42 /m);
    const script = `set -euo pipefail\nuns-meta() { node ${JSON.stringify(cli)} "$@"; }\n${block.replace(/^id=42 /m, `id=${row!.id} `)}`;
    const out = execFileSync('bash', ['--norc', '-c', script], { cwd: dir, env: { ...process.env, DATABASE_URL: db.url('uns_meta_app') } }).toString();
    expect(out).toContain(`${row!.id}|spBv1.0/Secil/DBIRTH/Portugal/Cement|${payload.length}|test: refused`);
    expect(readFileSync(join(dir, 'dl.bin')).equals(payload)).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'dl.json'), 'utf8'))).toMatchObject({ metrics: expect.any(Array) as unknown });
    expect(readFileSync(join(dir, 'fixed.bin')).equals(payload)).toBe(true);
  });
});
