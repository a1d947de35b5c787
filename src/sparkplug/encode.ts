// Canonical JSON → Sparkplug B payload bytes, the inverse of decodePayload: used to build fixtures and
// synthetic births, and by anything that publishes (a rebirth NCMD). protobufjs reflection does the
// work; the JSON rules (uint64 strings, "NaN"/"-0" floats, base64 bytes, presence) map one to one.
import { COMPRESSED_UUID, type CompressOptions, compressBody } from './compression.ts';
import type { MetricJson, PayloadJson } from './json-types.ts';
import { sparkplugSchema } from './schema.ts';

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Encodes a payload given as canonical JSON. */
export function encodePayload(payload: PayloadJson): Buffer {
  const { Payload } = sparkplugSchema();
  return asBuffer(Payload.encode(Payload.fromObject(payload)).finish());
}

/** Encodes one metric (the bytes of one `metrics` entry, without its tag and length). */
export function encodeMetric(metric: MetricJson): Buffer {
  const { Metric } = sparkplugSchema();
  return asBuffer(Metric.encode(Metric.fromObject(metric)).finish());
}

export interface CompressPayloadOptions extends CompressOptions {
  /** Add the String metric `algorithm` naming the algorithm (Tahu always does). Default true. */
  algorithmMetric?: boolean;
  /** Timestamp of the outer payload. */
  timestamp?: string;
}

/** Wraps an encoded payload the way Tahu compresses: uuid SPBV1.0_COMPRESSED, compressed body. */
export function compressPayload(inner: Uint8Array, options: CompressPayloadOptions): Buffer {
  const outer: PayloadJson = {};
  if (options.timestamp !== undefined) outer.timestamp = options.timestamp;
  if (options.algorithmMetric ?? true) {
    outer.metrics = [{ name: 'algorithm', datatype: 12, stringValue: options.algorithm }];
  }
  outer.uuid = COMPRESSED_UUID;
  outer.body = compressBody(inner, options).toString('base64');
  return encodePayload(outer);
}
