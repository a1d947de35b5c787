// An identical re-birth through the ingestor is answered by its fingerprint (src/ingest/fingerprint.ts,
// uns_meta.birth_is_current): nothing is sent to ingest_birth and nothing of the catalog is written, for a birth
// sent whole and for one sent in chunks (INGEST_CHUNK_METRICS=4, so the 10-metric births below are chunked and the
// 2-metric ones are not). A re-birth carries other values, timestamps and seq, as after a reconnect: only what
// reaches the catalog counts. A changed property, or new path rules between two identical births, is ingested.
//
// "Nothing sent" is seen three ways: births_unchanged_total and the `birth.unchanged` log line; the device's rows
// (metrics, properties, versions, its fingerprint row) keep their xmin; and its alias map keeps the born_at of the
// first birth (the ingestor's own transaction, which upserts it on every birth it sends, never ran).
import { describe, expect, it } from 'vitest';
import { compressPayload, encodePayload } from '../../src/sparkplug/encode.ts';
import type { MetricJson } from '../../src/sparkplug/json-types.ts';
import { useIngestEnvironment } from './support/environment.ts';
import { waitFor } from './support/ingestor.ts';

const env = useIngestEnvironment({ ingestor: { INGEST_CHUNK_METRICS: '4' } });

/** A DBIRTH of `count` Double metrics M/0 … with aliases and properties; `k` changes only values and timestamps. */
function birth(count: number, k: number, engUnit = (_i: number) => 'kW'): Buffer {
  const metrics: MetricJson[] = Array.from({ length: count }, (_, i) => ({
    name: `M/${i}`, alias: String(100 + i), timestamp: String(1_700_000_000_000 + k), datatype: 10, doubleValue: k + i / 10,
    properties: { keys: ['engUnit', 'n'], values: [{ type: 12, stringValue: engUnit(i) }, { type: 3, intValue: i }] },
  }));
  return encodePayload({ timestamp: String(1_700_000_000_000 + k), seq: String(k % 256), metrics });
}

const events = (topic: string, event: string) => env.ingestor.records().filter((r) => r.topic === topic && r.event === event);

async function counter(name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${env.ingestor.metricsPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? 'NaN');
}

/** Every row the catalog holds for the device, with its xmin: a rewrite of any row changes it. */
async function deviceRows(device: string): Promise<{ rows: string[]; versions: number; bornAt: string[] }> {
  const q = (sql: string) => env.admin().query<{ r: string }>(sql, [device]).then((res) => res.rows.map((x) => x.r));
  const rows = [
    ...(await q(`select 'device ' || d.uns_path || ' ' || d.xmin as r from uns_meta.devices d where d.device = $1`)),
    ...(await q(`select 'metric ' || m.name || ' ' || m.uns_path || ' v' || m.version || ' ' || m.xmin as r
                   from uns_meta.metrics m join uns_meta.devices d using (device_id) where d.device = $1 order by 1`)),
    ...(await q(`select 'property ' || m.name || ' ' || p.key || ' ' || p.xmin as r from uns_meta.metric_properties p
                   join uns_meta.metrics m using (metric_id) join uns_meta.devices d using (device_id) where d.device = $1 order by 1`)),
    ...(await q(`select 'fingerprint ' || encode(f.fingerprint, 'hex') || ' ' || f.xmin as r
                   from uns_meta.birth_fingerprints f join uns_meta.devices d using (device_id) where d.device = $1`)),
  ];
  const [versions] = await q(`select count(*)::text as r from uns_meta.metric_versions v join uns_meta.metrics m using (metric_id)
                                join uns_meta.devices d using (device_id) where d.device = $1`);
  const bornAt = await q(`select distinct born_at::text as r from uns_meta.alias_maps where device_id = $1`);
  return { rows, versions: Number(versions), bornAt };
}

describe.each([
  { how: 'sent in chunks', count: 10 },
  { how: 'sent whole', count: 2 },
])('an identical re-birth, $how', ({ how, count }) => {
  const device = how === 'sent whole' ? 'Whole' : 'Chunked';
  const topic = `spBv1.0/G/DBIRTH/E/${device}`;

  it('is answered by the fingerprint: counted, logged, no ingest_birth call, no row written', async () => {
    await env.pub.publishAsync(topic, birth(count, 1));
    await waitFor('the first birth', () => events(topic, 'birth.ingested').length === 1);
    // The summary is the last call's: with chunks, the final chunk's.
    const first = events(topic, 'birth.ingested')[0]?.summary as { chunk?: unknown };
    expect(first.chunk !== undefined).toBe(count > 4); // the path this case is about
    const before = await deviceRows(device);
    expect(before.rows.filter((r) => r.startsWith('metric '))).toHaveLength(count);
    expect(before.rows.filter((r) => r.startsWith('fingerprint '))).toHaveLength(1);
    expect(before.versions).toBe(count);
    expect(before.bornAt).toHaveLength(1);
    const unchanged0 = await counter('uns_meta_ingest_births_unchanged_total');

    await env.pub.publishAsync(topic, birth(count, 2)); // other values, timestamps and seq
    await waitFor('the re-birth', () => events(topic, 'birth.unchanged').length === 1);
    expect(await counter('uns_meta_ingest_births_unchanged_total')).toBe(unchanged0 + 1);
    expect(events(topic, 'birth.ingested')).toHaveLength(1);
    const line = events(topic, 'birth.unchanged')[0]!;
    expect(line).toMatchObject({ level: 30, device: `G/E/${device}`, metrics: count });
    expect(line.msg).toContain(`G/E/${device}`);
    expect(await deviceRows(device)).toEqual(before);
  });

  it('with one property changed is ingested', async () => {
    await env.pub.publishAsync(topic, birth(count, 3, (i) => (i === count - 1 ? 'MW' : 'kW')));
    await waitFor('the changed birth', () => events(topic, 'birth.ingested').length === 2);
    const summary = events(topic, 'birth.ingested')[1]?.summary as { metrics: { updated: number }; versions_written: number };
    expect(summary.metrics.updated).toBe(1); // the changed metric is the last one, in the final chunk
    expect((await deviceRows(device)).versions).toBe(count + 1);
    const { rows } = await env.admin().query<{ value: string }>(
      `select p.value_string as value from uns_meta.metric_properties p join uns_meta.metrics m using (metric_id)
         join uns_meta.devices d using (device_id) where d.device = $1 and m.name = $2 and p.key = 'engUnit'`, [device, `M/${count - 1}`]);
    expect(rows).toEqual([{ value: 'MW' }]);
    // ... and that birth repeated is answered by its own fingerprint.
    await env.pub.publishAsync(topic, birth(count, 4, (i) => (i === count - 1 ? 'MW' : 'kW')));
    await waitFor('its repetition', () => events(topic, 'birth.unchanged').length === 2);
    expect(events(topic, 'birth.ingested')).toHaveLength(2);
  });
});

describe('the same birth compressed', () => {
  it('is answered by the fingerprint of its inflated bytes', async () => {
    const topic = 'spBv1.0/G/DBIRTH/E/Packed';
    await env.pub.publishAsync(topic, birth(10, 1));
    await waitFor('the first birth', () => events(topic, 'birth.ingested').length === 1);
    await env.pub.publishAsync(topic, compressPayload(birth(10, 2), { algorithm: 'DEFLATE' }));
    await waitFor('the compressed re-birth', () => events(topic, 'birth.unchanged').length === 1);
    expect(events(topic, 'birth.ingested')).toHaveLength(1);
  });
});

describe('new path rules between two identical births', () => {
  it('force a full ingest that follows them', async () => {
    const topic = 'spBv1.0/G/DBIRTH/E/Rules';
    await env.pub.publishAsync(topic, birth(10, 1));
    await waitFor('the first birth', () => events(topic, 'birth.ingested').length === 1);
    await env.admin().query(`insert into uns_meta.path_rewrite_rules (pattern, replacement, description) values ('^G/E/Rules/M/3$', 'G/E/Rules/M/three', 'identical-births test')`);
    await env.pub.publishAsync(topic, birth(10, 2));
    await waitFor('the re-birth', () => events(topic, 'birth.ingested').length === 2);
    expect(events(topic, 'birth.unchanged')).toHaveLength(0);
    const { rows } = await env.admin().query<{ uns_path: string }>(
      `select m.uns_path from uns_meta.metrics m join uns_meta.devices d using (device_id) where d.device = 'Rules' and m.name = 'M/3'`);
    expect(rows).toEqual([{ uns_path: 'G/E/Rules/M/three' }]);
    // Under the new rules the same birth is remembered again.
    await env.pub.publishAsync(topic, birth(10, 3));
    await waitFor('the third birth', () => events(topic, 'birth.unchanged').length === 1);
  });
});

describe('a DBIRTH with an alias-only metric', () => {
  it('is never answered by a fingerprint: its name comes from the alias maps, which may have changed', async () => {
    const nbirth = (k: number, ...named: [alias: string, name: string][]) => encodePayload({
      timestamp: String(k), seq: '0',
      metrics: [{ name: 'bdSeq', datatype: 4, longValue: '0' }, ...named.map(([alias, name]) => ({ name, alias, datatype: 10, doubleValue: 1 }))],
    });
    const topic = 'spBv1.0/A/DBIRTH/N/Dev';
    const dbirth = (k: number) => encodePayload({ timestamp: String(k), seq: '1', metrics: [{ alias: '9', datatype: 10, doubleValue: k }, { name: 'Named', datatype: 11, booleanValue: true }] });
    const names = async () => (await env.admin().query<{ name: string }>(
      `select m.name from uns_meta.metrics m join uns_meta.devices d using (device_id) where d.uns_path = 'A/N/Dev' and m.retired_at is null order by 1`)).rows.map((r) => r.name);
    await env.pub.publishAsync('spBv1.0/A/NBIRTH/N', nbirth(1, ['8', 'Line/Eight']));
    await env.pub.publishAsync(topic, dbirth(2));
    await waitFor('the first DBIRTH', () => events(topic, 'birth.ingested').length === 1);
    expect(await names()).toEqual(['Named', 'alias:9']);
    // The edge node now names alias 9; the same DBIRTH again takes the name.
    await env.pub.publishAsync('spBv1.0/A/NBIRTH/N', nbirth(3, ['8', 'Line/Eight'], ['9', 'Line/Nine']));
    await env.pub.publishAsync(topic, dbirth(4));
    await waitFor('the same DBIRTH again', () => events(topic, 'birth.ingested').length === 2);
    expect(events(topic, 'birth.unchanged')).toHaveLength(0);
    expect(await names()).toEqual(['Line/Nine', 'Named']);
  });
});
