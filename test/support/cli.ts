// `uns-meta <args>` (node src/cli.ts) as a child process, for what an in-process test cannot do: exit codes,
// signals (SIGTERM, SIGKILL), and every byte the process writes to stdout and stderr.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

export type CliProcess = ChildProcess & {
  /** stdout and stderr so far, interleaved as they arrived. */
  output: () => string;
  /** The exit code (null after a signal). */
  exited: Promise<number | null>;
};

/** Starts `uns-meta <args>` with this process's environment plus `env`. */
export function spawnCli(args: string[], env: Record<string, string> = {}): CliProcess {
  const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return Object.assign(child, { output: () => out, exited });
}
