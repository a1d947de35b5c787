// `uns-meta canary resync|replay`: operator commands. Dry-run by default for replay; --dry-run on both prints the
// storeData bodies (without session token) that would be sent, and sends nothing. See docs/worker.md.
import { parseArgs } from 'node:util';
import pino from 'pino';
import { DatabaseMisconfigured, DatabaseUnreachable } from '../db-check/index.ts';
import { loadWorkerConfig } from '../runtime/config/worker.ts';
import { createLogger } from '../runtime/log.ts';
import { configure, EXIT_CONFIG } from '../runtime/start.ts';
import { runOperatorSync } from '../worker/index.ts';

export const summary = 'operator commands: `canary resync` (full metadata backfill) and `canary replay` (dead letters)';

const HELP = `Usage: uns-meta canary <resync|replay> [options]

  resync   re-send the full metadata (every mapped property) of all metrics, one device, or a path prefix
           — the plant's bulk backfill. Sends unless --dry-run.
  replay   re-send the current metadata of metrics with open dead letters (uns_meta.canary_dead_letters).
           Dry-run unless --send.

Options:
  --device <id>        only this device (uns_meta.devices.device_id)
  --prefix <path>      only metrics whose UNS path is <path> or starts with <path>/
  --dry-run            print the storeData bodies that would be sent (JSON lines), send nothing
  --send               replay: really send
  -h, --help           show this help

Canary connection, dataset, rate cap: the worker's environment variables (docs/worker.md). The rate cap is shared
with running workers through Postgres.`;

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args, strict: true, allowPositionals: true,
      options: {
        device: { type: 'string' }, prefix: { type: 'string' }, 'dry-run': { type: 'boolean', default: false },
        send: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    console.error(`uns-meta canary: ${(err as Error).message}\n\n${HELP}`);
    return 64;
  }
  const { values, positionals } = parsed;
  const action = positionals[0];
  if (values.help || action === undefined) {
    console.log(HELP);
    return values.help ? 0 : 64;
  }
  if ((action !== 'resync' && action !== 'replay') || positionals.length > 1) {
    console.error(`uns-meta canary: unknown action "${positionals.join(' ')}"; use resync or replay\n\n${HELP}`);
    return 64;
  }
  if (values.device !== undefined && !/^[1-9][0-9]*$/.test(values.device)) {
    console.error(`uns-meta canary: --device must be a device_id (a positive integer), got "${values.device}"`);
    return 64;
  }
  const config = configure('uns-meta canary', () => loadWorkerConfig());
  if (config === undefined) return EXIT_CONFIG;
  const dryRun = values['dry-run'] || (action === 'replay' && !values.send);
  const logger = createLogger(`uns-meta-canary-${action}`, { destination: pino.destination({ fd: 2, sync: true }) });
  let report;
  try {
    report = await runOperatorSync(config, {
      action, dryRun, logger,
      selection: { deviceId: values.device, pathPrefix: values.prefix },
      onDryRun: (propertiesJson) => console.log(`{"method":"storeData","properties":${propertiesJson}}`),
    });
  } catch (err) {
    if (!(err instanceof DatabaseMisconfigured || err instanceof DatabaseUnreachable)) throw err;
    console.error(`uns-meta canary ${action}: ${err.message}`);
    return err instanceof DatabaseMisconfigured ? EXIT_CONFIG : 69;
  }
  if (report === undefined) {
    console.error('uns-meta canary replay: no open dead letters');
    return 0;
  }
  console.error(`uns-meta canary ${action}${dryRun ? ' (dry run: nothing sent)' : ''}: ${JSON.stringify(report)}`);
  return report.deadLettered > 0 ? 1 : 0;
}
