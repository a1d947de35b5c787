// The chunked decoder against the whole decoder on a large synthetic birth; the synthetic birth builder.
import { isDeepStrictEqual } from 'node:util';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { DecodeError, decodeMetricsChunked, decodePayload } from '../../src/sparkplug/decode.ts';
import { encodeMetric, encodePayload } from '../../src/sparkplug/encode.ts';
import type { MetricJson } from '../../src/sparkplug/json-types.ts';
import { syntheticBirth, syntheticBirthBuffer } from '../../src/sparkplug/synthetic.ts';

/** toStrictEqual is slow on 50,000 metrics: compare fast, and diff only when they differ. */
function expectSame(actual: unknown, expected: unknown): void {
  if (!isDeepStrictEqual(actual, expected)) expect(actual).toStrictEqual(expected);
}

describe('decodeMetricsChunked', () => {
  const metrics = 50_000;
  const bytes = syntheticBirthBuffer({ metrics, seed: 42 });
  const whole = decodePayload(bytes);

  it.each([1000, 777])('yields the same metrics as decodePayload on a %s-metric chunking of a 50,000-metric birth', (size) => {
    const seen: MetricJson[] = [];
    let chunks = 0;
    for (const chunk of decodeMetricsChunked(bytes, size)) {
      chunks++;
      expect(chunk.start).toBe(seen.length);
      expect(chunk.metricCount).toBe(metrics);
      expect(chunk.metrics.length).toBe(Math.min(size, metrics - chunk.start));
      // seq follows the metrics on the wire; the header has it from the first chunk on
      expect(chunk.header).toStrictEqual({ timestamp: whole.timestamp, seq: whole.seq });
      for (const m of chunk.metrics) seen.push(m);
    }
    expect(chunks).toBe(Math.ceil(metrics / size));
    expectSame(seen, whole.metrics);
  });

  it('yields one empty chunk for a payload without metrics, so the header is always seen', () => {
    expect([...decodeMetricsChunked(encodePayload({ timestamp: '5', seq: '7' }))]).toStrictEqual([
      { header: { timestamp: '5', seq: '7' }, metricCount: 0, start: 0, metrics: [] },
    ]);
  });

  it('checks the framing before the first chunk, and names a bad metric when it reaches it', () => {
    expect(() => decodeMetricsChunked(bytes.subarray(0, bytes.length - 10)).next()).toThrow(DecodeError);
    const encoded = syntheticBirth({ metrics: 3000, seed: 1 }).metrics!.map(encodeMetric);
    encoded[1500]![0] = 0x0f; // metric #1500 starts with a tag of wire type 7
    const framing = protobuf.Writer.create();
    for (const m of encoded) framing.uint32((2 << 3) | 2).bytes(m);
    const yielded: number[] = [];
    expect(() => {
      for (const chunk of decodeMetricsChunked(framing.finish(), 1000)) yielded.push(chunk.start);
    }).toThrow(/^metric #1500: invalid wire type 7 at offset \d+$/);
    expect(yielded).toStrictEqual([0]);
  });

  it('rejects a chunk size that is not a positive integer', () => {
    expect(() => decodeMetricsChunked(bytes, 0).next()).toThrow(RangeError);
    expect(() => decodeMetricsChunked(bytes, 1.5).next()).toThrow(RangeError);
  });
});

describe('syntheticBirth', () => {
  const json = syntheticBirth({ metrics: 5000, seed: 3 });

  it('encodes to the same bytes as syntheticBirthBuffer, and decodes back to itself', () => {
    const bytes = syntheticBirthBuffer({ metrics: 5000, seed: 3 });
    expect(bytes.equals(encodePayload(json))).toBe(true);
    expectSame(decodePayload(bytes), json);
  });

  it('is reproducible from its seed and differs between seeds', () => {
    expect(syntheticBirth({ metrics: 100, seed: 3 })).toStrictEqual(syntheticBirth({ metrics: 100, seed: 3 }));
    expect(syntheticBirth({ metrics: 100, seed: 4 })).not.toStrictEqual(syntheticBirth({ metrics: 100, seed: 3 }));
  });

  it('has the plant shape: unique names, ~8.4 properties per metric, the fixture key set', () => {
    const metrics = json.metrics!;
    expect(new Set(metrics.map((m) => m.name)).size).toBe(metrics.length);
    const properties = metrics.reduce((n, m) => n + m.properties!.keys!.length, 0) / metrics.length;
    expect(properties).toBeGreaterThan(8.2);
    expect(properties).toBeLessThan(8.6);
    expect(new Set(metrics.flatMap((m) => m.properties!.keys!))).toStrictEqual(
      new Set(['engLow', 'retained', 'DataPermission', 'Quality', 'documentation', 'engHigh', 'retain', 'executionMode', 'engUnit', 'delete']),
    );
    expect(metrics[0]!.name).toMatch(/^(Maceira|Outão|Pataias)\/\d00 - [^/]+\/\d+ - [^/]+\/(Normalised\/\w+|KPI)\/\w+\/\w+$/);
  });
});
