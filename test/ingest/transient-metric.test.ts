// uns_meta_ingest_births_failed_total{reason="transient"} counts the births spooled because the database did not
// answer (its help and docs/ingestor.md say so): here the database is down from the start.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { numberedBirth } from './support/births.ts';
import { startTestIngestor, publisher, subscribed, waitFor, type RunningIngestor } from './support/ingestor.ts';
import { startBroker, type Broker } from './support/mosquitto.ts';
import { freePort } from './support/ports.ts';

let broker: Broker;
let ingestor: RunningIngestor;

beforeAll(async () => {
  broker = await startBroker();
  ingestor = await startTestIngestor({ MQTT_URL: broker.url, DATABASE_URL: `postgres://uns_meta_app@127.0.0.1:${await freePort()}/uns_meta` });
  await subscribed(ingestor);
});
afterAll(async () => {
  await ingestor.stop();
  rmSync(ingestor.spoolDir, { recursive: true, force: true });
  await broker.stop();
});

async function sample(name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = await ingestor.metrics.registry.getSingleMetric(name)?.get();
  return metric?.values.find((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))?.value ?? 0;
}

describe('births spooled while the database is down', () => {
  it('the attempt that found no connection counts as failed with reason="transient"', async () => {
    const pub = await publisher(broker.url);
    await pub.publishAsync('spBv1.0/G/DBIRTH/E/D1', numberedBirth(1), { qos: 1 });
    await pub.endAsync();
    await waitFor('the birth in the spool', async () => (await sample('uns_meta_ingest_spool_depth')) === 1);
    expect(await sample('uns_meta_ingest_births_failed_total', { reason: 'transient' })).toBe(1);
  });
});
