// The ingestor end to end: a real Mosquitto, a real database (a clone per file), births published over MQTT.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodePayload } from '../../src/sparkplug/encode.ts';
import { useIngestEnvironment } from './support/environment.ts';
import { waitFor } from './support/ingestor.ts';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/sparkplug/${name}.bin`, import.meta.url));
const fixtureJson = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/sparkplug/${name}.json`, import.meta.url), 'utf8')) as { metrics?: unknown[] };

const env = useIngestEnvironment({ ingestor: {} });

async function metricCount(deviceUnsPath: string): Promise<number> {
  const { rows } = await env.admin().query<{ n: number }>(
    `select count(*)::int as n from uns_meta.metrics m join uns_meta.devices d using (device_id)
      where d.uns_path = $1 and m.retired_at is null`, [deviceUnsPath]);
  return rows[0]?.n ?? 0;
}

describe('uns-meta ingest over MQTT', () => {
  it('applies the plant fixture published as a DBIRTH', async () => {
    const expected = fixtureJson('plant-dbirth-portugal-cement').metrics?.length ?? 0;
    expect(expected).toBeGreaterThan(0);
    await env.pub.publishAsync('spBv1.0/Secil/DBIRTH/Portugal/Cement', fixture('plant-dbirth-portugal-cement'));
    await waitFor('the plant birth', async () => (await metricCount('Secil/Portugal/Cement')) === expected);
    const rec = env.ingestor.records().find((r) => r.event === 'birth.ingested' && r.topic === 'spBv1.0/Secil/DBIRTH/Portugal/Cement');
    expect(rec).toMatchObject({ device: 'Secil/Portugal/Cement', metrics: expected });
  });

  it('applies a duplicate birth once: no second version, no second job', async () => {
    const topic = 'spBv1.0/Secil/DBIRTH/Brazil/Cement';
    const bytes = fixture('birth-Secil-DBIRTH-Brazil-Cement');
    await env.pub.publishAsync(topic, bytes);
    await env.pub.publishAsync(topic, bytes);
    const handled = () => env.ingestor.records().filter((r) => (r.event === 'birth.ingested' || r.event === 'birth.unchanged') && r.topic === topic);
    await waitFor('both deliveries', () => handled().length === 2);
    const n = fixtureJson('birth-Secil-DBIRTH-Brazil-Cement').metrics?.length ?? 0;
    expect(await metricCount('Secil/Brazil/Cement')).toBe(n);
    const { rows } = await env.admin().query<{ versions: number; max_version: number }>(
      `select count(*)::int as versions, max(v.version_no)::int as max_version from uns_meta.metric_versions v
         join uns_meta.metrics m using (metric_id) join uns_meta.devices d using (device_id) where d.uns_path = 'Secil/Brazil/Cement'`);
    expect(rows[0]).toEqual({ versions: n, max_version: 1 });
    // The second is answered by its fingerprint (uns_meta.birth_is_current), without a call to ingest_birth.
    const [first, second] = handled();
    expect((first?.summary as { metrics: { inserted: number; unchanged: number } }).metrics).toMatchObject({ inserted: n, unchanged: 0 });
    expect(second).toMatchObject({ event: 'birth.unchanged', metrics: n });
  });

  it('names alias-only metrics from the NBIRTH map, the device map first, else alias:<id>', async () => {
    await env.pub.publishAsync('spBv1.0/G1/NBIRTH/E1', encodePayload({
      timestamp: '1', seq: '0',
      metrics: [
        { name: 'bdSeq', datatype: 4, longValue: '0' },
        { name: 'Line/Speed', alias: '7', datatype: 10, doubleValue: 1 },
        { name: 'Line/Temp', alias: '8', datatype: 10, doubleValue: 2 },
      ],
    }));
    await waitFor('the NBIRTH alias map', async () => {
      const { rows } = await env.admin().query(`select 1 from uns_meta.alias_maps where group_id = 'G1' and edge_node_id = 'E1' and device_id = ''`);
      return rows.length === 2;
    });
    // A first DBIRTH names alias 8 for the device; the second carries only aliases.
    await env.pub.publishAsync('spBv1.0/G1/DBIRTH/E1/D1', encodePayload({
      timestamp: '2', seq: '1',
      metrics: [{ name: 'Dev/Temp', alias: '8', datatype: 10, doubleValue: 3 }, { name: 'Dev/Other', datatype: 11, booleanValue: true }],
    }));
    await env.pub.publishAsync('spBv1.0/G1/DBIRTH/E1/D1', encodePayload({
      timestamp: '3', seq: '2',
      metrics: [
        { alias: '7', datatype: 10, doubleValue: 1 },
        { alias: '8', datatype: 10, doubleValue: 2 },
        { alias: '99', datatype: 10, doubleValue: 3 },
        { name: 'Dev/Other', datatype: 11, booleanValue: true },
      ],
    }));
    await waitFor('two DBIRTHs of D1', () => env.ingestor.records().filter((r) => r.event === 'birth.ingested' && r.topic === 'spBv1.0/G1/DBIRTH/E1/D1').length === 2);
    const { rows } = await env.admin().query<{ name: string }>(
      `select m.name from uns_meta.metrics m join uns_meta.devices d using (device_id)
        where d.uns_path = 'G1/E1/D1' and m.retired_at is null order by m.name`);
    expect(rows.map((r) => r.name)).toEqual(['Dev/Other', 'Dev/Temp', 'Line/Speed', 'alias:99']);
    expect(env.ingestor.records().some((r) => r.event === 'birth.unresolved_aliases' && r.device === 'G1/E1/D1')).toBe(true);
  });

  it('keeps alias maps in the database (the latest birth\'s names, never alias:<id>), so a restart keeps them', async () => {
    const { rows } = await env.admin().query<{ device_id: string; alias: string; metric_name: string }>(
      `select device_id, alias::text, metric_name from uns_meta.alias_maps where group_id = 'G1' order by device_id, alias`);
    expect(rows).toEqual([
      { device_id: '', alias: '7', metric_name: 'Line/Speed' },
      { device_id: '', alias: '8', metric_name: 'Line/Temp' },
      { device_id: 'D1', alias: '7', metric_name: 'Line/Speed' },
      { device_id: 'D1', alias: '8', metric_name: 'Dev/Temp' },
    ]);
  });

  it('ingests the payloads encoded by Eclipse Tahu (interop fixtures)', async () => {
    await env.pub.publishAsync('spBv1.0/Tahu/DBIRTH/Edge/Plant', fixture('tahu-plant-dbirth'));
    await env.pub.publishAsync('spBv1.0/Tahu/DBIRTH/Edge/Types', fixture('tahu-datatypes'));
    // Every metric of the datatypes birth but String/empty: its Canary id would lie under the tag of String
    // (a Canary tag cannot also be a folder; docs/sql-api.md#rejections).
    await waitFor('the Tahu births', async () =>
      (await metricCount('Tahu/Edge/Plant')) === fixtureJson('tahu-plant-dbirth').metrics?.length &&
      (await metricCount('Tahu/Edge/Types')) === (fixtureJson('tahu-datatypes').metrics?.length ?? 0) - 1);
    const { rows } = await env.admin().query<{ metric_name: string; reason: string }>(
      `select metric_name, reason from uns_meta.ingest_rejections where topic = 'spBv1.0/Tahu/DBIRTH/Edge/Types'`);
    expect(rows).toEqual([{ metric_name: 'String/empty', reason: expect.stringMatching(/^its Canary id Tahu\.Edge\.Types\.String\.empty lies under Tahu\.Edge\.Types\.String, the tag of String, earlier in this birth;/) as unknown }]);
  });

  it('ingests compressed births (SPBV1.0_COMPRESSED, DEFLATE and GZIP)', async () => {
    await env.pub.publishAsync('spBv1.0/Zip/DBIRTH/Edge/Deflate', fixture('compressed-deflate'));
    await env.pub.publishAsync('spBv1.0/Zip/DBIRTH/Edge/Gzip', fixture('compressed-gzip'));
    await waitFor('the compressed births', async () =>
      (await metricCount('Zip/Edge/Deflate')) === fixtureJson('compressed-deflate').metrics?.length &&
      (await metricCount('Zip/Edge/Gzip')) === fixtureJson('compressed-gzip').metrics?.length);
  });

  it('ignores STATE and non-birth messages without a log line above debug', async () => {
    const before = env.ingestor.lines.length;
    await env.pub.publishAsync('spBv1.0/STATE/host1', '{"online":true,"timestamp":1}');
    await env.pub.publishAsync('spBv1.0/Secil/DDATA/Portugal/Cement', Buffer.from([1, 2, 3]));
    await env.pub.publishAsync('spBv1.0/Secil/DBIRTH/Portugal/Marker', encodePayload({ timestamp: '1', seq: '0', metrics: [{ name: 'm', datatype: 11, booleanValue: true }] }));
    await waitFor('the marker birth', async () => (await metricCount('Secil/Portugal/Marker')) === 1);
    const noisy = env.ingestor.records().slice(before).filter((r) => (r.level as number) > 30);
    expect(noisy.map((r) => r.msg)).toEqual([]);
  });

  it('dead-letters an undecodable birth with topic, time, bytes and reason, and carries on', async () => {
    const bad = Buffer.from([0x12, 0x05, 0x0a, 0x10]);
    await env.pub.publishAsync('spBv1.0/Secil/DBIRTH/Portugal/Broken', bad);
    const row = await waitFor('the dead letter', async () => {
      const { rows } = await env.admin().query<{ topic: string; payload: Buffer; reason: string; sqlstate: string | null; received_at: Date }>(
        `select topic, payload, reason, sqlstate, received_at from uns_meta.dead_letters where topic = 'spBv1.0/Secil/DBIRTH/Portugal/Broken'`);
      return rows[0];
    });
    expect(row.payload.equals(bad)).toBe(true);
    expect(row.reason).toMatch(/^undecodable payload: metric #0/);
    expect(row.sqlstate).toBeNull();
    expect(Date.now() - row.received_at.getTime()).toBeLessThan(60_000);
    const logged = env.ingestor.records().filter((r) => r.event === 'birth.dead_lettered' && r.topic === 'spBv1.0/Secil/DBIRTH/Portugal/Broken');
    expect(logged).toHaveLength(1);
  });

  it('dead-letters a birth ingest_birth refuses, with its SQLSTATE', async () => {
    await env.pub.publishAsync('spBv1.0/Secil/DBIRTH/Portugal/NoType', encodePayload({ timestamp: '1', seq: '0', metrics: [{ name: 'x' }] }));
    const row = await waitFor('the dead letter', async () => {
      const { rows } = await env.admin().query<{ reason: string; sqlstate: string }>(
        `select reason, sqlstate from uns_meta.dead_letters where topic = 'spBv1.0/Secil/DBIRTH/Portugal/NoType'`);
      return rows[0];
    });
    expect(row.sqlstate).toBe('U0001');
    expect(row.reason).toContain('"datatype" is missing');
  });

  it('serves /metrics, /healthz and /readyz', async () => {
    const base = `http://127.0.0.1:${env.ingestor.metricsPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ mqtt: 'connected', postgres: 'reachable' });
    const text = await (await fetch(`${base}/metrics`)).text();
    for (const name of ['uns_meta_ingest_births_received_total', 'uns_meta_ingest_births_ingested_total', 'uns_meta_ingest_births_unchanged_total', 'uns_meta_ingest_births_failed_total',
      'uns_meta_ingest_dead_letters_total', 'uns_meta_ingest_metrics_parsed_total', 'uns_meta_ingest_properties_parsed_total',
      'uns_meta_ingest_decode_errors_total', 'uns_meta_ingest_queue_depth', 'uns_meta_ingest_spool_depth', 'uns_meta_ingest_latency_seconds_bucket',
      'uns_meta_ingest_mqtt_connected 1', 'uns_meta_ingest_mqtt_reconnects_total', 'uns_meta_ingest_rebirths_requested_total']) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(/uns_meta_ingest_births_received_total\{type="DBIRTH"\} [1-9]/);
    expect(text).toMatch(/uns_meta_ingest_decode_errors_total [1-9]/);
  });
});
