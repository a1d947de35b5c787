// A .env file for any command (README, Configuration): UNS_META_ENV_FILE is loaded before the command runs,
// variables already in the environment win, a missing file is a configuration error; Node's own --env-file works
// too. Each case stops at the configuration check (exit 78, one line), so no database or broker is needed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'uns-meta-env-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'worker.env');
writeFileSync(file, '# the worker\nCANARY_URL=htp:/from-the-file\nCANARY_API_TOKEN=file-token-secret\n');

const URL_LINE = 'CANARY_URL: "htp:/from-the-file" is not a URL starting with http:// or https://; expected http(s)://host[:port][/path], e.g. https://canary:55293';

describe('UNS_META_ENV_FILE', () => {
  it('is loaded before the command reads its configuration', async () => {
    const child = spawnCli(['worker'], { UNS_META_ENV_FILE: file });
    expect(await child.exited).toBe(78);
    expect(child.output()).toBe(`uns-meta worker: ${URL_LINE}\n`);
  });

  it('does not override a variable already set', async () => {
    const child = spawnCli(['worker'], { UNS_META_ENV_FILE: file, CANARY_URL: 'http://127.0.0.1:9', CANARY_RATE_LIMIT_RPS: 'fast' });
    expect(await child.exited).toBe(78);
    expect(child.output()).toBe('uns-meta worker: CANARY_RATE_LIMIT_RPS: "fast" is not an integer; expected an integer >= 1\n');
  });

  it('a file that does not exist: one line, exit 78', async () => {
    const missing = join(dir, 'nope.env');
    const child = spawnCli(['worker'], { UNS_META_ENV_FILE: missing });
    expect(await child.exited).toBe(78);
    expect(child.output()).toBe(`uns-meta: UNS_META_ENV_FILE: ${JSON.stringify(missing)} does not exist; expected the path of a readable .env file\n`);
  });

  it('node --env-file=<file> works as well', () => {
    const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
    const r = spawnSync(process.execPath, [`--env-file=${file}`, cli, 'worker'], { encoding: 'utf8', env: { ...process.env, UNS_META_ENV_FILE: '' } });
    expect(r.status).toBe(78);
    expect(r.stderr).toBe(`uns-meta worker: ${URL_LINE}\n`);
  });
});
