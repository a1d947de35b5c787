// `uns-meta worker`: sync debounced catalog changes to Canary until SIGINT/SIGTERM. See docs/worker.md.
import { parseArgs } from 'node:util';
import { DatabaseMisconfigured } from '../db-check/index.ts';
import { loadWorkerConfig } from '../runtime/config/worker.ts';
import { createLogger } from '../runtime/log.ts';
import { configure, EXIT_CONFIG } from '../runtime/start.ts';
import type { LastError } from '../runtime/status.ts';
import { startWorker } from '../worker/index.ts';

export const summary = 'push debounced metadata changes to Canary (graphile-worker; configured by CANARY_* env)';

const HELP = `Usage: uns-meta worker

Runs the canary_sync_device jobs that ingest_birth enqueues: sends each device's changed properties to Canary's
Write API (storeData), at most CANARY_RATE_LIMIT_RPS requests in any second across all worker processes.
Configuration is by environment only (docs/worker.md lists every variable): DATABASE_URL or PG*, CANARY_URL,
CANARY_API_TOKEN, CANARY_HISTORIANS, CANARY_CLIENT_ID, CANARY_DATASET, CANARY_RATE_LIMIT_RPS, METRICS_PORT, ...
SIGINT/SIGTERM: in-flight batches finish, the Canary session is revoked, exit 0.
Start: a misconfiguration (CANARY_* variable, missing database, schema not deployed, missing right) exits 78 with
one line; an unreachable database is retried every 5 s (/readyz 503 meanwhile).`;

const SEMI_SPACE_FLAG = '--max-semi-space-size';

/**
 * Under the sync's allocation rate V8 grows its young generation to its default maximum (about 150 MB of RSS on a
 * 64-bit machine with plenty of RAM), which the worker does not need: with semi-spaces of a few MB the peak RSS of
 * a 100,000-metric sync drops by that much at no measurable CPU cost (docs/worker.md, "Speed and memory"). The flag
 * only works at start-up, so the process replaces itself (execve: same pid, signals and exit status unchanged) with
 * one started with it, unless it already has the flag (from the command line or NODE_OPTIONS) or the cap is 0.
 */
function capYoungGeneration(mb: number): void {
  if (mb === 0 || process.execve === undefined) return; // execve: POSIX only
  if ([...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => a.startsWith(SEMI_SPACE_FLAG))) return;
  process.execve(process.execPath, [process.execPath, `${SEMI_SPACE_FLAG}=${mb}`, ...process.execArgv, ...process.argv.slice(1)], process.env);
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, strict: true, allowPositionals: false, options: { help: { type: 'boolean', short: 'h', default: false } } });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const config = configure('uns-meta worker', () => loadWorkerConfig());
  if (config === undefined) return EXIT_CONFIG;
  const lastError: LastError = {};
  const logger = createLogger('uns-meta-worker', { lastError, secrets: [config.status?.password] });
  capYoungGeneration(config.maxSemiSpaceMb);
  let worker;
  try {
    worker = await startWorker(config, { logger, lastError });
  } catch (err) {
    if (!(err instanceof DatabaseMisconfigured)) throw err;
    console.error(`uns-meta worker: ${err.message}`);
    return EXIT_CONFIG;
  }
  const signal = await Promise.race([
    new Promise<string>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    }),
    worker.done.then(() => 'runner stopped'),
  ]);
  logger.info({ signal }, 'stopping: finishing in-flight batches');
  await worker.stop();
  return 0;
}
