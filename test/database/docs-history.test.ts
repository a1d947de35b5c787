// The SQL that docs/sql-api.md gives analysts and DBAs for the version history ("Metric history (as of)", "The
// trigger guarantee") is run here as written, on the page's own birth.json, so the page cannot drift from the
// functions. The history is made by hand: birth.json applied, its versions moved two hours back (as uns_meta_admin
// may), then a second birth that changes the Temperature's engHigh.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const page = readFileSync(new URL('../../docs/sql-api.md', import.meta.url), 'utf8');

/** The text of a `## ` section of the page, up to the next one. */
function section(title: string): string {
  const start = page.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`docs/sql-api.md has no section "## ${title}": update this test with the page`);
  const end = page.indexOf('\n## ', start + 1);
  return page.slice(start, end < 0 ? undefined : end);
}
const sqlBlocks = (text: string) => [...text.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!);

const temperature = 'Maceira/400 - Clinker Production/432 - Kiln/Temperature';
let db: TestDatabase;
let admin: pg.PoolClient;

beforeAll(async () => {
  db = await createTestDatabase();
  admin = await db.pool('uns_meta_admin').connect();
  await admin.query(`set timezone = 'UTC'`);
  const birthJson = /`birth\.json`[^\n]*\n[^\n]*\n\n```json\n([\s\S]*?)```/.exec(page)?.[1];
  if (birthJson === undefined) throw new Error('docs/sql-api.md: the birth.json example was not found');
  const birth = JSON.parse(birthJson) as { topic: string; payload: { metrics: { name: string; properties: { keys: string[]; values: unknown[] } }[] } };
  const app = db.pool('uns_meta_app');
  await app.query('select uns_meta.ingest_birth($1::jsonb)', [JSON.stringify(birth)]);
  await admin.query(`update uns_meta.metric_versions set changed_at = changed_at - interval '2 hours'`);
  const t = birth.payload.metrics.find((m) => m.name === temperature)!;
  t.properties.values[t.properties.keys.indexOf('engHigh')] = { type: 10, doubleValue: 1500 };
  await app.query('select uns_meta.ingest_birth($1::jsonb)', [JSON.stringify({ ...birth, received_at: undefined })]);
});
afterAll(async () => {
  admin.release();
  await db.drop();
});

describe('docs/sql-api.md: the history queries run as written', () => {
  const [asOf, everyVersion, area] = sqlBlocks(section('Metric history (as of)'));

  it('has the three examples', () => {
    expect([asOf, everyVersion, area].every((q) => q !== undefined)).toBe(true);
  });

  it('"as they were an hour ago": the first birth\'s properties of the Temperature', async () => {
    const { rows } = await admin.query<{ key: string; value_double: number | null; value_string: string | null }>(asOf!);
    expect(rows.map((r) => [r.key, r.value_double ?? r.value_string])).toEqual([
      ['counter', null], ['engHigh', 1450.5], ['engUnit', '°C'], ['limits', null], ['limits/high', 1600], ['limits/low', 0],
    ]);
  });

  it('"every version of one metric": created, then the engHigh change, with the state after each', async () => {
    const { rows } = await admin.query<{ version_no: number; change_kind: string; properties: Record<string, unknown> }>(everyVersion!);
    expect(rows.map((r) => [r.version_no, r.change_kind, r.properties.engHigh])).toEqual([
      [1, 'created', { type: 'Double', value: 1450.5 }],
      [2, 'updated', { type: 'Double', value: 1500 }],
    ]);
  });

  it('"a plant\'s area as it was": both metrics under the prefix', async () => {
    const { rows } = await admin.query<{ uns_path: string; eng_unit: unknown }>(area!);
    expect(rows.map((r) => r.uns_path).sort()).toEqual([
      'Secil/Portugal/Cement/Maceira/400 - Clinker Production/432 - Kiln/Normalised/Machines/FO6RGH32M1/Closed',
      'Secil/Portugal/Cement/Maceira/400 - Clinker Production/432 - Kiln/Temperature',
    ]);
  });

  it('the DBA fix of "The trigger guarantee" gives the version the page shows', async () => {
    const [fix] = sqlBlocks(section('The trigger guarantee'));
    const [update, select] = fix!.split(/;\n/).map((s) => s.trim()).filter((s) => s !== '');
    await admin.query(update!);
    const { rows } = await admin.query<{ change_kind: string; changed_by: string; source: string; diff: unknown }>(select!);
    expect(rows).toEqual([{
      version_no: 3, change_kind: 'updated', changed_by: 'uns_meta_admin', source: 'UPDATE on uns_meta.metric_properties',
      diff: { properties: { changed: { engUnit: { old: { type: 'String', value: '°C' }, new: { type: 'String', value: 'degC' } } } } },
    }]);
  });
});
