// docs/sql-api.md, run as written through psql: the page's own `birth.json` replayed as its "Replaying a birth with
// psql" session shows, then the births the page describes ("an hour later": engHigh changed, counter dropped, tooltip
// added, datatype Float, Closed omitted, `Speed  Ref` and `Speed Ref` sent; then Closed again). Each query block runs
// and each output example is compared with what the query prints; the expected values are the page's (written from
// its inputs), so a page that drifts from the functions fails here. The history queries of "Metric history (as of)"
// and "The trigger guarantee" run in test/database/docs-history.test.ts.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type Role, type TestDatabase } from '../support/database.ts';
import { blockStarting } from '../support/markdown.ts';

const exec = promisify(execFile);
const PAGE = 'sql-api.md';
const block = (start: string) => blockStarting(PAGE, start).text;
const readPage = () => readFileSync(new URL(`../../docs/${PAGE}`, import.meta.url), 'utf8');

interface Metric { name: string; datatype: number; alias?: string; properties?: { keys: string[]; values: Record<string, unknown>[] } }
interface Birth { topic: string; received_at?: string; payload: { timestamp: string; seq: string; metrics: Metric[] }; chunk?: unknown }
const birth = JSON.parse(block('{\n  "topic"')) as Birth;
const [CLOSED, TEMPERATURE] = ['Maceira/400 - Clinker Production/432 - Kiln/Normalised/Machines/FO6RGH32M1/Closed', 'Maceira/400 - Clinker Production/432 - Kiln/Temperature'];

let db: TestDatabase;
let dir: string;

/** psql as `role` on the test's clone, `sql` on stdin, in UTC (the page's examples ran in UTC). */
async function psql(sql: string, role: Role = 'uns_meta_app', flags: string[] = []): Promise<string> {
  const child = exec('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...flags, '-U', role, '-d', db.name, '-f', '-'],
    { cwd: dir, env: { ...process.env, PGTZ: 'UTC' } });
  child.child.stdin?.end(sql);
  return (await child).stdout;
}
const value = async (sql: string, role: Role = 'uns_meta_admin') => (await psql(sql, role, ['-At'])).trim();

/** The "Replaying a birth with psql" session: its psql command, then what is typed at the prompt. */
function replaySession(): { command: string[]; input: string } {
  const lines = block('$ psql').trim().split('\n');
  return { command: lines[0]!.replace(/^\$ /, '').split(' '), input: lines.slice(1).map((l) => l.replace(/^uns_meta=> /, '')).join('\n') };
}
async function replay(file: Birth): Promise<unknown> {
  writeFileSync(join(dir, 'birth.json'), JSON.stringify(file, null, 2));
  const { command, input } = replaySession();
  expect(command).toEqual(['psql', '-U', 'uns_meta_app', '-d', 'uns_meta']);
  return JSON.parse(await psql(input, 'uns_meta_app', ['-At']));
}

/** An aligned psql table as rows of trimmed cells (header first, the dashes line dropped). */
const table = (text: string) => text.trim().split('\n').filter((l) => !/^[-+]+$/.test(l) && !/^\(\d+ rows?\)$/.test(l)).map((l) => l.split('|').map((c) => c.trim()));

/** The page's birth an hour later: Temperature changed, Closed omitted, two names of one path. */
function hourLater(): Birth {
  const b = structuredClone(birth);
  const t = b.payload.metrics.find((m) => m.name === TEMPERATURE)!;
  const props = t.properties!;
  t.datatype = 9;
  props.values[props.keys.indexOf('engHigh')] = { type: 10, doubleValue: 1500 };
  props.values.splice(props.keys.indexOf('counter'), 1);
  props.keys.splice(props.keys.indexOf('counter'), 1);
  props.keys.push('tooltip');
  props.values.push({ type: 12, stringValue: 'Kiln inlet' });
  b.received_at = '2026-11-21T11:00:00Z';
  b.payload.metrics = [t, { name: 'Maceira/400 - Clinker Production/432 - Kiln/Speed  Ref', datatype: 10 }, { name: 'Maceira/400 - Clinker Production/432 - Kiln/Speed Ref', datatype: 10 }];
  return b;
}

beforeAll(async () => {
  db = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'uns-meta-sql-api-'));
});
afterAll(async () => {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('docs/sql-api.md', () => {
  let deviceId: string;

  it('the psql replay of birth.json returns the summary the page shows; again, the identical re-birth\'s', async () => {
    const first = await replay(birth) as { device_id: number };
    const shown = JSON.parse(block(' {\n     "metrics"')) as { device_id: number };
    expect(first).toEqual({ ...shown, device_id: first.device_id });
    deviceId = String(first.device_id);
    const again = await replay(birth);
    expect(again).toMatchObject(JSON.parse(`{${block('     "metrics": {"retired"').trim()}}`) as object);
  });

  it('the example\'s properties: the page\'s query prints the page\'s table', async () => {
    const query = /\(`(select key, key_path, type, spb_type, value_int, value_uint64, value_double, value_string from uns_meta\.metric_properties)`\)/.exec(readPage())?.[1];
    expect(query).toBeDefined();
    const shown = table(block('      key      |'));
    const printed = table(await psql(`${query!};`, 'uns_meta_ro'));
    expect(printed[0]).toEqual(shown[0]);
    expect(printed.slice(1).map((r) => r.join('|')).sort()).toEqual(shown.slice(1).map((r) => r.join('|')).sort());
  });

  it('the created diff of the Temperature is the page\'s', async () => {
    const diff = await value(`select diff from uns_meta.metric_versions v join uns_meta.metrics m using (metric_id) where m.name = '${TEMPERATURE}' and v.version_no = 1`);
    expect(JSON.parse(diff)).toEqual(JSON.parse(block('{"alias": {"new": 17}')));
  });

  it('metric_hierarchy: the page\'s query prints the page\'s rows', async () => {
    const text = block('select plant, area, line');
    const [query, ...shown] = text.trim().split('\n');
    const printed = table(await psql(query!, 'uns_meta_ro'));
    const expected = table(shown.join('\n'));
    expect(printed[0]).toEqual(expected[0]);
    expect(printed.slice(1).map((r) => r.join('|')).sort()).toEqual(expected.slice(1).map((r) => r.join('|')).sort());
  });

  it('the Canary sync job: one job of the birth, keyed by its device, due after the 3-minute debounce', async () => {
    const [query] = block('select id, task_identifier').trim().split('\n');
    const [header, ...rows] = table(await psql(query!, 'uns_meta_admin'));
    expect(header).toEqual(['id', 'task_identifier', 'key', 'run_at', 'now']);
    expect(rows.map((r) => [r[1], r[2]])).toEqual([['canary_sync_device', `canary_sync_device:${deviceId}`]]);
    const wait = (Date.parse(rows[0]![3]!.replace(' ', 'T').replace(/\+00$/, 'Z')) - Date.parse(rows[0]![4]!.replace(' ', 'T').replace(/\+00$/, 'Z'))) / 1000;
    expect(wait).toBeGreaterThan(120);
    expect(wait).toBeLessThanOrEqual(180);
  });

  it('concurrency: the page\'s query shows the birth\'s advisory lock on its Sparkplug identity', async () => {
    writeFileSync(join(dir, 'birth.json'), JSON.stringify(birth));
    const out = await psql(`\\set birth \`cat birth.json\`\nbegin;\nselect uns_meta.ingest_birth(:'birth') is not null;\n${block('select objid, mode, granted')}
      select (hashtextextended('uns_meta.ingest_birth/Secil/Portugal/Cement', 0) & 4294967295)::oid;\nrollback;`, 'uns_meta_app', ['-At']);
    const [, lock, expectedObjid] = out.trim().split('\n');
    expect(lock).toBe(`${expectedObjid}|ExclusiveLock|t`);
  });

  it('a refused birth recorded by the caller: the page\'s insert as uns_meta_app', async () => {
    await psql(block('insert into uns_meta.ingest_rejections'), 'uns_meta_app');
    expect(await value(`select topic || ' ' || reason || ' ' || (detail ->> 'sqlstate') || ' ' || received_at from uns_meta.ingest_rejections`))
      .toBe('spBv1.0/G/DBIRTH/E/D <the error message> U0001 2026-11-21 10:30:00+00');
  });

  it('the birth an hour later: the updated diff, the rejection and, with Closed sent again, retirement and revival', async () => {
    await replay(hourLater());
    const diff = await value(`select diff from uns_meta.metric_versions v join uns_meta.metrics m using (metric_id) where m.name = '${TEMPERATURE}' and v.version_no = 2`);
    // a uint64 is a JSON number in the diff: compared as its digits, which a JavaScript number would round
    const exact = (json: string) => JSON.parse(json.replace(/(?<=: )(\d{16,})(?=\D)/g, '"$1"')) as unknown;
    expect(exact(diff)).toEqual(exact(block('{"datatype": {"new": 9')));

    const shown = Object.fromEntries(block(' topic        |').trimEnd().split('\n').map((l) => /^ (\w+)\s+\| (.*)$/.exec(l)!.slice(1, 3) as [string, string]));
    const printed = Object.fromEntries((await psql(`select topic, metric_name, reason, detail, received_at, rejected_at from uns_meta.ingest_rejections where topic like '%/Cement'`, 'uns_meta_ro', ['-x', '-A', '-F', '\t']))
      .trim().split('\n').map((l) => l.split('\t') as [string, string]));
    for (const column of ['topic', 'metric_name', 'reason', 'received_at']) expect(printed[column], column).toBe(shown[column]);
    expect(JSON.parse(printed.detail!)).toEqual(JSON.parse(shown.detail!));

    await replay({ ...birth, received_at: '2026-11-21T12:00:00Z' });
    const [header, ...rows] = table(block(' version_no | change_kind | diff'));
    const printed2 = table(await psql(`select version_no, change_kind, diff from uns_meta.metric_versions v join uns_meta.metrics m using (metric_id) where m.name = '${CLOSED}' and version_no > 1 order by version_no`, 'uns_meta_ro'));
    expect(printed2[0]).toEqual(header);
    expect(printed2.slice(1).map((r) => [r[0], r[1], JSON.parse(r[2]!) as unknown])).toEqual(rows.map((r) => [r[0], r[1], JSON.parse(r[2]!) as unknown]));
  });

  it('path rules: the normalisation step gives the name the page says (rolled back)', async () => {
    const insert = block('insert into uns_meta.segment_normalisation_rules');
    const said = /normalise_segment\('400 - Clinker Production'\) is now '([^']+)'/.exec(insert)?.[1];
    const out = await psql(`begin;\n${insert}\nselect uns_meta.normalise_segment('400 - Clinker Production');\nrollback;`, 'uns_meta_admin', ['-At']);
    expect(out.trim()).toBe(said);
    expect(await value(`select uns_meta.normalise_segment('400 - Clinker Production')`)).toBe('400 - Clinker Production');
  });

  it('the default normalisation rules are the page\'s table', async () => {
    const shown = table(block(' step |     action'));
    const printed = table(await psql(`select ${shown[0]!.join(', ')} from uns_meta.segment_normalisation_rules order by step;`, 'uns_meta_ro'));
    expect(printed).toEqual(shown);
  });

  it('path rules: the rewrite rule gives the path in its comment, and the dry run lists the metric it would move', async () => {
    const b = structuredClone(birth);
    b.payload.metrics.push({ name: 'Outão/400 - Clinker Production/Kiln Temp', datatype: 10 });
    await replay(b);
    const rule = block('insert into uns_meta.path_rewrite_rules');
    const said = /^-- {2}(.+)$/m.exec(rule)?.[1];
    expect((await psql(rule, 'uns_meta_admin', ['-At'])).trim()).toBe(said);

    const [query, ...shown] = block('select jsonb_pretty(uns_meta.reapply_path_rules(dry_run => true));').trim().split('\n');
    const dry = JSON.parse(await psql(query!, 'uns_meta_admin', ['-At'])) as { changes: { metric_id: number }[] };
    const expected = JSON.parse(shown.join('\n')) as { changes: { metric_id: number }[] };
    expect(dry).toEqual({ ...expected, changes: expected.changes.map((c, i) => ({ ...c, metric_id: dry.changes[i]?.metric_id })) });
    expect(await value(`select metric_id from uns_meta.metrics where name = 'Outão/400 - Clinker Production/Kiln Temp'`)).toBe(String(dry.changes[0]!.metric_id));
  });
});

describe('docs/sql-api.md: commands written in the text', () => {
  const inline = (re: RegExp) => {
    const found = re.exec(readPage())?.[1];
    if (found === undefined) throw new Error(`docs/sql-api.md no longer has ${String(re)}: update this test with the page`);
    return found;
  };

  it('the debounce setting takes effect at the next birth: its job is due 90 s later', async () => {
    await psql(`${inline(/`(update uns_meta\.settings set value = '"90 seconds"' where key = 'debounce_interval')`/)};`, 'uns_meta_admin');
    await replay({ topic: 'spBv1.0/Secil/DBIRTH/Portugal/Debounce', payload: { timestamp: '1', seq: '0', metrics: [{ name: 'Kiln/Speed', datatype: 10 }] } });
    const wait = Number(await value(`select extract(epoch from run_at - now()) from graphile_worker.jobs j join uns_meta.devices d on j.key = 'canary_sync_device:' || d.device_id where d.uns_path = 'Secil/Portugal/Debounce'`));
    expect(wait).toBeGreaterThan(30);
    expect(wait).toBeLessThanOrEqual(90);
  });

  // After the page's rewrite rule and dry run (describe above): the rule applied, the lineage reason is the page's.
  it('reapply_path_rules: the lineage reason and the version\'s source name the rule as the page shows; explain_path_rewrite says the same', async () => {
    const shown = inline(/`(path rules reapplied by uns_meta_admin at [^`]+)`/);
    await psql('select uns_meta.reapply_path_rules();', 'uns_meta_admin');
    const [ruleId, version, at, reason, source] = (await value(`select r.rule_id, uns_meta.path_rules_version(), l.changed_at, l.reason, v.source
      from uns_meta.metric_path_lineage l join uns_meta.metrics m using (metric_id)
      join uns_meta.metric_versions v on v.metric_id = m.metric_id and v.version_no = m.version
      cross join uns_meta.path_rewrite_rules r where m.name = 'Outão/400 - Clinker Production/Kiln Temp'`)).split('|');
    expect(reason).toBe(shown.replace('2026-11-22 01:20:13.10997+00', at!).replace('path_rewrite_rules 1 ', `path_rewrite_rules ${ruleId} `).replace('<md5>', version!));
    expect(source).toBe(reason);
    const explained = await value(inline(/`(select uns_meta\.explain_path_rewrite\('[^`]+\);)`/), 'uns_meta_ro');
    expect(`path rules reapplied by uns_meta_admin at ${at}: ${explained}`).toBe(reason);
  });

  it('`select uns_meta.complete_version_diffs();` as uns_meta_admin: nothing to complete in versions this release wrote', async () => {
    expect(await value(inline(/`(select uns_meta\.complete_version_diffs\(\);)` as `uns_meta_admin`/))).toBe('0');
  });
});

describe('docs/sql-api.md: chunked births', () => {
  let chunked: TestDatabase;
  beforeAll(async () => { chunked = await createTestDatabase(); });
  afterAll(async () => { await chunked.drop(); });

  it('the page\'s session: a device that had another metric, birth.json\'s two metrics in two chunks', async () => {
    const app = chunked.pool('uns_meta_app');
    await app.query('select uns_meta.ingest_birth($1::jsonb)', [JSON.stringify({ ...birth, payload: { ...birth.payload, metrics: [{ name: 'Kiln/Old', datatype: 10 }] } })]);
    const metric = (name: string) => birth.payload.metrics.find((m) => m.name === name)!;
    const [closed, temperature] = [metric(CLOSED), metric(TEMPERATURE)];
    const chunk = (index: number, last: boolean, m: Metric) => JSON.stringify({ ...birth, chunk: { index, last }, payload: { ...birth.payload, metrics: [m] } });
    const session = block('begin;\n').split('\n').filter((l) => /^(begin|select|commit)/.test(l)).map((l) => l.replace(/\s+--.*$/, '')).join('\n');
    const child = exec('psql', ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-v', `chunk0=${chunk(0, false, closed)}`, '-v', `chunk1=${chunk(1, true, temperature)}`, '-U', 'uns_meta_app', '-d', chunked.name, '-f', '-']);
    child.child.stdin?.end(session);
    const printed = (await child).stdout.trim().split('\n').map((l) => JSON.parse(l) as { device_id: number });
    const shown = block('begin;\n').split('\n').reduce<string[]>((acc, l) => {
      if (l.startsWith(' {')) acc.push(l); else if (l.startsWith('  ')) acc[acc.length - 1] += l;
      return acc;
    }, []).map((s) => JSON.parse(s) as { device_id: number });
    expect(shown).toHaveLength(2);
    expect(printed).toEqual(shown.map((s) => ({ ...s, device_id: printed[0]!.device_id })));
  });
});

