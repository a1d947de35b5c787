// Plant-shaped synthetic DBIRTHs for benchmarks and tests, modelled on the Secil Portugal/Cement birth
// (shared/fixtures): names `Plant/400 - Area/451 - Unit/Normalised/Folder/TAG/Leaf` with spaces, " - ",
// leading digits and accents; mostly Booleans and Floats; Ignition's full metadata on every metric; 80 %
// of metrics carry the 10 Ignition properties of the fixture, 20 % only Quality and documentation
// (8.4 properties per metric on average, as in the real 98,332-metric birth); Quality mostly 192, some
// 500 and some the plant's odd 2147484164.
//
// The same { metrics, seed } always gives the same birth. syntheticBirthBuffer encodes metric by metric,
// so a 1,000,000-metric birth costs its encoded size (~0.4 GB), not a JSON object graph.
import { DataType } from './datatypes.ts';
import { encodeMetric, encodePayload } from './encode.ts';
import type { MetaDataJson, MetricJson, PayloadJson, PropertySetJson, PropertyValueJson } from './json-types.ts';
import { type Random, pick, randomInt, seededRandom } from './random.ts';

export interface SyntheticBirthOptions {
  /** How many metrics. */
  metrics: number;
  /** PRNG seed (32-bit integer); default 1. */
  seed?: number;
}

export const SYNTHETIC_BIRTH_TIMESTAMP = '1756392554816';
const METRIC_TIMESTAMP = '1756392554609';

const PLANTS = ['Maceira', 'Outão', 'Pataias'];
const AREAS: Record<string, readonly string[]> = {
  '300 - Raw Material Preparation': ['321 - Crusher', '341 - Raw Mill', '351 - Homogenisation Silo'],
  '400 - Clinker Production': ['431 - Kiln', '432 - Kiln', '441 - Cooler', '451 - Bypass'],
  '500 - Cement Milling': ['521 - Cement Mill 2', '531 - Moagem de Cimento 7'],
  '600 - Cement Packaging and Dispatch': ['651 - Silos', '671 - Bag Conveying', '681 - Expedição'],
};
const AREA_NAMES = Object.keys(AREAS);
const TAG_CODES = ['BYPVT', 'FO6RGH', 'EMBSILO', 'MC7MOT', 'CRVAL', 'KLNTT', 'ARREF'];
const DESCRIPTIONS = [
  'Valvula doseadora extraccao SHI2 para caleira',
  'EXT SILO - FORA SERVIÇO',
  'Temperatura saída do forno',
  'Motor do ventilador de tiragem',
  'Caudal de alimentação de farinha',
  'SA:',
];
const UNITS = ['', '°C', 't/h', '%', 'kW', 'mbar', 'rpm'];

interface Folder {
  path: string;
  leaves: readonly string[];
  datatypes: readonly number[];
}

const FOLDERS: readonly Folder[] = [
  { path: 'Normalised/Indications', leaves: ['Active', 'Fault', 'Alarm'], datatypes: [DataType.Boolean] },
  { path: 'Normalised/Machines', leaves: ['Closed', 'Open', 'Running'], datatypes: [DataType.Boolean] },
  { path: 'Normalised/Selections', leaves: ['Selected'], datatypes: [DataType.Boolean] },
  { path: 'Normalised/Measurements', leaves: ['PV', 'SP', 'Out'], datatypes: [DataType.Float, DataType.Float, DataType.Double] },
  { path: 'Normalised/Counters', leaves: ['Starts', 'RunHours'], datatypes: [DataType.Int32, DataType.Int64] },
  { path: 'KPI', leaves: ['KPI', 'SHC_CALC', 'StoppagesJson', 'WD'], datatypes: [DataType.Float, DataType.String, DataType.DateTime] },
];
// Weighted towards Booleans, like the plant (indications, machines, selections).
const FOLDER_WEIGHTS = [0.3, 0.2, 0.1, 0.25, 0.08, 0.07];

const EMPTY_METADATA: MetaDataJson = {
  isMultiPart: false,
  contentType: '',
  size: '0',
  seq: '0',
  fileName: '',
  fileType: '',
  md5: '',
  description: '',
};

function folderFor(random: Random): Folder {
  let x = random();
  for (let i = 0; i < FOLDERS.length; i++) {
    x -= FOLDER_WEIGHTS[i]!;
    if (x < 0) return FOLDERS[i]!;
  }
  return FOLDERS[FOLDERS.length - 1]!;
}

function quality(random: Random): number {
  const x = random();
  return x < 0.9 ? 192 : x < 0.95 ? 500 : 2147484164;
}

function properties(random: Random, documentation: string): PropertySetJson {
  const q: PropertyValueJson = { type: DataType.Int32, intValue: quality(random) };
  const doc: PropertyValueJson = { type: DataType.String, stringValue: documentation };
  if (random() < 0.2) return { keys: ['Quality', 'documentation'], values: [q, doc] };
  const low = randomInt(random, 2) === 0 ? 0 : -1 - randomInt(random, 99);
  return {
    keys: ['engLow', 'retained', 'DataPermission', 'Quality', 'documentation', 'engHigh', 'retain', 'executionMode', 'engUnit', 'delete'],
    values: [
      { type: DataType.Double, doubleValue: low },
      { type: DataType.Boolean, booleanValue: true },
      { type: DataType.String, stringValue: 'user_domainSecil(R);G_UNS_Admin(RW)' },
      q,
      doc,
      { type: DataType.Double, doubleValue: low === 0 ? 0 : randomInt(random, 2000) },
      { type: DataType.Boolean, booleanValue: true },
      { type: DataType.Int32, intValue: 1 },
      { type: DataType.String, stringValue: pick(random, UNITS) },
      { type: DataType.Boolean, booleanValue: false },
    ],
  };
}

function withValue(metric: MetricJson, datatype: number, random: Random): MetricJson {
  switch (datatype) {
    case DataType.Boolean: metric.booleanValue = random() < 0.5; break;
    case DataType.Float: metric.floatValue = Math.fround(random() * 1000); break;
    case DataType.Double: metric.doubleValue = random() * 100; break;
    case DataType.Int32: metric.intValue = randomInt(random, 100000); break;
    case DataType.Int64: metric.longValue = String(randomInt(random, 2 ** 40)); break;
    case DataType.DateTime: metric.longValue = String(1759141450931 - randomInt(random, 86400000)); break;
    case DataType.String: metric.stringValue = JSON.stringify({ Site: 'Maceira', EventID: randomInt(random, 99999), Classified: 'Not Classified' }); break;
  }
  return metric;
}

/** Metric number `index` of a synthetic birth; `random` must have produced metrics 0 … index-1 already. */
function syntheticMetric(index: number, random: Random): MetricJson {
  const plant = pick(random, PLANTS);
  const area = pick(random, AREA_NAMES);
  const unit = pick(random, AREAS[area]!);
  const folder = folderFor(random);
  const leafIndex = randomInt(random, folder.leaves.length);
  const leaf = folder.leaves[leafIndex]!;
  const datatype = folder.datatypes[Math.min(leafIndex, folder.datatypes.length - 1)]!;
  // The index makes every name unique.
  const tag = `${pick(random, TAG_CODES)}${index}${random() < 0.3 ? 'INT02' : random() < 0.5 ? `SEL0${randomInt(random, 9)}_FS` : ''}`;
  const name = `${plant}/${area}/${unit}/${folder.path}/${tag}/${leaf}`;
  const metric: MetricJson = {
    name,
    timestamp: METRIC_TIMESTAMP,
    datatype,
    isNull: false,
    metadata: { ...EMPTY_METADATA },
    properties: properties(random, `${pick(random, DESCRIPTIONS)} ${tag} - ${leaf}`),
  };
  return withValue(metric, datatype, random);
}

/** The metrics of syntheticBirth one at a time, so a million-metric birth never exists as one object graph. */
export function* syntheticMetrics(options: SyntheticBirthOptions): Generator<MetricJson> {
  const random = seededRandom(options.seed ?? 1);
  for (let i = 0; i < options.metrics; i++) yield syntheticMetric(i, random);
}

/** A synthetic birth as canonical JSON. */
export function syntheticBirth(options: SyntheticBirthOptions): PayloadJson {
  return { timestamp: SYNTHETIC_BIRTH_TIMESTAMP, metrics: [...syntheticMetrics(options)], seq: '1' };
}

function varint(n: number): Buffer {
  const bytes: number[] = [];
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  bytes.push(n);
  return Buffer.from(bytes);
}

/** The same birth as syntheticBirth, encoded; built one metric at a time. */
export function syntheticBirthBuffer(options: SyntheticBirthOptions): Buffer {
  const parts: Buffer[] = [encodePayload({ timestamp: SYNTHETIC_BIRTH_TIMESTAMP })];
  const metricTag = Buffer.from([0x12]); // field 2 (metrics), length-delimited
  let batch: Buffer[] = [];
  for (const metric of syntheticMetrics(options)) {
    const bytes = encodeMetric(metric);
    batch.push(metricTag, varint(bytes.length), bytes);
    if (batch.length >= 30_000) {
      parts.push(Buffer.concat(batch)); // few large buffers rather than millions of small ones
      batch = [];
    }
  }
  parts.push(...batch, encodePayload({ seq: '1' }));
  return Buffer.concat(parts);
}
