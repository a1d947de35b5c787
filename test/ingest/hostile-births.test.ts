// Hostile births through a real Mosquitto and the ingestor (issue 14), one device per case: each input is either
// stored verbatim or rejected with a reason naming the metric (invalid UTF-8 in a name, a property key or a
// property value included: only that metric is rejected), never executed, and the ingestor applies a normal birth
// afterwards. Expected values are written by hand.
import { describe, expect, it } from 'vitest';
import { encodePayload } from '../../src/sparkplug/encode.ts';
import type { MetricJson } from '../../src/sparkplug/json-types.ts';
import { useIngestEnvironment } from './support/environment.ts';
import { waitFor } from './support/ingestor.ts';

const env = useIngestEnvironment({ ingestor: {} });

interface Case {
  device: string;
  metrics: MetricJson[];
  timestamp?: string;
  /** Live metric names afterwards, in code point order. */
  stored: string[];
  rejected: { metric_name: string; reason: string }[];
}

const long = 'n'.repeat(65536);
const sql = "x'); drop table uns_meta.metrics; --";

const cases: Case[] = [
  {
    device: 'FarTimes',
    timestamp: '253402300800000', // after year 9999: not metadata, not stored
    metrics: [{ name: 'past', datatype: 9, timestamp: '0', floatValue: 1 }, { name: 'future', datatype: 9, timestamp: '18446744073709551615', floatValue: 2 }],
    stored: ['future', 'past'],
    rejected: [],
  },
  { device: 'Empty', metrics: [], stored: [], rejected: [] },
  {
    device: 'Separators',
    metrics: [{ name: '/ _ /-', datatype: 9 }, { name: 'ok', datatype: 9 }],
    stored: ['ok'],
    rejected: [{ metric_name: '/ _ /-', reason: 'the name normalises to an empty UNS path' }],
  },
  {
    device: 'Emoji',
    metrics: [{ name: 'Plant/Kiln/Temp', datatype: 9 }, { name: 'Plant/ / _ /-', datatype: 9 }, { name: 'Plant/🔥', datatype: 9 }],
    stored: ['Plant/Kiln/Temp'],
    rejected: [
      { metric_name: 'Plant/ / _ /-', reason: 'its name segment 2 (" ") normalises to nothing under the path rules and would be dropped from the path; rename it at the edge or add a normalisation rule' },
      { metric_name: 'Plant/🔥', reason: 'its name segment 2 ("🔥") normalises to nothing under the path rules and would be dropped from the path; rename it at the edge or add a normalisation rule' },
    ],
  },
  {
    device: 'Long',
    metrics: [{ name: long, datatype: 9 }, { name: 'ok', datatype: 9 }],
    stored: ['ok'],
    rejected: [{ metric_name: long, reason: 'the name is 65536 bytes long; names over 1024 bytes (UTF-8) are refused, shorten it at the edge' }],
  },
  {
    device: 'Control',
    metrics: [{ name: 'Ctl\u0001\u001b[31m\ttab', datatype: 9 }],
    stored: ['Ctl\u0001\u001b[31m\ttab'],
    rejected: [],
  },
  {
    device: 'Sql',
    metrics: [{ name: sql, datatype: 12, properties: { keys: ["k'\"; select pg_sleep(10); --"], values: [{ type: 12, stringValue: "$$ '' \\x %s" }] } }],
    stored: [sql],
    rejected: [],
  },
];

async function live(device: string): Promise<string[]> {
  const { rows } = await env.admin().query<{ name: string }>(
    `select m.name from uns_meta.metrics m join uns_meta.devices d using (device_id)
      where d.group_id = 'Hostile' and d.device = $1 and m.retired_at is null order by m.name collate "C"`, [device]);
  return rows.map((r) => r.name);
}

const topicOf = (device: string) => `spBv1.0/Hostile/DBIRTH/Edge/${device}`;
const ingested = (topic: string) => env.ingestor.records().some((r) => r.event === 'birth.ingested' && r.topic === topic);

describe('hostile births through the ingestor', () => {
  it('stores each verbatim or rejects the metric with a reason naming it; the ingestor carries on', { timeout: 60_000 }, async () => {
    for (const c of cases) await env.pub.publishAsync(topicOf(c.device), encodePayload({ timestamp: c.timestamp ?? '1', seq: '0', metrics: c.metrics }));
    await waitFor('every hostile birth', () => cases.every((c) => ingested(topicOf(c.device))));
    for (const c of cases) {
      expect(await live(c.device), c.device).toEqual(c.stored);
      const { rows } = await env.admin().query<{ metric_name: string; reason: string }>(
        `select metric_name, reason from uns_meta.ingest_rejections where topic = $1 order by rejection_id`, [topicOf(c.device)]);
      expect(rows, c.device).toEqual(c.rejected);
    }
    const { rows: props } = await env.admin().query<{ key: string; value_string: string }>(
      `select p.key, p.value_string from uns_meta.metric_properties p join uns_meta.metrics m using (metric_id) where m.name = $1`, [sql]);
    expect(props).toEqual([{ key: "k'\"; select pg_sleep(10); --", value_string: "$$ '' \\x %s" }]);

    // Invalid UTF-8 (bytes patched into an encoded birth): in a name, a property key, a property value. Only those
    // metrics are rejected, named with the bad bytes written \xHH; the others apply; nothing is dead-lettered.
    const bytes = encodePayload({ timestamp: '1', seq: '0', metrics: [
      { name: 'Caf\u00e9', datatype: 9 },
      { name: 'Good', datatype: 9, properties: { keys: ['engUnit'], values: [{ type: 12, stringValue: 'm\u00b3/h' }] } },
      { name: 'Keyed', datatype: 9, properties: { keys: ['\u00f1ame'], values: [{ type: 12, stringValue: 'x' }] } },
      { name: 'Valued', datatype: 9, properties: { keys: ['documentation'], values: [{ type: 12, stringValue: '\u00e0 \u00e1' }] } },
      { name: 'Plain', datatype: 9 },
    ] });
    const patch = (from: number[], to: number[]) => {
      const at = bytes.indexOf(Buffer.from(from));
      expect(at, `bytes ${from.join(' ')} in the encoded birth`).toBeGreaterThan(0);
      for (let i = 0; i < to.length; i++) bytes[at + i] = to[i]!;
    };
    patch([0xc3, 0xa9], [0xc3, 0x28]); // é → C3 28: C3 starts a sequence 28 does not continue
    patch([0xc3, 0xb1], [0xff, 0xb1]); // ñ → FF B1: FF is never UTF-8, B1 continues nothing
    patch([0xc3, 0xa0], [0xc3, 0xc3]); // à → C3 C3 (then a space): two sequences nothing continues
    await env.pub.publishAsync(topicOf('Utf8'), bytes);
    await waitFor('the birth with invalid UTF-8', () => ingested(topicOf('Utf8')));
    expect(await live('Utf8')).toEqual(['Good', 'Plain']);
    const { rows: bad } = await env.admin().query<{ metric_name: string; reason: string }>(
      `select metric_name, reason from uns_meta.ingest_rejections where topic = $1 order by rejection_id`, [topicOf('Utf8')]);
    const why = ' is not valid UTF-8 (each byte that is not is written here as \\xHH), which the catalog cannot store; fix the encoding at the edge';
    expect(bad).toEqual([
      { metric_name: 'Caf\\xC3(', reason: `its name${why}` },
      { metric_name: 'Keyed', reason: `property key \\xFF\\xB1ame${why}` },
      { metric_name: 'Valued', reason: `the value of property documentation${why}` },
    ]);
    const { rows: good } = await env.admin().query<{ value_string: string }>(
      `select p.value_string from uns_meta.metric_properties p join uns_meta.metrics m using (metric_id) where m.name = 'Good' and p.key = 'engUnit'`);
    expect(good).toEqual([{ value_string: 'm\u00b3/h' }]);
    const { rows: dead } = await env.admin().query(`select 1 from uns_meta.dead_letters where topic = $1`, [topicOf('Utf8')]);
    expect(dead).toEqual([]);

    // Still alive: a normal birth applies.
    await env.pub.publishAsync(topicOf('After'), encodePayload({ timestamp: '1', seq: '0', metrics: [{ name: 'Temp', datatype: 10, doubleValue: 1 }] }));
    await waitFor('the birth after', () => ingested(topicOf('After')));
    expect(await live('After')).toEqual(['Temp']);
  });
});
