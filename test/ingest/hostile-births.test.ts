// Hostile births through a real Mosquitto and the ingestor (issue 14), one device per case: each input is either
// stored verbatim or rejected with a reason naming the metric (or, for bytes the decoder refuses, dead-lettered
// with the reason), never executed, and the ingestor applies a normal birth afterwards. Expected values are
// written by hand.
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

    // Invalid UTF-8 in a name: the decoder refuses the payload; it is dead-lettered with the reason.
    const bytes = encodePayload({ timestamp: '1', seq: '0', metrics: [{ name: 'Caf\u00e9', datatype: 9 }] });
    const at = bytes.indexOf(Buffer.from([0xc3, 0xa9]));
    expect(at).toBeGreaterThan(0);
    bytes[at + 1] = 0x28; // C3 28 is not UTF-8
    await env.pub.publishAsync(topicOf('Utf8'), bytes);
    await waitFor('the dead letter', async () => {
      const { rows } = await env.admin().query(`select 1 from uns_meta.dead_letters where topic = $1`, [topicOf('Utf8')]);
      return rows.length === 1;
    });
    const { rows: dead } = await env.admin().query<{ reason: string }>(`select reason from uns_meta.dead_letters where topic = $1`, [topicOf('Utf8')]);
    expect(dead[0]?.reason).toMatch(/^undecodable payload: .*not valid UTF-8/);

    // Still alive: a normal birth applies.
    await env.pub.publishAsync(topicOf('After'), encodePayload({ timestamp: '1', seq: '0', metrics: [{ name: 'Temp', datatype: 10, doubleValue: 1 }] }));
    await waitFor('the birth after', () => ingested(topicOf('After')));
    expect(await live('After')).toEqual(['Temp']);
  });
});
