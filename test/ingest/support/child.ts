// The ingestor as a separate process (`node src/cli.ts ingest`), for what an in-process test cannot do: SIGKILL,
// and reading every byte it writes to stdout and stderr.
import type { ChildProcess } from 'node:child_process';
import { spawnCli } from '../../support/cli.ts';

export interface ChildIngestor {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

export function spawnIngestor(env: Record<string, string>): ChildIngestor {
  const child = spawnCli(['ingest'], { METRICS_PORT: '0', METRICS_HOST: '127.0.0.1', LOG_LEVEL: 'debug', ...env });
  return { child, output: child.output, exited: child.exited };
}
