// Real `sqitch` against a test's database, as the DBA runs it (docs/deployment.md, step 3): as uns_meta_admin, the
// password from PGPASSFILE as everywhere, in the repository's project unless another directory is given.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface SqitchRun {
  code: number | null;
  stdout: string;
  /** stdout and stderr together, in the order they arrived. */
  output: string;
}

/** `sqitch <args> <target>` against `database`; resolves whatever the exit code. */
export function runSqitch(database: string, args: string[], cwd = PROJECT_ROOT): Promise<SqitchRun> {
  const target = `db:pg://uns_meta_admin@${process.env.PGHOST ?? '127.0.0.1'}:${process.env.PGPORT ?? '5432'}/${database}`;
  return new Promise((resolve, reject) => {
    const child = spawn('sqitch', [...args, target], {
      cwd,
      env: { ...process.env, SQITCH_FULLNAME: 'Plant DBA', SQITCH_EMAIL: 'dba@plant.example' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, output }));
  });
}

/** runSqitch, rejecting with sqitch's output when it exits non-zero; resolves to that output. */
export async function sqitch(database: string, args: string[], cwd = PROJECT_ROOT): Promise<string> {
  const run = await runSqitch(database, args, cwd);
  if (run.code !== 0) throw new Error(`sqitch ${args.join(' ')} exited with ${run.code}:\n${run.output}`);
  return run.output;
}
