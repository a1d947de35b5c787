// `uns-meta demo`: the whole pipeline on the embedded default, in one process. Starts Mosquitto, the Canary
// simulator, the ingestor and the worker (src/demo/stack.ts), publishes the plant's DBIRTH, waits for the catalog
// and for Canary parity, reads back what the simulator stored, shows that the same birth again is a no-op, and
// shuts everything down (src/demo/steps.ts).
import { parseArgs } from 'node:util';
import { createPool, describeConnection } from '../runtime/database.ts';
import { type DemoStack, startDemoStack } from '../demo/stack.ts';
import { DemoError, publishAndCommit, rebirthIsNoop, showHierarchy, showSimulatorTag, status, syncToCanary } from '../demo/steps.ts';
import { checkDatabaseEnv } from '../runtime/config/common.ts';
import { configure, EXIT_CONFIG } from '../runtime/start.ts';

export const summary = 'run the whole pipeline (Mosquitto, ingestor, worker, Canary simulator) on the embedded default (`make demo`)';

/** Longest debounce_interval the demo waits for; `make demo` sets 2 seconds on its database. */
const MAX_DEBOUNCE_SECONDS = 30;

const say = (line: string) => console.log(`demo: ${line}`);

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(`Usage: uns-meta demo\n\n${summary}\nConnects with DATABASE_URL (or PG*), as the service role uns_meta_app; ` +
      `needs a deployed database whose debounce_interval is at most ${MAX_DEBOUNCE_SECONDS} s (\`make demo\` prepares one).`);
    return 0;
  }
  if (configure('uns-meta demo', () => checkDatabaseEnv()) === undefined) return EXIT_CONFIG;
  const pool = createPool({ name: 'uns-meta demo', max: 2 });
  let stack: DemoStack | undefined;
  let step = 'connecting to the database';
  try {
    const s = await status(pool).catch((err: unknown) => {
      throw new DemoError(`${(err as Error).message} (database ${describeConnection()}); run \`make db\` (or \`make demo\`) to deploy it`);
    });
    say(`connected to ${describeConnection()} as ${s.role}; debounce_interval = ${s.debounce}`);
    if (s.debounce_seconds > MAX_DEBOUNCE_SECONDS) {
      throw new DemoError(`debounce_interval is ${s.debounce} in ${s.db}: the demo would wait that long for the Canary sync. ` +
        `Run \`make demo\` (it deploys its own database with '2 seconds'), or as uns_meta_admin: ` +
        `update uns_meta.settings set value = '"2 seconds"' where key = 'debounce_interval'`);
    }
    step = 'starting the pipeline';
    stack = await startDemoStack(say);
    step = 'ingesting the birth';
    const first = await publishAndCommit(stack, pool, say);
    const changed = (first.before?.versions ?? 0) !== first.after.versions;
    say(`committed: device ${first.after.device_id}, ${first.after.live_metrics} live metrics, metric versions ${first.before?.versions ?? 0} -> ${first.after.versions}`);
    await showHierarchy(pool, first.after.device_id, say);
    step = 'syncing to Canary';
    const parity = await syncToCanary(stack, pool, first.after.device_id, changed, s.debounce_seconds, say);
    for (const row of parity.slice(0, 2)) if (row.canary_tag) await showSimulatorTag(stack, row.canary_tag, say);
    step = 'publishing the same birth again';
    await rebirthIsNoop(stack, pool, s.debounce_seconds, say);
    step = 'shutting down';
    await stack.stop();
    stack = undefined;
    say('stopped Mosquitto, the simulator, the ingestor and the worker; done');
    return 0;
  } catch (err) {
    console.error(`demo: failed while ${step}: ${(err as Error).message}`);
    return 1;
  } finally {
    await stack?.stop();
    await pool.end();
  }
}
