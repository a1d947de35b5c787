// docs/analysts.md, run as written: the connection as uns_meta_ro and every ```sql block of the page, through psql,
// against a catalog the real ingestor built from the plant's DBIRTH fixture (published over MQTT), then changed the
// way a plant changes it: a re-birth with new metadata, a DBA's path rule, a birth with a duplicate metric, a birth
// ingest_birth refuses, and one tag Canary confirmed. Expected answers are written from those inputs.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PayloadJson } from '../../src/sparkplug/json-types.ts';
import { encodePayload } from '../../src/sparkplug/encode.ts';
import { useIngestEnvironment } from '../ingest/support/environment.ts';
import { waitFor } from '../ingest/support/ingestor.ts';
import { codeBlocks, namedBlock, parseCsv } from '../support/markdown.ts';

const run = promisify(execFile);
const env = useIngestEnvironment({ ingestor: {} });
const fixture = JSON.parse(readFileSync(new URL('../../fixtures/sparkplug/plant-dbirth-portugal-cement.json', import.meta.url), 'utf8')) as PayloadJson;
const DEVICE = 'Secil/Portugal/Cement';
const ACTIVE = 'Maceira/400 - Clinker Production/451 - Bypass/Normalised/Indications/BYPVT603INT02/Active';
const OLD_PATH = `${DEVICE}/${ACTIVE}`;
const NEW_PATH = `${DEVICE}/Maceira-Liz/400 - Clinker Production/451 - Bypass/Normalised/Indications/BYPVT603INT02/Active`;

/** The `export VAR=value ...` line of the page's connection block, as an environment. */
function connectionBlock(): { vars: Record<string, string>; commands: string[] } {
  const block = codeBlocks('analysts.md').find((b) => b.lang === 'sh' && b.text.includes('psql'));
  if (block === undefined) throw new Error('docs/analysts.md has no sh block with the psql connection');
  const lines = block.text.trim().split('\n');
  const exportLine = lines.find((l) => l.startsWith('export '));
  const vars = Object.fromEntries((exportLine ?? '').replace(/^export /, '').split(' ').map((kv) => kv.split('=', 2) as [string, string]));
  return { vars, commands: lines.filter((l) => !l.startsWith('export ')) };
}

/**
 * The environment the page's commands run in: its PG* variables, except where the test's server is (host, port, the
 * cloned database) and its TLS (the test server has no certificate of a plant CA; TLS with verify-full is tested in
 * test/ops/deployment.test.ts).
 */
function pageEnv(): NodeJS.ProcessEnv {
  const { vars } = connectionBlock();
  const e: NodeJS.ProcessEnv = { ...process.env, ...vars, PGHOST: process.env.PGHOST ?? '127.0.0.1', PGPORT: process.env.PGPORT ?? '5432', PGDATABASE: env.db.name, PGSSLMODE: 'prefer' };
  delete e.PGSSLROOTCERT;
  return e;
}

async function psql(sql: string): Promise<(string | undefined)[][]> {
  const child = run('psql', ['-X', '-q', '--csv', '-P', 'null=\\N', '-v', 'ON_ERROR_STOP=1', '-f', '-'], { env: pageEnv() });
  child.child.stdin?.end(sql);
  const { stdout } = await child;
  return parseCsv(stdout);
}

const json = (v: string | undefined): unknown => (v === undefined ? undefined : JSON.parse(v));

beforeAll(async () => {
  const count = async (where: string) => Number((await env.admin().query<{ n: string }>(`select count(*) as n from uns_meta.metrics m join uns_meta.devices d using (device_id) where ${where}`)).rows[0]!.n);
  await env.pub.publishAsync(`spBv1.0/Secil/DBIRTH/Portugal/Cement`, encodePayload(fixture));
  await waitFor('the plant birth', async () => (await count(`d.uns_path = '${DEVICE}'`)) === 3);

  // a re-birth: the Active tag gets a unit and a new description
  const rebirth = structuredClone(fixture);
  const active = rebirth.metrics!.find((m) => m.name === ACTIVE)!;
  const keys = active.properties!.keys!;
  active.properties!.values![keys.indexOf('engUnit')] = { type: 12, stringValue: '%' };
  active.properties!.values![keys.indexOf('documentation')] = { type: 12, stringValue: 'SA: - Active (bypass damper)' };
  await env.pub.publishAsync(`spBv1.0/Secil/DBIRTH/Portugal/Cement`, encodePayload(rebirth));
  await waitFor('the re-birth', async () => (await count(`m.name = '${ACTIVE}' and m.version = 2`)) === 1);

  // the DBA renames the plant Maceira to Maceira-Liz and applies it now
  await env.admin().query(`insert into uns_meta.path_rewrite_rules (pattern, replacement, description)
                           values ('^(Secil/Portugal/Cement)/Maceira(/|$)', '\\1/Maceira-Liz\\2', 'plant renamed (test)')`);
  await env.admin().query('select uns_meta.reapply_path_rules()');

  // a birth naming one metric twice (the second is refused alone), a birth without a datatype (refused whole)
  await env.pub.publishAsync('spBv1.0/Secil/DBIRTH/Portugal/Dup', encodePayload({ timestamp: '1', seq: '0', metrics: [
    { name: 'Kiln/Speed', datatype: 10, doubleValue: 1 }, { name: 'Kiln/Speed', datatype: 10, doubleValue: 2 }] }));
  await env.pub.publishAsync('spBv1.0/Secil/DBIRTH/Portugal/NoType', encodePayload({ timestamp: '1', seq: '0', metrics: [{ name: 'x' }] }));
  await waitFor('both refusals', async () => {
    const { rows } = await env.admin().query<{ n: string }>(`select (select count(*) from uns_meta.ingest_rejections) + (select count(*) from uns_meta.dead_letters) as n`);
    return Number(rows[0]!.n) === 2;
  });

  // Canary confirmed the Closed tag's current version
  await env.admin().query(`insert into uns_meta.canary_sync_state (metric_id, confirmed_version, canary_tag, outcome)
                           select metric_id, version, 'Secil.' || canary_id, 'written' from uns_meta.metrics where name like '%/Closed'`);
}, 60_000);

describe('docs/analysts.md', () => {
  it('connects as uns_meta_ro with the page\'s command', async () => {
    const { vars, commands } = connectionBlock();
    expect(vars.PGUSER).toBe('uns_meta_ro');
    expect(vars.PGSSLMODE).toBe('verify-full');
    expect(commands).toHaveLength(1);
    const { stdout } = await run('bash', ['--norc', '-c', commands[0]!], { env: pageEnv() });
    expect(stdout).toMatch(/^ metrics \n-+\n +4\n\(1 row\)/);
  });

  it('`\\d+ uns_meta.metric_catalog` explains the columns', async () => {
    expect(readFileSync(new URL('../../docs/analysts.md', import.meta.url), 'utf8')).toContain('`\\d+ uns_meta.metric_catalog` in psql explains each');
    const { stdout } = await run('psql', ['-X', '-c', '\\d+ uns_meta.metric_catalog'], { env: pageEnv() });
    expect(stdout).toContain('Engineering unit: the engUnit property');
  });

  it('has the queries this test checks, and no other', () => {
    expect(codeBlocks('analysts.md').filter((b) => b.lang === 'sql').map((b) => b.name))
      .toEqual(['device-tags', 'tag-history', 'tag-paths', 'canary-unconfirmed', 'sync-schedule', 'tag-as-of', 'tag-properties-as-of', 'rejections']);
  });

  it('device-tags: every tag of a device with units and limits', async () => {
    expect(await psql(namedBlock('analysts.md', 'device-tags').text)).toEqual([
      ['tag', 'area', 'line', 'datatype_name', 'eng_unit', 'eng_low', 'eng_high', 'description'],
      ['Closed', '400 - Clinker Production', '432 - Kiln', 'Boolean', '', '0', '0', 'Valvula doseadora H32.1 extraccao SHI2 para caleira H57 - Closed/Position2'],
      ['Active', '400 - Clinker Production', '451 - Bypass', 'Boolean', '%', '0', '0', 'SA: - Active (bypass damper)'],
      ['Selected', '600 - Cement Packaging and Dispatch', '671 - Bag Conveying', 'Boolean', '', '0', '0', 'EXT SILO 23 - FORA SERVIÇO - Selected'],
    ]);
  });

  it('tag-history: what changed on a tag and when', async () => {
    const [header, ...rows] = await psql(namedBlock('analysts.md', 'tag-history').text);
    expect(header).toEqual(['version_no', 'change_kind', 'changed_at', 'changed_by', 'what', 'old_value', 'new_value']);
    expect(rows.map((r) => [r[0], r[1], r[3], r[4], json(r[5]), json(r[6])])).toEqual([
      ['1', 'created', 'system', undefined, undefined, undefined],
      ['2', 'updated', 'system', 'property documentation', { type: 'String', value: 'SA: - Active' }, { type: 'String', value: 'SA: - Active (bypass damper)' }],
      ['2', 'updated', 'system', 'property engUnit', { type: 'String', value: '' }, { type: 'String', value: '%' }],
      ['3', 'updated', 'uns_meta_admin', 'uns_path', OLD_PATH, NEW_PATH],
    ]);
    expect(rows.every((r) => !Number.isNaN(Date.parse(r[2]!)))).toBe(true);
  });

  it('tag-paths: every path a tag has had, and the rule that moved it', async () => {
    const [header, ...rows] = await psql(namedBlock('analysts.md', 'tag-paths').text);
    expect(header).toEqual(['old_uns_path', 'new_uns_path', 'changed_at', 'changed_by', 'reason']);
    expect(rows.map((r) => r.slice(0, 2))).toEqual([[OLD_PATH, NEW_PATH]]);
    const { rows: [rule] } = await env.admin().query<{ rule_id: number }>(`select rule_id from uns_meta.path_rewrite_rules where description = 'plant renamed (test)'`);
    expect(rows[0]![4]).toMatch(new RegExp(`^path rules reapplied by uns_meta_admin at .+?: path_rewrite_rules ${rule!.rule_id} "plant renamed \\(test\\)"; path rules version [0-9a-f]{32}$`));
  });

  it('canary-unconfirmed: the tags Canary has not confirmed, oldest change first', async () => {
    const [header, ...rows] = await psql(namedBlock('analysts.md', 'canary-unconfirmed').text);
    expect(header).toEqual(['uns_path', 'status', 'version', 'confirmed_version', 'unconfirmed_since', 'open_dead_letters']);
    expect(rows.map((r) => [r[0], r[1], r[2], r[3], r[5]])).toEqual([
      [NEW_PATH, 'never_synced', '3', undefined, '0'],
      [`${DEVICE}/Maceira-Liz/600 - Cement Packaging and Dispatch/671 - Bag Conveying/Normalised/Selections/EMBSILO23SEL01_FS/Selected`, 'never_synced', '2', undefined, '0'],
      ['Secil/Portugal/Dup/Kiln/Speed', 'never_synced', '1', undefined, '0'],
    ]);
  });

  it('sync-schedule: when each device\'s next Canary sync is due', async () => {
    const [header, ...rows] = await psql(namedBlock('analysts.md', 'sync-schedule').text);
    expect(header).toEqual(['uns_path', 'status', 'due_at', 'queued_at', 'attempts', 'max_attempts']);
    // No worker runs here: each device that changed (the plant, and Dup, whose birth was applied but for one metric)
    // waits out the default debounce of 3 minutes from its last change, which this file made less than a minute ago.
    // NoType's birth was refused whole: no device, no job.
    // The plant's last change (the DBA's rename) came before Dup's birth, so it is due first.
    expect(rows.map((r) => [r[0], r[1], r[4], r[5]])).toEqual([[DEVICE, 'waiting', '0', '25'], ['Secil/Portugal/Dup', 'waiting', '0', '25']]);
    const now = (await env.admin().query<{ now: Date }>('select now()')).rows[0]!.now.getTime();
    for (const r of rows) {
      const [due, queued] = [Date.parse(r[2]!), Date.parse(r[3]!)];
      expect(due - now).toBeGreaterThan(120_000);
      expect(due - now).toBeLessThanOrEqual(180_000);
      expect(queued).toBeLessThanOrEqual(due - 180_000);
    }
  });

  // The page's `\set at` replaced by a time of this run: right when the first birth committed (version 1's
  // changed_at, the instant it counts from), and now (after the re-birth and the rename).
  async function asOf(name: string, at: 'first birth' | 'now'): Promise<(string | undefined)[][]> {
    const block = namedBlock('analysts.md', name).text;
    expect(block).toMatch(/^\\set at '[^']+'$/m);
    const { rows } = await env.admin().query<{ at: string }>(at === 'now' ? `select now()::text as at` : `select v.changed_at::text as at
      from uns_meta.metric_versions v join uns_meta.metrics m using (metric_id) where m.name = $1 and v.version_no = 1`, at === 'now' ? [] : [ACTIVE]);
    return psql(block.replace(/^\\set at '[^']+'$/m, `\\set at '${rows[0]!.at}'`));
  }

  it('tag-as-of: the tag as it was at a time, from the birth\'s values then and now', async () => {
    const [header, ...then] = await asOf('tag-as-of', 'first birth');
    expect(header).toEqual(['version_no', 'changed_at', 'uns_path', 'retired', 'eng_unit', 'eng_low', 'eng_high', 'description']);
    // the fixture's Active tag: engUnit "", engLow 0, engHigh 0, documentation "SA: - Active", under Maceira
    expect(then.map((r) => [r[0], r[2], r[3], r[4], r[5], r[6], r[7]])).toEqual([['1', OLD_PATH, 'f', '', '0', '0', 'SA: - Active']]);
    const [, ...now] = await asOf('tag-as-of', 'now');
    // the re-birth's unit and description, the DBA's rename
    expect(now.map((r) => [r[0], r[2], r[3], r[4], r[5], r[6], r[7]])).toEqual([['3', NEW_PATH, 'f', '%', '0', '0', 'SA: - Active (bypass damper)']]);
  });

  it('tag-properties-as-of: every property of the tag at a time', async () => {
    const [header, ...rows] = await asOf('tag-properties-as-of', 'first birth');
    expect(header).toEqual(['key', 'type', 'value']);
    const active = fixture.metrics!.find((m) => m.name === ACTIVE)!.properties!;
    expect(rows.map((r) => r[0]).sort()).toEqual([...active.keys!].sort());
    const byKey: Record<string, unknown> = Object.fromEntries(rows.map((r): [string, unknown] => [r[0]!, json(r[2])]));
    // the fixture's Sparkplug types: 12 String, 10 Double, 11 Boolean
    const str = (value: string) => ({ type: 'String', value });
    expect(byKey).toMatchObject({ engUnit: str(''), documentation: str('SA: - Active'), engLow: { type: 'Double', value: 0 },
      engHigh: { type: 'Double', value: 0 }, retained: { type: 'Boolean', value: true }, delete: { type: 'Boolean', value: false } });
    const [, ...now] = await asOf('tag-properties-as-of', 'now');
    expect(Object.fromEntries(now.map((r): [string, unknown] => [r[0]!, json(r[2])]))).toMatchObject({ engUnit: str('%'), documentation: str('SA: - Active (bypass damper)') });
  });

  it('rejections: devices whose births were refused, and why', async () => {
    const [header, ...rows] = await psql(namedBlock('analysts.md', 'rejections').text);
    expect(header).toEqual(['device', 'what', 'reason', 'at']);
    expect(rows.map((r) => r.slice(0, 2))).toEqual([['Secil/Portugal/Dup', 'metric Kiln/Speed'], ['Secil/Portugal/NoType', 'whole birth']]);
    expect(rows[0]![2]).toBe('the name appears twice in this birth');
    expect(rows[1]![2]).toContain('"datatype" is missing');
  });
});
