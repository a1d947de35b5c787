import { describe, expect, it } from 'vitest';
import {
  parseQuality,
  parseTimestamp,
  splitTagPath,
  validatePropertyRow,
  validateTvqRow,
} from '../../src/canary-sim/row-validation.ts';

describe('parseTimestamp', () => {
  it.each([
    ['2025-08-26T12:00:00.0000000Z', Date.UTC(2025, 7, 26, 12)],
    ['2025-08-26T12:00:00.123Z', Date.UTC(2025, 7, 26, 12, 0, 0, 123)],
    ['2025-08-26T12:00:00Z', Date.UTC(2025, 7, 26, 12)],
    ['2025-08-26T13:00:00+01:00', Date.UTC(2025, 7, 26, 12)],
    ['2025-08-26T07:30:00-0430', Date.UTC(2025, 7, 26, 12)],
    ['1601-01-01T00:00:00Z', Date.UTC(1601, 0, 1)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
  ])('accepts %s', (text, epochMs) => {
    expect(parseTimestamp(text)).toEqual({ ok: true, epochMs, text });
  });

  it('rejects a timestamp without a zone and says how to fix it', () => {
    const r = parseTimestamp('2025-08-26T12:00:00.000');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/has no time zone; append Z or an offset/);
  });

  it('rejects timestamps before 1601, also when only the offset puts them there', () => {
    for (const text of ['1600-12-31T23:59:59Z', '1601-01-01T00:30:00+01:00']) {
      const r = parseTimestamp(text);
      expect(!r.ok && r.error).toMatch(/before 1601-01-01/);
    }
  });

  it.each([
    ['2025-02-30T00:00:00Z', /not a valid calendar date/],
    ['2025-13-01T00:00:00Z', /not a valid calendar date/],
    ['2025-01-01T24:00:00Z', /not a valid calendar date/],
    ['2025-01-01T00:00:00+15:00', /invalid zone offset/],
    ['2025-08-26', /not ISO-8601 with a zone/],
    ['yesterday', /not ISO-8601 with a zone/],
  ])('rejects %s', (text, message) => {
    const r = parseTimestamp(text);
    expect(!r.ok && r.error).toMatch(message);
  });

  it('rejects non-strings such as epoch numbers', () => {
    const r = parseTimestamp(1756209600000);
    expect(!r.ok && r.error).toMatch(/must be an ISO-8601 string/);
  });
});

describe('parseQuality', () => {
  it('accepts uint16 values and the named qualities in any casing, defaulting to Good', () => {
    expect(parseQuality(undefined)).toEqual({ ok: true, quality: 192 });
    expect(parseQuality(0)).toEqual({ ok: true, quality: 0 });
    expect(parseQuality(65535)).toEqual({ ok: true, quality: 65535 });
    expect(parseQuality('Good')).toEqual({ ok: true, quality: 192 });
    expect(parseQuality('bad')).toEqual({ ok: true, quality: 0 });
    expect(parseQuality('No Data')).toEqual({ ok: true, quality: 32768 });
  });

  it.each([[-1], [65536], [1.5], ['Great'], [null], [true]])('rejects %s', (q) => {
    const r = parseQuality(q);
    expect(!r.ok && r.error).toMatch(/quality .* is invalid/);
  });
});

describe('validatePropertyRow', () => {
  it('reads [name, timestamp, value, quality?] with the name first', () => {
    expect(validatePropertyRow(['Eng Units', '2025-08-26T12:00:00Z', '°C', 192])).toMatchObject({
      ok: true,
      row: { name: 'Eng Units', value: '°C', quality: 192, timestamp: '2025-08-26T12:00:00Z' },
    });
    expect(validatePropertyRow(['High Limit', '2025-08-26T12:00:00Z', 1450])).toMatchObject({
      ok: true,
      row: { value: 1450, quality: 192 },
    });
  });

  it.each([
    [{ name: 'x' }, /must be an array/],
    [['Eng Units', '2025-08-26T12:00:00Z'], /3 or 4 items/],
    [['a', '2025-08-26T12:00:00Z', 1, 192, 'extra'], /3 or 4 items/],
    [['', '2025-08-26T12:00:00Z', 1], /name \(first item\) must be a non-empty string/],
    [[42, '2025-08-26T12:00:00Z', 1], /name \(first item\) must be a non-empty string/],
    // The original system's wrong layout ["<ts>", "key=value", 192]: caught because the second item is no timestamp.
    [['2025-08-26T12:00:00Z', 'engUnit=°C', 192], /timestamp "engUnit=°C" is not ISO-8601/],
    [['a', '2025-08-26T12:00:00Z', { nested: true }], /value must be a string, number, boolean or null/],
    [['a', '2025-08-26T12:00:00Z', 1, 'Great'], /quality "Great" is invalid/],
  ])('rejects %j', (row, message) => {
    const r = validatePropertyRow(row);
    expect(!r.ok && r.error).toMatch(message);
  });
});

describe('validateTvqRow', () => {
  it('reads [timestamp, value, quality?]', () => {
    expect(validateTvqRow(['2025-08-26T12:00:00Z', 3.5, 'Good'])).toMatchObject({ ok: true, row: { value: 3.5, quality: 192 } });
    expect(validateTvqRow(['2025-08-26T12:00:00', 3.5]).ok).toBe(false);
    expect(validateTvqRow(['2025-08-26T12:00:00Z']).ok).toBe(false);
  });
});

describe('splitTagPath', () => {
  it('splits at the first dot', () => {
    expect(splitTagPath('Secil.Portugal.Kiln 1.Temp (°C)')).toEqual({ ok: true, dataset: 'Secil', path: 'Portugal.Kiln 1.Temp (°C)' });
  });
  it.each([['NoDataset'], ['.Plant.Tag'], ['Secil.'], ['']])('rejects %j', (tag) => {
    expect(splitTagPath(tag).ok).toBe(false);
  });
});
