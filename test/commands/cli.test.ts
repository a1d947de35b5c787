// The `uns-meta` entry point: help lists every subcommand; an unknown command is a usage error (exit 64).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

it('--help lists the subcommands and how the database is found', async () => {
  const { stdout } = await run(process.execPath, ['src/cli.ts', '--help']);
  for (const name of ['demo', 'decode', 'canary-sim']) expect(stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
  expect(stdout).toContain('DATABASE_URL');
});

it('an unknown command exits 64 and names it', async () => {
  const err = await run(process.execPath, ['src/cli.ts', 'frobnicate']).catch((e: unknown) => e as { code: number; stderr: string });
  expect(err).toMatchObject({ code: 64 });
  expect((err as { stderr: string }).stderr).toContain('unknown command "frobnicate"');
});
