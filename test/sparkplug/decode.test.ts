// The lossless rules of the canonical JSON and the decoder's strictness, on hand-built wire bytes.
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import zlib from 'node:zlib';
import { DecodeError, decodeMetricsChunked, decodePayload, openPayload, unwrapPayload } from '../../src/sparkplug/decode.ts';
import { compressPayload, encodeMetric, encodePayload } from '../../src/sparkplug/encode.ts';
import type { MetricJson, PayloadJson } from '../../src/sparkplug/json-types.ts';
import { hasEscapedBytes, visibleEscapedBytes } from '../../src/sparkplug/wire.ts';
import { readFixtures } from './support.ts';

const fixture = (name: string) => readFixtures().find((f) => f.name === name)!;
const metricNamed = (payload: PayloadJson, name: string) => payload.metrics!.find((m) => m.name === name)!;

/** A payload whose metrics are the given raw Metric encodings. */
function payloadOfMetricBytes(...metrics: Uint8Array[]): Buffer {
  const w = protobuf.Writer.create();
  for (const m of metrics) w.uint32((2 << 3) | 2).bytes(m);
  return Buffer.from(w.finish());
}

function decodeError(bytes: Uint8Array): DecodeError {
  try {
    decodePayload(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(DecodeError);
    return err as DecodeError;
  }
  throw new Error('expected a DecodeError');
}

describe('canonical JSON', () => {
  const fields = decodePayload(fixture('metric-fields').bin);

  it('keeps alias 0 and leaves an absent alias out', () => {
    expect(metricNamed(fields, 'alias 0 (legal, present)').alias).toBe('0');
    expect(Object.hasOwn(metricNamed(fields, 'alias absent'), 'alias')).toBe(false);
  });

  it('keeps present-but-default values: false, 0, empty string', () => {
    expect(metricNamed(fields, 'isNull false, value 0')).toMatchObject({ isNull: false, intValue: 0 });
    expect(metricNamed(fields, 'historical and transient false')).toMatchObject({ isHistorical: false, isTransient: false });
    const text = decodePayload(fixture('datatypes-text-bytes').bin);
    expect(metricNamed(text, 'String/empty').stringValue).toBe('');
    expect(metricNamed(text, 'Bytes/empty').bytesValue).toBe('');
    expect(metricNamed(text, 'Boolean/false').booleanValue).toBe(false);
  });

  it('omits fields absent on the wire, including the value of a metric without one', () => {
    expect(metricNamed(fields, 'no timestamp, no value')).toStrictEqual({
      name: 'no timestamp, no value',
      timestamp: '1756392554816',
      datatype: 3,
    });
    expect(metricNamed(fields, 'datatype absent')).toStrictEqual({ name: 'datatype absent' });
  });

  it('keeps 64-bit integers exact as decimal strings, beyond 2^53', () => {
    const ints = decodePayload(fixture('datatypes-integers').bin);
    expect(metricNamed(ints, 'UInt64/max').longValue).toBe('18446744073709551615');
    expect(metricNamed(ints, 'UInt64/2^53+1').longValue).toBe('9007199254740993');
    expect(metricNamed(ints, 'Int64/min').longValue).toBe('9223372036854775808');
    expect(decodePayload(fixture('payload-header').bin).timestamp).toBe('18446744073709551615');
    expect(metricNamed(fields, 'alias max').alias).toBe('18446744073709551615');
  });

  it('keeps intValue as the raw uint32: no sign extension in canonical JSON', () => {
    const ints = decodePayload(fixture('datatypes-integers').bin);
    expect(metricNamed(ints, 'Int8/min sign-extended (Tahu, Java)').intValue).toBe(4294967168);
    expect(metricNamed(ints, 'Int32/plant Quality 2147484164').intValue).toBe(2147484164);
    expect(metricNamed(ints, 'Int32/-1').intValue).toBe(4294967295);
  });

  it('keeps unknown datatype and property type codes as numbers', () => {
    expect(metricNamed(fields, 'datatype 99 (future)')).toMatchObject({ datatype: 99, intValue: 7 });
    expect(metricNamed(fields, 'datatype 4294967295')).toMatchObject({ datatype: 4294967295, stringValue: 'future' });
    expect(metricNamed(fields, 'extension value')).toMatchObject({ datatype: 99, extensionValue: {} });
    const props = decodePayload(fixture('property-values').bin).metrics![0]!.properties!;
    expect(props.values![props.keys!.indexOf('type 99')]).toStrictEqual({ type: 99, intValue: 5 });
  });

  it('writes non-finite floats and -0 as strings, bytes as base64', () => {
    const floats = decodePayload(fixture('datatypes-floats').bin);
    expect(metricNamed(floats, 'Float/NaN').floatValue).toBe('NaN');
    expect(metricNamed(floats, 'Double/-Infinity').doubleValue).toBe('-Infinity');
    expect(metricNamed(floats, 'Float/-0').floatValue).toBe('-0');
    expect(metricNamed(floats, 'Float/0').floatValue).toBe(0);
    expect(metricNamed(floats, 'Float/0.1f').floatValue).toBe(Math.fround(0.1));
    expect(metricNamed(floats, 'Double/min subnormal').doubleValue).toBe(5e-324);
    const bytes = metricNamed(decodePayload(fixture('datatypes-text-bytes').bin), 'Bytes/all byte edges');
    expect(Buffer.from(bytes.bytesValue!, 'base64')).toStrictEqual(Buffer.from([0, 1, 127, 128, 254, 255]));
  });

  it('round-trips through the encoder unchanged', () => {
    for (const f of readFixtures().filter((x) => !x.name.startsWith('compressed-'))) {
      expect(decodePayload(encodePayload(f.json)), f.name).toStrictEqual(f.json);
    }
  });

  it('accepts a Uint8Array that is a view into a larger buffer', () => {
    const bin = fixture('plant-dbirth-portugal-cement').bin;
    const larger = new Uint8Array(bin.length + 20);
    larger.set(bin, 10);
    expect(decodePayload(larger.subarray(10, 10 + bin.length))).toStrictEqual(fixture('plant-dbirth-portugal-cement').json);
  });
});

describe('protobuf semantics', () => {
  it('keeps only the last member of a oneof', () => {
    const w = protobuf.Writer.create();
    w.uint32((1 << 3) | 2).string('m');
    w.uint32((15 << 3) | 2).string('first'); // stringValue
    w.uint32((10 << 3) | 0).uint32(7); // then intValue
    expect(decodePayload(payloadOfMetricBytes(w.finish())).metrics).toStrictEqual([{ name: 'm', intValue: 7 }]);
  });

  it('merges a singular message field that occurs twice and appends repeated fields', () => {
    const first = encodeMetric({ name: 'm', properties: { keys: ['a'], values: [{ type: 3, intValue: 1 }] } });
    const second = encodeMetric({ properties: { keys: ['b'], values: [{ type: 3, intValue: 2 }] }, metadata: { md5: 'x' } });
    const merged = decodePayload(payloadOfMetricBytes(Buffer.concat([first, second]))).metrics![0];
    expect(merged).toStrictEqual({
      name: 'm',
      properties: { keys: ['a', 'b'], values: [{ type: 3, intValue: 1 }, { type: 3, intValue: 2 }] },
      metadata: { md5: 'x' },
    });
  });

  it('skips unknown fields of every wire type, at the top and inside messages', () => {
    const unknown = protobuf.Writer.create();
    unknown.uint32((50 << 3) | 0).uint64('18446744073709551615');
    unknown.uint32((51 << 3) | 1).fixed64(1);
    unknown.uint32((52 << 3) | 2).bytes(Buffer.from('ignored'));
    unknown.uint32((53 << 3) | 5).fixed32(1);
    unknown.uint32((54 << 3) | 3).uint32((1 << 3) | 0).uint32(5).uint32((54 << 3) | 4); // a group
    const extra = unknown.finish();
    const metric = Buffer.concat([encodeMetric({ name: 'm', datatype: 3, intValue: 1 }), extra]);
    const bytes = Buffer.concat([payloadOfMetricBytes(metric), extra, encodePayload({ seq: '3' })]);
    expect(decodePayload(bytes)).toStrictEqual({ metrics: [{ name: 'm', datatype: 3, intValue: 1 }], seq: '3' });
  });

  it('openPayload reads only the framing of an uncompressed payload, and names a framing error as the decoder does', () => {
    // a property value with a field number 0: inside a metric, which the framing scan steps over (the ingestor asks
    // openPayload of every birth; decoding a 98k-metric one there took 0.3 s, docs/benchmarks.md)
    const deep = Buffer.from([0x08, 0x01, 0x12, 0x10, 0x0a, 0x01, 0x61, 0x20, 0x0a, 0x4a, 0x09, 0x0a, 0x01, 0x6b, 0x12, 0x04, 0x08, 0x0c, 0x00, 0x00]);
    expect(() => decodePayload(deep)).toThrow(/invalid field number 0/);
    // the scan handed back: what unwrapPayload gives, the timestamp (field 1) and the one metric
    expect(openPayload(deep)).toStrictEqual({ compressed: false, unwrapped: unwrapPayload(deep) });
    expect(unwrapPayload(deep)).toMatchObject({ header: { timestamp: '1' }, metricCount: 1, compression: undefined });
    // and then a seq sent length-delimited: the scan stops there, the decoder already at the property value
    const framing = Buffer.concat([deep, Buffer.from([0x1a, 0x00])]);
    expect(() => openPayload(framing)).toThrow(/invalid field number 0/);
    expect(() => openPayload(framing)).toThrow((() => {
      try {
        decodePayload(framing);
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error('decodePayload took it');
    })());
    const inner = encodePayload({ timestamp: '1', seq: '0', metrics: [{ name: 'a', datatype: 12, stringValue: 'x' }] });
    const found = openPayload(compressPayload(inner, { algorithm: 'GZIP' }));
    if (!found.compressed) throw new Error('a compressed payload taken for an uncompressed one');
    expect(found.compression).toBe('GZIP');
    expect(zlib.gunzipSync(found.body)).toStrictEqual(inner);
  });

  it('never hands out an interned string for a different one: "tag239" and "tag2393" share a cache slot', () => {
    // (the slot is a hash of the length and the first and last 8 bytes; this pair was found by search: the shorter is
    // a prefix of the longer, so only the length tells them apart)
    const keys = ['tag2393', 'tag239', 'tag2393', 'tag239'];
    const json = decodePayload(encodePayload({ metrics: [{ name: 'tag239', properties: { keys, values: keys.map(() => ({ type: 12, stringValue: 'tag2393' })) } }] }));
    expect(json.metrics?.[0]?.properties?.keys).toEqual(keys);
    expect(json.metrics?.[0]?.name).toBe('tag239');
  });

  it('never hands out a cached string for bytes it did not compare: short strings that differ only after their first byte', () => {
    // For each first byte, the strings of 2-4 bytes with every second byte, then the same lengths with zero bytes
    // after the first: each must decode to itself, whatever shorter or equal string a cache slot held before.
    const strings: string[] = [];
    for (let first = 0x21; first < 0x7f; first++) {
      for (const length of [2, 3, 4]) {
        for (let second = 1; second < 0x80; second++) strings.push(String.fromCharCode(first, second).padEnd(length, 'z'));
        strings.push(String.fromCharCode(first).padEnd(length, '\0'));
      }
    }
    const values = strings.map((s) => ({ type: 12, stringValue: s }));
    const json = decodePayload(encodePayload({ metrics: [{ name: 'm', properties: { keys: strings, values } }] }));
    const got = json.metrics?.[0]?.properties;
    expect(got?.keys).toEqual(strings);
    expect(got?.values?.map((v) => v.stringValue)).toEqual(strings);
  });

  it('decodes a long string exactly after a short one was cached: long strings are compared in full, never cached', () => {
    // The cache keys a string by its length and its first and last 8 bytes. Each round: a 100-byte string, a short
    // one, and the long one with the short one's bytes in its middle (same length, same ends). Whatever slot the
    // short one takes, the third must come back as itself.
    const long = 'a'.repeat(100);
    const strings: string[] = [];
    for (let k = 0; k < 20_000; k++) {
      const short = `z${String(k).padStart(6, '0')}`;
      strings.push(long, short, long.slice(0, 48) + short + long.slice(48 + short.length));
    }
    const json = decodePayload(encodePayload({ metrics: [{ name: 'm', properties: { keys: strings, values: strings.map((s) => ({ type: 12, stringValue: s })) } }] }));
    const got = json.metrics?.[0]?.properties;
    expect(got?.keys).toEqual(strings);
    expect(got?.values?.map((v) => v.stringValue)).toEqual(strings);
  });

  it('skips an unknown fixed64 or fixed32 that ends exactly where its message ends', () => {
    const tag = (field: number, wireType: number) => [...protobuf.Writer.create().uint32((field << 3) | wireType).finish()];
    for (const last of [[...tag(51, 1), 1, 2, 3, 4, 5, 6, 7, 8], [...tag(53, 5), 1, 2, 3, 4]]) {
      const metric = Buffer.concat([encodeMetric({ name: 'm', datatype: 3 }), Buffer.from(last)]);
      expect(decodePayload(payloadOfMetricBytes(metric)).metrics).toStrictEqual([{ name: 'm', datatype: 3 }]);
    }
  });

  it('reads DataSet types packed and unpacked', () => {
    const unpacked = encodeMetric({ datasetValue: { types: [3, 12] } });
    const packed = protobuf.Writer.create();
    packed.uint32((17 << 3) | 2).fork().uint32((3 << 3) | 2).fork().uint32(3).uint32(12).ldelim().ldelim();
    for (const m of [unpacked, packed.finish()]) {
      expect(decodePayload(payloadOfMetricBytes(m)).metrics).toStrictEqual([{ datasetValue: { types: [3, 12] } }]);
    }
  });

  it('truncates an over-wide uint32 varint to its low 32 bits, as protobuf does', () => {
    const w = protobuf.Writer.create();
    w.uint32((4 << 3) | 0).uint64('4294967299'); // 2^32 + 3 as a datatype
    expect(decodePayload(payloadOfMetricBytes(w.finish())).metrics).toStrictEqual([{ datatype: 3 }]);
  });
});

describe('DecodeError', () => {
  const plant = fixture('plant-dbirth-portugal-cement').bin;

  it('says when the bytes are not a protobuf at all', () => {
    const err = decodeError(Buffer.from([0x0f, 0x01]));
    expect(err.message).toBe('payload is not a Sparkplug B protobuf: invalid wire type 7 at offset 0');
    expect(err.offset).toBe(0);
  });

  it('names the metric, and the field, of a truncated payload', () => {
    expect(decodeError(plant.subarray(0, 300)).message).toMatch(/^metric #0: length \d+ runs past the end of its message/);
    expect(decodeError(Buffer.from([0x08, 0x80])).message).toBe('payload is not a Sparkplug B protobuf: timestamp: truncated varint at offset 1');
  });

  it('names metric index, name and alias, the property key and the field', () => {
    const good = encodeMetric({ name: 'a', alias: '1', datatype: 11, booleanValue: true });
    const badProperty = Buffer.concat([
      encodeMetric({ name: 'Pump/Speed', alias: '12', properties: { keys: ['engUnit', 'Quality'], values: [{ type: 12, stringValue: 'rpm' }] } }),
      // the second property value: type 3 with a varint cut short
      Buffer.from([(9 << 3) | 2, 5, (2 << 3) | 2, 3, (1 << 3) | 0, 3, (3 << 3) | 0]),
    ]);
    expect(decodeError(payloadOfMetricBytes(good, badProperty)).message).toMatch(
      /^metric #1 "Pump\/Speed" \(alias 12\): properties: values\[1\] "Quality": (intValue: truncated varint|length \d+ runs past)/,
    );
  });

  it('rejects a known field with the wrong wire type', () => {
    const w = protobuf.Writer.create();
    w.uint32((4 << 3) | 2).string('Int32'); // datatype must be a varint
    expect(decodeError(payloadOfMetricBytes(w.finish())).message).toMatch(
      /^metric #0: datatype: field 4 has the wrong wire type 2 \(length-delimited\) at offset \d+$/,
    );
  });

  it('rejects invalid UTF-8 but accepts a genuine U+FFFD', () => {
    const w = protobuf.Writer.create();
    w.uint32((1 << 3) | 2).bytes(Buffer.from([0x4f, 0x75, 0x74, 0xe3, 0x6f])); // "Outão" in Latin-1
    expect(decodeError(payloadOfMetricBytes(w.finish())).message).toMatch(/^metric #0: name: string is not valid UTF-8/);
    expect(decodePayload(encodePayload({ uuid: 'a\uFFFDb' })).uuid).toBe('a\uFFFDb');
  });

  it('with invalidUtf8 escape, returns each byte of an invalid sequence as a lone surrogate U+DC80–U+DCFF, and only those', () => {
    const name = (bytes: number[]) => {
      const w = protobuf.Writer.create();
      w.uint32((1 << 3) | 2).bytes(Buffer.from(bytes));
      return w.finish();
    };
    const cases: [number[], string][] = [
      [[0x4f, 0x75, 0x74, 0xe3, 0x6f], 'Out\uDCE3o'], // Latin-1 ã: E3 starts a 3-byte sequence 6F does not continue
      [[0x41, 0xff, 0xfe, 0x42], 'A\uDCFF\uDCFEB'], // never UTF-8
      [[0xc0, 0xaf], '\uDCC0\uDCAF'], // over-long "/"
      [[0xed, 0xa0, 0x80], '\uDCED\uDCA0\uDC80'], // an encoded surrogate
      [[0xe2, 0x82], '\uDCE2\uDC82'], // truncated € at the end
      [[0xf0, 0x9f, 0x98, 0x80, 0x80, 0xc3, 0xa9], '\u{1F600}\uDC80\u00e9'], // valid around a stray continuation byte
      [Array.from({ length: 60 }, (_, i) => (i === 30 ? 0xff : 0x61)), `${'a'.repeat(30)}\uDCFF${'a'.repeat(29)}`], // past the short-string cache
    ];
    for (const [bytes, expected] of cases) {
      const payload = payloadOfMetricBytes(name(bytes));
      expect(decodePayload(payload, { invalidUtf8: 'escape' }).metrics?.[0]?.name, bytes.join(' ')).toBe(expected);
      expect([...decodeMetricsChunked(payload, 1, { invalidUtf8: 'escape' })][0]?.metrics[0]?.name).toBe(expected);
      expect(decodeError(payload).message, 'the default still refuses it').toMatch(/not valid UTF-8/); // the cache keeps no escaped string
    }
    expect(hasEscapedBytes('Out\uDCE3o')).toBe(true);
    expect(hasEscapedBytes('\u{10080}')).toBe(false); // D800 DC80: a valid pair whose low half is in the range
    expect(hasEscapedBytes('a\uFFFDb')).toBe(false);
    expect(visibleEscapedBytes('Out\uDCE3o \u{10080} \uDC80')).toBe('Out\\xE3o \u{10080} \\x80');
  });

  it('rejects varints longer than 10 bytes', () => {
    const bytes = Buffer.from([0x08, ...new Array<number>(10).fill(0xff), 0x01]);
    expect(decodeError(bytes).message).toBe('payload is not a Sparkplug B protobuf: timestamp: varint longer than 10 bytes at offset 1');
    const bool = Buffer.from([(5 << 3) | 0, ...new Array<number>(10).fill(0x80), 0x01]); // is_historical
    expect(decodeError(payloadOfMetricBytes(bool)).message).toMatch(/^metric #0: isHistorical: varint longer than 10 bytes at offset \d+$/);
  });

  /** The varint bytes of the tag of `field` with wire type `wireType`. */
  const tag = (field: number, wireType: number): number[] => [...protobuf.Writer.create().uint32((field << 3) | wireType).finish()];

  // A metric whose own length ends inside a value, followed by more bytes of the payload: the reader must stop at
  // the metric's end, not read on into the next metric (every case here would decode "successfully" otherwise).
  it.each([
    ['nothing after a tag (datatype)', [(4 << 3) | 0], /^metric #0: datatype: truncated varint at offset \d+$/],
    ['a uint32 varint (datatype)', [(4 << 3) | 0, 0x80], /^metric #0: datatype: truncated varint at offset \d+$/],
    ['a uint64 varint (alias)', [(2 << 3) | 0, 0x80], /^metric #0: alias: truncated varint at offset \d+$/],
    ['a uint64 varint past its 7th byte (alias)', [(2 << 3) | 0, ...new Array<number>(8).fill(0x80)], /^metric #0: alias: truncated varint at offset \d+$/],
    ['a bool varint (is_historical)', [(5 << 3) | 0, 0x80], /^metric #0: isHistorical: truncated varint at offset \d+$/],
    ['an unknown fixed64', [...tag(51, 1), 1, 2, 3], /^metric #0: field 51: truncated fixed64 at offset \d+$/],
    ['an unknown fixed32', [...tag(53, 5), 1, 2], /^metric #0: field 53: truncated fixed32 at offset \d+$/],
    ['an unknown group', [...tag(54, 3), (1 << 3) | 0, 5], /^metric #0: field 54: truncated group 54 at offset \d+$/],
  ])('stops at the end of a metric cut short inside %s', (_what, bytes, message) => {
    const next = encodeMetric({ name: 'next', datatype: 3, intValue: 0x80 });
    expect(decodeError(payloadOfMetricBytes(Buffer.from(bytes), next)).message).toMatch(message);
  });

  it.each([
    ['field number 0', [0x00, 0x01], /^metric #0: invalid field number 0 at offset \d+$/],
    ['an end-group tag with no group open', tag(60, 4), /^metric #0: field 60: unexpected end-group tag for field 60 at offset \d+$/],
    ['a group closed by the end-group tag of another field', [...tag(54, 3), ...tag(55, 4)], /^metric #0: field 54: end-group tag for field 55 inside group 54/],
  ])('rejects %s', (_what, bytes, message) => {
    expect(decodeError(payloadOfMetricBytes(Buffer.from(bytes))).message).toMatch(message);
  });

  it('reads groups nested 64 levels deep (the metric is one) and rejects one more instead of overflowing the stack', () => {
    const nested = (levels: number) => Buffer.from([
      ...Array.from({ length: levels }, () => tag(54, 3)).flat(), ...Array.from({ length: levels }, () => tag(54, 4)).flat(),
    ]);
    expect(decodePayload(payloadOfMetricBytes(Buffer.concat([nested(63), encodeMetric({ name: 'm' })]))).metrics).toStrictEqual([{ name: 'm' }]);
    expect(decodeError(payloadOfMetricBytes(nested(64))).message).toMatch(/^metric #0: field 54: groups nested deeper than 64 levels at offset \d+$/);
  });

  it('rejects property sets nested deeper than 64 levels instead of overflowing the stack', () => {
    let set: Uint8Array = new Uint8Array(0);
    for (let i = 0; i < 200; i++) {
      const value = protobuf.Writer.create().uint32((9 << 3) | 2).bytes(set).finish(); // PropertyValue.propertyset_value
      set = protobuf.Writer.create().uint32((2 << 3) | 2).bytes(value).finish(); // PropertySet.values
    }
    const metric = protobuf.Writer.create().uint32((9 << 3) | 2).bytes(set).finish();
    expect(decodeError(payloadOfMetricBytes(metric)).message).toMatch(/messages nested deeper than 64 levels/);
  });

  it('is the only thing thrown for bad input; a non-byte input is a programming error', () => {
    expect(() => decodePayload('not bytes' as unknown as Uint8Array)).toThrow(TypeError);
  });

  it('leaves what the decoder accepted alone: an empty payload is valid', () => {
    expect(decodePayload(Buffer.alloc(0))).toStrictEqual({});
  });
});

describe('metric order and content of a real birth', () => {
  it('decodes the plant birth metric by metric as the fixture says', () => {
    const { json, bin } = fixture('plant-dbirth-portugal-cement');
    const metrics: MetricJson[] = decodePayload(bin).metrics!;
    expect(metrics.map((m) => m.name)).toStrictEqual(json.metrics!.map((m) => m.name));
    expect(metrics[0]!.properties!.values![3]).toStrictEqual({ type: 3, intValue: 2147484164 });
  });
});
