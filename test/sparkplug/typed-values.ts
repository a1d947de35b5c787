// Typed values out of canonical JSON: where the integer traps of Sparkplug are resolved. Test code, not product:
// the product types values in SQL (uns_meta.decode_property_value); this is an independent reading of the same
// rules, the oracle the Tahu interop test (tahu-interop.test.ts) compares Tahu's decoded values with, and what
// fuzz.test.ts checks every decoded value can be typed by. Its own cases: typed-values.test.ts.
//
// Canonical JSON keeps the wire as it is (intValue is the raw uint32; the database does its own sign
// extension from the same rules). These helpers give the value a consumer means:
//   Int8/Int16/Int32   the raw integer truncated to 8/16/32 bits, then sign-extended: producers disagree
//                      on negatives (Tahu/Java write -1 as 4294967295, others as 255 for an Int8), and
//                      the plant's Quality 2147484164 typed Int32 is -2147483132
//   UInt8/UInt16/UInt32 truncated to width, unsigned; UInt32 read from intValue (the spec) or longValue
//                      (Tahu's Java and JS libraries)
//   Int64              bigint, two's complement of the uint64 on the wire
//   UInt64             bigint, 0 … 18446744073709551615
//   DateTime           bigint ms since the epoch, read as a signed 64-bit integer like Java's long
//                      (every producer in practice is Java; a negative value is a date before 1970)
//   Float/Double       number, NaN and ±Infinity included
//   Bytes/File         Buffer; the array types (22–34) decoded from their little-endian bytes
//   DataSet, Template, PropertySet, PropertySetList   the canonical JSON object itself
// `isNull` gives null; no value field at all gives undefined; an unknown type code gives the raw JSON of
// whichever value field is set. A value field that cannot hold the declared type is a DecodeError.
import { DataType, dataTypeName } from '../../src/sparkplug/datatypes.ts';
import { DecodeError } from '../../src/sparkplug/errors.ts';
import type {
  DataSetJson,
  ExtensionJson,
  JsonFloat,
  MetricJson,
  ParameterJson,
  PropertySetJson,
  PropertySetListJson,
  PropertyValueJson,
  TemplateJson,
} from '../../src/sparkplug/json-types.ts';

/** The value fields any Sparkplug value holder may carry (Metric, PropertyValue, Parameter, DataSetValue). */
export interface ValueFields {
  intValue?: number;
  longValue?: string;
  floatValue?: JsonFloat;
  doubleValue?: JsonFloat;
  booleanValue?: boolean;
  stringValue?: string;
  bytesValue?: string;
  datasetValue?: DataSetJson;
  templateValue?: TemplateJson;
  propertysetValue?: PropertySetJson;
  propertysetsValue?: PropertySetListJson;
  extensionValue?: ExtensionJson;
}

export type TypedValue =
  | null
  | undefined
  | number
  | bigint
  | boolean
  | string
  | Buffer
  | number[]
  | bigint[]
  | boolean[]
  | string[]
  | DataSetJson
  | TemplateJson
  | PropertySetJson
  | PropertySetListJson
  | ExtensionJson;

const VALUE_KEYS = [
  'intValue',
  'longValue',
  'floatValue',
  'doubleValue',
  'booleanValue',
  'stringValue',
  'bytesValue',
  'datasetValue',
  'templateValue',
  'propertysetValue',
  'propertysetsValue',
  'extensionValue',
] as const satisfies readonly (keyof ValueFields)[];

/** Which value field is set, if any. */
export function valueField(holder: ValueFields): keyof ValueFields | undefined {
  for (const key of VALUE_KEYS) if (holder[key] !== undefined) return key;
  return undefined;
}

/** A canonical JSON float (number or "NaN"/"Infinity"/"-Infinity"/"-0") as a number. */
export function floatFromJson(v: JsonFloat): number {
  return typeof v === 'number' ? v : Number(v);
}

function mismatch(type: number, expected: string, holder: ValueFields): DecodeError {
  return new DecodeError(
    `a ${dataTypeName(type)} (${type}) value must be in ${expected}, found ${valueField(holder) ?? 'no value'}`,
  );
}

/** The integer on the wire (either field) as a bigint, for widths and signs to be applied. */
function wireInteger(type: number, h: ValueFields): bigint | undefined {
  if (h.intValue !== undefined) return BigInt(h.intValue);
  if (h.longValue !== undefined) return BigInt(h.longValue);
  if (valueField(h) === undefined) return undefined;
  throw mismatch(type, 'intValue or longValue', h);
}

function smallInteger(type: number, h: ValueFields, bits: 8 | 16 | 32, signed: boolean): number | undefined {
  if (h.intValue !== undefined) {
    const x = h.intValue;
    if (bits === 32) return signed ? x | 0 : x >>> 0;
    const shift = 32 - bits;
    return signed ? (x << shift) >> shift : ((x << shift) >>> shift);
  }
  const wide = wireInteger(type, h);
  if (wide === undefined) return undefined;
  return Number(signed ? BigInt.asIntN(bits, wide) : BigInt.asUintN(bits, wide));
}

function bigInteger(type: number, h: ValueFields, signed: boolean): bigint | undefined {
  const wide = wireInteger(type, h);
  if (wide === undefined) return undefined;
  return signed ? BigInt.asIntN(64, wide) : BigInt.asUintN(64, wide);
}

function float(type: number, h: ValueFields, preferDouble: boolean): number | undefined {
  const v = preferDouble ? (h.doubleValue ?? h.floatValue) : (h.floatValue ?? h.doubleValue);
  if (v !== undefined) return floatFromJson(v);
  if (valueField(h) === undefined) return undefined;
  throw mismatch(type, preferDouble ? 'doubleValue' : 'floatValue', h);
}

function member<K extends keyof ValueFields>(type: number, h: ValueFields, key: K): ValueFields[K] {
  const v = h[key];
  if (v === undefined && valueField(h) !== undefined) throw mismatch(type, key, h);
  return v;
}

function bytes(type: number, h: ValueFields): Buffer | undefined {
  const b64 = member(type, h, 'bytesValue');
  return b64 === undefined ? undefined : Buffer.from(b64, 'base64');
}

/**
 * The typed value of any value holder, given its Sparkplug type code.
 * @throws DecodeError when the value field set cannot hold that type.
 */
export function typedValue(type: number | undefined, holder: ValueFields, isNull?: boolean): TypedValue {
  if (isNull === true) return null;
  const t = type ?? DataType.Unknown;
  switch (t) {
    case DataType.Int8: return smallInteger(t, holder, 8, true);
    case DataType.Int16: return smallInteger(t, holder, 16, true);
    case DataType.Int32: return smallInteger(t, holder, 32, true);
    case DataType.UInt8: return smallInteger(t, holder, 8, false);
    case DataType.UInt16: return smallInteger(t, holder, 16, false);
    case DataType.UInt32: return smallInteger(t, holder, 32, false);
    case DataType.Int64: return bigInteger(t, holder, true);
    case DataType.UInt64: return bigInteger(t, holder, false);
    case DataType.DateTime: return bigInteger(t, holder, true);
    case DataType.Float: return float(t, holder, false);
    case DataType.Double: return float(t, holder, true);
    case DataType.Boolean: return member(t, holder, 'booleanValue');
    case DataType.String:
    case DataType.Text:
    case DataType.UUID:
      return member(t, holder, 'stringValue');
    case DataType.DataSet: return member(t, holder, 'datasetValue');
    case DataType.Bytes:
    case DataType.File:
      return bytes(t, holder);
    case DataType.Template: return member(t, holder, 'templateValue');
    case DataType.PropertySet: return member(t, holder, 'propertysetValue');
    case DataType.PropertySetList: return member(t, holder, 'propertysetsValue');
    default: {
      if (t >= DataType.Int8Array && t <= DataType.DateTimeArray) {
        const raw = bytes(t, holder);
        return raw === undefined ? undefined : decodeArray(t, raw);
      }
      const key = valueField(holder);
      return key === undefined ? undefined : holder[key];
    }
  }
}

/** A metric's typed value (from its `datatype`). */
export function metricValue(metric: MetricJson): TypedValue {
  return typedValue(metric.datatype, metric, metric.isNull);
}

/** A property's typed value (from its `type`). */
export function propertyValue(value: PropertyValueJson): TypedValue {
  return typedValue(value.type, value, value.isNull);
}

/** A template parameter's typed value. */
export function parameterValue(parameter: ParameterJson): TypedValue {
  return typedValue(parameter.type, parameter);
}

/** A DataSet's rows as typed values, column types from `types`. */
export function dataSetRows(dataSet: DataSetJson): TypedValue[][] {
  const types = dataSet.types ?? [];
  return (dataSet.rows ?? []).map((row) => (row.elements ?? []).map((element, i) => typedValue(types[i], element)));
}

function fixedWidth<T>(raw: Buffer, width: number, name: string, read: (offset: number) => T): T[] {
  if (raw.length % width !== 0) {
    throw new DecodeError(`a ${name} holds ${raw.length} bytes, not a multiple of ${width}`);
  }
  const out: T[] = [];
  for (let offset = 0; offset < raw.length; offset += width) out.push(read(offset));
  return out;
}

/** Sparkplug 3.0 array types: little-endian packed values in `bytes_value`. */
export function decodeArray(type: number, raw: Buffer): number[] | bigint[] | boolean[] | string[] {
  const name = dataTypeName(type);
  switch (type) {
    case DataType.Int8Array: return fixedWidth(raw, 1, name, (o) => raw.readInt8(o));
    case DataType.Int16Array: return fixedWidth(raw, 2, name, (o) => raw.readInt16LE(o));
    case DataType.Int32Array: return fixedWidth(raw, 4, name, (o) => raw.readInt32LE(o));
    case DataType.Int64Array: return fixedWidth(raw, 8, name, (o) => raw.readBigInt64LE(o));
    case DataType.UInt8Array: return fixedWidth(raw, 1, name, (o) => raw.readUInt8(o));
    case DataType.UInt16Array: return fixedWidth(raw, 2, name, (o) => raw.readUInt16LE(o));
    case DataType.UInt32Array: return fixedWidth(raw, 4, name, (o) => raw.readUInt32LE(o));
    case DataType.UInt64Array: return fixedWidth(raw, 8, name, (o) => raw.readBigUInt64LE(o));
    case DataType.FloatArray: return fixedWidth(raw, 4, name, (o) => raw.readFloatLE(o));
    case DataType.DoubleArray: return fixedWidth(raw, 8, name, (o) => raw.readDoubleLE(o));
    case DataType.DateTimeArray: return fixedWidth(raw, 8, name, (o) => raw.readBigInt64LE(o));
    case DataType.BooleanArray: return booleanArray(raw);
    case DataType.StringArray: return stringArray(raw);
    default: throw new DecodeError(`${name} is not an array type`);
  }
}

/** A 4-byte little-endian count, then the booleans packed 8 to a byte, most significant bit first. */
function booleanArray(raw: Buffer): boolean[] {
  if (raw.length < 4) throw new DecodeError(`a BooleanArray needs a 4-byte count, got ${raw.length} bytes`);
  const count = raw.readUInt32LE(0);
  const needed = 4 + Math.ceil(count / 8);
  if (raw.length < needed) {
    throw new DecodeError(`a BooleanArray of ${count} values needs ${needed} bytes, got ${raw.length}`);
  }
  const out: boolean[] = [];
  for (let i = 0; i < count; i++) out.push((raw[4 + (i >> 3)]! & (0x80 >> (i & 7))) !== 0);
  return out;
}

/** NUL-terminated UTF-8 strings, one after the other. */
function stringArray(raw: Buffer): string[] {
  const out: string[] = [];
  let start = 0;
  while (start < raw.length) {
    const nul = raw.indexOf(0, start);
    if (nul < 0) throw new DecodeError('a StringArray must end with a NUL byte');
    const text = new TextDecoder('utf-8', { fatal: true });
    try {
      out.push(text.decode(raw.subarray(start, nul)));
    } catch {
      throw new DecodeError(`StringArray element ${out.length} is not valid UTF-8`);
    }
    start = nul + 1;
  }
  return out;
}
