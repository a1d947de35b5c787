// Tahu's compressed payloads: unwrapped transparently (DEFLATE zlib-wrapped or raw, GZIP), bad ones named.
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { COMPRESSED_UUID } from '../../src/sparkplug/compression.ts';
import { DecodeError, decodeMetricsChunked, decodePayload, unwrapPayload } from '../../src/sparkplug/decode.ts';
import { compressPayload, encodePayload } from '../../src/sparkplug/encode.ts';
import { readFixtures } from './support.ts';

const plant = readFixtures().find((f) => f.name === 'plant-dbirth-portugal-cement')!;

function decodeError(bytes: Uint8Array, options = {}): string {
  try {
    decodePayload(bytes, options);
  } catch (err) {
    expect(err).toBeInstanceOf(DecodeError);
    return (err as Error).message;
  }
  throw new Error('expected a DecodeError');
}

/** A compressed wrapper around an arbitrary body. */
function wrapper(body: Buffer, algorithm?: string): Buffer {
  return encodePayload({
    ...(algorithm === undefined ? {} : { metrics: [{ name: 'algorithm', datatype: 12, stringValue: algorithm }] }),
    uuid: COMPRESSED_UUID,
    body: body.toString('base64'),
  });
}

describe('compressed payloads', () => {
  it.each([
    ['DEFLATE', zlib.deflateSync(plant.bin)],
    ['DEFLATE', zlib.deflateRawSync(plant.bin)],
    ['deflate', zlib.deflateSync(plant.bin)],
    ['GZIP', zlib.gzipSync(plant.bin)],
    [undefined, zlib.gzipSync(plant.bin)],
    [undefined, zlib.deflateSync(plant.bin)],
    [undefined, zlib.deflateRawSync(plant.bin)],
  ])('unwraps algorithm %s', (algorithm, body) => {
    expect(decodePayload(wrapper(body, algorithm))).toStrictEqual(plant.json);
  });

  it('reports how a payload was compressed, without decoding its metrics', () => {
    const unwrapped = unwrapPayload(compressPayload(plant.bin, { algorithm: 'GZIP' }));
    expect(unwrapped).toMatchObject({ compression: 'GZIP', metricCount: 3, header: { timestamp: plant.json.timestamp, seq: '1' } });
    expect(unwrapped.bytes.equals(plant.bin)).toBe(true);
    expect(unwrapPayload(plant.bin).compression).toBeUndefined();
  });

  it('streams the metrics of a compressed payload', () => {
    const chunks = [...decodeMetricsChunked(compressPayload(plant.bin, { algorithm: 'DEFLATE' }), 2)];
    expect(chunks.flatMap((c) => c.metrics)).toStrictEqual(plant.json.metrics);
    expect(chunks[0]!.header).toStrictEqual({ timestamp: plant.json.timestamp, seq: '1' });
  });

  it('names a body that does not inflate', () => {
    expect(decodeError(wrapper(Buffer.from('not compressed at all'), 'DEFLATE'))).toMatch(
      /^compressed payload \(DEFLATE\): body is neither zlib-wrapped nor raw DEFLATE data \(.+\)$/,
    );
    expect(decodeError(wrapper(zlib.deflateSync(plant.bin), 'GZIP'))).toMatch(
      /^compressed payload \(GZIP\): body is not valid gzip data \(incorrect header check\)$/,
    );
    expect(decodeError(wrapper(zlib.gzipSync(plant.bin).subarray(0, 100), 'GZIP'))).toMatch(/not valid gzip data/);
  });

  it('names an unknown algorithm, a missing or empty body', () => {
    expect(decodeError(wrapper(zlib.deflateSync(plant.bin), 'LZ4'))).toBe(
      'compressed payload names algorithm "LZ4"; only DEFLATE and GZIP are defined',
    );
    expect(decodeError(encodePayload({ uuid: COMPRESSED_UUID }))).toBe('compressed payload (uuid SPBV1.0_COMPRESSED) has no body');
    expect(decodeError(wrapper(Buffer.alloc(0)))).toBe('compressed payload (DEFLATE) has an empty body');
  });

  it('names an inner payload that is not valid, and refuses compression inside compression', () => {
    expect(decodeError(wrapper(zlib.deflateSync(plant.bin.subarray(0, 300))))).toMatch(
      /^compressed payload \(DEFLATE\): metric #0: length \d+ runs past/,
    );
    const twice = compressPayload(compressPayload(plant.bin, { algorithm: 'GZIP' }), { algorithm: 'DEFLATE' });
    expect(decodeError(twice)).toBe('compressed payload (DEFLATE) holds another compressed payload; only one level is allowed');
  });

  it('stops a decompression bomb at maxInflatedBytes', () => {
    const bomb = wrapper(zlib.gzipSync(Buffer.alloc(10_000_000)), 'GZIP');
    expect(bomb.length).toBeLessThan(20_000);
    expect(decodeError(bomb, { maxInflatedBytes: 1_000_000 })).toBe(
      'compressed payload (GZIP) inflates to more than 1000000 bytes; raise maxInflatedBytes if it is genuine',
    );
  });
});
