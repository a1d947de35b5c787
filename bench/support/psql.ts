// psql as uns_meta_admin on a bench database: `\copy` and one-off statements the benches time or set up.
import { execFileSync } from 'node:child_process';

const STATEMENT_TIMEOUT_MS = 600_000; // a runaway statement must not exhaust the machine's memory

/** Runs each command with `psql -c` (in one transaction with `single`); returns psql's unaligned output. */
export function psqlAsAdmin(database: string, commands: string[], single = false): string {
  return execFileSync('psql', ['-qAtX', '-v', 'ON_ERROR_STOP=1', ...(single ? ['-1'] : []), '-U', 'uns_meta_admin', '-d', database,
    '-c', `set statement_timeout = ${STATEMENT_TIMEOUT_MS}`, ...commands.flatMap((c) => ['-c', c])],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}
