// The ingestor as a separate process (`node src/cli.ts ingest`), for what an in-process test cannot do: SIGKILL,
// and reading every byte it writes to stdout and stderr.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../../src/cli.ts', import.meta.url));

export interface ChildIngestor {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

export function spawnIngestor(env: Record<string, string>): ChildIngestor {
  const child = spawn(process.execPath, [cli, 'ingest'], {
    env: { ...process.env, METRICS_PORT: '0', METRICS_HOST: '127.0.0.1', LOG_LEVEL: 'debug', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}
