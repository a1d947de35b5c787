// 10,000 random and mutated payloads that are not valid Sparkplug B, sent to a running ingestor: 2,000 over
// MQTT through a real Mosquitto, the other 8,000 into the same pipeline entry point the MQTT client calls (so the
// test stays fast). None may crash it; every one is dead-lettered once, with its topic, bytes and the decoder's
// reason; and the ingestor still applies a good birth afterwards.
import { describe, expect, it } from 'vitest';
import { storableText } from '../../src/ingest/dead-letters.ts';
import { ESCAPE_INVALID_UTF8 } from '../../src/ingest/unstorable.ts';
import { decodePayload } from '../../src/sparkplug/decode.ts';
import { DecodeError } from '../../src/sparkplug/errors.ts';
import { seededRandom } from '../../src/sparkplug/random.ts';
import { syntheticBirthBuffer } from '../../src/sparkplug/synthetic.ts';
import { fuzzPayload } from '../support/fuzz-payloads.ts';
import { readFixtures } from '../sparkplug/support.ts';
import { numberedBirth } from './support/births.ts';
import { useIngestEnvironment } from './support/environment.ts';
import { waitFor } from './support/ingestor.ts';

const SEED = 4242;
const CASES = 10_000;
const OVER_MQTT = 2_000;

const env = useIngestEnvironment({ ingestor: { INGEST_QUEUE_LIMIT: String(CASES * 2), LOG_LEVEL: 'info' } });

/**
 * 10,000 payloads the decoder rejects as the ingestor runs it (invalid UTF-8 escaped, so a payload whose only fault is
 * a string that is not UTF-8 is not among them), with the reason it gives as stored (NUL escaped; the seed makes them
 * the same every run).
 */
function badPayloads(): { bytes: Buffer; reason: string }[] {
  const random = seededRandom(SEED);
  const fixtures = readFixtures();
  const plant = fixtures.find((f) => f.name === 'plant-dbirth-portugal-cement')?.bin ?? Buffer.alloc(0);
  const sources = [...fixtures.map((f) => f.bin), syntheticBirthBuffer({ metrics: 40, seed: SEED })];
  const out: { bytes: Buffer; reason: string }[] = [];
  while (out.length < CASES) {
    const bytes = fuzzPayload(random, sources, plant);
    try {
      decodePayload(bytes, ESCAPE_INVALID_UTF8);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      out.push({ bytes, reason: storableText(`undecodable payload: ${err.message}`) });
    }
  }
  return out;
}

describe('random and mutated payloads through the ingestor', () => {
  it(`${CASES} undecodable payloads: no crash, each dead-lettered once with its reason`, { timeout: 150_000 }, async () => {
    const cases = badPayloads();
    const topic = (i: number) => `spBv1.0/Fuzz/DBIRTH/E${i % 50}/D${i}`;
    for (let i = 0; i < OVER_MQTT; i++) env.pub.publish(topic(i), cases[i]!.bytes);
    for (let i = OVER_MQTT; i < CASES; i++) env.ingestor.pipeline.accept(topic(i), cases[i]!.bytes);
    await waitFor('every dead letter', async () => {
      const { rows } = await env.admin().query<{ n: number }>(`select count(*)::int as n from uns_meta.dead_letters where topic like 'spBv1.0/Fuzz/%'`);
      return rows[0]?.n === CASES;
    }, 120_000);

    const { rows } = await env.admin().query<{ topic: string; payload: Buffer; reason: string; sqlstate: string | null }>(
      `select topic, payload, reason, sqlstate from uns_meta.dead_letters where topic like 'spBv1.0/Fuzz/%'`);
    const byTopic = new Map(rows.map((r) => [r.topic, r]));
    expect(byTopic.size).toBe(CASES);
    let mismatches = 0;
    cases.forEach((c, i) => {
      const row = byTopic.get(topic(i));
      if (!row || row.reason !== c.reason || !row.payload.equals(c.bytes) || row.sqlstate !== null) mismatches++;
    });
    expect(mismatches).toBe(0);

    const logged = env.ingestor.records().filter((r) => r.event === 'birth.dead_lettered' && String(r.topic).startsWith('spBv1.0/Fuzz/'));
    expect(logged).toHaveLength(CASES);
    expect(new Set(logged.map((r) => r.topic)).size).toBe(CASES);
    const metrics = await (await fetch(`http://127.0.0.1:${env.ingestor.metricsPort}/metrics`)).text();
    expect(metrics).toContain(`uns_meta_ingest_dead_letters_total{reason="decode"} ${CASES}`);
    // Counted per attempt: a dead letter whose write failed (a busy database) is decoded again on replay.
    expect(Number(/uns_meta_ingest_decode_errors_total (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(CASES);

    // Still alive and well.
    await env.pub.publishAsync('spBv1.0/Fuzz/DBIRTH/E/After', numberedBirth(1));
    await waitFor('a good birth after the storm', async () => {
      const r = await env.admin().query(`select 1 from uns_meta.devices where uns_path = 'Fuzz/E/After'`);
      return r.rows.length === 1;
    });
  });
});
