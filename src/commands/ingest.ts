// `uns-meta ingest`: the MQTT ingestor (docs/ingestor.md). Runs until SIGINT/SIGTERM; every setting comes from
// the environment.
import { parseArgs } from 'node:util';
import { DatabaseMisconfigured } from '../db-check/index.ts';
import { startIngestor } from '../ingest/service.ts';
import { loadIngestConfig } from '../runtime/config/ingest.ts';
import { configure, EXIT_CONFIG } from '../runtime/start.ts';

export const summary = 'subscribe to Sparkplug births over MQTT and apply them to the catalog (env: MQTT_URL, DATABASE_URL, ...)';

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(`Usage: uns-meta ingest\n\n${summary}\nConfiguration: environment variables only; see docs/ingestor.md.`);
    return 0;
  }
  const config = configure('uns-meta ingest', () => loadIngestConfig());
  if (config === undefined) return EXIT_CONFIG;
  let ingestor;
  try {
    ingestor = await startIngestor(config);
  } catch (err) {
    if (err instanceof DatabaseMisconfigured) {
      console.error(`uns-meta ingest: ${err.message}`);
      return EXIT_CONFIG;
    }
    // An unreadable certificate file, a spool directory that cannot be created, a port in use: say which.
    console.error(`uns-meta ingest: cannot start: ${(err as Error).message}`);
    return 1;
  }
  // The first SIGINT/SIGTERM stops gracefully (births being applied finish, waiting ones are spooled); a
  // second one exits at once (a birth being applied is then lost: it was never spooled).
  let signals = 0;
  await new Promise<void>((resolve) => {
    const onSignal = (signal: string) => {
      signals++;
      if (signals > 1) {
        ingestor.log.warn({ event: 'ingest.signal', signal }, `received ${signal} again: exiting without waiting for the births being applied`);
        process.exit(130);
      }
      ingestor.log.info({ event: 'ingest.signal', signal }, `received ${signal}: stopping (send it again to exit at once)`);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await ingestor.stop();
  return 0;
}
