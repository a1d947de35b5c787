// `uns-meta ingest`: the MQTT ingestor (docs/ingestor.md). Runs until SIGINT/SIGTERM; every setting comes from
// the environment.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../ingest/config.ts';
import { startIngestor } from '../ingest/service.ts';

export const summary = 'subscribe to Sparkplug births over MQTT and apply them to the catalog (env: MQTT_URL, DATABASE_URL, ...)';

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(`Usage: uns-meta ingest\n\n${summary}\nConfiguration: environment variables only; see docs/ingestor.md.`);
    return 0;
  }
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`uns-meta ingest: ${err.message}`);
      return 78;
    }
    throw err;
  }
  const ingestor = await startIngestor(config);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: string) => {
      ingestor.log.info({ event: 'ingest.signal', signal }, `received ${signal}`);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await ingestor.stop();
  return 0;
}
