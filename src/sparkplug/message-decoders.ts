// One decoder per message of proto/sparkplug_b.proto below Payload: wire bytes → canonical JSON
// (json-types.ts) in a single pass over a protobufjs Reader.
//
// Reading a `switch (tag)`: a tag is `field number << 3 | wire type`, so `case 10` is field 1 with wire
// type 2 (length-delimited), `case 16` field 2 varint, `case 101` field 12 fixed32, `case 105` field 13
// fixed64. A known field number arriving with another wire type is an error (the value would be garbage);
// unknown field numbers and extensions are skipped, as protobuf requires.
//
// Protobuf semantics kept on purpose (protobufjs's generated decoders do not):
//   - oneof: when several members of a oneof are on the wire, the last one wins, the others are dropped;
//   - a singular message field that occurs twice is merged (repeated fields appended), not replaced;
//   - repeated `DataSet.types` is accepted packed and unpacked.
import { DecodeError, asDecodeError } from './errors.ts';
import type {
  DataSetJson,
  DataSetValueJson,
  ExtensionJson,
  MetaDataJson,
  MetricJson,
  ParameterJson,
  PropertySetJson,
  PropertySetListJson,
  PropertyValueJson,
  RowJson,
  TemplateJson,
} from './json-types.ts';
import {
  LEN,
  MAX_DEPTH,
  type Reader,
  VARINT,
  readBool,
  readBytesBase64,
  readDouble,
  readFloat,
  readLengthEnd,
  readString,
  readTag,
  readUint64,
  readVarint32,
  skipField,
  wrongWireType,
} from './wire.ts';

/**
 * Canonical JSON field names by field number, for every message: used in error messages and checked
 * against the loaded .proto by test/sparkplug/schema.test.ts, so the numbers below cannot drift from it.
 */
export const FIELD_NAMES = {
  Payload: ['', 'timestamp', 'metrics', 'seq', 'uuid', 'body'],
  Metric: [
    '', 'name', 'alias', 'timestamp', 'datatype', 'isHistorical', 'isTransient', 'isNull', 'metadata',
    'properties', 'intValue', 'longValue', 'floatValue', 'doubleValue', 'booleanValue', 'stringValue',
    'bytesValue', 'datasetValue', 'templateValue', 'extensionValue',
  ],
  MetaData: ['', 'isMultiPart', 'contentType', 'size', 'seq', 'fileName', 'fileType', 'md5', 'description'],
  PropertySet: ['', 'keys', 'values'],
  PropertySetList: ['', 'propertyset'],
  PropertyValue: [
    '', 'type', 'isNull', 'intValue', 'longValue', 'floatValue', 'doubleValue', 'booleanValue', 'stringValue',
    'propertysetValue', 'propertysetsValue', 'extensionValue',
  ],
  DataSet: ['', 'numOfColumns', 'columns', 'types', 'rows'],
  Row: ['', 'elements'],
  DataSetValue: ['', 'intValue', 'longValue', 'floatValue', 'doubleValue', 'booleanValue', 'stringValue', 'extensionValue'],
  Template: ['', 'version', 'metrics', 'parameters', 'templateRef', 'isDefinition'],
  Parameter: ['', 'name', 'type', 'intValue', 'longValue', 'floatValue', 'doubleValue', 'booleanValue', 'stringValue', 'extensionValue'],
} as const satisfies Record<string, readonly string[]>;

type FieldNames = readonly string[];

function fieldName(names: FieldNames, tag: number): string {
  return names[tag >>> 3] ?? `field ${tag >>> 3}`;
}

/** Skips an unknown field; a known field number with an unexpected wire type is an error. */
function skipUnknown(r: Reader, tag: number, at: number, end: number, depth: number, names: FieldNames): void {
  if (tag >>> 3 < names.length) throw wrongWireType(tag, at);
  skipField(r, tag, end, depth);
}

/** Adds where-we-were to an error on its way out. */
function within(err: unknown, context: string): DecodeError {
  return asDecodeError(err).within(context);
}

function checkDepth(depth: number, at: number): void {
  if (depth > MAX_DEPTH) throw new DecodeError(`messages nested deeper than ${MAX_DEPTH} levels`, { offset: at });
}

/** Keeps a oneof to one member: drops the previous member when another one arrives. */
function switchOneof<T extends object>(obj: T, current: keyof T | undefined, next: keyof T): keyof T {
  if (current !== undefined && current !== next) delete (obj as Record<PropertyKey, unknown>)[current];
  return next;
}

/** An extension-only message (`extension_value`): its content is skipped, its presence kept as `{}`. */
export function decodeExtension(r: Reader, end: number, depth: number): ExtensionJson {
  while (r.pos < end) {
    const tag = readTag(r, end);
    skipField(r, tag, end, depth);
  }
  return {};
}

/** A label for a metric in error messages: `metric #3 "Pump/Speed" (alias 12)`. */
function metricLabel(index: number, m: MetricJson): string {
  let label = `metric #${index}`;
  if (m.name !== undefined) label += ` ${JSON.stringify(m.name)}`;
  if (m.alias !== undefined) label += ` (alias ${m.alias})`;
  return label;
}

/** One Metric; `index` is its position in the enclosing list (used in error messages only). */
export function decodeMetric(r: Reader, end: number, depth: number, index: number): MetricJson {
  const m: MetricJson = {};
  let value: keyof MetricJson | undefined;
  let tag = 0;
  try {
    checkDepth(depth, r.pos);
    while (r.pos < end) {
      const at = r.pos;
      tag = 0; // a bad tag is reported without the previous field's name
      tag = readTag(r, end);
      switch (tag) {
        case 10: m.name = readString(r, end); break;
        case 16: m.alias = readUint64(r, end); break;
        case 24: m.timestamp = readUint64(r, end); break;
        case 32: m.datatype = readVarint32(r, end); break;
        case 40: m.isHistorical = readBool(r, end); break;
        case 48: m.isTransient = readBool(r, end); break;
        case 56: m.isNull = readBool(r, end); break;
        case 66: m.metadata = decodeMetaData(r, readLengthEnd(r, end), m.metadata); break;
        case 74: m.properties = decodePropertySet(r, readLengthEnd(r, end), depth + 1, m.properties); break;
        case 80: value = switchOneof(m, value, 'intValue'); m.intValue = readVarint32(r, end); break;
        case 88: value = switchOneof(m, value, 'longValue'); m.longValue = readUint64(r, end); break;
        case 101: value = switchOneof(m, value, 'floatValue'); m.floatValue = readFloat(r, end); break;
        case 105: value = switchOneof(m, value, 'doubleValue'); m.doubleValue = readDouble(r, end); break;
        case 112: value = switchOneof(m, value, 'booleanValue'); m.booleanValue = readBool(r, end); break;
        case 122: value = switchOneof(m, value, 'stringValue'); m.stringValue = readString(r, end); break;
        case 130: value = switchOneof(m, value, 'bytesValue'); m.bytesValue = readBytesBase64(r, end); break;
        case 138:
          value = switchOneof(m, value, 'datasetValue');
          m.datasetValue = decodeDataSet(r, readLengthEnd(r, end), depth + 1, m.datasetValue);
          break;
        case 146:
          value = switchOneof(m, value, 'templateValue');
          m.templateValue = decodeTemplate(r, readLengthEnd(r, end), depth + 1, m.templateValue);
          break;
        case 154:
          value = switchOneof(m, value, 'extensionValue');
          m.extensionValue = decodeExtension(r, readLengthEnd(r, end), depth + 1);
          break;
        default:
          skipUnknown(r, tag, at, end, depth, FIELD_NAMES.Metric);
      }
    }
  } catch (err) {
    const inner = asDecodeError(err);
    const field = tag === 0 ? inner : inner.within(fieldName(FIELD_NAMES.Metric, tag));
    throw field.within(metricLabel(index, m));
  }
  return m;
}

export function decodeMetaData(r: Reader, end: number, into: MetaDataJson = {}): MetaDataJson {
  const md = into;
  let tag = 0;
  try {
    while (r.pos < end) {
      const at = r.pos;
      tag = 0;
      tag = readTag(r, end);
      switch (tag) {
        case 8: md.isMultiPart = readBool(r, end); break;
        case 18: md.contentType = readString(r, end); break;
        case 24: md.size = readUint64(r, end); break;
        case 32: md.seq = readUint64(r, end); break;
        case 42: md.fileName = readString(r, end); break;
        case 50: md.fileType = readString(r, end); break;
        case 58: md.md5 = readString(r, end); break;
        case 66: md.description = readString(r, end); break;
        default: skipUnknown(r, tag, at, end, 0, FIELD_NAMES.MetaData);
      }
    }
  } catch (err) {
    throw tag === 0 ? asDecodeError(err) : within(err, fieldName(FIELD_NAMES.MetaData, tag));
  }
  return md;
}

/** The wire type decodeMetaData reads for each MetaData field number (every field is a scalar or a string). */
export const METADATA_WIRE_TYPES: readonly number[] = [-1, VARINT, LEN, VARINT, VARINT, LEN, LEN, LEN, LEN];

/**
 * Checks a MetaData message as decodeMetaData does with an escaping reader (openReader's escapeInvalidUtf8, where
 * no string is an error), without building it: every tag valid, each known field of its wire type, every length,
 * varint and fixed-size value within the message. For a caller that needs the bytes checked, not the metadata.
 */
export function checkMetaData(r: Reader, end: number): void {
  while (r.pos < end) {
    const at = r.pos;
    const tag = readTag(r, end);
    const expected = METADATA_WIRE_TYPES[tag >>> 3];
    if (expected !== undefined && expected !== (tag & 7)) throw wrongWireType(tag, at);
    skipField(r, tag, end, 0);
  }
}

export function decodePropertySet(r: Reader, end: number, depth: number, into: PropertySetJson = {}): PropertySetJson {
  const ps = into;
  let tag = 0;
  try {
    checkDepth(depth, r.pos);
    while (r.pos < end) {
      const at = r.pos;
      tag = 0;
      tag = readTag(r, end);
      switch (tag) {
        case 10: (ps.keys ??= []).push(readString(r, end)); break;
        case 18: (ps.values ??= []).push(decodePropertyValue(r, readLengthEnd(r, end), depth + 1)); break;
        default: skipUnknown(r, tag, at, end, depth, FIELD_NAMES.PropertySet);
      }
    }
  } catch (err) {
    if (tag === 18) {
      const i = ps.values?.length ?? 0;
      const key = ps.keys?.[i];
      throw within(err, `values[${i}]${key === undefined ? '' : ` ${JSON.stringify(key)}`}`);
    }
    if (tag === 10) throw within(err, `keys[${ps.keys?.length ?? 0}]`);
    throw asDecodeError(err);
  }
  return ps;
}

export function decodePropertySetList(
  r: Reader,
  end: number,
  depth: number,
  into: PropertySetListJson = {},
): PropertySetListJson {
  const list = into;
  let tag = 0;
  try {
    checkDepth(depth, r.pos);
    while (r.pos < end) {
      const at = r.pos;
      tag = 0;
      tag = readTag(r, end);
      if (tag === 10) (list.propertyset ??= []).push(decodePropertySet(r, readLengthEnd(r, end), depth + 1));
      else skipUnknown(r, tag, at, end, depth, FIELD_NAMES.PropertySetList);
    }
  } catch (err) {
    throw tag === 10 ? within(err, `propertyset[${list.propertyset?.length ?? 0}]`) : asDecodeError(err);
  }
  return list;
}

export function decodePropertyValue(r: Reader, end: number, depth: number): PropertyValueJson {
  const pv: PropertyValueJson = {};
  let value: keyof PropertyValueJson | undefined;
  let tag = 0;
  try {
    checkDepth(depth, r.pos);
    while (r.pos < end) {
      const at = r.pos;
      tag = 0;
      tag = readTag(r, end);
      switch (tag) {
        case 8: pv.type = readVarint32(r, end); break;
        case 16: pv.isNull = readBool(r, end); break;
        case 24: value = switchOneof(pv, value, 'intValue'); pv.intValue = readVarint32(r, end); break;
        case 32: value = switchOneof(pv, value, 'longValue'); pv.longValue = readUint64(r, end); break;
        case 45: value = switchOneof(pv, value, 'floatValue'); pv.floatValue = readFloat(r, end); break;
        case 49: value = switchOneof(pv, value, 'doubleValue'); pv.doubleValue = readDouble(r, end); break;
        case 56: value = switchOneof(pv, value, 'booleanValue'); pv.booleanValue = readBool(r, end); break;
        case 66: value = switchOneof(pv, value, 'stringValue'); pv.stringValue = readString(r, end); break;
        case 74:
          value = switchOneof(pv, value, 'propertysetValue');
          pv.propertysetValue = decodePropertySet(r, readLengthEnd(r, end), depth + 1, pv.propertysetValue);
          break;
        case 82:
          value = switchOneof(pv, value, 'propertysetsValue');
          pv.propertysetsValue = decodePropertySetList(r, readLengthEnd(r, end), depth + 1, pv.propertysetsValue);
          break;
        case 90:
          value = switchOneof(pv, value, 'extensionValue');
          pv.extensionValue = decodeExtension(r, readLengthEnd(r, end), depth + 1);
          break;
        default: skipUnknown(r, tag, at, end, depth, FIELD_NAMES.PropertyValue);
      }
    }
  } catch (err) {
    throw tag === 0 ? asDecodeError(err) : within(err, fieldName(FIELD_NAMES.PropertyValue, tag));
  }
  return pv;
}

export function decodeDataSet(r: Reader, end: number, depth: number, into: DataSetJson = {}): DataSetJson {
  const ds = into;
  let tag = 0;
  try {
    checkDepth(depth, r.pos);
    while (r.pos < end) {
      const at = r.pos;
      tag = 0;
      tag = readTag(r, end);
      switch (tag) {
        case 8: ds.numOfColumns = readUint64(r, end); break;
        case 18: (ds.columns ??= []).push(readString(r, end)); break;
        case 24: (ds.types ??= []).push(readVarint32(r, end)); break;
        case 26: { // packed
          const types = (ds.types ??= []);
          const stop = readLengthEnd(r, end);
          while (r.pos < stop) types.push(readVarint32(r, stop));
          break;
        }
        case 34: (ds.rows ??= []).push(decodeRow(r, readLengthEnd(r, end), depth + 1)); break;
        default: skipUnknown(r, tag, at, end, depth, FIELD_NAMES.DataSet);
      }
    }
  } catch (err) {
    const where = tag === 34 ? `rows[${ds.rows?.length ?? 0}]` : fieldName(FIELD_NAMES.DataSet, tag);
    throw tag === 0 ? asDecodeError(err) : within(err, where);
  }
  return ds;
}

function decodeRow(r: Reader, end: number, depth: number): RowJson {
  const row: RowJson = {};
  let tag = 0;
  try {
    while (r.pos < end) {
      const at = r.pos;
      tag = 0;
      tag = readTag(r, end);
      if (tag === 10) (row.elements ??= []).push(decodeDataSetValue(r, readLengthEnd(r, end), depth + 1));
      else skipUnknown(r, tag, at, end, depth, FIELD_NAMES.Row);
    }
  } catch (err) {
    throw tag === 10 ? within(err, `elements[${row.elements?.length ?? 0}]`) : asDecodeError(err);
  }
  return row;
}

function decodeDataSetValue(r: Reader, end: number, depth: number): DataSetValueJson {
  const v: DataSetValueJson = {};
  let value: keyof DataSetValueJson | undefined;
  while (r.pos < end) {
    const at = r.pos;
    const tag = readTag(r, end);
    switch (tag) {
      case 8: value = switchOneof(v, value, 'intValue'); v.intValue = readVarint32(r, end); break;
      case 16: value = switchOneof(v, value, 'longValue'); v.longValue = readUint64(r, end); break;
      case 29: value = switchOneof(v, value, 'floatValue'); v.floatValue = readFloat(r, end); break;
      case 33: value = switchOneof(v, value, 'doubleValue'); v.doubleValue = readDouble(r, end); break;
      case 40: value = switchOneof(v, value, 'booleanValue'); v.booleanValue = readBool(r, end); break;
      case 50: value = switchOneof(v, value, 'stringValue'); v.stringValue = readString(r, end); break;
      case 58:
        value = switchOneof(v, value, 'extensionValue');
        v.extensionValue = decodeExtension(r, readLengthEnd(r, end), depth + 1);
        break;
      default: skipUnknown(r, tag, at, end, depth, FIELD_NAMES.DataSetValue);
    }
  }
  return v;
}

export function decodeTemplate(r: Reader, end: number, depth: number, into: TemplateJson = {}): TemplateJson {
  const t = into;
  let tag = 0;
  try {
    checkDepth(depth, r.pos);
    while (r.pos < end) {
      const at = r.pos;
      tag = 0;
      tag = readTag(r, end);
      switch (tag) {
        case 10: t.version = readString(r, end); break;
        case 18: {
          const metrics = (t.metrics ??= []);
          metrics.push(decodeMetric(r, readLengthEnd(r, end), depth + 1, metrics.length));
          break;
        }
        case 26: (t.parameters ??= []).push(decodeParameter(r, readLengthEnd(r, end), depth + 1)); break;
        case 34: t.templateRef = readString(r, end); break;
        case 40: t.isDefinition = readBool(r, end); break;
        default: skipUnknown(r, tag, at, end, depth, FIELD_NAMES.Template);
      }
    }
  } catch (err) {
    const where = tag === 26 ? `parameters[${t.parameters?.length ?? 0}]` : fieldName(FIELD_NAMES.Template, tag);
    throw tag === 0 ? asDecodeError(err) : within(err, where);
  }
  return t;
}

function decodeParameter(r: Reader, end: number, depth: number): ParameterJson {
  const p: ParameterJson = {};
  let value: keyof ParameterJson | undefined;
  let tag = 0;
  try {
    while (r.pos < end) {
      const at = r.pos;
      tag = 0;
      tag = readTag(r, end);
      switch (tag) {
        case 10: p.name = readString(r, end); break;
        case 16: p.type = readVarint32(r, end); break;
        case 24: value = switchOneof(p, value, 'intValue'); p.intValue = readVarint32(r, end); break;
        case 32: value = switchOneof(p, value, 'longValue'); p.longValue = readUint64(r, end); break;
        case 45: value = switchOneof(p, value, 'floatValue'); p.floatValue = readFloat(r, end); break;
        case 49: value = switchOneof(p, value, 'doubleValue'); p.doubleValue = readDouble(r, end); break;
        case 56: value = switchOneof(p, value, 'booleanValue'); p.booleanValue = readBool(r, end); break;
        case 66: value = switchOneof(p, value, 'stringValue'); p.stringValue = readString(r, end); break;
        case 74:
          value = switchOneof(p, value, 'extensionValue');
          p.extensionValue = decodeExtension(r, readLengthEnd(r, end), depth + 1);
          break;
        default: skipUnknown(r, tag, at, end, depth, FIELD_NAMES.Parameter);
      }
    }
  } catch (err) {
    throw tag === 0 ? asDecodeError(err) : within(err, fieldName(FIELD_NAMES.Parameter, tag));
  }
  return p;
}
