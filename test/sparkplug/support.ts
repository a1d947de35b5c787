// Shared by the Sparkplug tests and the fixture generator: the fixture directory, an independent
// reference decoder (protobufjs reflection), and Eclipse Tahu's JavaScript payload library.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sparkplugPayload from 'sparkplug-payload';
import type { PayloadJson } from '../../src/sparkplug/json-types.ts';
import { sparkplugSchema } from '../../src/sparkplug/schema.ts';

export const FIXTURE_DIR = fileURLToPath(new URL('../../fixtures/sparkplug/', import.meta.url));
/** Copies of shared/fixtures (the plant's DBIRTH and the old service's decoded births): generator input. */
export const SOURCE_DIR = fileURLToPath(new URL('../../fixtures/sparkplug/sources/', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Eclipse Tahu's `sparkplug-payload` (npm) for namespace spBv1.0: encodePayload / decodePayload. */
const tahuModule = sparkplugPayload.get('spBv1.0');
if (tahuModule === null) throw new Error('sparkplug-payload has no spBv1.0 implementation');
export const tahu = tahuModule;

export interface Fixture {
  name: string;
  bin: Buffer;
  json: PayloadJson;
}

/** Every `<name>.bin` of fixtures/sparkplug with its expected `<name>.json`. */
export function readFixtures(): Fixture[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.bin'))
    .map((f) => f.slice(0, -'.bin'.length))
    .sort()
    .map((name) => ({
      name,
      bin: readFileSync(`${FIXTURE_DIR}${name}.bin`),
      json: JSON.parse(readFileSync(`${FIXTURE_DIR}${name}.json`, 'utf8')) as PayloadJson,
    }));
}

/** protobufjs keeps -0 as a number; canonical JSON writes it "-0" (JSON text cannot carry it). */
function negativeZeroAsString(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(negativeZeroAsString);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = (k === 'floatValue' || k === 'doubleValue') && Object.is(v, -0) ? '-0' : negativeZeroAsString(v);
    }
    return out;
  }
  return value;
}

/**
 * The canonical JSON of a payload according to protobufjs reflection (decode + toObject), written
 * independently of src/sparkplug/decode.ts. It differs from ours only where protobufjs is lenient
 * (several oneof members, repeated singular messages, malformed input), so compare on valid payloads.
 */
export function referenceDecode(bytes: Uint8Array): PayloadJson {
  const { Payload } = sparkplugSchema();
  const object = Payload.toObject(Payload.decode(bytes), { longs: String, bytes: String, json: true });
  return negativeZeroAsString(object) as PayloadJson;
}
