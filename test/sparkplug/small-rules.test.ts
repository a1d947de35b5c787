// The small rules of src/sparkplug that the fixture and decode tests reach only through the happy path: what a birth
// header must carry, which datatype codes exist, how errors are named, STATE and certificate topics, how a compressed
// body's algorithm is recognised and how its failures are reported, and the outer payload compressPayload writes.
// Each expectation is written from the specification or from zlib's own answer for the same bytes (Stryker's run of
// 2026-12-07 left these rules unpinned; docs/testing.md).
import { isUtf8 } from 'node:buffer';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { missingBirthFields } from '../../src/sparkplug/birth-header.ts';
import { compressionOf, inflateBody, looksZlibWrapped } from '../../src/sparkplug/compression.ts';
import { dataTypeName, isKnownDataType } from '../../src/sparkplug/datatypes.ts';
import { compressPayload, encodePayload } from '../../src/sparkplug/encode.ts';
import { decodeMetricsChunked, decodePayload } from '../../src/sparkplug/decode.ts';
import { DecodeError, asDecodeError } from '../../src/sparkplug/errors.ts';
import { sparkplugSchema } from '../../src/sparkplug/schema.ts';
import { TopicError, parseTopic } from '../../src/sparkplug/topic.ts';
import { escapeInvalidUtf8 } from '../../src/sparkplug/wire.ts';
import { seededRandom } from '../../src/sparkplug/random.ts';

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('a birth header', () => {
  it('needs a timestamp and a seq, and names each one missing in that order', () => {
    expect(missingBirthFields({})).toStrictEqual(['timestamp', 'seq']);
    expect(missingBirthFields({ timestamp: '1700000000000' })).toStrictEqual(['seq']);
    expect(missingBirthFields({ seq: '0' })).toStrictEqual(['timestamp']);
    expect(missingBirthFields({ timestamp: '1700000000000', seq: '0' })).toStrictEqual([]);
  });
});

describe('datatype codes', () => {
  it('are the integers 0 to 34 (Sparkplug 3.0, "Data Types"), nothing else', () => {
    for (let code = 0; code <= 34; code++) expect(isKnownDataType(code), String(code)).toBe(true);
    for (const code of [-1, 35, 3.5, Number.NaN]) expect(isKnownDataType(code), String(code)).toBe(false);
    expect(dataTypeName(3)).toBe('Int32');
    expect(dataTypeName(35)).toBe('Unknown(35)');
  });
});

describe('DecodeError', () => {
  it('says where, outermost first, then what and the offset; keeps a cause only when given one', () => {
    const err = new DecodeError('truncated varint', { offset: 57, context: ['metric #3', 'properties'] });
    expect(err.name).toBe('DecodeError');
    expect(err.message).toBe('metric #3: properties: truncated varint at offset 57');
    expect('cause' in err).toBe(false);
    const cause = new Error('inner');
    expect(new DecodeError('x', { cause }).cause).toBe(cause);
    expect(err.within('payload').message).toBe('payload: metric #3: properties: truncated varint at offset 57');
  });

  it('asDecodeError keeps a DecodeError, names a runaway recursion, and never has an empty reason', () => {
    const own = new DecodeError('mine');
    expect(asDecodeError(own)).toBe(own);
    const stack = new RangeError('Maximum call stack size exceeded');
    const deep = asDecodeError(stack);
    expect([deep.message, deep.cause]).toStrictEqual(['payload is nested too deeply to decode', stack]);
    const other = new RangeError('Invalid array length');
    expect([asDecodeError(other).message, asDecodeError(other).cause]).toStrictEqual(['Invalid array length', other]);
    const blank = asDecodeError('');
    expect([blank.message, blank.cause]).toStrictEqual(['unknown decoding failure', '']);
  });
});

describe('topics', () => {
  it('read a Sparkplug 3.0 STATE topic, and the bare STATE/<host> of the earlier drafts', () => {
    expect(parseTopic('spBv1.0/STATE/scada-1')).toStrictEqual({ namespace: 'spBv1.0', messageType: 'STATE', hostId: 'scada-1' });
    expect(parseTopic('STATE/scada-1')).toStrictEqual({ namespace: undefined, messageType: 'STATE', hostId: 'scada-1' });
  });

  it('refuse a bare STATE topic with more levels, and a certificate topic of a STATE', () => {
    const tooLong = thrown(() => parseTopic('STATE/scada-1/x'));
    expect(tooLong).toBeInstanceOf(TopicError);
    expect((tooLong as TopicError).name).toBe('TopicError');
    expect((tooLong as Error).message).toBe('not a Sparkplug B topic: "STATE/scada-1/x": the namespace must be spBv1.0');
    expect((thrown(() => parseTopic('$sparkplug/certificates/STATE/scada-1')) as Error).message).toContain('the namespace must be spBv1.0');
  });

  it('mark certificate topics, and only those', () => {
    expect(parseTopic('spBv1.0/G/NBIRTH/E')).not.toHaveProperty('certificate');
    expect(parseTopic('$sparkplug/certificates/spBv1.0/G/NBIRTH/E')).toStrictEqual({
      namespace: 'spBv1.0', groupId: 'G', messageType: 'NBIRTH', edgeNodeId: 'E', certificate: true,
    });
    expect(parseTopic('$sparkplug/certificates/spBv1.0/G/DBIRTH/E/D')).toMatchObject({ deviceId: 'D', certificate: true });
  });

  it('name the empty id of a device topic', () => {
    expect((thrown(() => parseTopic('spBv1.0/G/DBIRTH//D')) as Error).message).toBe(
      'not a Sparkplug B topic: "spBv1.0/G/DBIRTH//D": edge node id is empty',
    );
  });
});

describe('a compressed body', () => {
  const inner = encodePayload({ timestamp: '1700000000000', seq: '0', metrics: [{ name: 'a', datatype: 3, intValue: 1 }] });

  it('is GZIP only with both magic bytes when no algorithm is named; a named one is read case- and space-blind', () => {
    expect(compressionOf(undefined, zlib.gzipSync(inner))).toBe('GZIP');
    expect(compressionOf(undefined, Buffer.from([0x1f]))).toBe('DEFLATE');
    expect(compressionOf(undefined, Buffer.from([0x1f, 0x00]))).toBe('DEFLATE');
    expect(compressionOf(undefined, Buffer.from([0x00, 0x8b]))).toBe('DEFLATE');
    expect(compressionOf(' gzip ', Buffer.alloc(0))).toBe('GZIP');
    expect(compressionOf('Deflate', Buffer.alloc(0))).toBe('DEFLATE');
  });

  it('looks zlib-wrapped only with method 8 and a header checksum divisible by 31 (RFC 1950)', () => {
    expect(looksZlibWrapped(zlib.deflateSync(inner))).toBe(true);
    expect(looksZlibWrapped(Buffer.from([0x78, 0x9d]))).toBe(false); // method 8, checksum off by one
    const cmf = 0x79; // method 9
    const flg = (31 - ((cmf * 256) % 31)) % 31;
    expect((cmf * 256 + flg) % 31).toBe(0);
    expect(looksZlibWrapped(Buffer.from([cmf, flg]))).toBe(false);
  });

  it('that is not gzip says so and keeps zlib\'s error as the cause', () => {
    const err = thrown(() => inflateBody(Buffer.from('not gzip at all'), 'GZIP')) as DecodeError;
    expect(err.message).toMatch(/^compressed payload \(GZIP\): body is not valid gzip data \(.+\)$/);
    expect(err.cause).toBeInstanceOf(Error);
  });

  it('that is neither zlib nor raw DEFLATE reports the raw attempt when it does not look zlib-wrapped', () => {
    const body = Buffer.from([0xff, 0xff, 0xff, 0xff]);
    expect(looksZlibWrapped(body)).toBe(false);
    const raw = thrown(() => zlib.inflateRawSync(body)) as Error;
    const err = thrown(() => inflateBody(body, 'DEFLATE')) as DecodeError;
    expect(err.message).toBe(`compressed payload (DEFLATE): body is neither zlib-wrapped nor raw DEFLATE data (${raw.message})`);
    expect((err.cause as Error).message).toBe(raw.message);
  });

  it('over the limit is refused as too large, zlib-wrapped or raw', () => {
    const big = Buffer.alloc(10_000, 7);
    for (const body of [zlib.deflateSync(big), zlib.deflateRawSync(big)]) {
      expect((thrown(() => inflateBody(body, 'DEFLATE', 1000)) as Error).message).toBe(
        'compressed payload (DEFLATE) inflates to more than 1000 bytes; raise maxInflatedBytes if it is genuine',
      );
    }
    expect(inflateBody(zlib.deflateRawSync(big), 'DEFLATE', 10_000)).toStrictEqual(big);
  });
});

describe('compressPayload', () => {
  const { Payload } = sparkplugSchema();
  const outer = (bytes: Buffer) => Payload.toObject(Payload.decode(bytes), { longs: String, bytes: Buffer }) as Record<string, unknown>;
  const inner = encodePayload({ timestamp: '1700000000000', seq: '3', metrics: [{ name: 'a', datatype: 12, stringValue: 'x' }] });

  it('writes the uuid, the compressed body, the algorithm metric and the timestamp as asked', () => {
    const o = outer(compressPayload(inner, { algorithm: 'GZIP', timestamp: '1700000000001' }));
    expect(o.uuid).toBe('SPBV1.0_COMPRESSED');
    expect(o.timestamp).toBe('1700000000001');
    expect(o.metrics).toStrictEqual([expect.objectContaining({ name: 'algorithm', datatype: 12, stringValue: 'GZIP' })]);
    expect(zlib.gunzipSync(o.body as Buffer)).toStrictEqual(inner);
  });

  it('leaves out the timestamp and the algorithm metric when told to', () => {
    const o = outer(compressPayload(inner, { algorithm: 'DEFLATE', algorithmMetric: false }));
    expect(o).not.toHaveProperty('timestamp');
    expect(o).not.toHaveProperty('metrics');
    expect(o.uuid).toBe('SPBV1.0_COMPRESSED');
  });
});

describe('escapeInvalidUtf8', () => {
  // The reference, written without the lead-byte table: at each position the shortest run of 1-4 bytes that is valid
  // UTF-8 on its own is one character (valid sequences are prefix-free); a byte that starts none is escaped as
  // U+DC00 + byte.
  function reference(bytes: Buffer): string {
    let out = '';
    let i = 0;
    while (i < bytes.length) {
      const n = [1, 2, 3, 4].find((k) => i + k <= bytes.length && isUtf8(bytes.subarray(i, i + k)));
      if (n === undefined) {
        out += String.fromCharCode(0xdc00 + bytes[i]!);
        i++;
      } else {
        out += bytes.toString('utf8', i, i + n);
        i += n;
      }
    }
    return out;
  }
  // every lead-byte boundary of the table, continuation bytes at their edges, and plain ASCII
  const EDGES = [0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xc3, 0xdf, 0xe0, 0xe1, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf4, 0xf5, 0xff];

  it('keeps every valid character and escapes each byte of every invalid sequence (40,000 seeded byte strings)', () => {
    const random = seededRandom(20261207);
    for (let t = 0; t < 40_000; t++) {
      const bytes = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 7) }, () => EDGES[Math.floor(random() * EDGES.length)]!));
      expect(escapeInvalidUtf8(bytes, 0, bytes.length), bytes.toString('hex')).toBe(reference(bytes));
    }
  });

  it('reads only between start and stop: a character cut by stop is escaped byte by byte', () => {
    const bytes = Buffer.from([0x41, 0xe2, 0x82, 0xac, 0x42]); // A € B
    expect(escapeInvalidUtf8(bytes, 1, 4)).toBe('\u20ac');
    expect(escapeInvalidUtf8(bytes, 0, 3)).toBe('A\udce2\udc82');
    expect(escapeInvalidUtf8(bytes, 2, 5)).toBe('\udc82\udcacB');
  });
});

describe('the payload framing', () => {
  const firstChunk = (bytes: Buffer, options = {}) => decodeMetricsChunked(bytes, 10, options).next().value;

  it('refuses a Payload field with the wrong wire type, and skips the first field number past the last one', () => {
    for (const decode of [(b: Buffer) => decodePayload(b), firstChunk]) {
      expect(() => decode(Buffer.from([0x0a, 0x00]))).toThrow('field 1 has the wrong wire type 2'); // timestamp, length-delimited
      expect(() => decode(Buffer.from([0x28, 0x00]))).toThrow('field 5 has the wrong wire type 0'); // body, as a varint
    }
    // field 6 (unknown) as a varint, then seq = 5
    expect(decodePayload(Buffer.from([0x30, 0x01, 0x18, 0x05]))).toStrictEqual({ seq: '5' });
    expect(firstChunk(Buffer.from([0x30, 0x01, 0x18, 0x05]))?.header).toStrictEqual({ seq: '5' });
  });

  it('yields no empty chunk after metrics that fill the last chunk exactly', () => {
    const metrics = ['a', 'b', 'c', 'd'].map((name) => ({ name, datatype: 3, intValue: 1 }));
    const bytes = encodePayload({ timestamp: '1', seq: '0', metrics });
    expect([...decodeMetricsChunked(bytes, 2)].map((c) => [c.start, c.metrics.map((m) => m.name)])).toStrictEqual([
      [0, ['a', 'b']],
      [2, ['c', 'd']],
    ]);
    expect([...decodeMetricsChunked(bytes, 4)]).toHaveLength(1);
  });

  it('refuses a metric name that is not UTF-8 in chunks unless asked to escape it', () => {
    const metric = Buffer.from([0x0a, 0x02, 0xff, 0x61]); // name: 0xFF "a"
    const bytes = Buffer.concat([Buffer.from([0x08, 0x01, 0x18, 0x00, 0x12, metric.length]), metric]);
    expect(() => firstChunk(bytes)).toThrow(/not valid UTF-8/);
    expect(firstChunk(bytes, { invalidUtf8: 'escape' })?.metrics[0]?.name).toBe('\udcffa');
  });

  it('reads the algorithm from the metric named algorithm, not the first string metric', () => {
    const inner = encodePayload({ timestamp: '1', seq: '0', metrics: [{ name: 'a', datatype: 3, intValue: 1 }] });
    const outer = encodePayload({
      uuid: 'SPBV1.0_COMPRESSED',
      metrics: [{ name: 'note', datatype: 12, stringValue: 'GZIP' }, { name: 'algorithm', datatype: 12, stringValue: 'DEFLATE' }],
      body: zlib.deflateSync(inner).toString('base64'),
    });
    expect(firstChunk(outer)?.metrics.map((m) => m.name)).toStrictEqual(['a']);
    expect(decodePayload(outer).metrics?.map((m) => m.name)).toStrictEqual(['a']);
  });

  it('refuses compression inside compression in chunks too', () => {
    const inner = encodePayload({ timestamp: '1', seq: '0', metrics: [{ name: 'a', datatype: 3, intValue: 1 }] });
    const twice = compressPayload(compressPayload(inner, { algorithm: 'GZIP' }), { algorithm: 'DEFLATE' });
    expect(() => firstChunk(twice)).toThrow(/^compressed payload \(DEFLATE\) holds another compressed payload; only one level is allowed$/);
  });
});
