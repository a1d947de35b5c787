// The fingerprint of a DBIRTH: what it would make the catalog hold, in 32 bytes, read straight from the wire in
// one pass over the (inflated) payload, before anything is decoded into JSON. The catalog keeps the fingerprint of
// the last birth it applied in full (uns_meta.birth_fingerprints); a birth with the same one is answered by
// uns_meta.birth_is_current and never decoded or sent (docs/ingestor.md#identical-re-births).
//
// Algorithm (version 2): sha-256 over "uns-meta birth fingerprint v2\n" and then, for every metric in payload
// order, one record of the fields uns_meta.ingest_birth reads (catalog-fields.ts), in this fixed order:
//     0x01                                                   a metric starts
//     0x0A, length (uint32 BE), the name's bytes             if it has a name (the last one on the wire wins)
//     0x10, value (uint64 BE)                                if it has an alias (last wins)
//     0x20, value (uint32 BE)                                if it has a datatype (last wins)
//     0x28, 0 or 1                                           if it has is_historical (last wins)
//     0x30, 0 or 1                                           if it has is_transient (last wins)
//     0x4A, length (uint32 BE), the PropertySet's bytes      for each properties field, in wire order
// Every part starts with its own byte and has a fixed size or a length, so the records read back one way only.
// Never hashed: the value, timestamp, is_null, metadata and unknown fields; they are checked (framing, wire types,
// a data set's or template's content through its decoder) but not decoded.
//
// Canonical where the decoder's rule is cheap to follow: field order within a metric, repeated singular fields
// (last wins), a bool written as any non-zero varint, an over-long varint. Not canonical inside a PropertySet,
// whose bytes are hashed as they are: the same properties encoded another way (field order inside a value,
// keys and values interleaved, a bool varint other than 1, a properties field split in two, an unknown field)
// give another fingerprint. That costs one full ingest, never a wrong match: equal records mean the same bytes
// for every field the catalog reads, and the decoder turns the same bytes into the same JSON.
// A birth with an alias-only metric has no fingerprint: its name comes from the alias maps, not from the birth.
import { createHash } from 'node:crypto';
import type { CatalogField } from './catalog-fields.ts';
import { DecodeError } from '../sparkplug/errors.ts';
import { FIELD_NAMES, checkMetaData, decodeDataSet, decodeExtension, decodeTemplate } from '../sparkplug/message-decoders.ts';
import { type Reader, openReader, readBool, readLengthEnd, readTag, readVarint32, skipField, wrongWireType } from '../sparkplug/wire.ts';

const DOMAIN = 'uns-meta birth fingerprint v2\n';

/**
 * The wire tag (field number << 3 | wire type, proto/sparkplug_b.proto) of each catalog field: what readMetric reads
 * it by and the byte that starts its part of a metric's record. One for every field catalogFields copies, no other.
 */
const TAG = { name: 0x0a, alias: 0x10, datatype: 0x20, isHistorical: 0x28, isTransient: 0x30, properties: 0x4a } as const satisfies Record<CatalogField, number>;

/** What the pass found: the fingerprint (undefined when a metric is alias-only) and the properties it counted. */
export interface WireFingerprint {
  fingerprint: Buffer | undefined;
  /** Property keys over all metrics (up to the alias-only one, if any): the count a full decode gives. */
  properties: number;
}

/** Hash input is gathered here and handed to the hash a block at a time (one update per field would cost more). */
const BLOCK = 64 * 1024;

class HashInput {
  readonly #hash = createHash('sha256').update(DOMAIN);
  readonly #block = Buffer.allocUnsafe(BLOCK);
  #at = 0;

  #room(n: number): void {
    if (this.#at + n > BLOCK) this.flush();
  }

  byte(b: number): void {
    this.#room(1);
    this.#block[this.#at++] = b;
  }

  uint32(v: number): void {
    this.#room(4);
    this.#block.writeUInt32BE(v >>> 0, this.#at);
    this.#at += 4;
  }

  /** A length-prefixed run of the payload's bytes. */
  bytes(buf: Buffer, start: number, stop: number): void {
    const n = stop - start;
    this.uint32(n);
    if (n > BLOCK) {
      this.flush();
      this.#hash.update(buf.subarray(start, stop));
      return;
    }
    this.#room(n);
    if (n <= 32) {
      for (let i = start; i < stop; i++) this.#block[this.#at++] = buf[i]!;
    } else {
      this.#at += buf.copy(this.#block, this.#at, start, stop);
    }
  }

  flush(): void {
    if (this.#at > 0) this.#hash.update(this.#block.subarray(0, this.#at));
    this.#at = 0;
  }

  digest(): Buffer {
    this.flush();
    return this.#hash.digest();
  }
}

/** Reads a uint64 varint into `out` as its 64-bit value (bits beyond 64 dropped, as the decoder's readUint64 does). */
function readUint64Halves(r: Reader, end: number, out: { lo: number; hi: number }): void {
  const buf = r.buf;
  const start = r.pos;
  let pos = start;
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new DecodeError('truncated varint', { offset: start });
    const b = buf[pos++]!;
    if (i < 4) lo |= (b & 0x7f) << (7 * i);
    else if (i === 4) {
      lo |= (b & 0x0f) << 28;
      hi |= (b & 0x7f) >>> 4;
    } else hi |= (b & 0x7f) << (7 * i - 32);
    if (b < 0x80) {
      r.pos = pos;
      out.lo = lo >>> 0;
      out.hi = hi >>> 0;
      return;
    }
  }
  throw new DecodeError('varint longer than 10 bytes', { offset: start });
}

/** Walks one PropertySet's own fields as decodePropertySet does (its values are not entered); returns its key count. */
function countKeys(r: Reader, end: number): number {
  let keys = 0;
  while (r.pos < end) {
    const at = r.pos;
    const tag = readTag(r, end);
    if (tag === 10 || tag === 18) {
      if (tag === 10) keys++;
      r.pos = readLengthEnd(r, end);
    } else if (tag >>> 3 < FIELD_NAMES.PropertySet.length) throw wrongWireType(tag, at);
    else skipField(r, tag, end, 2);
  }
  return keys;
}

/** Where one metric's catalog fields are on the wire; reused for every metric. */
interface MetricFields {
  nameStart: number;
  nameStop: number;
  alias: { lo: number; hi: number } | undefined;
  datatype: number | undefined;
  isHistorical: boolean | undefined;
  isTransient: boolean | undefined;
  /** start, stop of each properties field: the first `propertyFields` pairs (the array is kept from metric to metric). */
  properties: number[];
  propertyFields: number;
  keys: number;
}

const ALIAS = { lo: 0, hi: 0 };

/** Reads one Metric (its bytes end at `end`), checking every field as decodeMetric would and noting the catalog's. */
function readMetric(r: Reader, end: number, f: MetricFields): void {
  f.nameStart = -1;
  f.nameStop = -1;
  f.alias = undefined;
  f.datatype = undefined;
  f.isHistorical = undefined;
  f.isTransient = undefined;
  f.propertyFields = 0;
  f.keys = 0;
  while (r.pos < end) {
    const at = r.pos;
    const tag = readTag(r, end);
    // The catalog fields' cases are literals, each checked against TAG by the compiler.
    switch (tag) {
      case 10 satisfies typeof TAG.name: f.nameStop = readLengthEnd(r, end); f.nameStart = r.pos; r.pos = f.nameStop; break;
      case 16 satisfies typeof TAG.alias: readUint64Halves(r, end, ALIAS); f.alias = ALIAS; break;
      case 32 satisfies typeof TAG.datatype: f.datatype = readVarint32(r, end); break;
      case 40 satisfies typeof TAG.isHistorical: f.isHistorical = readBool(r, end); break;
      case 48 satisfies typeof TAG.isTransient: f.isTransient = readBool(r, end); break;
      case 74 satisfies typeof TAG.properties: {
        const stop = readLengthEnd(r, end);
        f.properties[2 * f.propertyFields] = r.pos;
        f.properties[2 * f.propertyFields + 1] = stop;
        f.propertyFields++;
        f.keys += countKeys(r, stop);
        break;
      }
      // Not catalog fields: checked as the decoder reads them, not decoded (a data set or template is rare and
      // nested: its own decoder checks it).
      case 24: case 56: case 80: case 88: case 112: // timestamp, is_null, int, long, boolean
      case 101: case 105: // float, double
      case 122: case 130: // string, bytes (the ingestor's decoder escapes invalid UTF-8: never an error)
        skipField(r, tag, end, 1);
        break;
      case 66: checkMetaData(r, readLengthEnd(r, end)); break;
      case 138: decodeDataSet(r, readLengthEnd(r, end), 2); break;
      case 146: decodeTemplate(r, readLengthEnd(r, end), 2); break;
      case 154: decodeExtension(r, readLengthEnd(r, end), 2); break;
      default:
        if (tag >>> 3 < FIELD_NAMES.Metric.length) throw wrongWireType(tag, at);
        skipField(r, tag, end, 1);
    }
  }
}

function hashMetric(input: HashInput, buf: Buffer, f: MetricFields): void {
  input.byte(0x01);
  if (f.nameStart >= 0) {
    input.byte(TAG.name);
    input.bytes(buf, f.nameStart, f.nameStop);
  }
  if (f.alias !== undefined) {
    input.byte(TAG.alias);
    input.uint32(f.alias.hi);
    input.uint32(f.alias.lo);
  }
  if (f.datatype !== undefined) {
    input.byte(TAG.datatype);
    input.uint32(f.datatype);
  }
  if (f.isHistorical !== undefined) {
    input.byte(TAG.isHistorical);
    input.byte(f.isHistorical ? 1 : 0);
  }
  if (f.isTransient !== undefined) {
    input.byte(TAG.isTransient);
    input.byte(f.isTransient ? 1 : 0);
  }
  for (let i = 0; i < 2 * f.propertyFields; i += 2) {
    input.byte(TAG.properties);
    input.bytes(buf, f.properties[i]!, f.properties[i + 1]!);
  }
}

/**
 * The fingerprint of a birth's (uncompressed) payload bytes, as unwrapPayload returns them, in one pass that
 * decodes no value and builds no JSON. Stops at the first alias-only metric (no name, or an empty one, and an
 * alias): such a birth has no fingerprint.
 * @throws DecodeError for bytes the decoder would refuse (the caller lets the decoder say why).
 */
export function wireFingerprint(bytes: Buffer): WireFingerprint {
  const r = openReader(bytes, true); // as the ingestor decodes: a data set's or template's invalid UTF-8 is no error
  const end = bytes.length;
  const input = new HashInput();
  const f: MetricFields = { nameStart: -1, nameStop: -1, alias: undefined, datatype: undefined, isHistorical: undefined, isTransient: undefined, properties: [], propertyFields: 0, keys: 0 };
  let properties = 0;
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag !== 18) {
      skipField(r, tag, end, 0); // the payload's own fields: unwrapPayload read them
      continue;
    }
    readMetric(r, readLengthEnd(r, end), f);
    if (f.nameStart === f.nameStop && f.alias !== undefined) return { fingerprint: undefined, properties };
    properties += f.keys;
    hashMetric(input, bytes, f);
  }
  return { fingerprint: input.digest(), properties };
}
