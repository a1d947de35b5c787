// Sparkplug B payload bytes → canonical protobuf JSON (see json-types.ts for the exact rules).
//
//   decodePayload(bytes)                    the whole payload as one object
//   decodeMetricsChunked(bytes, chunkSize)  the payload's own fields first, then its metrics in chunks,
//                                           never holding more than one chunk of decoded metrics: for
//                                           births of hundreds of thousands of metrics
//
// Both unwrap Tahu's compressed payloads (compression.ts) and throw only DecodeError for bad input.
// The walk is a single pass over a protobufjs Reader (message-decoders.ts) rather than protobufjs's
// reflection decode + toObject: one pass is about twice as fast, can stop after any metric, and is
// strict where protobufjs is lenient (truncated strings, over-long varints, wrong wire types, invalid
// UTF-8). test/sparkplug uses the reflection decoder as an independent oracle.
import { COMPRESSED_UUID, type Compression, DEFAULT_MAX_INFLATED_BYTES, compressionOf, inflateBody } from './compression.ts';
import { DecodeError, asDecodeError } from './errors.ts';
import type { MetricJson, PayloadHeaderJson, PayloadJson } from './json-types.ts';
import { FIELD_NAMES, decodeMetric } from './message-decoders.ts';
import {
  type Reader,
  openReader,
  readBytesBase64,
  readLengthEnd,
  readString,
  readTag,
  readUint64,
  skipField,
  wrongWireType,
} from './wire.ts';

export { DecodeError } from './errors.ts';

export interface DecodeOptions {
  /** Largest inflated size accepted for a compressed payload (default 1 GiB). */
  maxInflatedBytes?: number;
  /**
   * A string that is not valid UTF-8: `error` (the default) fails the decode; `escape` returns it with each byte
   * of its invalid sequences as a lone surrogate U+DC80–U+DCFF (wire.ts escapeInvalidUtf8), for a caller that
   * refuses only what holds it (the ingestor rejects that one metric).
   */
  invalidUtf8?: 'error' | 'escape';
}

/** One chunk of metrics from decodeMetricsChunked. */
export interface MetricChunk {
  /** The payload's own fields (timestamp, seq, uuid, body), the same object in every chunk. */
  header: PayloadHeaderJson;
  /** How many metrics the payload holds in all. */
  metricCount: number;
  /** Index of `metrics[0]` in the payload's metric list. */
  start: number;
  metrics: MetricJson[];
}

const NOT_SPARKPLUG = 'payload is not a Sparkplug B protobuf';

function asBuffer(input: Uint8Array): Buffer {
  if (Buffer.isBuffer(input)) return input;
  if (input instanceof Uint8Array) return Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  throw new TypeError('a Sparkplug payload must be a Buffer or Uint8Array');
}

/** Reads one top-level field other than a metric into `header`; `false` when the tag is a metric. */
function readHeaderField(r: Reader, tag: number, at: number, end: number, header: PayloadHeaderJson): boolean {
  try {
    switch (tag) {
      case 8: header.timestamp = readUint64(r, end); return true;
      case 18: return false;
      case 24: header.seq = readUint64(r, end); return true;
      case 34: header.uuid = readString(r, end); return true;
      case 42: header.body = readBytesBase64(r, end); return true;
      default:
        if (tag >>> 3 < FIELD_NAMES.Payload.length) throw wrongWireType(tag, at);
        skipField(r, tag, end, 0);
        return true;
    }
  } catch (err) {
    const name = FIELD_NAMES.Payload[tag >>> 3];
    const inner = asDecodeError(err);
    throw (name ? inner.within(name) : inner).within(NOT_SPARKPLUG);
  }
}

function readTopLevelTag(r: Reader, end: number): number {
  try {
    return readTag(r, end);
  } catch (err) {
    throw asDecodeError(err).within(NOT_SPARKPLUG);
  }
}

/** The end of the next metric's bytes (the reader is at its length prefix). */
function metricEnd(r: Reader, end: number, index: number): number {
  try {
    return readLengthEnd(r, end);
  } catch (err) {
    throw asDecodeError(err).within(`metric #${index}`);
  }
}

/** Decodes an uncompressed payload in one pass. */
function decodeUncompressed(buf: Buffer, options: DecodeOptions): PayloadJson {
  const r = openReader(buf, options.invalidUtf8 === 'escape');
  const end = buf.length;
  const payload: PayloadJson = {};
  while (r.pos < end) {
    const at = r.pos;
    const tag = readTopLevelTag(r, end);
    if (!readHeaderField(r, tag, at, end, payload)) {
      const metrics = (payload.metrics ??= []);
      metrics.push(decodeMetric(r, metricEnd(r, end, metrics.length), 1, metrics.length));
    }
  }
  return payload;
}

/** The payload's own fields and its metric count, skipping over the metrics' bytes. */
function scanHeader(buf: Buffer, options: DecodeOptions): { header: PayloadHeaderJson; metricCount: number } {
  const r = openReader(buf, options.invalidUtf8 === 'escape');
  const end = buf.length;
  const header: PayloadHeaderJson = {};
  let metricCount = 0;
  while (r.pos < end) {
    const at = r.pos;
    const tag = readTopLevelTag(r, end);
    if (!readHeaderField(r, tag, at, end, header)) r.pos = metricEnd(r, end, metricCount++);
  }
  return { header, metricCount };
}

/** A decoded compressed (outer) payload's body, not inflated, and how it is compressed. */
function outerBody(outer: PayloadJson): { body: Buffer; compression: Compression } {
  if (outer.body === undefined) throw new DecodeError(`compressed payload (uuid ${COMPRESSED_UUID}) has no body`);
  const body = Buffer.from(outer.body, 'base64');
  const algorithm = outer.metrics?.find((m) => m.name === 'algorithm')?.stringValue;
  return { body, compression: compressionOf(algorithm, body) };
}

function rejectNestedCompression(uuid: string | undefined, compression: Compression): void {
  if (uuid === COMPRESSED_UUID) {
    throw new DecodeError(`compressed payload (${compression}) holds another compressed payload; only one level is allowed`);
  }
}

/**
 * Decodes a Sparkplug B payload (compressed or not) into its canonical protobuf JSON.
 * @throws DecodeError naming what is wrong and where, for any input that is not a valid payload.
 */
export function decodePayload(input: Uint8Array, options: DecodeOptions = {}): PayloadJson {
  const buf = asBuffer(input);
  try {
    const payload = decodeUncompressed(buf, options);
    if (payload.uuid !== COMPRESSED_UUID) return payload;
    const opened = outerBody(payload);
    const { compression } = opened;
    const bytes = inflateOpened(opened, options);
    let inner: PayloadJson;
    try {
      inner = decodeUncompressed(bytes, options);
    } catch (err) {
      throw asDecodeError(err).within(`compressed payload (${compression})`);
    }
    rejectNestedCompression(inner.uuid, compression);
    return inner;
  } catch (err) {
    throw asDecodeError(err);
  }
}

/**
 * A payload's first look, for callers that inflate large bodies themselves (the ingestor streams them): an
 * uncompressed payload scanned (what unwrapPayload returns for it), or a Tahu-compressed one's body and algorithm,
 * not inflated. A framing error is named in the decoder's (`decodePayload`'s) words.
 */
export function openPayload(input: Uint8Array, options: DecodeOptions = {}): OpenedPayload {
  const buf = asBuffer(input);
  try {
    // The framing scan reads the uuid without decoding a metric: an uncompressed payload (the usual one, and often a
    // large one) is not decoded here. Only a compressed payload, whose outer message is small, is decoded. Bytes the
    // scan refuses are decoded, so that the error is the decoder's, as before the scan.
    let scanned: { header: PayloadHeaderJson; metricCount: number };
    try {
      scanned = scanHeader(buf, options);
    } catch (err) {
      decodeUncompressed(buf, options);
      throw err;
    }
    if (scanned.header.uuid !== COMPRESSED_UUID) return { compressed: false, unwrapped: { bytes: buf, compression: undefined, ...scanned } };
    return { compressed: true, ...outerBody(decodeUncompressed(buf, options)) };
  } catch (err) {
    throw asDecodeError(err);
  }
}

/** What openPayload found: a payload ready to walk, or a compressed body still to inflate. */
export type OpenedPayload =
  | { compressed: false; unwrapped: UnwrappedPayload }
  | { compressed: true; body: Buffer; compression: Compression };

/** What a payload holds once unwrapped: the bytes to walk, its header and its metric count. */
export interface UnwrappedPayload {
  /** The uncompressed payload bytes (the input itself when it was not compressed). */
  bytes: Buffer;
  /** How the input was compressed, if it was. */
  compression: Compression | undefined;
  header: PayloadHeaderJson;
  metricCount: number;
}

/** Inflates a compressed payload (or not) and reads its header, without decoding any metric. */
export function unwrapPayload(input: Uint8Array, options: DecodeOptions = {}): UnwrappedPayload {
  const buf = asBuffer(input);
  try {
    const scanned = scanHeader(buf, options);
    if (scanned.header.uuid !== COMPRESSED_UUID) return { bytes: buf, compression: undefined, ...scanned };
    return unwrapBodyOnce(outerBody(decodeUncompressed(buf, options)), options);
  } catch (err) {
    throw asDecodeError(err);
  }
}

/** unwrapPayload's result for a compressed body openPayload returned, inflated in one call. */
export function unwrapBodyOnce(opened: { body: Buffer; compression: Compression }, options: DecodeOptions = {}): UnwrappedPayload {
  return scanInflated(inflateOpened(opened, options), opened.compression, options);
}

/** A compressed payload's body inflated in one call, within the decoder's inflated-size limit. */
function inflateOpened(opened: { body: Buffer; compression: Compression }, options: DecodeOptions): Buffer {
  return inflateBody(opened.body, opened.compression, options.maxInflatedBytes ?? DEFAULT_MAX_INFLATED_BYTES);
}

/**
 * An inflated body's header and metric count, without decoding any metric. A framing error is named as inside its
 * compressed payload; a compressed payload inside it is refused.
 */
export function scanInflated(bytes: Buffer, compression: Compression, options: DecodeOptions = {}): UnwrappedPayload {
  let inner: { header: PayloadHeaderJson; metricCount: number };
  try {
    inner = scanHeader(bytes, options);
  } catch (err) {
    throw asDecodeError(err).within(`compressed payload (${compression})`);
  }
  rejectNestedCompression(inner.header.uuid, compression);
  return { bytes, compression, ...inner };
}

/**
 * Decodes a payload's metrics `chunkSize` at a time. The payload's own fields come with every chunk
 * (they may follow the metrics on the wire: a first pass over the top-level fields finds them and
 * checks the framing before any metric is yielded). Memory beyond the (inflated) input is one chunk.
 * A payload without metrics yields one empty chunk, so the header is always seen.
 * @throws DecodeError from the first `next()` for a bad payload, or later for a bad metric.
 */
export function* decodeMetricsChunked(
  input: Uint8Array,
  chunkSize = 1000,
  options: DecodeOptions = {},
): Generator<MetricChunk, void, undefined> {
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
    throw new RangeError(`chunkSize must be a positive integer, got ${chunkSize}`);
  }
  const { bytes, compression, header, metricCount } = unwrapPayload(input, options);
  const r = openReader(bytes, options.invalidUtf8 === 'escape');
  const end = bytes.length;
  let index = 0;
  let start = 0;
  let metrics: MetricJson[] = [];
  while (r.pos < end) {
    let metric: MetricJson | undefined;
    try {
      const tag = readTag(r, end); // the framing was checked by unwrapPayload
      if (tag === 18) metric = decodeMetric(r, readLengthEnd(r, end), 1, index);
      else skipField(r, tag, end, 0);
    } catch (err) {
      const error = asDecodeError(err);
      throw compression ? error.within(`compressed payload (${compression})`) : error;
    }
    if (metric === undefined) continue;
    metrics.push(metric);
    index++;
    if (metrics.length === chunkSize) {
      yield { header, metricCount, start, metrics };
      start = index;
      metrics = [];
    }
  }
  if (metrics.length > 0 || metricCount === 0) yield { header, metricCount, start, metrics };
}
