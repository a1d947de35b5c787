// The version model keeps only what changed; uns_meta.metric_properties_as_of and uns_meta.metric_states_as_of
// rebuild the past from the current rows and the diffs (deploy/functions/metric_history.sql). This test drives a
// random but reproducible history (fixed seed) through the real ingest_birth, the catalog triggers and
// reapply_path_rules: births of a few devices whose metrics gain, change (value and type) and lose properties,
// change datatype, alias and flags, disappear (retired) and come back (revived), are renamed by the edge, plus DBA
// edits of properties and flags and path rules changed and reapplied. Then, for every step i, the as-of answer at
// that step's transaction time must equal exactly what the step left: what birth i said (typed rows written by hand
// in POOL below, never read from the code under test) and the catalog as it was right after the step (the step's
// device; all devices after a rule change).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { pick as pickOne, randomInt, seededRandom } from '../../src/sparkplug/random.ts';

/** A Sparkplug PropertyValue and the metric_properties row(s) it must be stored as (by hand, from the spec). */
interface PoolValue {
  pv: Record<string, unknown>;
  rows: { suffix: string[]; type: string; spb: number; isNull?: boolean; col?: string; text?: string }[];
}
const scalar = (pv: Record<string, unknown>, type: string, col: string | undefined, text?: string, isNull = false): PoolValue => ({
  pv, rows: [{ suffix: [], type, spb: pv.type as number, isNull, col, text }],
});
const POOL: PoolValue[] = [
  scalar({ type: 1, intValue: 251 }, 'int', 'value_int', '-5'),                         // Int8, sign-extended
  scalar({ type: 2, intValue: 65534 }, 'int', 'value_int', '-2'),                       // Int16
  scalar({ type: 3, intValue: 2147484164 }, 'int', 'value_int', '-2147483132'),          // Int32 (the plant's Quality)
  scalar({ type: 3, intValue: 192 }, 'int', 'value_int', '192'),
  scalar({ type: 6, intValue: 65535 }, 'int', 'value_int', '65535'),                    // UInt16
  scalar({ type: 7, intValue: 4294967295 }, 'long', 'value_long', '4294967295'),        // UInt32
  scalar({ type: 4, longValue: '9223372036854775808' }, 'long', 'value_long', '-9223372036854775808'), // Int64
  scalar({ type: 8, longValue: '18446744073709551615' }, 'uint64', 'value_uint64', '18446744073709551615'),
  scalar({ type: 9, floatValue: 0.1 }, 'float', 'value_float', '0.1'),
  scalar({ type: 9, floatValue: 'NaN' }, 'float', 'value_float', 'NaN'),
  scalar({ type: 10, doubleValue: -0.25 }, 'double', 'value_double', '-0.25'),
  scalar({ type: 10, doubleValue: '-Infinity' }, 'double', 'value_double', '-Infinity'),
  scalar({ type: 11, booleanValue: true }, 'boolean', 'value_bool', 'true'),
  scalar({ type: 12, stringValue: 'degC' }, 'string', 'value_string', 'degC'),
  scalar({ type: 12, stringValue: '' }, 'string', 'value_string', ''),
  scalar({ type: 14, stringValue: 'Válvula / 2' }, 'string', 'value_string', 'Válvula / 2'),
  scalar({ type: 13, longValue: '1700000000123' }, 'datetime', 'value_datetime', '2023-11-14 22:13:20.123+00'),
  scalar({ type: 99, intValue: 5 }, 'long', 'value_long', '5'),                         // unknown type code
  scalar({ type: 8, isNull: true }, 'uint64', undefined, undefined, true),
  {
    pv: { type: 20, propertysetValue: { keys: ['lo', 'hi'], values: [{ type: 10, doubleValue: 0 }, { type: 3, intValue: 5 }] } },
    rows: [
      { suffix: [], type: 'propertyset', spb: 20 },
      { suffix: ['lo'], type: 'double', spb: 10, col: 'value_double', text: '0' },
      { suffix: ['hi'], type: 'int', spb: 3, col: 'value_int', text: '5' },
    ],
  },
];
/** What a DBA's manual fix writes (tests the trigger path); also a value births may send afterwards. */
const DBA_VALUE = POOL.push(scalar({ type: 12, stringValue: 'fixed by DBA' }, 'string', 'value_string', 'fixed by DBA')) - 1;
const KEYS = ['engUnit', 'Quality', 'documentation', 'engHigh', 'limits', 'a/b', 'x~y'];
const DATATYPES = [3, 9, 10, 11, 12];


interface MetricModel { datatype: number; alias: number | null; historical: boolean; transient: boolean; props: Map<string, number> }
type Row = string[];
const SELECT_ROW = `key, coalesce(key_path::text, '-'), type::text, spb_type::text, is_null::text,
  coalesce(value_int::text, value_long::text, value_uint64::text, value_float::text, value_double::text, value_string,
           value_bool::text, value_datetime::text, '-'),
  case when value_int is not null then 'value_int' when value_long is not null then 'value_long'
       when value_uint64 is not null then 'value_uint64' when value_float is not null then 'value_float'
       when value_double is not null then 'value_double' when value_string is not null then 'value_string'
       when value_bool is not null then 'value_bool' when value_datetime is not null then 'value_datetime' else '-' end`;
const sortRows = (rows: Row[]) => rows.map((r) => r.join('|')).sort();

function expectedRows(props: Map<string, number>): string[] {
  const rows: Row[] = [];
  for (const [key, i] of props) {
    for (const r of POOL[i]!.rows) {
      const path = r.suffix.length > 0 ? `{${[key, ...r.suffix].map((s) => (s === '' || /[,{}"\\\s]/.test(s) ? JSON.stringify(s) : s)).join(',')}}` : '-';
      const flat = [key, ...r.suffix.map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1'))].join('/');
      rows.push([flat, path, r.type, String(r.spb), String(r.isNull ?? false), r.text ?? '-', r.col ?? '-']);
    }
  }
  return sortRows(rows);
}

interface Step {
  kind: 'birth' | 'dba' | 'rules';
  at: string;                      // the step's transaction time (now())
  device?: string;
  said?: Map<string, MetricModel>; // birth: what it said, per metric name
  snapshot: Map<string, { retired: boolean; uns_path: string; rows: string[] }>; // catalog right after, per metric_id
}

let db: TestDatabase;
let app: pg.PoolClient;
let admin: pg.PoolClient;

beforeAll(async () => {
  db = await createTestDatabase();
  app = await db.pool('uns_meta_app').connect();
  admin = await db.pool('uns_meta_admin').connect();
  for (const c of [app, admin]) await c.query(`set timezone = 'UTC'`);
});
afterAll(async () => {
  app.release();
  admin.release();
  await db.drop();
});

async function snapshot(): Promise<Step['snapshot']> {
  const { rows } = await admin.query<{ metric_id: string; retired: boolean; uns_path: string; rows: Row[] | null }>(
    `select m.metric_id::text, m.retired_at is not null as retired, m.uns_path,
            (select array_agg(array[${SELECT_ROW}]) from uns_meta.metric_properties as p where p.metric_id = m.metric_id) as rows
       from uns_meta.metrics as m`);
  return new Map(rows.map((r) => [r.metric_id, { retired: r.retired, uns_path: r.uns_path, rows: sortRows(r.rows ?? []) }]));
}

async function inTransaction(c: pg.PoolClient, work: () => Promise<void>): Promise<string> {
  await c.query('begin');
  const { rows } = await c.query<{ at: string }>(`select now()::text as at`);
  await work();
  await c.query('commit');
  return rows[0]!.at;
}

describe('metric history: as-of reconstruction over a random history (seed 20261206)', () => {
  const steps: Step[] = [];

  it('drives 240 births and 40 DBA and rule steps through the catalog', async () => {
    const rnd = seededRandom(20261206);
    const pick = <T>(xs: readonly T[]): T => pickOne(rnd, xs);
    const devices = ['D0', 'D1', 'D2', 'D3'];
    const models = new Map(devices.map((d) => [d, new Map<string, MetricModel>()]));
    const present = new Map(devices.map((d) => [d, new Set<string>()]));
    let nextName = 0;
    const newMetric = (): MetricModel => {
      const props = new Map<string, number>();
      for (const k of KEYS) if (rnd() < 0.5) props.set(k, randomInt(rnd, POOL.length));
      return { datatype: pick(DATATYPES), alias: rnd() < 0.5 ? randomInt(rnd, 1000) : null, historical: rnd() < 0.3, transient: rnd() < 0.2, props };
    };
    let births = 0;
    let others = 0;
    let ruleOn = false;
    for (let step = 0; births < 240 || others < 40; step++) {
      const r = rnd();
      if (others < 40 && step > 8 && r < 0.12) {
        others++;
        if (r < 0.04) {
          // A path rule changed and reapplied (metrics move; reapply_path_rules versions them)
          const at = await inTransaction(admin, async () => {
            if (ruleOn) await admin.query(`delete from uns_meta.path_rewrite_rules where description = 'random history'`);
            else {
              await admin.query(`insert into uns_meta.path_rewrite_rules (pattern, replacement, description)
                                 values ('^(G/E/D1)/(.+)$', '\\1/moved/\\2', 'random history')`);
            }
            await admin.query('select uns_meta.reapply_path_rules()');
          });
          ruleOn = !ruleOn;
          steps.push({ kind: 'rules', at, snapshot: await snapshot() });
        } else {
          // A DBA's manual fix: a property value (and maybe its type), or a flag (the catalog triggers version them)
          const device = pick(devices);
          const names = [...present.get(device)!];
          if (names.length === 0) continue;
          const name = pick(names);
          const m = models.get(device)!.get(name)!;
          const scalarKeys = [...m.props].filter(([, i]) => POOL[i]!.rows.length === 1).map(([k]) => k);
          const at = await inTransaction(admin, async () => {
            if (scalarKeys.length > 0 && r < 0.09) {
              const key = pick(scalarKeys);
              await admin.query(
                `update uns_meta.metric_properties set type = 'string', spb_type = 12, is_null = false, value_int = null,
                        value_long = null, value_uint64 = null, value_float = null, value_double = null,
                        value_string = 'fixed by DBA', value_bool = null, value_datetime = null
                  where key = $3 and metric_id = (select metric_id from uns_meta.metrics
                                                   where name = $2 and device_id = (select device_id from uns_meta.devices where device = $1))`,
                [device, name, key]);
              m.props.set(key, DBA_VALUE);
            } else {
              await admin.query(
                `update uns_meta.metrics set is_historical = not is_historical
                  where name = $2 and device_id = (select device_id from uns_meta.devices where device = $1)`, [device, name]);
              m.historical = !m.historical;
            }
          });
          steps.push({ kind: 'dba', at, snapshot: await snapshot() });
        }
        continue;
      }
      if (births >= 240) continue;
      births++;
      const device = pick(devices);
      const model = models.get(device)!;
      const live = present.get(device)!;
      // Which metrics this birth names: most of the live ones, sometimes a retired one again, sometimes a new one,
      // sometimes one renamed by the edge (a new name carrying the old metric's datatype and properties).
      const named = new Set<string>();
      for (const n of model.keys()) {
        if (live.has(n) ? rnd() < 0.9 : rnd() < 0.25) named.add(n);
      }
      if (model.size < 3 || rnd() < 0.15) {
        const n = `m${nextName++}`;
        model.set(n, newMetric());
        named.add(n);
      }
      if (rnd() < 0.08 && named.size > 1) {
        const from = pick([...named]);
        const n = `m${nextName++}`;
        const old = model.get(from)!;
        model.set(n, { ...old, props: new Map(old.props) });
        named.delete(from);
        named.add(n);
      }
      for (const n of named) {
        const m = model.get(n)!;
        const x = rnd();
        if (x < 0.15) m.props.set(pick(KEYS), randomInt(rnd, POOL.length));         // added or changed (type too)
        else if (x < 0.25 && m.props.size > 0) m.props.delete(pick([...m.props.keys()])); // removed
        else if (x < 0.3) m.datatype = pick(DATATYPES);
        else if (x < 0.33) m.alias = m.alias === null ? randomInt(rnd, 1000) : null;
        else if (x < 0.36) m.transient = !m.transient;
      }
      const metrics = [...named].map((n) => {
        const m = model.get(n)!;
        const keys = [...m.props.keys()];
        return {
          name: n, datatype: m.datatype, ...(m.alias !== null ? { alias: m.alias } : {}),
          isHistorical: m.historical, isTransient: m.transient,
          properties: { keys, values: keys.map((k) => POOL[m.props.get(k)!]!.pv) },
        };
      });
      const said = new Map([...named].map((n) => {
        const m = model.get(n)!;
        return [n, { ...m, props: new Map(m.props) }] as const;
      }));
      const at = await inTransaction(app, async () => {
        await app.query('select uns_meta.ingest_birth($1::jsonb)', [JSON.stringify({ topic: `spBv1.0/G/DBIRTH/E/${device}`, payload: { metrics } })]);
      });
      live.clear();
      for (const n of named) live.add(n);
      steps.push({ kind: 'birth', at, device, said, snapshot: await snapshot() });
    }
    expect(steps.filter((s) => s.kind === 'birth')).toHaveLength(240);
    // The history really has every kind of change the test is about.
    const { rows } = await admin.query<{ k: string; n: string }>(
      `select k, count(*)::text as n from (
         select change_kind as k from uns_meta.metric_versions
         union all select 'renamed' from uns_meta.metric_versions where diff ? 'renamed_to'
         union all select 'dba' from uns_meta.metric_versions where changed_by = 'uns_meta_admin' and source like 'UPDATE on%'
         union all select 'type changed' from uns_meta.metric_versions, jsonb_each(diff -> 'properties' -> 'changed') as e
                   where e.value #>> '{old,type}' <> e.value #>> '{new,type}'
         union all select 'moved' from uns_meta.metric_path_lineage) as x group by k`);
    const kinds = Object.fromEntries(rows.map((r) => [r.k, Number(r.n)]));
    for (const k of ['created', 'updated', 'retired', 'revived', 'renamed', 'dba', 'type changed', 'moved']) {
      expect(kinds[k], k).toBeGreaterThan(0);
    }
  }, 120_000);

  it('at every step, the as-of answer is what the step left: what the birth said, and the catalog as it was', async () => {
    let checked = 0;
    for (const [i, s] of steps.entries()) {
      // The metrics of the step's device (a rule change: all), as they were at the step's time. The device's id is
      // passed as a value: with a subquery as argument the functions are not inlined, and the planner's estimate
      // for the opaque calls turns JIT compilation on (seconds per query).
      const device = s.device === undefined ? null
        : (await admin.query<{ id: string }>('select device_id::text as id from uns_meta.devices where device = $1', [s.device])).rows[0]!.id;
      const { rows } = await admin.query<{ metric_id: string; name: string; retired: boolean; uns_path: string; datatype: string;
                                          alias: string | null; is_historical: boolean; is_transient: boolean; rows: Row[] | null }>(
        `select s.metric_id::text, s.name, s.retired_at is not null as retired, s.uns_path, s.datatype::text, s.alias::text,
                s.is_historical, s.is_transient,
                (select array_agg(array[${SELECT_ROW}]) from uns_meta.metric_properties_as_of(s.metric_id, $2::timestamptz)) as rows
           from uns_meta.metric_states_as_of($2::timestamptz, $1::bigint) as s`,
        [device, s.at]);
      const deviceIds = new Set(rows.map((r) => r.metric_id));
      const expected = new Map([...s.snapshot].filter(([id]) => s.device === undefined || deviceIds.has(id)));
      const got = new Map(rows.map((r) => [r.metric_id, { retired: r.retired, uns_path: r.uns_path, rows: sortRows(r.rows ?? []) }]));
      expect(got, `step ${i} (${s.kind}${s.device ? ' ' + s.device : ''}) at ${s.at}: the catalog as it was`).toEqual(expected);
      if (s.kind !== 'birth') continue;
      const byName = new Map(rows.map((r) => [r.name, r]));
      for (const [name, m] of s.said!) {
        const g = byName.get(name);
        expect(g, `birth ${i} (${s.device}): metric ${name} exists as of ${s.at}`).toBeDefined();
        expect({ retired: g!.retired, datatype: g!.datatype, alias: g!.alias, h: g!.is_historical, t: g!.is_transient },
               `birth ${i} (${s.device}) metric ${name}: fields`)
          .toEqual({ retired: false, datatype: String(m.datatype), alias: m.alias === null ? null : String(m.alias), h: m.historical, t: m.transient });
        expect(sortRows(g!.rows ?? []), `birth ${i} (${s.device}) metric ${name}: properties as of ${s.at}`).toEqual(expectedRows(m.props));
        checked++;
      }
      for (const [name, g] of byName) {
        if (!s.said!.has(name)) expect(g.retired, `birth ${i} (${s.device}): ${name}, not named, is retired then`).toBe(true);
      }
    }
    expect(checked).toBeGreaterThan(240);
  }, 120_000);
});
