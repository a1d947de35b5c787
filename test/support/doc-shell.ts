// A docs page's shell lines as an operator types them: bash with `uns-meta` on PATH as the checkout's launcher
// (bin/uns-meta), so the pages' `uns-meta ...` commands run as written. Never throws: the exit code is returned.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const checkout = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');

export interface ShellResult { code: number; stdout: string; stderr: string }

/** The environment of a docs command: this process's, `env` on top, bin/ first on PATH. */
export function docEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...env, PATH: `${checkout}/bin:${process.env.PATH ?? ''}` };
}

export function shell(text: string, env: Record<string, string> = {}, options: { cwd?: string; stdin?: Buffer | string } = {}): Promise<ShellResult> {
  return new Promise((resolve) => {
    const child = execFile('bash', ['--norc', '-euo', 'pipefail', '-c', text], { cwd: options.cwd ?? checkout, env: docEnv(env), maxBuffer: 64 << 20, encoding: 'buffer' },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout: stdout.toString(), stderr: stderr.toString() }));
    child.stdin?.end(options.stdin);
  });
}
