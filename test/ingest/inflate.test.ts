// The ingestor's streamed inflation of large compressed births gives what the decoder's one-shot path gives.
import { describe, expect, it } from 'vitest';
import { unwrapBody } from '../../src/ingest/inflate.ts';
import { openPayload, unwrapPayload } from '../../src/sparkplug/decode.ts';
import { compressPayload, encodePayload } from '../../src/sparkplug/encode.ts';
import { DecodeError } from '../../src/sparkplug/errors.ts';
import { syntheticBirthBuffer } from '../../src/sparkplug/synthetic.ts';

const inner = syntheticBirthBuffer({ metrics: 300, seed: 3 });

/** What the ingestor does with a compressed payload whose body is large: openPayload, then unwrapBody. */
async function unwrapStreamed(payload: Buffer) {
  const opened = openPayload(payload);
  if (!opened.compressed) throw new Error('not a compressed payload');
  return unwrapBody(opened.body, opened.compression);
}

describe('unwrapBody', () => {
  it.each([
    ['DEFLATE (zlib-wrapped, as Tahu writes it)', compressPayload(inner, { algorithm: 'DEFLATE' })],
    ['raw DEFLATE', compressPayload(inner, { algorithm: 'DEFLATE', raw: true })],
    ['GZIP', compressPayload(inner, { algorithm: 'GZIP' })],
    ['GZIP without an algorithm metric', compressPayload(inner, { algorithm: 'GZIP', algorithmMetric: false })],
  ])('%s: the same bytes, header and count as unwrapPayload', async (_name, payload) => {
    const streamed = await unwrapStreamed(payload);
    const oneShot = unwrapPayload(payload);
    expect(streamed).toBeDefined();
    expect(streamed?.bytes.equals(oneShot.bytes)).toBe(true);
    expect(streamed?.bytes.equals(inner)).toBe(true);
    expect({ ...streamed, bytes: undefined }).toEqual({ ...oneShot, bytes: undefined });
  });

  it('throws a DecodeError for a body that does not inflate, and for compression inside compression', async () => {
    const bad = encodePayload({ uuid: 'SPBV1.0_COMPRESSED', body: Buffer.from('not deflate at all').toString('base64'), metrics: [{ name: 'algorithm', datatype: 12, stringValue: 'GZIP' }] });
    await expect(unwrapStreamed(bad)).rejects.toThrow(DecodeError);
    await expect(unwrapStreamed(bad)).rejects.toThrow(/^compressed payload \(GZIP\): body does not inflate/);
    const nested = compressPayload(compressPayload(inner, { algorithm: 'DEFLATE' }), { algorithm: 'DEFLATE' });
    await expect(unwrapStreamed(nested)).rejects.toThrow(/^compressed payload \(DEFLATE\) holds another compressed payload; only one level is allowed$/);
  });
});
