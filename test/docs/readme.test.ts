// README.md's Sqitch recipe (the block under "Database changes"), run as written line by line against a clone of the
// test template and a copy of the checkout's Sqitch tree (`sqitch add` and `rework` write files): the expected change
// names come from sqitch.plan, the input, not from Sqitch's own output.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { blockStarting } from '../support/markdown.ts';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
let db: TestDatabase;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'uns-meta-readme-sqitch-'));
  for (const p of ['sqitch.conf', 'sqitch.plan', 'deploy', 'revert', 'verify']) cpSync(join(root, p), join(dir, p), { recursive: true });
});
afterAll(async () => {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('README.md: the Sqitch recipe', () => {
  it('every line runs on a catalog (its database name swapped for the clone\'s) and does what its comment says', async () => {
    const text = blockStarting('../README.md', 'target=db:pg://').text;
    const server = `${process.env.PGHOST ?? '127.0.0.1'}:${process.env.PGPORT ?? '5432'}`;
    expect(text.match(/@127\.0\.0\.1:5432\/uns_meta\b/g)).toHaveLength(2);
    const script = text.replaceAll('@127.0.0.1:5432/uns_meta', `@${server}/${db.name}`);
    const lines = script.trim().split('\n');
    const plan = readFileSync(join(root, 'sqitch.plan'), 'utf8').split('\n').filter((l) => /^[a-z]/.test(l)).map((l) => l.split(' ')[0]!);
    const last = plan.at(-1)!;
    const outputs: string[] = [];
    // one bash per line, with `target` set by the first, so each line's output is its own
    for (const line of lines.slice(1)) {
      const { stdout } = await exec('bash', ['--norc', '-euo', 'pipefail', '-c', `${lines[0]}\n${line}`], { cwd: dir, env: { ...process.env, NODE_OPTIONS: '--no-deprecation' } });
      outputs.push(stdout);
    }
    const [, deploy, status, verify, revert, check, add, rework] = outputs;
    expect(deploy).toContain('Nothing to deploy (up-to-date)');
    expect(status).toContain(`# Change:   `);
    expect(status).toContain(`${last}`);
    expect(status).toContain('Nothing to deploy (up-to-date)');
    expect(verify).toContain('Verify successful');
    expect(revert).toMatch(new RegExp(`- ${last.replace('/', '\\/')} \\.+ ok`));
    expect(revert?.match(/^ *- /gm)).toHaveLength(1);
    expect(check).toContain('Check successful');
    expect(add).toContain('Added "tables/new_thing [tables/metrics]" to sqitch.plan');
    for (const kind of ['deploy', 'revert', 'verify']) expect(existsSync(join(dir, kind, 'tables/new_thing.sql')), kind).toBe(true);
    const reworked = /^sqitch rework (\S+) /m.exec(text)![1]!;
    expect(rework).toContain(`Added "${reworked}`);
    expect(readFileSync(join(dir, 'sqitch.plan'), 'utf8').split('\n').filter((l) => l.startsWith(`${reworked} `))).toHaveLength(2);
    // the catalog is one change short, as the revert said: the deployed changes are the plan's but its last
    const { rows } = await db.pool('uns_meta_admin').query<{ change: string }>('select change from sqitch.changes order by committed_at');
    expect(rows.at(-1)!.change).toBe(plan.at(-2));
  }, 120_000);
});
