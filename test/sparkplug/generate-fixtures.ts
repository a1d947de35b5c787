// Builds fixtures/sparkplug/: binary Sparkplug B payloads (`<name>.bin`) with the canonical JSON the
// decoder must produce for each (`<name>.json`), and an index (README.md).
//
//   node test/sparkplug/generate-fixtures.ts     rewrite the fixtures (deterministic)
//
// test/sparkplug/fixtures.test.ts checks that the committed files match what this builds, and that the
// decoder turns every .bin into its .json. Expected JSON never comes from the decoder under test: for
// payloads we encode it is the JSON written here; for payloads Eclipse Tahu encodes it is what
// protobufjs reflection reads back (support.ts, referenceDecode). Input from shared/fixtures is read from
// its copies in fixtures/sparkplug/sources/.
//
// This lives in test/ rather than fixtures/ because tsconfig (and so type-aware eslint) covers test/.
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { UMetric, UPayload, UPropertyValue } from 'sparkplug-payload/lib/sparkplugbpayload.js';
import protobuf from 'protobufjs';
import { DataType } from '../../src/sparkplug/datatypes.ts';
import { compressPayload, encodePayload } from '../../src/sparkplug/encode.ts';
import type { MetricJson, PayloadJson, PropertySetJson, PropertyValueJson } from '../../src/sparkplug/json-types.ts';
import { sparkplugSchema } from '../../src/sparkplug/schema.ts';
import { FIXTURE_DIR, SOURCE_DIR, referenceDecode, tahu } from './support.ts';

export interface FixtureCase {
  name: string;
  /** One line for the index: what the fixture proves. */
  description: string;
  bin: Buffer;
  json: PayloadJson;
  /** The .bin bytes depend on the zlib build (compressed fixtures): compare decoded content only. */
  zlibBytes?: true;
  /** Hand-written wire bytes (`liberal-*`): protobufjs reflection is no oracle for them (it keeps several oneof members). */
  handWired?: true;
}

const T = '1756392554816';
const D = DataType;

function metric(name: string, datatype: number, fields: Omit<MetricJson, 'name' | 'datatype'> = {}): MetricJson {
  return { name, timestamp: T, datatype, ...fields };
}

function birth(metrics: MetricJson[]): PayloadJson {
  return { timestamp: T, metrics, seq: '0' };
}

/** The same JSON with every object's keys in field-number order, as a protobuf JSON printer writes them. */
function inFieldOrder<T>(json: T, type: protobuf.Type = sparkplugSchema().Payload): T {
  type.root.resolveAll();
  const object = json as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of [...type.fieldsArray].sort((a, b) => a.id - b.id)) {
    const value = object[field.name];
    if (value === undefined) continue;
    const sub = field.resolvedType;
    if (!(sub instanceof protobuf.Type)) out[field.name] = value;
    else out[field.name] = Array.isArray(value) ? value.map((v: unknown) => inFieldOrder(v, sub)) : inFieldOrder(value, sub);
  }
  return out as T;
}

function ours(name: string, description: string, json: PayloadJson): FixtureCase {
  return { name, description, bin: encodePayload(json), json: inFieldOrder(json) };
}

function b64(bytes: number[]): string {
  return Buffer.from(bytes).toString('base64');
}

/** Little-endian int64s, base64. */
function int64s(values: bigint[]): string {
  const buf = Buffer.alloc(8 * values.length);
  values.forEach((v, i) => buf.writeBigInt64LE(v, 8 * i));
  return buf.toString('base64');
}

// ── every metric DataType at its limits ──────────────────────────────────────────────────────────────

const integers = birth([
  metric('Int8/min sign-extended (Tahu, Java)', D.Int8, { intValue: 4294967168 }),
  metric('Int8/min width-limited', D.Int8, { intValue: 128 }),
  metric('Int8/max', D.Int8, { intValue: 127 }),
  metric('Int8/-1 width-limited', D.Int8, { intValue: 255 }),
  metric('Int16/min sign-extended', D.Int16, { intValue: 4294934528 }),
  metric('Int16/min width-limited', D.Int16, { intValue: 32768 }),
  metric('Int16/max', D.Int16, { intValue: 32767 }),
  metric('Int32/min', D.Int32, { intValue: 2147483648 }),
  metric('Int32/max', D.Int32, { intValue: 2147483647 }),
  metric('Int32/-1', D.Int32, { intValue: 4294967295 }),
  metric('Int32/plant Quality 2147484164', D.Int32, { intValue: 2147484164 }),
  metric('Int64/min', D.Int64, { longValue: '9223372036854775808' }),
  metric('Int64/max', D.Int64, { longValue: '9223372036854775807' }),
  metric('Int64/-1', D.Int64, { longValue: '18446744073709551615' }),
  metric('UInt8/max', D.UInt8, { intValue: 255 }),
  metric('UInt16/max', D.UInt16, { intValue: 65535 }),
  metric('UInt32/max in longValue (Tahu)', D.UInt32, { longValue: '4294967295' }),
  metric('UInt32/max in intValue (spec)', D.UInt32, { intValue: 4294967295 }),
  metric('UInt64/max', D.UInt64, { longValue: '18446744073709551615' }),
  metric('UInt64/2^53+1', D.UInt64, { longValue: '9007199254740993' }),
  metric('UInt64/0', D.UInt64, { longValue: '0' }),
  metric('DateTime/plant', D.DateTime, { longValue: '1759141450931' }),
  metric('DateTime/epoch', D.DateTime, { longValue: '0' }),
]);

const floats = birth([
  metric('Float/max', D.Float, { floatValue: 3.4028234663852886e38 }),
  metric('Float/min subnormal', D.Float, { floatValue: 1.401298464324817e-45 }),
  metric('Float/0.1f', D.Float, { floatValue: 0.10000000149011612 }),
  metric('Float/0', D.Float, { floatValue: 0 }),
  metric('Float/-0', D.Float, { floatValue: '-0' }),
  metric('Float/NaN', D.Float, { floatValue: 'NaN' }),
  metric('Float/Infinity', D.Float, { floatValue: 'Infinity' }),
  metric('Float/-Infinity', D.Float, { floatValue: '-Infinity' }),
  metric('Double/max', D.Double, { doubleValue: 1.7976931348623157e308 }),
  metric('Double/min subnormal', D.Double, { doubleValue: 5e-324 }),
  metric('Double/0.1', D.Double, { doubleValue: 0.1 }),
  metric('Double/-0', D.Double, { doubleValue: '-0' }),
  metric('Double/NaN', D.Double, { doubleValue: 'NaN' }),
  metric('Double/Infinity', D.Double, { doubleValue: 'Infinity' }),
  metric('Double/-Infinity', D.Double, { doubleValue: '-Infinity' }),
]);

const textAndBytes = birth([
  metric('Boolean/true', D.Boolean, { booleanValue: true }),
  metric('Boolean/false', D.Boolean, { booleanValue: false }),
  metric('String/empty', D.String, { stringValue: '' }),
  metric('String/accents and emoji', D.String, { stringValue: 'Outão — FORA SERVIÇO 🏭 ✓' }),
  metric('String/JSON document', D.String, { stringValue: '{\n    "Site": "Maceira", \n    "IndexID": null, \n    "DurationH": 0.0\n}' }),
  metric('Text/multi-line', D.Text, { stringValue: 'line 1\nline 2\ttabbed\n' }),
  metric('UUID', D.UUID, { stringValue: '0e1f6b2c-7d3a-4b5e-9f80-1a2b3c4d5e6f' }),
  metric('Bytes/all byte edges', D.Bytes, { bytesValue: b64([0, 1, 127, 128, 254, 255]) }),
  metric('Bytes/empty', D.Bytes, { bytesValue: '' }),
  metric('File/csv', D.File, {
    metadata: {
      isMultiPart: false,
      contentType: 'text/csv',
      size: '12',
      seq: '0',
      fileName: 'relatório.csv',
      fileType: 'csv',
      md5: 'a3cca2b2aa1e3b5b3b5aad99a8529074',
      description: 'nightly export',
    },
    bytesValue: Buffer.from('a;b\n1;2\n3;4\n').toString('base64'),
  }),
]);

const arrays = birth([
  metric('Int8Array', D.Int8Array, { bytesValue: b64([0x80, 0x7f, 0xff, 0x00]) }),
  metric('Int16Array', D.Int16Array, { bytesValue: b64([0x00, 0x80, 0xff, 0x7f]) }),
  metric('Int32Array/spec example', D.Int32Array, { bytesValue: b64([0x15, 0xcd, 0x5b, 0x07, 0xb1, 0x68, 0xde, 0x3a]) }),
  metric('Int64Array', D.Int64Array, { bytesValue: b64([0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]) }),
  metric('UInt8Array/values over 127', D.UInt8Array, { bytesValue: b64([0, 128, 255]) }),
  metric('UInt16Array', D.UInt16Array, { bytesValue: b64([0xff, 0xff, 0x01, 0x00]) }),
  metric('UInt32Array', D.UInt32Array, { bytesValue: b64([0xff, 0xff, 0xff, 0xff]) }),
  metric('UInt64Array', D.UInt64Array, { bytesValue: b64([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) }),
  metric('FloatArray', D.FloatArray, { bytesValue: b64([0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x10, 0xc0]) }),
  metric('DoubleArray', D.DoubleArray, { bytesValue: b64([0, 0, 0, 0, 0, 0, 0xf8, 0x3f, 0, 0, 0, 0, 0, 0, 0xf0, 0x7f]) }),
  metric('BooleanArray/spec example', D.BooleanArray, { bytesValue: b64([0x0c, 0x00, 0x00, 0x00, 0x34, 0xd0]) }),
  metric('StringArray/spec example', D.StringArray, { bytesValue: b64([0x41, 0x42, 0x43, 0x00, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x00]) }),
  metric('DateTimeArray', D.DateTimeArray, { bytesValue: int64s([1756392554816n, 0n]) }),
]);

const datasetAndTemplate = birth([
  metric('DataSet/every column type', D.DataSet, {
    datasetValue: {
      numOfColumns: '5',
      columns: ['Int32', 'UInt64', 'Float', 'Boolean', 'String'],
      types: [D.Int32, D.UInt64, D.Float, D.Boolean, D.String],
      rows: [
        { elements: [{ intValue: 4294967295 }, { longValue: '18446744073709551615' }, { floatValue: 'NaN' }, { booleanValue: true }, { stringValue: 'Outão' }] },
        { elements: [{ intValue: 0 }, { longValue: '0' }, { floatValue: 1.5 }, { booleanValue: false }, { stringValue: '' }] },
      ],
    },
  }),
  metric('Template/Motor definition', D.Template, {
    templateValue: {
      version: '1.0',
      metrics: [
        { name: 'Speed', datatype: D.Double, doubleValue: 0 },
        { name: 'Running', datatype: D.Boolean, booleanValue: false },
      ],
      parameters: [
        { name: 'MaxSpeed', type: D.Double, doubleValue: 1500 },
        { name: 'Offset', type: D.Int32, intValue: 4294967295 },
        { name: 'Tag', type: D.String, stringValue: 'M1' },
      ],
      isDefinition: true,
    },
  }),
  metric('Template/Motor instance', D.Template, {
    templateValue: {
      version: '1.0',
      metrics: [{ name: 'Speed', datatype: D.Double, doubleValue: 1480.5 }],
      templateRef: 'Template/Motor definition',
      isDefinition: false,
    },
  }),
]);

const metricFields = birth([
  metric('alias 0 (legal, present)', D.Boolean, { alias: '0', booleanValue: true }),
  metric('alias absent', D.Boolean, { booleanValue: true }),
  metric('alias max', D.Boolean, { alias: '18446744073709551615', booleanValue: true }),
  { alias: '7', timestamp: T, datatype: D.Int32, intValue: 42 }, // data style: alias, no name
  metric('no timestamp, no value', D.Int32),
  metric('isNull Int32', D.Int32, { isNull: true }),
  metric('isNull String', D.String, { isNull: true }),
  metric('isNull false, value 0', D.Int32, { isNull: false, intValue: 0 }),
  metric('historical and transient', D.Int32, { isHistorical: true, isTransient: true, intValue: 1 }),
  metric('historical and transient false', D.Int32, { isHistorical: false, isTransient: false, intValue: 1 }),
  metric('datatype Unknown (0)', D.Unknown, { intValue: 7 }),
  metric('datatype 99 (future)', 99, { intValue: 7 }),
  metric('datatype 4294967295', 4294967295, { stringValue: 'future' }),
  { name: 'datatype absent' },
  metric('extension value', 99, { extensionValue: {} }),
  metric('empty metadata and properties', D.Boolean, { metadata: {}, properties: {}, booleanValue: true }),
]);

// ── every PropertyValue type at its limits ───────────────────────────────────────────────────────────

function propertySet(entries: [string, PropertyValueJson][]): PropertySetJson {
  return { keys: entries.map(([k]) => k), values: entries.map(([, v]) => v) };
}

const propertyValues = birth([
  metric('every property type', D.Boolean, {
    properties: propertySet([
      ['Int8 min', { type: D.Int8, intValue: 4294967168 }],
      ['Int8 -1 width-limited', { type: D.Int8, intValue: 255 }],
      ['Int16 min', { type: D.Int16, intValue: 4294934528 }],
      ['Quality', { type: D.Int32, intValue: 2147484164 }],
      ['Int32 min', { type: D.Int32, intValue: 2147483648 }],
      ['Int64 min', { type: D.Int64, longValue: '9223372036854775808' }],
      ['Int64 max', { type: D.Int64, longValue: '9223372036854775807' }],
      ['UInt8 max', { type: D.UInt8, intValue: 255 }],
      ['UInt16 max', { type: D.UInt16, intValue: 65535 }],
      ['UInt32 max longValue', { type: D.UInt32, longValue: '4294967295' }],
      ['UInt32 max intValue', { type: D.UInt32, intValue: 4294967295 }],
      ['UInt64 max', { type: D.UInt64, longValue: '18446744073709551615' }],
      ['Float NaN', { type: D.Float, floatValue: 'NaN' }],
      ['Float max', { type: D.Float, floatValue: 3.4028234663852886e38 }],
      ['Double -Infinity', { type: D.Double, doubleValue: '-Infinity' }],
      ['engLow', { type: D.Double, doubleValue: 0 }],
      ['engHigh', { type: D.Double, doubleValue: 1.7976931348623157e308 }],
      ['Boolean', { type: D.Boolean, booleanValue: false }],
      ['engUnit', { type: D.String, stringValue: '°C' }],
      ['empty', { type: D.String, stringValue: '' }],
      ['DateTime', { type: D.DateTime, longValue: '1759141450931' }],
      ['Text', { type: D.Text, stringValue: 'Valvula doseadora H32.1 extraccao SHI2 para caleira H57 - Closed/Position2' }],
      ['UUID', { type: D.UUID, stringValue: '0e1f6b2c-7d3a-4b5e-9f80-1a2b3c4d5e6f' }],
      ['null Int32', { type: D.Int32, isNull: true }],
      ['null String', { type: D.String, isNull: true }],
      ['isNull false', { type: D.Int32, isNull: false, intValue: 0 }],
      ['no type', { stringValue: 'untyped' }],
      ['type 99', { type: 99, intValue: 5 }],
      ['type 4294967295', { type: 4294967295, longValue: '1' }],
      ['extension', { type: 99, extensionValue: {} }],
      ['duplicate key', { type: D.Int32, intValue: 1 }],
      ['duplicate key', { type: D.Int32, intValue: 2 }],
    ]),
    booleanValue: true,
  }),
]);

const nestedSets = birth([
  metric('nested property sets', D.Int32, {
    properties: propertySet([
      ['Quality', { type: D.Int32, intValue: 192 }],
      [
        'limits',
        {
          type: D.PropertySet,
          propertysetValue: propertySet([
            ['engLow', { type: D.Double, doubleValue: -40 }],
            [
              'alarm',
              {
                type: D.PropertySet,
                propertysetValue: propertySet([
                  ['setpoint', { type: D.Float, floatValue: 85.5 }],
                  ['priority', { type: D.Int8, intValue: 4294967295 }],
                ]),
              },
            ],
          ]),
        },
      ],
      [
        'alarms',
        {
          type: D.PropertySetList,
          propertysetsValue: {
            propertyset: [
              propertySet([
                ['name', { type: D.String, stringValue: 'High' }],
                [
                  'escalation',
                  {
                    type: D.PropertySetList,
                    propertysetsValue: {
                      propertyset: [propertySet([['after', { type: D.UInt32, longValue: '4294967295' }]]), {}],
                    },
                  },
                ],
              ]),
              propertySet([['name', { type: D.String, stringValue: 'Low' }], ['enabled', { type: D.Boolean, isNull: true }]]),
            ],
          },
        },
      ],
      ['empty set', { type: D.PropertySet, propertysetValue: {} }],
      ['empty list', { type: D.PropertySetList, propertysetsValue: {} }],
    ]),
    intValue: 1,
  }),
]);

// ── "be liberal in what you accept": hand-written wire bytes no encoder of ours would produce ─────────────
// Each payload is built byte by byte (field tag, varint, length prefix) and its expected JSON written by hand, so
// the rules of docs/decoder.md are pinned by fixtures rather than by the decoder's own output.

/** A protobuf varint of a non-negative integer (bigint for values over 2^53). */
function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? low | 0x80 : low);
  } while (v > 0n);
  return out;
}

/** Field `field` with wire type 0 (varint) holding exactly the varint bytes given (possibly non-canonical). */
function rawVarint(field: number, bytes: number[]): number[] {
  return [...varint(field << 3), ...bytes];
}

/** Field `field` with wire type 2 (length-delimited) holding `bytes`. */
function lengthDelimited(field: number, bytes: number[]): number[] {
  return [...varint((field << 3) | 2), ...varint(bytes.length), ...bytes];
}

function utf8(text: string): number[] {
  return [...Buffer.from(text, 'utf8')];
}

function wired(name: string, description: string, bytes: number[], json: PayloadJson): FixtureCase {
  return { name, description, bin: Buffer.from(bytes), json, handWired: true };
}

// Payload.metrics = 2; Metric: name 1, datatype 4, is_historical 5, is_transient 6, properties 9, int_value 10,
// boolean_value 14, string_value 15, dataset_value 17; PropertySet: keys 1, values 2; PropertyValue: type 1,
// int_value 3, boolean_value 7, string_value 8; DataSet: num_of_columns 1, columns 2, types 3.
const wiredMetric = (fields: number[][]) => lengthDelimited(2, fields.flat());
const wiredName = (name: string) => lengthDelimited(1, utf8(name));

const liberalBooleans = wired('liberal-boolean-varints',
  'booleans written as varints other than 0/1: 2, 2^63, an over-long 1 and an over-long 0 (any non-zero is true)', [
    ...wiredMetric([wiredName('varint 2'), rawVarint(4, [D.Boolean]), rawVarint(14, [0x02])]),
    ...wiredMetric([wiredName('varint 2^63'), rawVarint(4, [D.Boolean]), rawVarint(14, varint(1n << 63n))]),
    ...wiredMetric([wiredName('over-long 1'), rawVarint(4, [D.Boolean]), rawVarint(14, [0x81, 0x80, 0x00])]),
    ...wiredMetric([wiredName('over-long 0'), rawVarint(4, [D.Boolean]), rawVarint(14, [0x80, 0x00])]),
    ...wiredMetric([wiredName('flags 2 and 0'), rawVarint(4, [D.Int32]), rawVarint(5, [0x02]), rawVarint(6, [0x80, 0x00]), rawVarint(10, [0x01])]),
    ...wiredMetric([wiredName('property boolean 2'), rawVarint(4, [D.Int32]),
      lengthDelimited(9, [...lengthDelimited(1, utf8('on')), ...lengthDelimited(2, [...rawVarint(1, [D.Boolean]), ...rawVarint(7, [0x02])])]),
      rawVarint(10, [0x01])]),
  ], { metrics: [
    { name: 'varint 2', datatype: D.Boolean, booleanValue: true },
    { name: 'varint 2^63', datatype: D.Boolean, booleanValue: true },
    { name: 'over-long 1', datatype: D.Boolean, booleanValue: true },
    { name: 'over-long 0', datatype: D.Boolean, booleanValue: false },
    { name: 'flags 2 and 0', datatype: D.Int32, isHistorical: true, isTransient: false, intValue: 1 },
    { name: 'property boolean 2', datatype: D.Int32, properties: { keys: ['on'], values: [{ type: D.Boolean, booleanValue: true }] }, intValue: 1 },
  ] });

const liberalOneof = wired('liberal-oneof-last-wins',
  'a metric and a property with two members of the value oneof on the wire: only the later is kept', [
    ...wiredMetric([wiredName('int then string'), rawVarint(4, [D.String]), rawVarint(10, varint(7)), lengthDelimited(15, utf8('seven')),
      lengthDelimited(9, [...lengthDelimited(1, utf8('p')),
        ...lengthDelimited(2, [...rawVarint(1, [D.Int32]), ...lengthDelimited(8, utf8('first')), ...rawVarint(3, varint(2))])])]),
    ...wiredMetric([wiredName('string then bool'), rawVarint(4, [D.Boolean]), lengthDelimited(15, utf8('x')), rawVarint(14, [0x01])]),
  ], { metrics: [
    { name: 'int then string', datatype: D.String, properties: { keys: ['p'], values: [{ type: D.Int32, intValue: 2 }] }, stringValue: 'seven' },
    { name: 'string then bool', datatype: D.Boolean, booleanValue: true },
  ] });

const liberalMerge = wired('liberal-repeated-message-merged',
  'a metric whose properties field occurs twice: the two PropertySets are merged (keys and values appended)', [
    ...wiredMetric([wiredName('two property sets'), rawVarint(4, [D.Int32]),
      lengthDelimited(9, [...lengthDelimited(1, utf8('a')), ...lengthDelimited(2, [...rawVarint(1, [D.Int32]), ...rawVarint(3, varint(1))])]),
      rawVarint(10, varint(5)),
      lengthDelimited(9, [...lengthDelimited(1, utf8('b')), ...lengthDelimited(2, [...rawVarint(1, [D.Int32]), ...rawVarint(3, varint(2))])])]),
  ], { metrics: [
    { name: 'two property sets', datatype: D.Int32, properties: { keys: ['a', 'b'], values: [{ type: D.Int32, intValue: 1 }, { type: D.Int32, intValue: 2 }] }, intValue: 5 },
  ] });

const liberalTypes = wired('liberal-dataset-types-packed-and-unpacked',
  'DataSet.types written packed, then unpacked, in one DataSet: both are read, in wire order', [
    ...wiredMetric([wiredName('types both ways'), rawVarint(4, [D.DataSet]), lengthDelimited(17, [
      ...rawVarint(1, [3]),
      ...lengthDelimited(2, utf8('a')), ...lengthDelimited(2, utf8('b')), ...lengthDelimited(2, utf8('c')),
      ...lengthDelimited(3, [D.Int32, D.Double]),
      ...rawVarint(3, [D.String]),
    ])]),
  ], { metrics: [
    { name: 'types both ways', datatype: D.DataSet, datasetValue: { numOfColumns: '3', columns: ['a', 'b', 'c'], types: [D.Int32, D.Double, D.String] } },
  ] });

const liberalUnknown = wired('liberal-unknown-fields',
  'unknown fields of every wire type (varint, fixed64, length-delimited, fixed32) in Payload, Metric and PropertyValue are skipped', [
    ...rawVarint(99, varint(300)),
    ...wiredMetric([
      [...varint((50 << 3) | 1), 1, 2, 3, 4, 5, 6, 7, 8],
      wiredName('with unknown fields'),
      lengthDelimited(51, utf8('ignored')),
      rawVarint(4, [D.Int32]),
      [...varint((52 << 3) | 5), 1, 2, 3, 4],
      lengthDelimited(9, [...lengthDelimited(1, utf8('k')),
        ...lengthDelimited(2, [...rawVarint(1, [D.Int32]), ...rawVarint(40, varint(9)), ...rawVarint(3, varint(4))])]),
      rawVarint(10, varint(3)),
    ]),
    ...lengthDelimited(100, [1, 2, 3]),
    ...rawVarint(3, varint(5)),
  ], { metrics: [
    { name: 'with unknown fields', datatype: D.Int32, properties: { keys: ['k'], values: [{ type: D.Int32, intValue: 4 }] }, intValue: 3 },
  ], seq: '5' });

// ── payload-level fields ─────────────────────────────────────────────────────────────────────────────

const header: PayloadJson = {
  timestamp: '18446744073709551615',
  seq: '255',
  uuid: '6c3e4a1e-not-compressed',
  body: b64([0, 1, 2, 255]),
};

// ── the plant's DBIRTH, re-encoded, compressed, and through Tahu ─────────────────────────────────────

const plant = JSON.parse(readFileSync(`${SOURCE_DIR}secil-dbirth-portugal-cement.payload.json`, 'utf8')) as PayloadJson;

function compressed(name: string, description: string, inner: PayloadJson, options: Parameters<typeof compressPayload>[1]): FixtureCase {
  const bin = compressPayload(encodePayload(inner), { timestamp: T, ...options });
  return { name, description, bin, json: inFieldOrder(inner), zlibBytes: true };
}

// ── Tahu-encoded payloads (interoperability) ─────────────────────────────────────────────────────────

/** A 64-bit value for Tahu's encoder, which takes any object with Long's low/high 32-bit halves. */
function long(decimal: string): number {
  const bits = BigInt.asUintN(64, BigInt(decimal));
  const halves = { low: Number(bits & 0xffffffffn) | 0, high: Number(bits >> 32n) | 0, unsigned: true };
  return halves as unknown as number;
}

/** A Tahu property value; the library's types do not allow null, its encoder does (isNull). */
function tahuProperty(type: UPropertyValue['type'], value: unknown): UPropertyValue {
  return { type, value };
}

const tahuDatatypes: UPayload = {
  timestamp: long(T),
  seq: 0,
  metrics: [
    { name: 'Int8/min', type: 'Int8', value: -128, alias: 0 },
    { name: 'Int8/max', type: 'Int8', value: 127, alias: 1 },
    { name: 'Int16/min', type: 'Int16', value: -32768 },
    { name: 'Int32/min', type: 'Int32', value: -2147483648 },
    { name: 'Int32/plant Quality', type: 'Int32', value: -2147483132 },
    { name: 'Int64/min', type: 'Int64', value: long('-9223372036854775808') },
    { name: 'Int64/max', type: 'Int64', value: long('9223372036854775807') },
    { name: 'UInt8/max', type: 'UInt8', value: 255 },
    { name: 'UInt16/max', type: 'UInt16', value: 65535 },
    { name: 'UInt32/2147483647', type: 'UInt32', value: 2147483647 },
    { name: 'UInt64/max', type: 'UInt64', value: long('18446744073709551615') },
    { name: 'Float/max', type: 'Float', value: 3.4028234663852886e38 },
    { name: 'Float/-Infinity', type: 'Float', value: -Infinity },
    { name: 'Double/max', type: 'Double', value: 1.7976931348623157e308 },
    { name: 'Double/NaN', type: 'Double', value: NaN },
    { name: 'Boolean', type: 'Boolean', value: true, isHistorical: false, isTransient: true },
    { name: 'String', type: 'String', value: 'Outão — FORA SERVIÇO 🏭' },
    { name: 'String/empty', type: 'String', value: '' },
    { name: 'DateTime', type: 'DateTime', value: long('1759141450931'), timestamp: long(T) },
    { name: 'Text', type: 'Text', value: 'multi\nline' },
    { name: 'UUID', type: 'UUID', value: '0e1f6b2c-7d3a-4b5e-9f80-1a2b3c4d5e6f' },
    { name: 'Bytes', type: 'Bytes', value: new Uint8Array([0, 1, 127, 128, 254, 255]) },
    { name: 'Int32/null', type: 'Int32', value: null },
    {
      name: 'DataSet',
      type: 'DataSet',
      value: {
        numOfColumns: 4,
        columns: ['Int64', 'Double', 'Boolean', 'String'],
        types: ['Int64', 'Double', 'Boolean', 'String'],
        rows: [
          [long('-1'), 0.5, true, 'a'],
          [long('9223372036854775807'), -0.25, false, 'Outão'],
        ],
      },
    },
    {
      name: 'Template/definition',
      type: 'Template',
      value: {
        version: '1.0',
        isDefinition: true,
        metrics: [{ name: 'Speed', type: 'Double', value: 0 }],
        parameters: [{ name: 'MaxSpeed', type: 'Double', value: 1500 }],
      },
    },
    {
      name: 'properties',
      type: 'Boolean',
      value: false,
      properties: {
        Quality: tahuProperty('Int32', -2147483132),
        engUnit: tahuProperty('String', '°C'),
        engLow: tahuProperty('Double', -1.5),
        big: tahuProperty('UInt64', long('18446744073709551615')),
        missing: tahuProperty('String', null),
        limits: tahuProperty('PropertySet', { low: tahuProperty('Int8', -1), high: tahuProperty('Float', 85.5) }),
        alarms: tahuProperty('PropertySetList', [
          { name: tahuProperty('String', 'High'), nested: tahuProperty('PropertySet', { level: tahuProperty('Int16', -2) }) },
          { name: tahuProperty('String', 'Low') },
        ]),
      },
    },
  ] as UMetric[],
};

/** The plant's DBIRTH as Tahu's encoder writes it (from the library's own value model). */
function tahuPlant(): UPayload {
  const typeName = (code: number) => Object.keys(DataType)[code] as UPropertyValue['type'];
  return {
    timestamp: long(plant.timestamp!),
    seq: long(plant.seq!),
    metrics: plant.metrics!.map((m): UMetric => {
      const properties: Record<string, UPropertyValue> = {};
      m.properties!.keys!.forEach((key, i) => {
        const v = m.properties!.values![i]!;
        const value = v.intValue ?? v.doubleValue ?? v.booleanValue ?? v.stringValue;
        properties[key] = tahuProperty(typeName(v.type!), value);
      });
      return {
        name: m.name!,
        timestamp: long(m.timestamp!),
        type: typeName(m.datatype!),
        value: m.booleanValue!,
        metadata: { ...m.metadata!, size: 0, seq: 0 },
        properties,
      };
    }),
  };
}

function tahuEncoded(name: string, description: string, payload: UPayload): FixtureCase {
  const bin = Buffer.from(tahu.encodePayload(payload));
  return { name, description, bin, json: referenceDecode(bin) };
}

// ── real NBIRTH/DBIRTH summaries from the old service, made binary ───────────────────────────────────

interface DecodedLine {
  topic: string;
  metrics: { name: string; value: unknown; datatype: number; ts: number; props: Record<string, unknown> }[];
}

function typedProperty(value: unknown): PropertyValueJson {
  if (typeof value === 'boolean') return { type: D.Boolean, booleanValue: value };
  if (typeof value === 'string') return { type: D.String, stringValue: value };
  if (typeof value === 'number' && Number.isInteger(value)) return { type: D.Int32, intValue: value >>> 0 };
  if (typeof value === 'number') return { type: D.Double, doubleValue: value };
  throw new Error(`no property type for ${JSON.stringify(value)}`);
}

function valueFields(datatype: number, value: unknown): Partial<MetricJson> {
  switch (datatype) {
    case D.Boolean: return { booleanValue: value as boolean };
    case D.String: return { stringValue: value as string };
    case D.Int32: return { intValue: (value as number) >>> 0 };
    case D.Int64:
    case D.DateTime:
      return { longValue: BigInt.asUintN(64, BigInt(value as number)).toString() };
    case D.Float: return { floatValue: value as number };
    case D.Double: return { doubleValue: value as number };
    default: throw new Error(`no value field for datatype ${datatype}`);
  }
}

function birthFromLine(line: DecodedLine): PayloadJson {
  return {
    timestamp: String(Math.max(...line.metrics.map((m) => m.ts))),
    metrics: line.metrics.map((m) => {
      const keys = Object.keys(m.props);
      const json: MetricJson = { name: m.name, timestamp: String(m.ts), datatype: m.datatype };
      if (m.value === null) json.isNull = true;
      if (keys.length > 0) json.properties = { keys, values: keys.map((k) => typedProperty(m.props[k])) };
      return m.value === null ? json : { ...json, ...valueFields(m.datatype, m.value) };
    }),
    seq: '0',
  };
}

function realBirths(): FixtureCase[] {
  return readdirSync(SOURCE_DIR)
    .filter((f) => f.endsWith('.decoded.jsonl'))
    .sort()
    .map((f) => {
      const first = readFileSync(`${SOURCE_DIR}${f}`, 'utf8').split('\n')[0]!;
      const line = JSON.parse(first) as DecodedLine;
      const name = `birth-${line.topic.replace(/^spBv1\.0\//, '').replaceAll('/', '-')}`;
      return ours(name, `real ${line.topic} (first message of sources/${f}), property types inferred`, birthFromLine(line));
    });
}

// ── all of them ──────────────────────────────────────────────────────────────────────────────────────

export function fixtureCases(): FixtureCase[] {
  return [
    ours('plant-dbirth-portugal-cement', 'the plant DBIRTH (sources/, from shared/fixtures) re-encoded; Quality 2147484164 typed Int32', plant),
    ours('datatypes-integers', 'Int8/16/32 negatives sign-extended and width-limited, Int64/UInt64 limits, UInt32 in both fields, DateTime', integers),
    ours('datatypes-floats', 'Float and Double limits, subnormals, -0, NaN, ±Infinity', floats),
    ours('datatypes-text-bytes', 'Boolean, String (empty, accents, emoji, JSON), Text, UUID, Bytes, File with metadata', textAndBytes),
    ours('datatypes-arrays', 'the 13 array types (22–34) incl. the specification examples and UInt8 values over 127', arrays),
    ours('datatypes-dataset-template', 'a DataSet with every column kind; a Template definition with parameters and an instance', datasetAndTemplate),
    ours('metric-fields', 'alias 0 vs absent vs max, alias-only, isNull, flags, unknown datatype codes 0/99/2^32-1, extension value', metricFields),
    ours('property-values', 'every PropertyValue type at its limits, null values, unknown and absent types, duplicate keys', propertyValues),
    ours('property-sets-nested', 'PropertySet and PropertySetList nested two levels, empty sets', nestedSets),
    ours('payload-header', 'payload fields only: timestamp 2^64-1, seq 255, a uuid that is not the compression marker, body bytes', header),
    ours('payload-empty', 'zero bytes: a valid, empty payload', {}),
    compressed('compressed-deflate', 'the plant DBIRTH compressed the Tahu way: zlib-wrapped DEFLATE, algorithm metric DEFLATE', plant, { algorithm: 'DEFLATE' }),
    compressed('compressed-deflate-raw', 'the plant DBIRTH as raw DEFLATE (no zlib header)', plant, { algorithm: 'DEFLATE', raw: true }),
    compressed('compressed-gzip', 'the plant DBIRTH as GZIP, algorithm metric GZIP', plant, { algorithm: 'GZIP' }),
    compressed('compressed-gzip-no-algorithm', 'GZIP without the algorithm metric (recognised by its magic bytes)', plant, { algorithm: 'GZIP', algorithmMetric: false }),
    tahuEncoded('tahu-datatypes', "encoded by Eclipse Tahu's sparkplug-payload: every type its encoder supports, nested properties", tahuDatatypes),
    tahuEncoded('tahu-plant-dbirth', "the plant DBIRTH encoded by Eclipse Tahu's sparkplug-payload", tahuPlant()),
    liberalBooleans,
    liberalOneof,
    liberalMerge,
    liberalTypes,
    liberalUnknown,
    ...realBirths(),
  ];
}

function indexMarkdown(cases: FixtureCase[]): string {
  const rows = cases.map((c) => `| \`${c.name}\` | ${c.description} |`);
  return [
    '# Sparkplug B payload fixtures',
    '',
    'Each `<name>.bin` is a Sparkplug B payload exactly as it travels over MQTT; `<name>.json` is the canonical',
    'protobuf JSON `decodePayload` must return for it (for compressed payloads: the inner payload).',
    'Generated by `node test/sparkplug/generate-fixtures.ts`; do not edit by hand.',
    'test/sparkplug/fixtures.test.ts checks the files against the generator and the decoder against the files.',
    '`sources/` holds the generator\'s input: copies of shared/fixtures (the plant\'s DBIRTH as canonical JSON and',
    'the old Python service\'s decoded NBIRTH/DBIRTH summaries).',
    '',
    '| fixture | what it covers |',
    '|---|---|',
    ...rows,
    '',
  ].join('\n');
}

export function writeFixtures(dir = FIXTURE_DIR): FixtureCase[] {
  const cases = fixtureCases();
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) if (f.endsWith('.bin') || f.endsWith('.json')) rmSync(`${dir}${f}`);
  for (const c of cases) {
    writeFileSync(`${dir}${c.name}.bin`, c.bin);
    writeFileSync(`${dir}${c.name}.json`, `${JSON.stringify(c.json, null, 2)}\n`);
  }
  writeFileSync(`${dir}README.md`, indexMarkdown(cases));
  return cases;
}

export { indexMarkdown };

if (import.meta.main) {
  const cases = writeFixtures();
  console.log(`wrote ${cases.length} fixtures to ${FIXTURE_DIR}`);
}
