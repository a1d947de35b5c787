// 10,000 random and mutated payloads (seeded, so a failure reproduces): every one either decodes or is
// rejected with a DecodeError that gives a reason. Nothing else may escape: the ingestor dead-letters
// on DecodeError and must never crash on input.
import { describe, expect, it } from 'vitest';
import { decodeMetricsChunked, decodePayload } from '../../src/sparkplug/decode.ts';
import { compressPayload } from '../../src/sparkplug/encode.ts';
import { DecodeError } from '../../src/sparkplug/errors.ts';
import type { PayloadJson, PropertySetJson } from '../../src/sparkplug/json-types.ts';
import { type Random, pick, randomInt, seededRandom } from '../../src/sparkplug/random.ts';
import { syntheticBirthBuffer } from '../../src/sparkplug/synthetic.ts';
import { metricValue, propertyValue } from '../../src/sparkplug/values.ts';
import { readFixtures } from './support.ts';

const SEED = 20250828;
const CASES = 10_000;

function randomBytes(random: Random, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = randomInt(random, 256);
  return out;
}

/** Bytes that look like protobuf: valid tags of small field numbers with plausible values, nested. */
function protobufLike(random: Random, depth = 0): Buffer {
  const parts: Buffer[] = [];
  const fields = 1 + randomInt(random, 8);
  for (let i = 0; i < fields; i++) {
    const field = 1 + randomInt(random, 20);
    const wire = pick(random, [0, 0, 1, 2, 2, 2, 5]);
    parts.push(Buffer.from([(field << 3) | wire]));
    if (wire === 0) parts.push(Buffer.from(random() < 0.2 ? [0xff, 0xff, 0xff, 0xff, 0x0f] : [randomInt(random, 128)]));
    else if (wire === 1) parts.push(randomBytes(random, 8));
    else if (wire === 5) parts.push(randomBytes(random, 4));
    else {
      const body = depth < 4 && random() < 0.6 ? protobufLike(random, depth + 1) : randomBytes(random, randomInt(random, 12));
      parts.push(Buffer.from([body.length & 0x7f]), body.subarray(0, 127));
    }
  }
  return Buffer.concat(parts);
}

function mutate(random: Random, source: Buffer): Buffer {
  const b = Buffer.from(source);
  const at = () => randomInt(random, Math.max(1, b.length));
  switch (randomInt(random, 7)) {
    case 0: { // flip 1–8 bits
      const flips = 1 + randomInt(random, 8);
      for (let i = 0; i < flips && b.length > 0; i++) {
        const j = at();
        b[j] = b[j]! ^ (1 << randomInt(random, 8));
      }
      return b;
    }
    case 1: return b.subarray(0, at()); // truncate
    case 2: { // overwrite a span with random bytes
      const start = at();
      randomBytes(random, 1 + randomInt(random, 16)).copy(b, start);
      return b;
    }
    case 3: { // insert random bytes
      const start = at();
      return Buffer.concat([b.subarray(0, start), randomBytes(random, 1 + randomInt(random, 8)), b.subarray(start)]);
    }
    case 4: { // delete a span
      const start = at();
      return Buffer.concat([b.subarray(0, start), b.subarray(start + 1 + randomInt(random, 16))]);
    }
    case 5: { // duplicate a span
      const start = at();
      const span = b.subarray(start, start + 1 + randomInt(random, 64));
      return Buffer.concat([b.subarray(0, start), span, b.subarray(start)]);
    }
    default: return b.subarray(at()); // drop the start
  }
}

function propertyValuesOf(set: PropertySetJson | undefined): void {
  for (const value of set?.values ?? []) {
    propertyValue(value);
    propertyValuesOf(value.propertysetValue);
    for (const s of value.propertysetsValue?.propertyset ?? []) propertyValuesOf(s);
  }
}

/** Everything a consumer does with a decoded payload: typed values, chunked decoding, JSON text. */
function consume(bytes: Buffer, payload: PayloadJson): void {
  for (const metric of payload.metrics ?? []) {
    try {
      metricValue(metric);
      propertyValuesOf(metric.properties);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
    }
  }
  const chunked = [...decodeMetricsChunked(bytes, 7)].flatMap((c) => c.metrics);
  expect(chunked).toStrictEqual(payload.metrics ?? []);
  JSON.stringify(payload);
}

describe('random and mutated payloads', () => {
  it(`${CASES} of them (seed ${SEED}) each decode or throw a DecodeError with a reason`, () => {
    const random = seededRandom(SEED);
    const fixtures = readFixtures().map((f) => f.bin);
    const plant = readFixtures().find((f) => f.name === 'plant-dbirth-portugal-cement')!.bin;
    const sources = [...fixtures, syntheticBirthBuffer({ metrics: 40, seed: SEED })];
    const outcomes = { decoded: 0, rejected: 0 };
    const reasons = new Set<string>();

    for (let i = 0; i < CASES; i++) {
      const kind = randomInt(random, 10);
      let bytes: Buffer;
      if (kind === 0) bytes = randomBytes(random, randomInt(random, 512));
      else if (kind === 1) bytes = protobufLike(random);
      else if (kind === 2) bytes = compressPayload(mutate(random, plant), { algorithm: pick(random, ['DEFLATE', 'GZIP'] as const) });
      else bytes = mutate(random, pick(random, sources));

      let payload: PayloadJson;
      try {
        payload = decodePayload(bytes);
      } catch (err) {
        if (!(err instanceof DecodeError) || err.message.length === 0) {
          throw new Error(`case ${i} (${bytes.toString('base64')}) threw ${String(err)}`, { cause: err });
        }
        outcomes.rejected++;
        reasons.add(err.reason.replace(/\d+/g, 'N'));
        continue;
      }
      outcomes.decoded++;
      consume(bytes, payload);
    }
    expect(outcomes.decoded + outcomes.rejected).toBe(CASES);
    // both paths are exercised
    expect(outcomes.decoded).toBeGreaterThan(CASES / 20);
    expect(outcomes.rejected).toBeGreaterThan(CASES / 2);
    expect(reasons.size).toBeGreaterThan(20);
  });
});
