// src/watch/describe.ts: a version's diff (docs/sql-api.md#version-diffs) and a confirmation as the watcher's line.
// Expected text written from the diffs given here.
import { describe, expect, it } from 'vitest';
import { confirmationChange, formatJson, formatLine, versionChange, type VersionRow } from '../../src/watch/describe.ts';

const at = new Date('2026-12-06T12:00:00.000Z');
const row = (change_kind: string, diff: Record<string, unknown>, changed_by = 'system'): VersionRow => ({
  version_id: '7', changed_at: at, device: 'Portugal/Cement', uns_path: 'Secil/Portugal/Cement/Kiln/Temp', version_no: 4, change_kind, changed_by, diff,
});

describe('the watcher\'s lines', () => {
  it('a birth\'s update: changed, added, removed properties and a field', () => {
    const c = versionChange(row('updated', {
      datatype: { old: 10, new: 9 },
      properties: {
        changed: { engHigh: { old: { type: 'Double', value: 1450.5 }, new: { type: 'Double', value: 1500 } } },
        added: { tooltip: { type: 'String', value: 'Kiln inlet' } },
        removed: { counter: { type: 'UInt64', value: 18446744073709551615n.toString() } },
      },
    }));
    expect(formatLine(c)).toBe('2026-12-06T12:00:00.000Z  Portugal/Cement  Secil/Portugal/Cement/Kiln/Temp  updated  v4 by system: ' +
      'datatype 10 → 9; engHigh 1450.5 → 1500; +tooltip "Kiln inlet"; -counter (was "18446744073709551615")');
  });

  it('a rename, a retirement a birth explains as a rename, a revival, a null and a PropertySet', () => {
    expect(versionChange(row('updated', { uns_path: { old: 'a/b', new: 'a/c' } }, 'uns_meta_admin'))).toMatchObject({ kind: 'renamed', what: 'from a/b' });
    expect(versionChange(row('retired', { retired_at: { old: null, new: '2026-12-06T12:00:00+00:00' }, renamed_to: 'a/d' })))
      .toMatchObject({ kind: 'retired', what: 'renamed to a/d' });
    expect(versionChange(row('revived', { retired_at: { old: '2026-12-06T12:00:00+00:00', new: null } }))).toMatchObject({ kind: 'revived', what: '' });
    expect(versionChange(row('updated', { properties: { changed: { limits: { old: { type: 'PropertySet' }, new: { type: 'String', is_null: true } } } } })).what)
      .toBe('limits {PropertySet} → null');
  });

  it('a changed Canary key mapping, and a confirmation, as text and JSON', () => {
    expect(versionChange(row('updated', { canary_property_names: { engUnit: { old: { canary_name: 'Eng Units', precedence: 100 }, new: { canary_name: 'Units', precedence: 100 } } } })).what)
      .toBe('Canary name of engUnit "Eng Units" → "Units"');
    const c = confirmationChange({ metric_id: '3', confirmed_at: at, device: 'Portugal/Cement', uns_path: 'Secil/Portugal/Cement/Kiln/Temp',
      confirmed_version: 4, outcome: 'written', canary_tag: 'Secil.Secil.Portugal.Cement.Kiln.Temp' });
    expect(formatLine(c)).toBe('2026-12-06T12:00:00.000Z  Portugal/Cement  Secil/Portugal/Cement/Kiln/Temp  confirmed  v4 written (Secil.Secil.Portugal.Cement.Kiln.Temp)');
    expect(JSON.parse(formatJson(c))).toEqual({ time: '2026-12-06T12:00:00.000Z', device: 'Portugal/Cement', path: 'Secil/Portugal/Cement/Kiln/Temp',
      kind: 'confirmed', version: 4, what: 'v4 written (Secil.Secil.Portugal.Cement.Kiln.Temp)', outcome: 'written', canary_tag: 'Secil.Secil.Portugal.Cement.Kiln.Temp' });
  });
});
