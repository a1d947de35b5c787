// Decode throughput: our decoder against Eclipse Tahu's `sparkplug-payload` decoder, same payload, one run.
//
//   node bench/decode.ts                      10,000-metric plant-shaped DBIRTH, 10 rounds
//   node bench/decode.ts --metrics 98332      the size of the plant's real birth
//   node bench/decode.ts --million            also: peak memory of a chunked decode of 1,000,000 metrics
//
// Each round times every decoder (order rotated, a full GC before each), after a warm-up; the report
// gives the median and best metrics/s of each and the ratio of the medians. Results go to stdout only.
import { cpus } from 'node:os';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import sparkplugPayload from 'sparkplug-payload';
import { decodeMetricsChunked, decodePayload } from '../src/sparkplug/decode.ts';
import { sparkplugSchema } from '../src/sparkplug/schema.ts';
import { syntheticBirthBuffer } from '../src/sparkplug/synthetic.ts';

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const { values: args } = parseArgs({
  options: {
    metrics: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '10' },
    million: { type: 'boolean', default: false },
  },
});
const metrics = Number(args.metrics);
const rounds = Number(args.rounds);

const tahu = sparkplugPayload.get('spBv1.0');
if (tahu === null) throw new Error('sparkplug-payload has no spBv1.0 implementation');
const { Payload } = sparkplugSchema();

console.log(`node ${process.version}, ${availableParallelism()} CPUs: ${cpus()[0]?.model ?? 'unknown CPU'}`);
const payload = syntheticBirthBuffer({ metrics, seed: 1 });
const properties = decodePayload(payload).metrics!.reduce((n, m) => n + (m.properties?.keys?.length ?? 0), 0);
console.log(
  `payload: plant-shaped DBIRTH, ${metrics} metrics, ${(properties / metrics).toFixed(2)} properties/metric, ` +
    `${(payload.length / 1e6).toFixed(1)} MB`,
);
if (tahu.decodePayload(payload).metrics?.length !== metrics) throw new Error('Tahu decoded a different number of metrics');

const decoders: Record<string, () => void> = {
  'uns-meta decodePayload': () => void decodePayload(payload),
  'uns-meta decodeMetricsChunked(1000)': () => {
    for (const chunk of decodeMetricsChunked(payload, 1000)) void chunk;
  },
  'Tahu sparkplug-payload decodePayload': () => void tahu.decodePayload(payload),
  'protobufjs reflection decode+toObject': () =>
    void Payload.toObject(Payload.decode(payload), { longs: String, bytes: String, json: true }),
};
const names = Object.keys(decoders);

// Enough decodes per timing (5 for a 10,000-metric birth) that the heap settles within each timing.
const perTiming = Math.max(1, Math.round(50_000 / metrics));
function timeOnce(decode: () => void): number {
  gc();
  const start = process.hrtime.bigint();
  for (let i = 0; i < perTiming; i++) decode();
  return Number(process.hrtime.bigint() - start) / 1e6 / perTiming;
}

for (let i = 0; i < 3; i++) for (const name of names) timeOnce(decoders[name]!); // warm-up

const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
for (let round = 0; round < rounds; round++) {
  for (let k = 0; k < names.length; k++) {
    const name = names[(round + k) % names.length]!;
    times[name]!.push(timeOnce(decoders[name]!));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const rate = (ms: number) => Math.round((metrics / ms) * 1000);
console.log(`\n${rounds} rounds × ${perTiming} decode(s), after a warm-up:`);
for (const name of names) {
  const ms = median(times[name]!);
  console.log(
    `  ${name.padEnd(40)} ${ms.toFixed(1).padStart(8)} ms/decode  ${rate(ms).toLocaleString('en').padStart(10)} metrics/s median` +
      `  ${rate(Math.min(...times[name]!)).toLocaleString('en').padStart(10)} best`,
  );
}
const ratio = median(times['Tahu sparkplug-payload decodePayload']!) / median(times['uns-meta decodePayload']!);
console.log(`\nuns-meta decodePayload / Tahu decodePayload: ${ratio.toFixed(2)}× (goal ≥ 2×)`);

if (args.million) {
  const million = 1_000_000;
  console.log(`\nbuilding a ${million.toLocaleString('en')}-metric birth …`);
  const big = syntheticBirthBuffer({ metrics: million, seed: 1 });
  gc();
  const before = process.memoryUsage();
  let peakRss = before.rss;
  let peakHeap = before.heapUsed;
  let count = 0;
  const start = process.hrtime.bigint();
  for (const chunk of decodeMetricsChunked(big, 1000)) {
    count += chunk.metrics.length;
    const now = process.memoryUsage();
    peakRss = Math.max(peakRss, now.rss);
    peakHeap = Math.max(peakHeap, now.heapUsed);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
  console.log(
    `chunked decode of ${count.toLocaleString('en')} metrics (${mb(big.length)} payload) in ${seconds.toFixed(1)} s: ` +
      `heap ${mb(before.heapUsed)} before, peak ${mb(peakHeap)}; RSS ${mb(before.rss)} before (payload included), peak ${mb(peakRss)}`,
  );
}
