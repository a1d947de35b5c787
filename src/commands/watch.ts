// `uns-meta watch [--device <id|edge/device>] [--prefix <path>] [--json]`: a live feed of catalog changes as they
// commit (src/watch/). Runs until SIGINT or SIGTERM. See docs/operations.md#watching-the-catalog-uns-meta-watch.
import { parseArgs } from 'node:util';
import { connectionConfig, describeConnection } from '../runtime/database.ts';
import { startWatch } from '../watch/index.ts';

export const summary = 'a live feed of catalog changes as they commit (--device, --prefix, --json)';

const HELP = `Usage: uns-meta watch [--device <id|edge/device>] [--prefix <path>] [--json]

Prints one line per catalog change as it commits: a new metric, a property or field change, a rename, a retirement
or revival (every metric version), and each Canary confirmation. Connects with DATABASE_URL (or PG*); uns_meta_ro
is enough. Keeps running, and reconnects when the connection is lost (what committed meanwhile is printed then).

  --device <id|edge/device>   only this device: its device_id or <edge node>/<device>
  --prefix <path>             only metrics whose UNS path is <path> or starts with <path>/
  --json                      one JSON object per line instead of text

Line: <time>  <edge/device>  <UNS path>  <kind>  <what changed>; kind is created, updated, renamed, retired,
revived or confirmed. Stop with Ctrl-C (SIGINT) or SIGTERM: exit 0. Exit 1 when it cannot connect; 64 usage error.`;

export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, strict: true, options: {
      device: { type: 'string' }, prefix: { type: 'string' }, json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    } }));
  } catch (err) {
    console.error(`uns-meta watch: ${(err as Error).message}`);
    return 64;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.device !== undefined && !/^([1-9][0-9]*|[^/]+\/[^/]+)$/.test(values.device)) {
    console.error(`uns-meta watch: --device must be a device_id or <edge node>/<device>, got "${values.device}"`);
    return 64;
  }
  const prefix = values.prefix?.replace(/\/+$/, '');
  if (values.prefix !== undefined && !prefix) {
    console.error('uns-meta watch: --prefix must be a UNS path, e.g. Secil/Portugal/Cement');
    return 64;
  }
  const log = (line: string) => console.error(line);
  let watch;
  try {
    watch = await startWatch({
      connection: connectionConfig(), filters: { device: values.device, prefix }, json: values.json,
      print: (line) => console.log(line), log,
    });
  } catch (err) {
    console.error(`uns-meta watch: cannot listen on ${describeConnection()} (${(err as Error).message})`);
    return 1;
  }
  const filters = [values.device && `device ${values.device}`, prefix && `prefix ${prefix}`].filter(Boolean).join(', ');
  log(`uns-meta watch: listening on ${describeConnection()}${filters ? ` (${filters})` : ''}; Ctrl-C to stop`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  await watch.close();
  log(`uns-meta watch: stopped (${signal})`);
  return 0;
}
