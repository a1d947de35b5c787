// A NUL character (U+0000) in one metric of a DBIRTH, through a real Mosquitto and the ingestor: PostgreSQL cannot
// hold it (jsonb and text refuse it), so before this the whole birth was dead-lettered with 22P05 naming no metric.
// Now that metric alone is rejected, with its name written visibly (\u0000) and the field that carries the NUL;
// the other metrics apply, the metric the birth already had is not retired, and the ingestor goes on.
import { describe, expect, it } from 'vitest';
import { encodePayload } from '../../src/sparkplug/encode.ts';
import { useIngestEnvironment } from './support/environment.ts';
import { waitFor } from './support/ingestor.ts';

const env = useIngestEnvironment({ ingestor: {} });
const topic = 'spBv1.0/Nul/DBIRTH/Edge/Kiln';

async function liveMetrics(): Promise<string[]> {
  const { rows } = await env.admin().query<{ name: string }>(
    `select m.name from uns_meta.metrics m join uns_meta.devices d using (device_id)
      where d.uns_path = 'Nul/Edge/Kiln' and m.retired_at is null order by m.name`);
  return rows.map((r) => r.name);
}

const applied = () => env.ingestor.records().filter((r) => r.event === 'birth.ingested' && r.topic === topic).length;

describe('a NUL character in one metric of a birth', () => {
  it('rejects that metric with its name and reason, applies the others, retires nothing, and keeps running', async () => {
    await env.pub.publishAsync(topic, encodePayload({
      timestamp: '1', seq: '0',
      metrics: [
        { name: 'Temp', datatype: 10, doubleValue: 1 },
        { name: 'Speed', datatype: 10, doubleValue: 2, properties: { keys: ['engUnit'], values: [{ type: 12, stringValue: 'rpm' }] } },
      ],
    }));
    await waitFor('the first birth', () => applied() === 1);
    expect(await liveMetrics()).toEqual(['Speed', 'Temp']);

    await env.pub.publishAsync(topic, encodePayload({
      timestamp: '1', seq: '0',
      metrics: [
        { name: 'Temp', datatype: 10, doubleValue: 1 },
        { name: 'Te\u0000mp', datatype: 10, doubleValue: 3 },
        // An existing metric whose property value now carries a NUL: rejected, so it keeps what it had.
        { name: 'Speed', datatype: 10, doubleValue: 2, properties: { keys: ['engUnit'], values: [{ type: 12, stringValue: 'r\u0000pm' }] } },
        { name: 'Level', datatype: 9, floatValue: 4, properties: { keys: ['a\u0000b'], values: [{ type: 12, stringValue: 'x' }] } },
        { name: 'Pressure', datatype: 9, floatValue: 5 },
      ],
    }));
    await waitFor('the second birth', () => applied() === 2);

    const { rows: rejections } = await env.admin().query<{ metric_name: string; reason: string; detail: unknown }>(
      `select metric_name, reason, detail from uns_meta.ingest_rejections where topic = $1 order by rejection_id`, [topic]);
    const tail = ' contains the NUL character U+0000 (written here as \\u0000), which the catalog cannot store; remove it at the edge';
    expect(rejections).toEqual([
      { metric_name: 'Te\\u0000mp', reason: `its name${tail}`, detail: { uns_path: null, canary_id: null, payload_index: 1 } },
      // Speed exists: the detail shows the path it keeps.
      { metric_name: 'Speed', reason: `the value of property engUnit${tail}`, detail: { uns_path: 'Nul/Edge/Kiln/Speed', canary_id: 'Nul.Edge.Kiln.Speed', payload_index: 2 } },
      { metric_name: 'Level', reason: `property key a\\u0000b${tail}`, detail: { uns_path: null, canary_id: null, payload_index: 3 } },
    ]);
    // Speed was rejected, not left out: it stays live with its old property; Pressure is new.
    expect(await liveMetrics()).toEqual(['Pressure', 'Speed', 'Temp']);
    const { rows: speed } = await env.admin().query<{ value_string: string }>(
      `select p.value_string from uns_meta.metric_properties p join uns_meta.metrics m using (metric_id) where m.name = 'Speed' and p.key = 'engUnit'`);
    expect(speed).toEqual([{ value_string: 'rpm' }]);
    const summary = env.ingestor.records().filter((r) => r.event === 'birth.ingested' && r.topic === topic)[1]?.summary as { metrics: unknown };
    expect(summary.metrics).toEqual({ inserted: 1, updated: 0, revived: 0, unchanged: 1, retired: 0, rejected: 3 });
    const { rows: dead } = await env.admin().query(`select 1 from uns_meta.dead_letters where topic = $1`, [topic]);
    expect(dead).toEqual([]);

    // The ingestor is still there and applies the next birth.
    await env.pub.publishAsync(topic, encodePayload({ timestamp: '1', seq: '0', metrics: [{ name: 'Temp', datatype: 10, doubleValue: 1 }, { name: 'Speed', datatype: 10, doubleValue: 2 }] }));
    await waitFor('the third birth', () => applied() === 3);
    expect(await liveMetrics()).toEqual(['Speed', 'Temp']);
  });
});
