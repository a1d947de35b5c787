// Protobuf wire-format primitives on a protobufjs Reader, strict and bounded.
//
// Every function takes `end`, the end of the enclosing message, and never reads past it: a length that
// runs past its parent is an error here, where protobufjs itself would silently clamp a string
// (BufferReader#string) or blindly skip bytes of an over-long varint (Reader#uint32).
// 64-bit varints come back as exact decimal strings; floats as canonical JSON numbers/strings.
import { isUtf8 } from 'node:buffer';
import protobuf from 'protobufjs';
import { DecodeError } from './errors.ts';
import type { JsonFloat } from './json-types.ts';

export type Reader = protobuf.Reader;

/** Wire types (the low 3 bits of a tag). */
export const VARINT = 0;
export const FIXED64 = 1;
export const LEN = 2;
export const START_GROUP = 3;
export const END_GROUP = 4;
export const FIXED32 = 5;

/** Deepest nesting of messages accepted (property sets in property sets, templates in templates). */
export const MAX_DEPTH = 64;

/** Readers whose invalid UTF-8 strings come back escaped (escapeInvalidUtf8) instead of failing the decode. */
const escaping = new WeakSet<Reader>();

/**
 * A reader over the whole buffer. The decoder only ever reads Buffers (for utf8/base64 slicing). With
 * `escapeInvalidUtf8`, a string that is not valid UTF-8 is returned with each byte of its invalid sequences as a
 * lone surrogate (escapeInvalidUtf8 below); without, it is a DecodeError.
 */
export function openReader(buf: Buffer, escapeInvalidUtf8 = false): Reader {
  const r = protobuf.Reader.create(buf);
  if (escapeInvalidUtf8) escaping.add(r);
  return r;
}

/**
 * The bytes as text, each byte of an invalid UTF-8 sequence written as the lone surrogate U+DC80–U+DCFF (byte 0x80
 * is U+DC80, …, 0xFF is U+DCFF; Python's "surrogateescape"). Valid UTF-8 never decodes to a lone surrogate, so the
 * escapes are unambiguous and the bytes can be told exactly (visibleEscapedBytes).
 */
export function escapeInvalidUtf8(buf: Buffer, start: number, stop: number): string {
  let out = '';
  let run = start; // start of the valid bytes not yet copied
  let i = start;
  while (i < stop) {
    const b = buf[i]!;
    const n = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (n === 1 || (n > 1 && i + n <= stop && isUtf8(buf.subarray(i, i + n)))) {
      i += n;
      continue;
    }
    out += buf.toString('utf8', run, i) + String.fromCharCode(0xdc00 + b);
    i++;
    run = i;
  }
  return out + buf.toString('utf8', run, stop);
}

/** A lone surrogate of escapeInvalidUtf8: U+DC80–U+DCFF not preceded by a high surrogate. */
const ESCAPED_BYTE = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/;
const ESCAPED_BYTES = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/g;

/** True when the text holds bytes that were not valid UTF-8 (escapeInvalidUtf8). */
export function hasEscapedBytes(text: string): boolean {
  return ESCAPED_BYTE.test(text);
}

/** The text with each escaped byte written as the four visible characters `\xHH` (upper-case hex). */
export function visibleEscapedBytes(text: string): string {
  return text.replace(ESCAPED_BYTES, (c) => `\\x${(c.charCodeAt(0) - 0xdc00).toString(16).toUpperCase().padStart(2, '0')}`);
}

function bufferOf(r: Reader): Buffer {
  return r.buf as Buffer;
}

function truncated(what: string, offset: number): DecodeError {
  return new DecodeError(`truncated ${what}`, { offset });
}

/** The low 32 bits of a varint of up to 10 bytes (protobuf's rule for uint32 fields and tags). */
export function readVarint32(r: Reader, end: number): number {
  const buf = r.buf;
  const pos = r.pos;
  if (pos < end) {
    const b = buf[pos]!;
    if (b < 0x80) {
      r.pos = pos + 1;
      return b;
    }
  }
  return readVarint32Slow(r, end);
}

function readVarint32Slow(r: Reader, end: number): number {
  const buf = r.buf;
  const start = r.pos;
  let pos = start;
  let value = 0;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw truncated('varint', start);
    const b = buf[pos++]!;
    if (i < 5) value |= (b & 0x7f) << (7 * i); // bits beyond 32 are dropped
    if (b < 0x80) {
      r.pos = pos;
      return value >>> 0;
    }
  }
  throw new DecodeError('varint longer than 10 bytes', { offset: start });
}

// Decimal strings of small numbers and of the last large one: births repeat the same timestamp,
// size and seq on every metric, so most 64-bit fields cost no number-to-string conversion.
const SMALL_DECIMALS: readonly string[] = Array.from({ length: 1024 }, (_, i) => String(i));
let lastNumber = -1;
let lastDecimal = '';

function decimal(value: number): string {
  if (value < 1024) return SMALL_DECIMALS[value]!;
  if (value !== lastNumber) {
    lastNumber = value;
    lastDecimal = String(value);
  }
  return lastDecimal;
}

/** A uint64 varint as an exact decimal string. */
export function readUint64(r: Reader, end: number): string {
  const buf = r.buf;
  const start = r.pos;
  let pos = start;
  // Up to 7 bytes (49 bits) are exact as a double; longer varints continue in BigInt.
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 7; i++) {
    if (pos >= end) throw truncated('varint', start);
    const b = buf[pos++]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) {
      r.pos = pos;
      return decimal(value);
    }
    scale *= 128;
  }
  let big = BigInt(value);
  for (let shift = 49n; shift < 70n; shift += 7n) {
    if (pos >= end) throw truncated('varint', start);
    const b = buf[pos++]!;
    big |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) {
      r.pos = pos;
      return BigInt.asUintN(64, big).toString();
    }
  }
  throw new DecodeError('varint longer than 10 bytes', { offset: start });
}

/** A bool: any non-zero varint is true. */
export function readBool(r: Reader, end: number): boolean {
  const buf = r.buf;
  const start = r.pos;
  let pos = start;
  let bits = 0;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw truncated('varint', start);
    const b = buf[pos++]!;
    bits |= b & 0x7f;
    if (b < 0x80) {
      r.pos = pos;
      return bits !== 0;
    }
  }
  throw new DecodeError('varint longer than 10 bytes', { offset: start });
}

/** A float or double as canonical JSON: a number, or "NaN" / "Infinity" / "-Infinity" / "-0". */
export function jsonFloat(v: number): JsonFloat {
  if (Number.isFinite(v)) return v !== 0 || 1 / v > 0 ? v : '-0';
  return v > 0 ? 'Infinity' : v < 0 ? '-Infinity' : 'NaN';
}

export function readFloat(r: Reader, end: number): JsonFloat {
  if (r.pos + 4 > end) throw truncated('float', r.pos);
  return jsonFloat(r.float());
}

export function readDouble(r: Reader, end: number): JsonFloat {
  if (r.pos + 8 > end) throw truncated('double', r.pos);
  return jsonFloat(r.double());
}

/** Reads a length prefix and returns where the delimited field ends (never past `end`). */
export function readLengthEnd(r: Reader, end: number): number {
  const at = r.pos;
  const length = readVarint32(r, end);
  const stop = r.pos + length;
  if (stop > end) {
    throw new DecodeError(`length ${length} runs past the end of its message (${end - r.pos} bytes left)`, {
      offset: at,
    });
  }
  return stop;
}

/** Buffer's own UTF-8 slicer, without the argument handling of Buffer#toString (protobufjs uses it too). */
interface Utf8Slicer {
  utf8Slice(start: number, end: number): string;
}

/** The bytes as a string, or undefined when they are not valid UTF-8. */
function validUtf8(buf: Buffer, start: number, stop: number): string | undefined {
  const s = (buf as unknown as Utf8Slicer).utf8Slice(start, stop);
  // Replacement characters are rare in real text: only then pay for a full validation.
  if (s.includes('\uFFFD') && !isUtf8(buf.subarray(start, stop))) return undefined;
  return s;
}

/** Invalid UTF-8: escaped when the reader asks for it, else a DecodeError. */
function invalidUtf8(r: Reader, buf: Buffer, start: number, stop: number): string {
  if (!escaping.has(r)) throw new DecodeError('string is not valid UTF-8', { offset: start });
  return escapeInvalidUtf8(buf, start, stop);
}

// Short strings repeat endlessly in a birth (property keys, "user_domainSecil(R);G_UNS_Admin(RW)", units):
// a direct-mapped cache of their bytes returns the same string instance instead of decoding it again,
// which is faster than slicing and keeps a million-metric birth from holding millions of copies.
// The cached bytes live in one preallocated pool, so a miss allocates nothing but the new string.
const CACHE_SLOTS = 4096; // a power of two
const CACHEABLE_LENGTH = 48;
const cachedBytes = new Uint8Array(CACHE_SLOTS * CACHEABLE_LENGTH);
const cachedLengths = new Int32Array(CACHE_SLOTS).fill(-1);
const cachedStrings: string[] = new Array<string>(CACHE_SLOTS).fill('');

function shortString(r: Reader, buf: Buffer, start: number, stop: number): string {
  const length = stop - start;
  // FNV-1a over the length and the first and last 8 bytes: enough to spread keys and short values.
  let hash = Math.imul(0x811c9dc5 ^ length, 0x01000193);
  const head = Math.min(stop, start + 8);
  for (let i = start; i < head; i++) hash = Math.imul(hash ^ buf[i]!, 0x01000193);
  for (let i = Math.max(head, stop - 8); i < stop; i++) hash = Math.imul(hash ^ buf[i]!, 0x01000193);
  const slot = (hash ^ (hash >>> 15)) & (CACHE_SLOTS - 1);
  const base = slot * CACHEABLE_LENGTH;
  if (cachedLengths[slot] === length) {
    let i = 0;
    while (i < length && cachedBytes[base + i] === buf[start + i]) i++;
    if (i === length) return cachedStrings[slot]!;
  }
  const s = validUtf8(buf, start, stop);
  if (s === undefined) return invalidUtf8(r, buf, start, stop); // never cached: a strict reader must see it fail
  for (let i = 0; i < length; i++) cachedBytes[base + i] = buf[start + i]!;
  cachedLengths[slot] = length;
  cachedStrings[slot] = s;
  return s;
}

/** A length-delimited UTF-8 string. Invalid UTF-8 is an error (or escaped, see openReader), not replacement characters. */
export function readString(r: Reader, end: number): string {
  const stop = readLengthEnd(r, end);
  const start = r.pos;
  r.pos = stop;
  if (stop === start) return '';
  const buf = bufferOf(r);
  if (stop - start <= CACHEABLE_LENGTH) return shortString(r, buf, start, stop);
  return validUtf8(buf, start, stop) ?? invalidUtf8(r, buf, start, stop);
}

/** Length-delimited bytes as standard base64. */
export function readBytesBase64(r: Reader, end: number): string {
  const stop = readLengthEnd(r, end);
  const start = r.pos;
  r.pos = stop;
  return bufferOf(r).toString('base64', start, stop);
}

/** Skips the value of a field this decoder does not know (unknown and extension fields). */
export function skipField(r: Reader, tag: number, end: number, depth: number): void {
  const at = r.pos;
  switch (tag & 7) {
    case VARINT:
      readBool(r, end);
      return;
    case FIXED64:
      if (r.pos + 8 > end) throw truncated('fixed64', at);
      r.pos += 8;
      return;
    case LEN:
      r.pos = readLengthEnd(r, end);
      return;
    case FIXED32:
      if (r.pos + 4 > end) throw truncated('fixed32', at);
      r.pos += 4;
      return;
    case START_GROUP:
      skipGroup(r, tag >>> 3, end, depth + 1);
      return;
    case END_GROUP:
      throw new DecodeError(`unexpected end-group tag for field ${tag >>> 3}`, { offset: at });
    default:
      throw new DecodeError(`invalid wire type ${tag & 7}`, { offset: at });
  }
}

function skipGroup(r: Reader, field: number, end: number, depth: number): void {
  if (depth > MAX_DEPTH) throw new DecodeError(`groups nested deeper than ${MAX_DEPTH} levels`, { offset: r.pos });
  const start = r.pos;
  while (r.pos < end) {
    const tag = readTag(r, end);
    if ((tag & 7) === END_GROUP) {
      if (tag >>> 3 !== field) throw new DecodeError(`end-group tag for field ${tag >>> 3} inside group ${field}`);
      return;
    }
    skipField(r, tag, end, depth);
  }
  throw truncated(`group ${field}`, start);
}

/** Reads a tag and checks it is one protobuf allows: field number ≥ 1, wire type 0–5. */
export function readTag(r: Reader, end: number): number {
  const at = r.pos;
  const tag = readVarint32(r, end);
  if ((tag & 7) > 5) throw new DecodeError(`invalid wire type ${tag & 7}`, { offset: at });
  if (tag >>> 3 === 0) throw new DecodeError('invalid field number 0', { offset: at });
  return tag;
}

const WIRE_TYPE_NAMES = ['varint', 'fixed64', 'length-delimited', 'start-group', 'end-group', 'fixed32'];

/** The error for a known field that arrives with a wire type its declared type cannot have. */
export function wrongWireType(tag: number, at: number): DecodeError {
  const type = WIRE_TYPE_NAMES[tag & 7] ?? String(tag & 7);
  return new DecodeError(`field ${tag >>> 3} has the wrong wire type ${tag & 7} (${type})`, { offset: at });
}
