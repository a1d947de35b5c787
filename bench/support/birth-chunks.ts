// The plant-shaped synthetic first birth (src/sparkplug/synthetic.ts, seed 1) as the ingestor sends it to
// `uns_meta.ingest_birth`: `catalogFields` of each metric, chunks of `chunkSize` metrics with the chunk protocol's
// index and last flag. One chunk's JSON text at a time (a 1,000,000-metric birth as one text would not fit a jsonb
// value; built chunk by chunk it never exists whole). Shared by bench/ingest-growth.ts and bench/ingest-profile.ts.
import { catalogFields } from '../../src/ingest/catalog-fields.ts';
import { syntheticMetrics } from '../../src/sparkplug/synthetic.ts';

export const BIRTH_TOPIC = 'spBv1.0/Secil/DBIRTH/Portugal/Cement';

export function* birthChunks(metrics: number, chunkSize: number, receivedAt: string): Generator<string> {
  let batch: ReturnType<typeof catalogFields>[] = [];
  let index = 0;
  let sent = 0;
  const text = (last: boolean) => JSON.stringify({
    topic: BIRTH_TOPIC, received_at: receivedAt, chunk: { index: index++, last }, payload: { metrics: batch },
  });
  for (const metric of syntheticMetrics({ metrics, seed: 1 })) {
    batch.push(catalogFields(metric));
    sent++;
    if (batch.length === chunkSize) {
      yield text(sent === metrics);
      batch = [];
    }
  }
  if (batch.length > 0) yield text(true);
}
