// What the ingestor stores, compared with the fixtures it was given: devices, metrics (datatype, alias, flags) and
// every property with its type and value. The expected rows are built here from the fixture's canonical JSON with
// the Sparkplug rules written out by hand (docs/schema.md), not by the product's code. The same births then go
// through a second ingestor with INGEST_CHUNK_METRICS=2 (every birth of more than 2 metrics is sent to
// ingest_birth in chunks, one transaction) and its catalog must be the same. (Metric UNS paths go through the path
// rules, tested on their own: the device path and the metric name are compared here.)
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { encodePayload } from '../../src/sparkplug/encode.ts';
import type { MetricJson, PayloadJson, PropertySetJson, PropertyValueJson } from '../../src/sparkplug/json-types.ts';
import { useIngestEnvironment, type IngestEnvironment } from './support/environment.ts';
import { waitFor } from './support/ingestor.ts';

const fixtureBytes = (name: string) => readFileSync(new URL(`../../fixtures/sparkplug/${name}.bin`, import.meta.url));
const fixtureJson = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/sparkplug/${name}.json`, import.meta.url), 'utf8')) as PayloadJson;

/** DBIRTH fixtures and the device each is published as (group/edge/device). */
const BIRTHS: [fixture: string, device: string][] = [
  ['plant-dbirth-portugal-cement', 'Secil/Portugal/Cement'],
  ['tahu-datatypes', 'Tahu/Edge/Types'],
  ['tahu-plant-dbirth', 'Tahu/Edge/Plant'],
  ['property-sets-nested', 'Nested/Edge/Sets'],
  ['datatypes-integers', 'Types/Edge/Integers'],
  ['datatypes-floats', 'Types/Edge/Floats'],
  ['birth-Secil-DBIRTH-Edge-DOMO', 'Secil/Edge/DOMO'],
  ['birth-Secil-DBIRTH-Normalised-System', 'Secil/Normalised/System'],
];

/**
 * Metrics of the fixtures the catalog refuses on purpose, written by hand from docs/sql-api.md's rules (byte order):
 * - a Canary tag cannot also be a folder: `String/empty` (under the tag `String`, earlier in the birth); `Float/0` and
 *   `Double/-0` (Canary ids `…Float.0` and `…Double.0`, folders of `Float/0.1f` → `…Float.0.1f` and `Double/0.1`,
 *   earlier in the birth: a dot in a name is a Canary folder separator);
 * - two metrics of one birth cannot share a UNS path: `-` is a separator that normalisation trims from the ends of a
 *   segment, so `Float/-0`, `Float/-Infinity` and `Double/-Infinity` take the paths of `Float/0`, `Float/Infinity`
 *   and `Double/Infinity`, earlier in the birth.
 */
const REJECTED: Record<string, string[]> = {
  'tahu-datatypes': ['String/empty'],
  'datatypes-floats': ['Double/-0', 'Double/-Infinity', 'Float/-0', 'Float/-Infinity', 'Float/0'],
};

const CHUNK = 2;

const plain = useIngestEnvironment({ ingestor: {} });
const chunked = useIngestEnvironment({ ingestor: { INGEST_CHUNK_METRICS: String(CHUNK) } });

interface PropertyRow { key: string; type: string; spb_type: string; is_null: boolean; value: string | null }
interface MetricRow { name: string; datatype: string; alias: string | null; is_historical: boolean; is_transient: boolean; retired: boolean; version: number; properties: PropertyRow[] }
interface DeviceRow { group_id: string; edge: string; device: string; uns_path: string; metrics: MetricRow[] }

// ── the expected catalog, from the fixture ──────────────────────────────────────────────────────────

const CLASS: Record<number, string> = {
  1: 'int', 2: 'int', 3: 'int', 5: 'int', 6: 'int', 4: 'long', 7: 'long', 8: 'uint64', 9: 'float', 10: 'double',
  11: 'boolean', 12: 'string', 14: 'string', 15: 'string', 13: 'datetime', 20: 'propertyset', 21: 'propertysetlist',
};

/** The value a PropertyValue means, as PostgreSQL prints it (the Sparkplug integer rules, by hand). */
function expectedValue(pv: PropertyValueJson): string | null {
  if (pv.isNull) return null;
  const i = pv.intValue ?? 0;
  switch (pv.type) {
    case 1: return String(((i & 0xff) << 24) >> 24); // Int8: low 8 bits, sign-extended
    case 2: return String(((i & 0xffff) << 16) >> 16); // Int16
    case 3: return String(i | 0); // Int32
    case 5: return String(i & 0xff);
    case 6: return String(i & 0xffff);
    case 7: return pv.intValue !== undefined ? String(pv.intValue) : String(pv.longValue);
    case 4: return BigInt.asIntN(64, BigInt(pv.longValue ?? '0')).toString();
    case 8: case 13: return String(pv.longValue);
    case 9: return String(pv.floatValue);
    case 10: return String(pv.doubleValue);
    case 11: return String(pv.booleanValue);
    case 12: case 14: case 15: return pv.stringValue ?? null;
    default: throw new Error(`the test knows no property type ${pv.type}: add it to expectedValue`);
  }
}

const escape = (segment: string) => segment.replaceAll('~', '~0').replaceAll('/', '~1');

function expectedProperties(set: PropertySetJson | undefined, prefix?: string): PropertyRow[] {
  const keys = set?.keys ?? [];
  const values = set?.values ?? [];
  return keys.flatMap((k, n) => {
    const pv = values[n]!;
    const key = prefix === undefined ? k : `${prefix}/${escape(k)}`;
    const type = pv.type ?? 0;
    const row = { key, type: CLASS[type] ?? '?', spb_type: String(type), is_null: pv.isNull === true };
    if (type === 20) return [{ ...row, value: null }, ...(pv.isNull ? [] : expectedProperties(pv.propertysetValue, key))];
    if (type === 21) {
      const items = pv.propertysetsValue?.propertyset ?? [];
      return [{ ...row, value: null }, ...items.flatMap((item, index) => [
        { key: `${key}/${index}`, type: 'propertyset', spb_type: '20', is_null: false, value: null },
        ...expectedProperties(item, `${key}/${index}`),
      ])];
    }
    return [{ ...row, value: expectedValue(pv) }];
  });
}

function expectedMetric(device: string, m: MetricJson): MetricRow {
  return {
    name: m.name!, datatype: String(m.datatype), alias: m.alias ?? null,
    is_historical: m.isHistorical ?? false, is_transient: m.isTransient ?? false, retired: false, version: 1,
    properties: expectedProperties(m.properties).sort((a, b) => (a.key < b.key ? -1 : 1)),
  };
}

function expectedDevice(fixture: string, device: string): DeviceRow {
  const [group_id, edge, dev] = device.split('/') as [string, string, string];
  const refused = REJECTED[fixture] ?? [];
  const metrics = (fixtureJson(fixture).metrics ?? []).filter((m) => !refused.includes(m.name ?? '')).map((m) => expectedMetric(device, m));
  return { group_id, edge, device: dev, uns_path: device, metrics: metrics.sort((a, b) => (a.name < b.name ? -1 : 1)) };
}

// ── the stored catalog ──────────────────────────────────────────────────────────────────────────────

async function storedDevice(pool: pg.Pool, unsPath: string): Promise<DeviceRow | undefined> {
  const { rows } = await pool.query<DeviceRow>(
    `select d.group_id, d.edge, d.device, d.uns_path,
            coalesce((select json_agg(m order by m.name collate "C") from (
              select m.name, m.datatype::text, m.alias::text, m.is_historical, m.is_transient,
                     m.retired_at is not null as retired, m.version,
                     coalesce((select json_agg(p order by p.key collate "C") from (
                       select mp.key, mp.type::text, mp.spb_type::text, mp.is_null,
                              coalesce(mp.value_int::text, mp.value_long::text, mp.value_uint64::text,
                                       mp.value_float::float8::text, mp.value_double::text, mp.value_string,
                                       mp.value_bool::text, (extract(epoch from mp.value_datetime) * 1000)::bigint::text) as value
                         from uns_meta.metric_properties mp where mp.metric_id = m.metric_id) p), '[]') as properties
                from uns_meta.metrics m where m.device_id = d.device_id) m), '[]') as metrics
       from uns_meta.devices d where d.uns_path = $1`, [unsPath]);
  return rows[0];
}

const published = new Map<IngestEnvironment, Promise<void>>();

/** Publishes every fixture birth to the environment's broker once, and waits until the ingestor applied them all. */
function publishAll(env: IngestEnvironment): Promise<void> {
  if (!published.has(env)) published.set(env, publishAndWait(env));
  return published.get(env)!;
}

async function publishAndWait(env: IngestEnvironment): Promise<void> {
  for (const [fixture, device] of BIRTHS) {
    const [group, edge, dev] = device.split('/') as [string, string, string];
    await env.pub.publishAsync(`spBv1.0/${group}/DBIRTH/${edge}/${dev}`, fixtureBytes(fixture));
  }
  await waitFor('every fixture birth ingested', () =>
    env.ingestor.records().filter((r) => r.event === 'birth.ingested').length >= BIRTHS.length, 60_000);
  expect(env.ingestor.records().filter((r) => r.event === 'birth.dead_lettered')).toEqual([]);
}

const byCollation = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

describe('the ingestor stores what the births say', () => {
  it('every device, metric and property of the fixtures, exactly', async () => {
    await publishAll(plain);
    for (const [fixture, device] of BIRTHS) {
      const stored = await storedDevice(plain.admin(), device);
      const expected = expectedDevice(fixture, device);
      expected.metrics.sort((a, b) => byCollation(a.name, b.name));
      for (const m of expected.metrics) m.properties.sort((a, b) => byCollation(a.key, b.key));
      expect(stored, `${fixture} as ${device}`).toStrictEqual(expected);
      const { rows } = await plain.admin().query<{ metric_name: string }>(
        `select metric_name from uns_meta.ingest_rejections where topic = $1 order by metric_name collate "C"`,
        [`spBv1.0/${device.replace(/^([^/]+)\//, '$1/DBIRTH/')}`]);
      expect(rows.map((r) => r.metric_name), `${fixture}: the metrics refused`).toEqual(REJECTED[fixture] ?? []);
    }
  });

  it(`in chunks of ${CHUNK} metrics the catalog is the same as in one call, the last chunk retires what the birth no longer names`, async () => {
    await Promise.all([publishAll(plain), publishAll(chunked)]);
    // the chunked ingestor did send the larger births in chunks: ingest_birth echoes the last chunk's index
    for (const [fixture, device] of BIRTHS) {
      const n = fixtureJson(fixture).metrics?.length ?? 0;
      const summaryOf = (env: IngestEnvironment) => (env.ingestor.records().find((r) => r.event === 'birth.ingested' && r.device === device)?.summary as { chunk?: unknown } | undefined);
      expect(summaryOf(chunked)?.chunk, `${fixture} in chunks`).toStrictEqual(n > CHUNK ? { index: Math.ceil(n / CHUNK) - 1, last: true } : undefined);
      expect(summaryOf(plain)?.chunk, `${fixture} in one call`).toBeUndefined();
      expect(await storedDevice(chunked.admin(), device), `${fixture} as ${device}`).toStrictEqual(await storedDevice(plain.admin(), device));
    }

    // a second birth of a device without its first and last metrics: both retired, in chunks as in one call
    const full = fixtureJson('tahu-datatypes');
    const metrics = full.metrics ?? [];
    expect(metrics.length).toBeGreaterThan(2 * CHUNK);
    const shrunk = { ...full, metrics: metrics.slice(1, -1) };
    const topic = 'spBv1.0/Tahu/DBIRTH/Edge/Shrunk';
    for (const env of [plain, chunked]) {
      await env.pub.publishAsync(topic, encodePayload(full));
      await env.pub.publishAsync(topic, encodePayload(shrunk));
      await waitFor('both births of Shrunk', () => env.ingestor.records().filter((r) => r.event === 'birth.ingested' && r.topic === topic).length === 2);
    }
    const retired = async (env: IngestEnvironment) => (await storedDevice(env.admin(), 'Tahu/Edge/Shrunk'))?.metrics.filter((m) => m.retired).map((m) => m.name).sort();
    const expected = [metrics[0]!.name!, metrics.at(-1)!.name!].sort();
    expect(await retired(plain)).toEqual(expected);
    expect(await retired(chunked)).toEqual(expected);
    expect(await storedDevice(chunked.admin(), 'Tahu/Edge/Shrunk')).toStrictEqual(await storedDevice(plain.admin(), 'Tahu/Edge/Shrunk'));
  });

  it(`in chunks of ${CHUNK}, the database applying one while the next is decoded, versions, alias maps and rejections are those of one call`, async () => {
    // A device whose births pass every branch of the chunk loop: named metrics with aliases, an alias-only one (named
    // from the NBIRTH map, so its chunk waits for the database), a NUL-carrying one with an alias (rejected, and kept out of the alias map), then a second birth
    // that changes a property, drops a metric and adds one.
    const nbirth = encodePayload({ timestamp: '1', seq: '0', metrics: [{ name: 'bdSeq', datatype: 4, longValue: '0' }, { name: 'Node/Fifty', alias: '50', datatype: 10, doubleValue: 1 }] });
    const metric = (i: number, unit = 'kW'): MetricJson => ({ name: `P/${i}`, alias: String(i), datatype: 10, doubleValue: i, properties: { keys: ['engUnit'], values: [{ type: 12, stringValue: unit }] } });
    const first: MetricJson[] = [metric(1), metric(2), metric(3), { alias: '50', datatype: 10, doubleValue: 5 }, metric(5), { name: 'Bad\u0000name', alias: '6', datatype: 10, doubleValue: 0 }, metric(7), metric(8), metric(9)];
    const second: MetricJson[] = [metric(1, 'MW'), metric(2), metric(3), { alias: '50', datatype: 10, doubleValue: 6 }, metric(5), metric(7), metric(9), metric(10)];
    const topic = 'spBv1.0/Pipe/DBIRTH/Edge/D';
    for (const env of [plain, chunked]) {
      await env.pub.publishAsync('spBv1.0/Pipe/NBIRTH/Edge', nbirth);
      await env.pub.publishAsync(topic, encodePayload({ timestamp: '2', seq: '1', metrics: first }));
      // (one after the other: the alias map tells births apart by their arrival time, in milliseconds)
      await waitFor('the first birth of Pipe/Edge/D', () => env.ingestor.records().some((r) => r.event === 'birth.ingested' && r.topic === topic));
      await env.pub.publishAsync(topic, encodePayload({ timestamp: '3', seq: '2', metrics: second }));
      await waitFor('both births of Pipe/Edge/D', () => env.ingestor.records().filter((r) => r.event === 'birth.ingested' && r.topic === topic).length === 2);
    }
    expect(chunked.ingestor.records().filter((r) => r.event === 'birth.ingested' && r.topic === topic).map((r) => (r.summary as { chunk?: { index: number } }).chunk?.index))
      .toEqual([Math.ceil(first.length / CHUNK) - 1, Math.ceil(second.length / CHUNK) - 1]);
    const history = async (env: IngestEnvironment) => (await env.admin().query<{ h: unknown }>(
      `select json_build_object(
         'versions', (select json_agg(json_build_array(m.name, v.version_no, v.change_kind, v.diff - 'retired_at') order by m.name collate "C", v.version_no)
                        from uns_meta.metric_versions v join uns_meta.metrics m using (metric_id) join uns_meta.devices d using (device_id)
                       where d.uns_path = 'Pipe/Edge/D'),
         'aliases', (select json_agg(json_build_array(a.alias::text, a.metric_name) order by a.alias)
                       from uns_meta.alias_maps a where a.group_id = 'Pipe' and a.edge_node_id = 'Edge' and a.device_id = 'D'),
         'rejections', (select json_agg(json_build_array(r.metric_name, r.reason) order by r.metric_name collate "C", r.received_at)
                          from uns_meta.ingest_rejections r where r.topic = $1)) as h`, [topic])).rows[0]?.h;
    const one = await history(plain);
    expect(one).toMatchObject({ aliases: [['1', 'P/1'], ['2', 'P/2'], ['3', 'P/3'], ['5', 'P/5'], ['7', 'P/7'], ['9', 'P/9'], ['10', 'P/10'], ['50', 'Node/Fifty']] });
    expect(await history(chunked)).toStrictEqual(one);
    expect(await storedDevice(chunked.admin(), 'Pipe/Edge/D')).toStrictEqual(await storedDevice(plain.admin(), 'Pipe/Edge/D'));
  });
});
