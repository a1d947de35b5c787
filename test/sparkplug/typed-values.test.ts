// Typed values: the integer traps resolved (sign extension, UInt32 in either field, 64-bit as bigint),
// floats, arrays, nulls, and what happens with a value field that cannot hold the declared type.
import { describe, expect, it } from 'vitest';
import { DataType, dataTypeName } from '../../src/sparkplug/datatypes.ts';
import { decodePayload } from '../../src/sparkplug/decode.ts';
import { DecodeError } from '../../src/sparkplug/errors.ts';
import type { PayloadJson, PropertySetJson } from '../../src/sparkplug/json-types.ts';
import { dataSetRows, decodeArray, metricValue, parameterValue, propertyValue, typedValue } from './typed-values.ts';
import { readFixtures } from './support.ts';

function decodedFixture(name: string): PayloadJson {
  return decodePayload(readFixtures().find((f) => f.name === name)!.bin);
}

/** Every metric of a fixture as name → typed value. */
function metricValues(name: string): Map<string, unknown> {
  return new Map(decodedFixture(name).metrics!.map((m) => [m.name ?? `alias ${m.alias}`, metricValue(m)]));
}

function properties(set: PropertySetJson): Map<string, unknown> {
  return new Map(set.keys!.map((k, i) => [k, propertyValue(set.values![i]!)]));
}

describe('integer values', () => {
  const values = metricValues('datatypes-integers');

  it.each([
    ['Int8/min sign-extended (Tahu, Java)', -128],
    ['Int8/min width-limited', -128],
    ['Int8/max', 127],
    ['Int8/-1 width-limited', -1],
    ['Int16/min sign-extended', -32768],
    ['Int16/min width-limited', -32768],
    ['Int16/max', 32767],
    ['Int32/min', -2147483648],
    ['Int32/max', 2147483647],
    ['Int32/-1', -1],
    ['Int32/plant Quality 2147484164', -2147483132],
    ['UInt8/max', 255],
    ['UInt16/max', 65535],
    ['UInt32/max in longValue (Tahu)', 4294967295],
    ['UInt32/max in intValue (spec)', 4294967295],
  ])('%s is %d', (name, expected) => {
    expect(values.get(name)).toBe(expected);
  });

  it.each([
    ['Int64/min', -9223372036854775808n],
    ['Int64/max', 9223372036854775807n],
    ['Int64/-1', -1n],
    ['UInt64/max', 18446744073709551615n],
    ['UInt64/2^53+1', 9007199254740993n],
    ['UInt64/0', 0n],
    ['DateTime/plant', 1759141450931n],
    ['DateTime/epoch', 0n],
  ])('%s is %s (bigint, exact)', (name, expected) => {
    expect(values.get(name)).toBe(expected);
  });

  it('truncates to the width whichever field carries the value', () => {
    expect(typedValue(DataType.Int8, { longValue: '18446744073709551615' })).toBe(-1);
    expect(typedValue(DataType.Int16, { longValue: '65535' })).toBe(-1);
    expect(typedValue(DataType.UInt8, { intValue: 0x1ff })).toBe(255);
    expect(typedValue(DataType.UInt32, { longValue: '4294967296' })).toBe(0);
    expect(typedValue(DataType.Int64, { intValue: 4294967295 })).toBe(4294967295n);
  });
});

describe('other values', () => {
  it('gives floats as numbers, NaN, ±Infinity and -0 included', () => {
    const values = metricValues('datatypes-floats');
    expect(values.get('Float/max')).toBe(3.4028234663852886e38);
    expect(values.get('Float/NaN')).toBeNaN();
    expect(values.get('Float/-Infinity')).toBe(-Infinity);
    expect(Object.is(values.get('Float/-0'), -0)).toBe(true);
    expect(values.get('Double/Infinity')).toBe(Infinity);
    expect(values.get('Double/0.1')).toBe(0.1);
  });

  it('gives text, booleans and bytes', () => {
    const values = metricValues('datatypes-text-bytes');
    expect(values.get('Boolean/false')).toBe(false);
    expect(values.get('String/empty')).toBe('');
    expect(values.get('String/accents and emoji')).toBe('Outão — FORA SERVIÇO 🏭 ✓');
    expect(values.get('UUID')).toBe('0e1f6b2c-7d3a-4b5e-9f80-1a2b3c4d5e6f');
    expect(values.get('Bytes/all byte edges')).toStrictEqual(Buffer.from([0, 1, 127, 128, 254, 255]));
    expect((values.get('File/csv') as Buffer).toString()).toBe('a;b\n1;2\n3;4\n');
  });

  it('decodes the array types from little-endian bytes, the specification examples included', () => {
    const values = metricValues('datatypes-arrays');
    expect(values.get('Int8Array')).toStrictEqual([-128, 127, -1, 0]);
    expect(values.get('Int16Array')).toStrictEqual([-32768, 32767]);
    expect(values.get('Int32Array/spec example')).toStrictEqual([123456789, 987654321]);
    expect(values.get('Int64Array')).toStrictEqual([-9223372036854775808n, 9223372036854775807n]);
    expect(values.get('UInt8Array/values over 127')).toStrictEqual([0, 128, 255]);
    expect(values.get('UInt16Array')).toStrictEqual([65535, 1]);
    expect(values.get('UInt32Array')).toStrictEqual([4294967295]);
    expect(values.get('UInt64Array')).toStrictEqual([18446744073709551615n]);
    expect(values.get('FloatArray')).toStrictEqual([1.5, -2.25]);
    expect(values.get('DoubleArray')).toStrictEqual([1.5, Infinity]);
    expect(values.get('BooleanArray/spec example')).toStrictEqual(
      [false, false, true, true, false, true, false, false, true, true, false, true],
    );
    expect(values.get('StringArray/spec example')).toStrictEqual(['ABC', 'hello']);
    expect(values.get('DateTimeArray')).toStrictEqual([1756392554816n, 0n]);
  });

  it('rejects malformed array bytes with a DecodeError', () => {
    expect(() => decodeArray(DataType.Int32Array, Buffer.from([1, 2, 3]))).toThrow(/Int32Array holds 3 bytes, not a multiple of 4/);
    expect(() => decodeArray(DataType.BooleanArray, Buffer.from([9, 0, 0, 0, 0xff]))).toThrow(/BooleanArray of 9 values needs 6 bytes/);
    expect(() => decodeArray(DataType.StringArray, Buffer.from('abc'))).toThrow(/must end with a NUL byte/);
    expect(() => decodeArray(DataType.StringArray, Buffer.from([0xff, 0]))).toThrow(DecodeError);
  });

  it('gives DataSet rows typed by column, Template parameters typed', () => {
    const [dataset, definition] = decodedFixture('datatypes-dataset-template').metrics!;
    expect(dataSetRows(dataset!.datasetValue!)).toStrictEqual([
      [-1, 18446744073709551615n, NaN, true, 'Outão'],
      [0, 0n, 1.5, false, ''],
    ]);
    expect(definition!.templateValue!.parameters!.map(parameterValue)).toStrictEqual([1500, -1, 'M1']);
  });
});

describe('nulls, absent values and unknown types', () => {
  const values = metricValues('metric-fields');

  it('gives null for isNull and undefined when no value is on the wire', () => {
    expect(values.get('isNull Int32')).toBeNull();
    expect(values.get('isNull String')).toBeNull();
    expect(values.get('no timestamp, no value')).toBeUndefined();
    expect(values.get('isNull false, value 0')).toBe(0);
  });

  it('gives the raw JSON of the value field for unknown type codes', () => {
    expect(values.get('datatype 99 (future)')).toBe(7);
    expect(values.get('datatype 4294967295')).toBe('future');
    expect(values.get('datatype absent')).toBeUndefined();
    expect(values.get('extension value')).toStrictEqual({});
    expect(dataTypeName(99)).toBe('Unknown(99)');
  });

  it('throws a DecodeError when the value field cannot hold the type', () => {
    expect(() => typedValue(DataType.Int32, { stringValue: '12' })).toThrow(
      'a Int32 (3) value must be in intValue or longValue, found stringValue',
    );
    expect(() => typedValue(DataType.Boolean, { intValue: 1 })).toThrow(DecodeError);
    expect(() => typedValue(DataType.String, { bytesValue: '' })).toThrow(/String \(12\) value must be in stringValue/);
  });
});

describe('property values', () => {
  it('resolves every PropertyValue type of the fixture', () => {
    const props = properties(decodedFixture('property-values').metrics![0]!.properties!);
    expect(props.get('Int8 min')).toBe(-128);
    expect(props.get('Int8 -1 width-limited')).toBe(-1);
    expect(props.get('Int16 min')).toBe(-32768);
    expect(props.get('Quality')).toBe(-2147483132);
    expect(props.get('Int32 min')).toBe(-2147483648);
    expect(props.get('Int64 min')).toBe(-9223372036854775808n);
    expect(props.get('UInt32 max longValue')).toBe(4294967295);
    expect(props.get('UInt32 max intValue')).toBe(4294967295);
    expect(props.get('UInt64 max')).toBe(18446744073709551615n);
    expect(props.get('Float NaN')).toBeNaN();
    expect(props.get('Double -Infinity')).toBe(-Infinity);
    expect(props.get('engHigh')).toBe(Number.MAX_VALUE);
    expect(props.get('engUnit')).toBe('°C');
    expect(props.get('DateTime')).toBe(1759141450931n);
    expect(props.get('null Int32')).toBeNull();
    expect(props.get('null String')).toBeNull();
    expect(props.get('no type')).toBe('untyped');
    expect(props.get('type 4294967295')).toBe('1');
  });

  it('gives nested property sets as their JSON, two levels down', () => {
    const props = properties(decodedFixture('property-sets-nested').metrics![0]!.properties!);
    const limits = properties(props.get('limits') as PropertySetJson);
    expect(limits.get('engLow')).toBe(-40);
    expect(properties(limits.get('alarm') as PropertySetJson).get('priority')).toBe(-1);
    const alarms = props.get('alarms') as { propertyset: PropertySetJson[] };
    const escalation = properties(alarms.propertyset[0]!).get('escalation') as { propertyset: PropertySetJson[] };
    expect(properties(escalation.propertyset[0]!).get('after')).toBe(4294967295);
    expect(properties(alarms.propertyset[1]!).get('enabled')).toBeNull();
  });

  it('resolves the plant Quality the way the plant means it', () => {
    const plant = decodedFixture('plant-dbirth-portugal-cement');
    expect(plant.metrics!.map((m) => properties(m.properties!).get('Quality'))).toStrictEqual([-2147483132, 192, -2147483132]);
  });
});
