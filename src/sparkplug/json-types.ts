// The canonical protobuf JSON of a Sparkplug B payload: what the decoder returns, what the encoder and
// the database function `uns_meta.ingest_birth` accept. It follows the protobuf JSON mapping applied to
// proto/sparkplug_b.proto:
//   - keys are the lowerCamelCase field names (`isNull`, `intValue`, `propertysetsValue`);
//   - a field absent on the wire is absent here; a field present with value 0 / false / "" is kept
//     (proto2 presence: `alias: "0"` is a real alias, no `alias` means none);
//   - 64-bit integers (uint64) are decimal strings, exact over the whole range;
//   - uint32 fields (`datatype`, `type`, `intValue`) are JSON numbers, unsigned: `intValue` is the raw
//     wire value, NOT sign-extended (an Int32 -1 is 4294967295); the database types them (uns_meta.decode_property_value);
//   - float and double are JSON numbers, except the non-finite values and negative zero, which are the
//     strings "NaN", "Infinity", "-Infinity" and "-0" (JSON text cannot carry them as numbers);
//   - bytes are standard base64 with padding;
//   - empty repeated fields are absent.

/** uint64 as a decimal string, "0" … "18446744073709551615". */
export type Uint64String = string;
/** A float or double: a JSON number, or one of the strings for values JSON numbers cannot carry. */
export type JsonFloat = number | 'NaN' | 'Infinity' | '-Infinity' | '-0';
/** Standard base64 with padding. */
export type Base64 = string;
/** The value of an `extension_value` field: an extension-only message, which has nothing to show. */
export type ExtensionJson = Record<string, never>;

export interface PayloadJson {
  timestamp?: Uint64String;
  metrics?: MetricJson[];
  seq?: Uint64String;
  uuid?: string;
  body?: Base64;
}

/** A payload's own fields, without its metrics. */
export type PayloadHeaderJson = Omit<PayloadJson, 'metrics'>;

export interface MetricJson {
  name?: string;
  alias?: Uint64String;
  timestamp?: Uint64String;
  datatype?: number;
  isHistorical?: boolean;
  isTransient?: boolean;
  isNull?: boolean;
  metadata?: MetaDataJson;
  properties?: PropertySetJson;
  // oneof value: at most one of the following
  intValue?: number;
  longValue?: Uint64String;
  floatValue?: JsonFloat;
  doubleValue?: JsonFloat;
  booleanValue?: boolean;
  stringValue?: string;
  bytesValue?: Base64;
  datasetValue?: DataSetJson;
  templateValue?: TemplateJson;
  extensionValue?: ExtensionJson;
}

export interface MetaDataJson {
  isMultiPart?: boolean;
  contentType?: string;
  size?: Uint64String;
  seq?: Uint64String;
  fileName?: string;
  fileType?: string;
  md5?: string;
  description?: string;
}

/** Parallel arrays: `keys[i]` names `values[i]`. The decoder does not check that the lengths match. */
export interface PropertySetJson {
  keys?: string[];
  values?: PropertyValueJson[];
}

export interface PropertySetListJson {
  propertyset?: PropertySetJson[];
}

export interface PropertyValueJson {
  type?: number;
  isNull?: boolean;
  // oneof value
  intValue?: number;
  longValue?: Uint64String;
  floatValue?: JsonFloat;
  doubleValue?: JsonFloat;
  booleanValue?: boolean;
  stringValue?: string;
  propertysetValue?: PropertySetJson;
  propertysetsValue?: PropertySetListJson;
  extensionValue?: ExtensionJson;
}

export interface DataSetJson {
  numOfColumns?: Uint64String;
  columns?: string[];
  types?: number[];
  rows?: RowJson[];
}

export interface RowJson {
  elements?: DataSetValueJson[];
}

export interface DataSetValueJson {
  // oneof value
  intValue?: number;
  longValue?: Uint64String;
  floatValue?: JsonFloat;
  doubleValue?: JsonFloat;
  booleanValue?: boolean;
  stringValue?: string;
  extensionValue?: ExtensionJson;
}

export interface TemplateJson {
  version?: string;
  metrics?: MetricJson[];
  parameters?: ParameterJson[];
  templateRef?: string;
  isDefinition?: boolean;
}

export interface ParameterJson {
  name?: string;
  type?: number;
  // oneof value
  intValue?: number;
  longValue?: Uint64String;
  floatValue?: JsonFloat;
  doubleValue?: JsonFloat;
  booleanValue?: boolean;
  stringValue?: string;
  extensionValue?: ExtensionJson;
}
