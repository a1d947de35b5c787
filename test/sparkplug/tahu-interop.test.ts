// Interoperability with Eclipse Tahu's JavaScript library (`sparkplug-payload` from npm), a second,
// independent encoder and decoder:
//   - payloads Tahu encodes decode with ours to the JSON protobufjs reflection reads, and our encoder
//     writes the very same bytes from that JSON;
//   - every fixture Tahu can read, Tahu reads to the same values our typed values give, except where Tahu
//     is known to be wrong or to support less; each such case is pinned by its own test below.
import { describe, expect, it } from 'vitest';
import { dataTypeName } from '../../src/sparkplug/datatypes.ts';
import { decodePayload } from '../../src/sparkplug/decode.ts';
import { encodePayload } from '../../src/sparkplug/encode.ts';
import type { MetricJson, PayloadJson, PropertySetJson, TemplateJson } from '../../src/sparkplug/json-types.ts';
import { syntheticBirthBuffer } from '../../src/sparkplug/synthetic.ts';
import { type ValueFields, dataSetRows, parameterValue, typedValue, valueField } from './typed-values.ts';
import { readFixtures, tahu } from './support.ts';

const fixtures = readFixtures();
const fixture = (name: string) => fixtures.find((f) => f.name === name)!;

const dataTypeCodes: Record<string, number> = Object.fromEntries(Array.from({ length: 35 }, (_, i) => [dataTypeName(i), i]));

type TahuPayload = ReturnType<typeof tahu.decodePayload>;
type TahuMetric = NonNullable<TahuPayload['metrics']>[number];

interface LongLike {
  low: number;
  high: number;
}

function isLong(v: unknown): v is LongLike {
  return typeof v === 'object' && v !== null && 'low' in v && 'high' in v;
}

function bits64(v: LongLike): bigint {
  return (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
}

/**
 * Tahu's value in our terms. 64-bit values come as Long objects, whose signedness depends on which copy of
 * `long` protobufjs 6 picked up in this install: read their bits as the declared type says.
 */
function fromTahu(type: number | undefined, v: unknown): unknown {
  if (isLong(v)) {
    const bits = bits64(v);
    if (type === 7) return Number(BigInt.asUintN(32, bits));
    if (type === 4) return BigInt.asIntN(64, bits);
    return bits;
  }
  if (type === 7 && typeof v === 'number') return v >>> 0; // Long#toInt() made it signed
  return v;
}

/** Values Tahu is known to read differently (see the pinned cases below); compared elsewhere, not here. */
function tahuReadsDifferently(type: number | undefined, holder: ValueFields & { isNull?: boolean }): boolean {
  if (type === undefined || type === 0 || type > 21) return true; // unknown codes and the array types
  if (valueField(holder) === undefined && !holder.isNull && type <= 3) return true; // absent read as 0
  if (type === 7 && holder.intValue !== undefined) return true; // UInt32 in int_value (the spec's place)
  if ((type === 1 || type === 2 || type === 5 || type === 6) && holder.intValue !== undefined) {
    return typedValue(type, holder) !== (type <= 2 ? holder.intValue | 0 : holder.intValue); // not truncated to width
  }
  return false;
}

function ourValue(type: number | undefined, holder: ValueFields, isNull: boolean | undefined): unknown {
  if (type === 16 && !isNull && holder.datasetValue) return dataSetRows(holder.datasetValue);
  const v = typedValue(type, holder, isNull);
  return v === undefined ? null : v; // Tahu reads an absent value as null
}

function tahuValue(type: number | undefined, v: unknown): unknown {
  if (type === 16 && v !== null && typeof v === 'object') {
    const { rows, types } = v as { rows: unknown[][]; types: string[] };
    return rows.map((row) => row.map((x, i) => fromTahu(dataTypeCodes[types[i]!], x)));
  }
  return fromTahu(type, v);
}

/** Compares one metric; returns how many values were left out as known Tahu differences. */
function compareMetric(ours: MetricJson, theirs: TahuMetric, where: string): number {
  let skipped = 0;
  expect(theirs.name, where).toBe(ours.name);
  if (ours.alias !== undefined) expect(bits64(theirs.alias as LongLike), where).toBe(BigInt(ours.alias));
  if (ours.timestamp !== undefined) expect(bits64(theirs.timestamp as LongLike), where).toBe(BigInt(ours.timestamp));
  if (tahuReadsDifferently(ours.datatype, ours)) skipped++;
  else if (ours.datatype === 19 && ours.templateValue) skipped += compareTemplate(ours.templateValue, theirs.value as TahuTemplate, where);
  else {
    expect(theirs.type, where).toBe(dataTypeName(ours.datatype!));
    expect(tahuValue(ours.datatype, theirs.value), where).toStrictEqual(ourValue(ours.datatype, ours, ours.isNull));
  }
  if (ours.properties) skipped += compareProperties(ours.properties, theirs.properties as Record<string, unknown>, where);
  return skipped;
}

interface TahuTemplate {
  version?: string;
  templateRef?: string;
  isDefinition?: boolean;
  metrics?: TahuMetric[];
  parameters?: { name: string; type: string; value: unknown }[];
}

function compareTemplate(ours: TemplateJson, theirs: TahuTemplate, where: string): number {
  // Tahu fills absent template fields with the proto defaults
  expect({ version: theirs.version, templateRef: theirs.templateRef, isDefinition: theirs.isDefinition }, where).toStrictEqual({
    version: ours.version ?? '',
    templateRef: ours.templateRef ?? '',
    isDefinition: ours.isDefinition ?? false,
  });
  const parameters = ours.parameters ?? [];
  expect(theirs.parameters?.map((p) => [p.name, dataTypeCodes[p.type], fromTahu(dataTypeCodes[p.type], p.value)]) ?? [], where).toStrictEqual(
    parameters.map((p) => [p.name, p.type, parameterValue(p)]),
  );
  return (ours.metrics ?? []).reduce((n, m, i) => n + compareMetric(m, theirs.metrics![i]!, `${where} template metric #${i}`), 0);
}

function compareProperties(set: PropertySetJson, theirs: Record<string, unknown>, where: string): number {
  let skipped = 0;
  const keys = set.keys ?? [];
  keys.forEach((key, i) => {
    if (keys.lastIndexOf(key) !== i) return skipped++; // Tahu's record keeps the last of duplicate keys
    const pv = set.values![i]!;
    const t = theirs[key] as { type: string; value: unknown };
    const at = `${where} property ${key}`;
    if (tahuReadsDifferently(pv.type, pv)) return skipped++;
    expect(t.type, at).toBe(dataTypeName(pv.type!));
    if (pv.type === 20 && !pv.isNull && pv.propertysetValue) {
      skipped += compareProperties(pv.propertysetValue, t.value as Record<string, unknown>, at);
    } else if (pv.type === 21 && !pv.isNull && pv.propertysetsValue) {
      const sets = pv.propertysetsValue.propertyset ?? [];
      expect((t.value as unknown[]).length, at).toBe(sets.length);
      sets.forEach((s, j) => (skipped += compareProperties(s, (t.value as Record<string, unknown>[])[j]!, `${at}[${j}]`)));
    } else {
      expect(tahuValue(pv.type, t.value), at).toStrictEqual(ourValue(pv.type, pv, pv.isNull));
    }
  });
  return skipped;
}

function comparePayload(bin: Buffer, ours: PayloadJson, name: string): number {
  const theirs = tahu.decodePayload(bin);
  if (ours.timestamp !== undefined) expect(bits64(theirs.timestamp as LongLike)).toBe(BigInt(ours.timestamp));
  const metrics = ours.metrics ?? [];
  expect(theirs.metrics?.length ?? 0).toBe(metrics.length);
  return metrics.reduce((n, m, i) => n + compareMetric(m, theirs.metrics![i]!, `${name} metric #${i}`), 0);
}

describe("payloads encoded by Tahu's encoder", () => {
  it.each(['tahu-datatypes', 'tahu-plant-dbirth'])('%s decodes to the JSON protobufjs reads, and our encoder writes the same bytes', (name) => {
    const { bin, json } = fixture(name);
    expect(decodePayload(bin)).toStrictEqual(json);
    expect(encodePayload(json).equals(bin)).toBe(true);
  });

  it.each(['tahu-datatypes', 'tahu-plant-dbirth'])("%s: Tahu's decoder and our typed values agree", (name) => {
    const { bin } = fixture(name);
    expect(comparePayload(bin, decodePayload(bin), name)).toBe(0);
  });

  it("keeps the plant's meaning through Tahu's encoder (isNull false and metadata defaults are all Tahu drops)", () => {
    const viaTahu = decodePayload(fixture('tahu-plant-dbirth').bin);
    const plant = fixture('plant-dbirth-portugal-cement').json;
    const withoutIsNull = plant.metrics!.map((m) => {
      const copy = { ...m };
      delete copy.isNull;
      return copy;
    });
    expect(viaTahu).toStrictEqual({ ...plant, metrics: withoutIsNull });
  });
});

describe("our payloads read by Tahu's decoder", () => {
  // Tahu decodes with protobufjs, which reads a bool from the low 32 bits of its varint (2^63 is false) and keeps only
  // the last of a repeated singular message: the two hand-wired fixtures that pin those rules are read differently.
  const protobufjsDiffers = new Set(['liberal-boolean-varints', 'liberal-repeated-message-merged']);
  const readable = fixtures.filter((f) => !f.name.startsWith('compressed-') && f.name !== 'datatypes-dataset-template' && !protobufjsDiffers.has(f.name));

  it.each(readable)('$name: Tahu reads the same values', ({ name, bin, json }) => {
    comparePayload(bin, json, name);
  });

  it('a plant-shaped synthetic birth of 2,000 metrics reads the same in Tahu', () => {
    const bin = syntheticBirthBuffer({ metrics: 2000, seed: 9 });
    expect(comparePayload(bin, decodePayload(bin), 'synthetic')).toBe(0);
  });
});

describe('where Tahu is known to differ (pinned, so a Tahu upgrade that fixes them shows up)', () => {
  const values = (name: string) => new Map(tahu.decodePayload(fixture(name).bin).metrics!.map((m) => [m.name, m.value]));

  it('does not truncate Int8/Int16 to their width: an Int8 sent as 255 stays 255 (we read -1)', () => {
    expect(values('datatypes-integers').get('Int8/-1 width-limited')).toBe(255);
    expect(values('datatypes-integers').get('Int8/min width-limited')).toBe(128);
  });

  it('reads an Int8/16/32 without a value as 0 (we: no value)', () => {
    expect(values('metric-fields').get('no timestamp, no value')).toBe(0);
  });

  it('does not read a UInt32 from int_value, where the specification puts it (we do)', () => {
    expect(values('datatypes-integers').get('UInt32/max in intValue (spec)')).toBeNull();
  });

  it('does not know the array types 22–34 (we decode them)', () => {
    const metric = tahu.decodePayload(fixture('datatypes-arrays').bin).metrics![0]!;
    expect(metric).toMatchObject({ type: undefined, value: null });
  });

  it('cannot decode a DataSet with an Int32 column, or a Template with an Int32 parameter', () => {
    expect(() => tahu.decodePayload(fixture('datatypes-dataset-template').bin)).toThrow(/Invalid DataSetValue/);
  });

  it('collapses duplicate property keys to the last one (we keep both, in order)', () => {
    const props = tahu.decodePayload(fixture('property-values').bin).metrics![0]!.properties as Record<string, { value: unknown }>;
    expect(props['duplicate key']!.value).toBe(2);
  });
});
