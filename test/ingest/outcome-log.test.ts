// What the ingestor says of each birth: the timings of its log line (decoding, database, total) add up, and a
// payload over INGEST_MAX_PAYLOAD_BYTES is refused undecoded, one at the limit taken.
import { describe, expect, it } from 'vitest';
import { compressPayload, encodePayload } from '../../src/sparkplug/encode.ts';
import { numberedBirth } from './support/births.ts';
import { useIngestEnvironment } from './support/environment.ts';
import { waitFor } from './support/ingestor.ts';

/** A one-metric DBIRTH one byte longer per character of its `pad` property (for 16,384 to 2,097,151 characters). */
const padded = (chars: number) => encodePayload({
  timestamp: '1700000000000', seq: '0',
  metrics: [{ name: 'a', datatype: 10, doubleValue: 1, properties: { keys: ['pad'], values: [{ type: 12, stringValue: 'p'.repeat(chars) }] } }],
});
// the limit: the largest birth below, which must be taken
const LIMIT = numberedBirth(1, 3000).length;
const atLimit = padded(20_000 + LIMIT - padded(20_000).length);
const overLimit = padded(20_001 + LIMIT - padded(20_000).length);

const env = useIngestEnvironment({ ingestor: { INGEST_CHUNK_METRICS: '1000', INGEST_MAX_PAYLOAD_BYTES: String(LIMIT) } });

type Timings = { decodeMs: number; databaseMs: number; totalMs: number };
const outcome = (topic: string, event: string) => env.ingestor.records().find((r) => r.event === event && r.topic === topic);

describe('the log line of a birth', () => {
  it.each([
    ['chunked (3,000 metrics in chunks of 1,000)', 'spBv1.0/T/DBIRTH/E/Chunked', 3000, false],
    ['sent whole (900 metrics)', 'spBv1.0/T/DBIRTH/E/Whole', 900, false],
    ['compressed (DEFLATE) and chunked (3,000 metrics)', 'spBv1.0/T/DBIRTH/E/Zipped', 3000, true],
  ])('%s: decoding and database time, each at least 1 ms, add up to no more than the total', async (_name, topic, metrics, zipped) => {
    const birth = zipped ? compressPayload(numberedBirth(1, metrics), { algorithm: 'DEFLATE' }) : numberedBirth(1, metrics);
    const started = Date.now();
    await env.pub.publishAsync(topic, birth);
    const line = (await waitFor('the birth', () => outcome(topic, 'birth.ingested'), 60_000)) as unknown as Timings & { metrics: number };
    const wall = Date.now() - started;
    expect(line.metrics).toBe(metrics);
    expect(line.decodeMs).toBeGreaterThanOrEqual(1);
    expect(line.databaseMs).toBeGreaterThanOrEqual(1);
    expect(line.decodeMs + line.databaseMs).toBeLessThanOrEqual(line.totalMs + 2); // each rounded on its own
    expect(line.totalMs).toBeLessThanOrEqual(wall);

    await env.pub.publishAsync(topic, birth); // the same bytes again
    const unchanged = (await waitFor('the identical re-birth', () => outcome(topic, 'birth.unchanged'), 60_000)) as unknown as Timings & { metrics: number };
    expect(unchanged.metrics).toBe(metrics); // counted by the framing scan, inside the compressed body too
    expect(unchanged.decodeMs).toBeGreaterThanOrEqual(0); // the framing scan and the fingerprint pass
    expect(unchanged.databaseMs).toBeGreaterThanOrEqual(0); // birth_is_current alone
    expect(unchanged.decodeMs + unchanged.databaseMs).toBeLessThanOrEqual(unchanged.totalMs + 2);
    expect(unchanged.totalMs).toBeLessThanOrEqual(Date.now() - started - wall);
  });
});

describe('INGEST_MAX_PAYLOAD_BYTES', () => {
  it('takes a payload of exactly the limit and refuses one byte more, undecoded', async () => {
    expect([atLimit.length, overLimit.length]).toEqual([LIMIT, LIMIT + 1]);
    await env.pub.publishAsync('spBv1.0/T/DBIRTH/E/AtLimit', atLimit);
    await env.pub.publishAsync('spBv1.0/T/DBIRTH/E/OverLimit', overLimit);
    await waitFor('the birth at the limit', () => outcome('spBv1.0/T/DBIRTH/E/AtLimit', 'birth.ingested'));
    const refused = await waitFor('the refusal', () => outcome('spBv1.0/T/DBIRTH/E/OverLimit', 'birth.dead_lettered'));
    expect(refused.reason).toBe(`payload of ${LIMIT + 1} bytes on spBv1.0/T/DBIRTH/E/OverLimit is over INGEST_MAX_PAYLOAD_BYTES (${LIMIT}); not decoded, the catalog is unchanged; raise the limit or split the device's birth`);
    const { rows } = await env.admin().query<{ n: number }>(`select count(*)::int as n from uns_meta.devices where uns_path = 'T/E/OverLimit'`);
    expect(rows[0]?.n).toBe(0);
  });
});
