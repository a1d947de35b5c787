// Sparkplug B DataType codes (Sparkplug 3.0, section 6.4.16): the `datatype` of a Metric, the `type` of
// a PropertyValue and of a Template Parameter, the `types` of a DataSet. They travel as plain uint32,
// so codes not listed here are legal on the wire and must be kept as numbers.

export const DataType = {
  Unknown: 0,
  Int8: 1,
  Int16: 2,
  Int32: 3,
  Int64: 4,
  UInt8: 5,
  UInt16: 6,
  UInt32: 7,
  UInt64: 8,
  Float: 9,
  Double: 10,
  Boolean: 11,
  String: 12,
  DateTime: 13,
  Text: 14,
  UUID: 15,
  DataSet: 16,
  Bytes: 17,
  File: 18,
  Template: 19,
  PropertySet: 20,
  PropertySetList: 21,
  Int8Array: 22,
  Int16Array: 23,
  Int32Array: 24,
  Int64Array: 25,
  UInt8Array: 26,
  UInt16Array: 27,
  UInt32Array: 28,
  UInt64Array: 29,
  FloatArray: 30,
  DoubleArray: 31,
  BooleanArray: 32,
  StringArray: 33,
  DateTimeArray: 34,
} as const;

export type DataTypeName = keyof typeof DataType;
export type DataTypeCode = (typeof DataType)[DataTypeName];

const NAMES: readonly string[] = Object.keys(DataType);

/** "Int32" for 3; `unknown datatype 99` style codes come back as "Unknown(99)". */
export function dataTypeName(code: number): string {
  return NAMES[code] ?? `Unknown(${code})`;
}

/** Whether the code is one of the defined data types (0–34). */
export function isKnownDataType(code: number): code is DataTypeCode {
  return Number.isInteger(code) && code >= 0 && code < NAMES.length;
}
