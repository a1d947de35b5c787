// 10,000 random and mutated payloads (seeded, so a failure reproduces): every one either decodes or is
// rejected with a DecodeError that gives a reason. Nothing else may escape: the ingestor dead-letters
// on DecodeError and must never crash on input.
import { describe, expect, it } from 'vitest';
import { decodeMetricsChunked, decodePayload } from '../../src/sparkplug/decode.ts';
import { DecodeError } from '../../src/sparkplug/errors.ts';
import type { PayloadJson, PropertySetJson } from '../../src/sparkplug/json-types.ts';
import { seededRandom } from '../../src/sparkplug/random.ts';
import { syntheticBirthBuffer } from '../../src/sparkplug/synthetic.ts';
import { metricValue, propertyValue } from './typed-values.ts';
import { fuzzPayload } from '../support/fuzz-payloads.ts';
import { readFixtures } from './support.ts';

const SEED = 20250828;
const CASES = 10_000;

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
      const bytes = fuzzPayload(random, sources, plant);

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
