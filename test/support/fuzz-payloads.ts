// Random and mutated Sparkplug payloads for fuzz tests (the decoder's, test/sparkplug/fuzz.test.ts, and the
// ingestor's, test/ingest/fuzz.test.ts), from a seeded PRNG so a failure reproduces.
import { compressPayload } from '../../src/sparkplug/encode.ts';
import { type Random, pick, randomInt } from '../../src/sparkplug/random.ts';

export function randomBytes(random: Random, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = randomInt(random, 256);
  return out;
}

/** Bytes that look like protobuf: valid tags of small field numbers with plausible values, nested. */
export function protobufLike(random: Random, depth = 0): Buffer {
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

export function mutate(random: Random, source: Buffer): Buffer {
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

/** One payload: random bytes (10 %), protobuf-like bytes (10 %), a compressed mutated plant birth (10 %), else a mutated source. */
export function fuzzPayload(random: Random, sources: readonly Buffer[], plant: Buffer): Buffer {
  const kind = randomInt(random, 10);
  if (kind === 0) return randomBytes(random, randomInt(random, 512));
  if (kind === 1) return protobufLike(random);
  if (kind === 2) return compressPayload(mutate(random, plant), { algorithm: pick(random, ['DEFLATE', 'GZIP'] as const) });
  return mutate(random, pick(random, sources));
}
