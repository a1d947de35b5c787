// A payload on a birth topic that is not a birth: the zero-byte message MQTT clients publish to clear a retained
// message, and a payload without the seq every birth carries. Through a real Mosquitto and the ingestor, each is
// dead-lettered with a reason naming its topic and the missing field, counted, and the device keeps its metrics.
import { describe, expect, it } from 'vitest';
import { encodePayload } from '../../src/sparkplug/encode.ts';
import { useIngestEnvironment } from './support/environment.ts';
import { waitFor } from './support/ingestor.ts';

const env = useIngestEnvironment({ ingestor: {} });
const topic = 'spBv1.0/Clear/DBIRTH/E/Kiln';

const birth = encodePayload({
  timestamp: '1700000000000', seq: '3',
  metrics: [
    { name: 'Kiln/Temp', datatype: 10, doubleValue: 1450, properties: { keys: ['engUnit'], values: [{ type: 12, stringValue: 'degC' }] } },
    { name: 'Kiln/Speed', datatype: 10, doubleValue: 3.5 },
  ],
});

async function liveMetrics(): Promise<string[]> {
  const { rows } = await env.admin().query<{ name: string }>(
    `select m.name from uns_meta.metrics m join uns_meta.devices d using (device_id)
      where d.uns_path = 'Clear/E/Kiln' and m.retired_at is null order by m.name`);
  return rows.map((r) => r.name);
}

async function versions(): Promise<number> {
  const { rows } = await env.admin().query<{ n: number }>(
    `select count(*)::int as n from uns_meta.metric_versions v join uns_meta.metrics m using (metric_id)
       join uns_meta.devices d using (device_id) where d.uns_path = 'Clear/E/Kiln'`);
  return rows[0]?.n ?? 0;
}

/** The ingestor's /metrics text. */
async function scrape(): Promise<string> {
  return (await fetch(`http://127.0.0.1:${env.ingestor.metricsPort}/metrics`)).text();
}

async function deadLetters(): Promise<{ payload: Buffer; reason: string; sqlstate: string | null }[]> {
  const { rows } = await env.admin().query<{ payload: Buffer; reason: string; sqlstate: string | null }>(
    `select payload, reason, sqlstate from uns_meta.dead_letters where topic = $1 order by dead_letter_id`, [topic]);
  return rows;
}

describe('a payload on a DBIRTH topic that is not a birth', () => {
  it('a zero-byte retained clear and a birth without seq are dead-lettered; the device keeps its metrics', async () => {
    await env.pub.publishAsync(topic, birth);
    await waitFor('the birth', async () => (await liveMetrics()).length === 2);
    expect(await liveMetrics()).toEqual(['Kiln/Speed', 'Kiln/Temp']);
    const before = await versions();

    // What `mosquitto_pub -r -n -t <topic>` sends: an empty retained message (the broker forwards it to subscribers).
    await env.pub.publishAsync(topic, Buffer.alloc(0), { retain: true, qos: 1 });
    const noSeq = encodePayload({ timestamp: '1700000001000', metrics: [{ name: 'Kiln/Temp', datatype: 10, doubleValue: 1 }] });
    await env.pub.publishAsync(topic, noSeq);
    const letters = await waitFor('two dead letters', async () => {
      const rows = await deadLetters();
      return rows.length === 2 ? rows : undefined;
    });

    expect(letters[0]).toEqual({
      payload: Buffer.alloc(0), sqlstate: null,
      reason: `not a valid DBIRTH on ${topic}: the payload has no timestamp and no seq (a zero-byte payload, as MQTT clients publish to clear a retained message); the catalog is unchanged; a birth must carry both`,
    });
    expect(letters[1]?.payload.equals(noSeq)).toBe(true);
    expect(letters[1]?.reason).toBe(`not a valid DBIRTH on ${topic}: the payload has no seq; the catalog is unchanged; a birth must carry both`);

    expect(await liveMetrics()).toEqual(['Kiln/Speed', 'Kiln/Temp']);
    expect(await versions()).toBe(before);
    const metrics = await scrape();
    expect(metrics).toContain('uns_meta_ingest_births_failed_total{reason="invalid"} 2');
    expect(metrics).toContain('uns_meta_ingest_dead_letters_total{reason="invalid"} 2');
    expect(env.ingestor.records().filter((r) => r.event === 'birth.dead_lettered' && r.topic === topic)).toHaveLength(2);
    expect(env.ingestor.records().filter((r) => r.event === 'birth.ingested' && r.topic === topic).map((r) => r.metrics)).toEqual([2]);

    // The device still takes real births afterwards.
    await env.pub.publishAsync(topic, encodePayload({ timestamp: '1700000002000', seq: '4', metrics: [{ name: 'Kiln/Temp', datatype: 10, doubleValue: 1 }] }));
    await waitFor('the next birth', async () => (await liveMetrics()).length === 1);
    expect(await liveMetrics()).toEqual(['Kiln/Temp']);
  });

  it('an NBIRTH without timestamp and seq leaves the edge node\'s alias map alone', async () => {
    const nbirth = 'spBv1.0/Clear/NBIRTH/E';
    await env.pub.publishAsync(nbirth, encodePayload({ timestamp: '1', seq: '0', metrics: [{ name: 'Line/Speed', alias: '7', datatype: 10, doubleValue: 1 }] }));
    const aliases = async () => (await env.admin().query(`select alias from uns_meta.alias_maps where group_id = 'Clear' and edge_node_id = 'E' and device_id = ''`)).rows.length;
    await waitFor('the alias map', async () => (await aliases()) === 1);
    await env.pub.publishAsync(nbirth, Buffer.alloc(0));
    await waitFor('the dead letter', async () => {
      const { rows } = await env.admin().query<{ reason: string }>(`select reason from uns_meta.dead_letters where topic = $1`, [nbirth]);
      return rows[0]?.reason.startsWith(`not a valid NBIRTH on ${nbirth}: the payload has no timestamp and no seq`);
    });
    expect(await aliases()).toBe(1);
  });

  it('a birth topic that does not parse (a DBIRTH without its device) is one warning and counted as malformed, nothing else', async () => {
    const bad = 'spBv1.0/Clear/DBIRTH/E'; // docs/ingestor.md "MQTT"
    expect(await scrape()).not.toContain('uns_meta_ingest_births_received_total{type="malformed"}');
    await env.pub.publishAsync(bad, birth);
    const warning = await waitFor('the warning', () => env.ingestor.records().find((r) => r.event === 'birth.bad_topic'));
    expect(warning).toMatchObject({ level: 40, topic: bad });
    expect(warning.msg).toMatch(/; ignored$/);
    expect(await scrape()).toContain('uns_meta_ingest_births_received_total{type="malformed"} 1');
    const { rows } = await env.admin().query(`select 1 from uns_meta.dead_letters where topic = $1 union all select 1 from uns_meta.devices where uns_path = 'Clear/E'`, [bad]);
    expect(rows).toEqual([]);
    // and the ingestor goes on: a good birth of the same edge node after it is applied
    await env.pub.publishAsync('spBv1.0/Clear/DBIRTH/E/After', birth);
    await waitFor('the next birth', async () => (await env.admin().query(`select 1 from uns_meta.devices where uns_path = 'Clear/E/After'`)).rowCount === 1);
    expect(env.ingestor.records().filter((r) => r.event === 'birth.bad_topic')).toHaveLength(1);
  });

  it('payloads that do not decode (the fuzz test\'s cases): dead-lettered as undecodable, counted, the process goes on', async () => {
    // Framing: a metric's length runs past the end (the framing scan refuses it as the ingestor prepares it). Keys: a
    // metric whose PropertySet sends its keys as a varint (the fingerprint pass refuses it). Deep: a property value
    // with a field number 0 (the fingerprint pass hashes a value's bytes without decoding them: the decoder refuses it
    // once the catalog said it does not hold the birth). NoSeq: the same without its seq: bad bytes are named before
    // a missing field (src/ingest/apply.ts).
    const deep = [0x08, 0x01, 0x12, 0x10, 0x0a, 0x01, 0x61, 0x20, 0x0a, 0x4a, 0x09, 0x0a, 0x01, 0x6b, 0x12, 0x04, 0x08, 0x0c, 0x00, 0x00];
    const garbled = { 'spBv1.0/Clear/DBIRTH/E/Framing': Buffer.from([0x08, 0x01, 0x12, 0xff, 0xff]),
      'spBv1.0/Clear/DBIRTH/E/Keys': Buffer.from([0x08, 0x01, 0x12, 0x09, 0x0a, 0x01, 0x61, 0x20, 0x0a, 0x4a, 0x02, 0x08, 0x01, 0x18, 0x00]),
      'spBv1.0/Clear/DBIRTH/E/Deep': Buffer.from([...deep, 0x18, 0x00]), 'spBv1.0/Clear/DBIRTH/E/NoSeq': Buffer.from(deep) };
    for (const [t, payload] of Object.entries(garbled)) await env.pub.publishAsync(t, payload);
    const { rows } = await waitFor('the dead letters', async () => {
      const r = await env.admin().query<{ topic: string; payload: Buffer; reason: string; sqlstate: string | null }>(
        `select topic, payload, reason, sqlstate from uns_meta.dead_letters where topic = any($1) order by topic`, [Object.keys(garbled)]);
      return r.rowCount === 4 ? r : undefined;
    });
    for (const row of rows) {
      expect(row.payload.equals(garbled[row.topic as keyof typeof garbled])).toBe(true);
      expect(row.reason, row.topic).toMatch(/^undecodable payload: \S/);
      expect(row.sqlstate).toBeNull();
    }
    const metrics = await scrape();
    expect(metrics).toContain('uns_meta_ingest_births_failed_total{reason="decode"} 4');
    expect(metrics).toMatch(/^uns_meta_ingest_decode_errors_total 4$/m);
    expect(metrics).toContain('uns_meta_ingest_dead_letters_total{reason="decode"} 4');
    const { rowCount } = await env.admin().query(`select 1 from uns_meta.devices where group_id = 'Clear' and device in ('Framing', 'Keys', 'Deep', 'NoSeq')`);
    expect(rowCount).toBe(0);
  });
});
