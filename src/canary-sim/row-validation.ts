// Validation of the rows a `storeData` call carries, as Canary's Write API reference describes them:
//   properties: [name, timestamp, value, quality?]   (the property NAME comes first)
//   tvqs:       [timestamp, value, quality?]
// Timestamps are ISO-8601 strings WITH a zone (`Z` or an offset), not before 1601-01-01T00:00:00Z.
// Quality is an OPC DA uint16 (192 Good, 0 Bad, 32768 No Data) or one of the strings "Good", "Bad", "No Data".

import { describe } from './json-fields.ts';

export const QUALITY_GOOD = 192;
export const QUALITY_BAD = 0;
export const QUALITY_NO_DATA = 32768;

/** A scalar property or TVQ value. Objects and arrays are rejected: Canary stores variants, not documents. */
export type RowValue = string | number | boolean | null;

export interface PropertyRow {
  name: string;
  /** The timestamp exactly as sent. */
  timestamp: string;
  /** The timestamp as epoch milliseconds (UTC), for ordering. */
  epochMs: number;
  value: RowValue;
  quality: number;
}

export interface TvqRow {
  timestamp: string;
  epochMs: number;
  value: RowValue;
  quality: number;
}

export type RowResult<T> = { ok: true; row: T } | { ok: false; error: string };

const EARLIEST_MS = Date.UTC(1601, 0, 1);

// yyyy-mm-ddThh:mm:ss[.fraction](Z|±hh:mm|±hhmm)
const ISO_WITH_ZONE =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:(Z)|([+-])(\d{2}):?(\d{2}))$/;
const ISO_WITHOUT_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/;

type TimestampResult = { ok: true; epochMs: number; text: string } | { ok: false; error: string };

// A batch usually stamps every row with the same time: remember the last answer.
let lastTimestamp: { text: string; result: TimestampResult } | undefined;

/** Parses a Canary timestamp; returns epoch milliseconds or a message saying what is wrong. */
export function parseTimestamp(value: unknown): TimestampResult {
  if (typeof value === 'string' && lastTimestamp?.text === value) return lastTimestamp.result;
  const result = parseTimestampUncached(value);
  if (typeof value === 'string') lastTimestamp = { text: value, result };
  return result;
}

function parseTimestampUncached(value: unknown): TimestampResult {
  if (typeof value !== 'string') {
    return { ok: false, error: `timestamp must be an ISO-8601 string with a zone, got ${describe(value)}` };
  }
  const m = ISO_WITH_ZONE.exec(value);
  if (!m) {
    if (ISO_WITHOUT_ZONE.test(value)) {
      return { ok: false, error: `timestamp "${value}" has no time zone; append Z or an offset such as +01:00` };
    }
    return {
      ok: false,
      error: `timestamp "${value}" is not ISO-8601 with a zone; use e.g. 2025-08-26T12:00:00.000Z`,
    };
  }
  const [, y, mo, d, h, mi, s, fraction, zulu, sign, oh, om] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  const local = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(local);
  if (
    month < 1 ||
    month > 12 ||
    hour > 23 ||
    minute > 59 ||
    second > 59 ||
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day
  ) {
    return { ok: false, error: `timestamp "${value}" is not a valid calendar date and time` };
  }
  let offsetMinutes = 0;
  if (zulu === undefined) {
    const offH = Number(oh);
    const offM = Number(om);
    if (offH > 14 || offM > 59) {
      return { ok: false, error: `timestamp "${value}" has an invalid zone offset; offsets run from -14:00 to +14:00` };
    }
    offsetMinutes = (sign === '-' ? -1 : 1) * (offH * 60 + offM);
  }
  const fractionMs = fraction === undefined ? 0 : Number(`0.${fraction}`) * 1000;
  const epochMs = local - offsetMinutes * 60_000 + fractionMs;
  if (epochMs < EARLIEST_MS) {
    return { ok: false, error: `timestamp "${value}" is before 1601-01-01T00:00:00Z, the earliest Canary accepts` };
  }
  return { ok: true, epochMs, text: value };
}

const QUALITY_NAMES: Record<string, number> = {
  good: QUALITY_GOOD,
  bad: QUALITY_BAD,
  'no data': QUALITY_NO_DATA,
};

/** Parses a quality: absent means Good (192). */
export function parseQuality(value: unknown): { ok: true; quality: number } | { ok: false; error: string } {
  if (value === undefined) return { ok: true, quality: QUALITY_GOOD };
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffff) {
    return { ok: true, quality: value };
  }
  if (typeof value === 'string') {
    const named = QUALITY_NAMES[value.toLowerCase()];
    if (named !== undefined) return { ok: true, quality: named };
  }
  return {
    ok: false,
    error: `quality ${describe(value)} is invalid; use an integer 0..65535 (192 Good) or "Good", "Bad", "No Data"`,
  };
}

function parseValue(value: unknown): { ok: true; value: RowValue } | { ok: false; error: string } {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return { ok: true, value };
  if (typeof value === 'number' && Number.isFinite(value)) return { ok: true, value };
  return { ok: false, error: `value must be a string, number, boolean or null, got ${describe(value)}` };
}

/** Validates one `properties` row `[name, timestamp, value, quality?]`. */
export function validatePropertyRow(row: unknown): RowResult<PropertyRow> {
  if (!Array.isArray(row)) {
    return { ok: false, error: `a property row must be an array [name, timestamp, value, quality?], got ${describe(row)}` };
  }
  if (row.length < 3 || row.length > 4) {
    return {
      ok: false,
      error: `a property row has 3 or 4 items [name, timestamp, value, quality?], got ${row.length}`,
    };
  }
  const [name, timestamp, rawValue, rawQuality] = row as unknown[];
  if (typeof name !== 'string' || name.trim() === '') {
    return {
      ok: false,
      error: `the property name (first item) must be a non-empty string, got ${describe(name)}; rows are [name, timestamp, value, quality?]`,
    };
  }
  const ts = parseTimestamp(timestamp);
  if (!ts.ok) return { ok: false, error: `property "${name}": ${ts.error}` };
  const value = parseValue(rawValue);
  if (!value.ok) return { ok: false, error: `property "${name}": ${value.error}` };
  const quality = parseQuality(rawQuality);
  if (!quality.ok) return { ok: false, error: `property "${name}": ${quality.error}` };
  return {
    ok: true,
    row: { name, timestamp: ts.text, epochMs: ts.epochMs, value: value.value, quality: quality.quality },
  };
}

/** Validates one `tvqs` row `[timestamp, value, quality?]`. */
export function validateTvqRow(row: unknown): RowResult<TvqRow> {
  if (!Array.isArray(row) || row.length < 2 || row.length > 3) {
    return { ok: false, error: `a TVQ row must be an array [timestamp, value, quality?], got ${describe(row)}` };
  }
  const [timestamp, rawValue, rawQuality] = row as unknown[];
  const ts = parseTimestamp(timestamp);
  if (!ts.ok) return ts;
  const value = parseValue(rawValue);
  if (!value.ok) return value;
  const quality = parseQuality(rawQuality);
  if (!quality.ok) return quality;
  return {
    ok: true,
    row: { timestamp: ts.text, epochMs: ts.epochMs, value: value.value, quality: quality.quality },
  };
}

/** Splits a full tag path `<Dataset>.<path>` at its first dot. */
export function splitTagPath(tag: string): { ok: true; dataset: string; path: string } | { ok: false; error: string } {
  const dot = tag.indexOf('.');
  if (tag.trim() === '') return { ok: false, error: 'the tag path is empty; use "<Dataset>.<path>"' };
  if (dot <= 0 || dot === tag.length - 1) {
    return { ok: false, error: 'the tag path has no dataset prefix; use "<Dataset>.<path>", e.g. "Secil.Plant.Kiln.Temperature"' };
  }
  return { ok: true, dataset: tag.slice(0, dot), path: tag.slice(dot + 1) };
}
