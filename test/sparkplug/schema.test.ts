// proto/sparkplug_b.proto against the field numbers of the specification (shared/reference/sparkplug-b.md),
// and the single-pass decoder's field tables against the .proto.
import { describe, expect, it } from 'vitest';
import { FIELD_NAMES } from '../../src/sparkplug/message-decoders.ts';
import { PACKAGE, sparkplugSchema } from '../../src/sparkplug/schema.ts';

/** [field number, canonical JSON name, protobuf type] per message, transcribed from the specification. */
const SPECIFICATION: Record<string, [number, string, string][]> = {
  Payload: [[1, 'timestamp', 'uint64'], [2, 'metrics', 'Metric'], [3, 'seq', 'uint64'], [4, 'uuid', 'string'], [5, 'body', 'bytes']],
  'Payload.Metric': [
    [1, 'name', 'string'], [2, 'alias', 'uint64'], [3, 'timestamp', 'uint64'], [4, 'datatype', 'uint32'],
    [5, 'isHistorical', 'bool'], [6, 'isTransient', 'bool'], [7, 'isNull', 'bool'], [8, 'metadata', 'MetaData'],
    [9, 'properties', 'PropertySet'], [10, 'intValue', 'uint32'], [11, 'longValue', 'uint64'], [12, 'floatValue', 'float'],
    [13, 'doubleValue', 'double'], [14, 'booleanValue', 'bool'], [15, 'stringValue', 'string'], [16, 'bytesValue', 'bytes'],
    [17, 'datasetValue', 'DataSet'], [18, 'templateValue', 'Template'], [19, 'extensionValue', 'MetricValueExtension'],
  ],
  'Payload.MetaData': [
    [1, 'isMultiPart', 'bool'], [2, 'contentType', 'string'], [3, 'size', 'uint64'], [4, 'seq', 'uint64'],
    [5, 'fileName', 'string'], [6, 'fileType', 'string'], [7, 'md5', 'string'], [8, 'description', 'string'],
  ],
  'Payload.PropertySet': [[1, 'keys', 'string'], [2, 'values', 'PropertyValue']],
  'Payload.PropertyValue': [
    [1, 'type', 'uint32'], [2, 'isNull', 'bool'], [3, 'intValue', 'uint32'], [4, 'longValue', 'uint64'],
    [5, 'floatValue', 'float'], [6, 'doubleValue', 'double'], [7, 'booleanValue', 'bool'], [8, 'stringValue', 'string'],
    [9, 'propertysetValue', 'PropertySet'], [10, 'propertysetsValue', 'PropertySetList'], [11, 'extensionValue', 'PropertyValueExtension'],
  ],
  'Payload.PropertySetList': [[1, 'propertyset', 'PropertySet']],
  'Payload.DataSet': [[1, 'numOfColumns', 'uint64'], [2, 'columns', 'string'], [3, 'types', 'uint32'], [4, 'rows', 'Row']],
  'Payload.DataSet.Row': [[1, 'elements', 'DataSetValue']],
  'Payload.DataSet.DataSetValue': [
    [1, 'intValue', 'uint32'], [2, 'longValue', 'uint64'], [3, 'floatValue', 'float'], [4, 'doubleValue', 'double'],
    [5, 'booleanValue', 'bool'], [6, 'stringValue', 'string'], [7, 'extensionValue', 'DataSetValueExtension'],
  ],
  'Payload.Template': [
    [1, 'version', 'string'], [2, 'metrics', 'Metric'], [3, 'parameters', 'Parameter'], [4, 'templateRef', 'string'], [5, 'isDefinition', 'bool'],
  ],
  'Payload.Template.Parameter': [
    [1, 'name', 'string'], [2, 'type', 'uint32'], [3, 'intValue', 'uint32'], [4, 'longValue', 'uint64'], [5, 'floatValue', 'float'],
    [6, 'doubleValue', 'double'], [7, 'booleanValue', 'bool'], [8, 'stringValue', 'string'], [9, 'extensionValue', 'ParameterValueExtension'],
  ],
};

/** Which FIELD_NAMES table of the decoder covers which message. */
const DECODER_TABLES: Record<string, keyof typeof FIELD_NAMES> = {
  Payload: 'Payload',
  'Payload.Metric': 'Metric',
  'Payload.MetaData': 'MetaData',
  'Payload.PropertySet': 'PropertySet',
  'Payload.PropertyValue': 'PropertyValue',
  'Payload.PropertySetList': 'PropertySetList',
  'Payload.DataSet': 'DataSet',
  'Payload.DataSet.Row': 'Row',
  'Payload.DataSet.DataSetValue': 'DataSetValue',
  'Payload.Template': 'Template',
  'Payload.Template.Parameter': 'Parameter',
};

function fieldsOf(message: string): [number, string, string][] {
  const type = sparkplugSchema().root.lookupType(`${PACKAGE}.${message}`);
  return [...type.fieldsArray].sort((a, b) => a.id - b.id).map((f) => [f.id, f.name, f.type]);
}

describe('proto/sparkplug_b.proto', () => {
  it.each(Object.entries(SPECIFICATION))('%s has the field numbers and types of the specification', (message, fields) => {
    expect(fieldsOf(message)).toStrictEqual(fields);
  });

  it('is proto2 with optional fields, so presence is kept', () => {
    const metric = sparkplugSchema().root.lookupType(`${PACKAGE}.Payload.Metric`);
    expect(metric.fields.alias!.optional).toBe(true);
    expect(metric.fields.alias!.hasPresence).toBe(true);
  });

  it('declares the value fields of Metric, PropertyValue, DataSetValue and Parameter as a oneof', () => {
    for (const message of ['Payload.Metric', 'Payload.PropertyValue', 'Payload.DataSet.DataSetValue', 'Payload.Template.Parameter']) {
      const type = sparkplugSchema().root.lookupType(`${PACKAGE}.${message}`);
      expect(type.oneofs.value!.oneof.every((name) => name.endsWith('Value')), message).toBe(true);
    }
  });

  it('leaves room for extensions where Tahu does', () => {
    const payload = sparkplugSchema().root.lookupType(`${PACKAGE}.Payload`);
    expect(payload.extensions).toStrictEqual([[6, 536870911]]); // 6 to max
  });

  it.each(Object.entries(DECODER_TABLES))('the decoder reads %s by the same field numbers', (message, table) => {
    const fromProto = fieldsOf(message).map(([id, name]) => [id, name]);
    const fromDecoder = FIELD_NAMES[table].map((name, id) => [id, name]).slice(1);
    expect(fromDecoder).toStrictEqual(fromProto);
  });
});
