// The ingestor's streamed inflation of large compressed births gives what the decoder's one-shot path gives.
import { describe, expect, it } from 'vitest';
import { unwrapLarge } from '../../src/ingest/inflate.ts';
import { unwrapPayload } from '../../src/sparkplug/decode.ts';
import { compressPayload, encodePayload } from '../../src/sparkplug/encode.ts';
import { DecodeError } from '../../src/sparkplug/errors.ts';
import { syntheticBirthBuffer } from '../../src/sparkplug/synthetic.ts';

const inner = syntheticBirthBuffer({ metrics: 300, seed: 3 });

describe('unwrapLarge', () => {
  it.each([
    ['DEFLATE (zlib-wrapped, as Tahu writes it)', compressPayload(inner, { algorithm: 'DEFLATE' })],
    ['raw DEFLATE', compressPayload(inner, { algorithm: 'DEFLATE', raw: true })],
    ['GZIP', compressPayload(inner, { algorithm: 'GZIP' })],
    ['GZIP without an algorithm metric', compressPayload(inner, { algorithm: 'GZIP', algorithmMetric: false })],
  ])('%s: the same bytes, header and count as unwrapPayload', async (_name, payload) => {
    const streamed = await unwrapLarge(payload, 0);
    const oneShot = unwrapPayload(payload);
    expect(streamed).toBeDefined();
    expect(streamed?.bytes.equals(oneShot.bytes)).toBe(true);
    expect(streamed?.bytes.equals(inner)).toBe(true);
    expect({ ...streamed, bytes: undefined }).toEqual({ ...oneShot, bytes: undefined });
  });

  it('leaves uncompressed payloads and small bodies to unwrapPayload', async () => {
    expect(await unwrapLarge(inner, 0)).toBeUndefined();
    expect(await unwrapLarge(compressPayload(inner, { algorithm: 'DEFLATE' }))).toBeUndefined();
  });

  it('throws a DecodeError for a body that does not inflate, and for compression inside compression', async () => {
    const bad = encodePayload({ uuid: 'SPBV1.0_COMPRESSED', body: Buffer.from('not deflate at all').toString('base64'), metrics: [{ name: 'algorithm', datatype: 12, stringValue: 'GZIP' }] });
    await expect(unwrapLarge(bad, 0)).rejects.toThrow(DecodeError);
    await expect(unwrapLarge(bad, 0)).rejects.toThrow(/^compressed payload \(GZIP\): body does not inflate/);
    const nested = compressPayload(compressPayload(inner, { algorithm: 'DEFLATE' }), { algorithm: 'DEFLATE' });
    await expect(unwrapLarge(nested, 0)).rejects.toThrow(/holds another compressed payload/);
  });
});
