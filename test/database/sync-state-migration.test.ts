// Sqitch change tables/canary_sync_state_written_version on a catalog the worker had already synced: the deploy turns
// each confirmation's JSON copy of what Canary holds into the version that copy described, and the revert gives the
// old worker an empty copy (it then sends every property of a metric's next version once). Real sqitch, on a clone
// of the test template taken back to the change before it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { sqitch } from '../support/sqitch.ts';

const CHANGE = 'tables/canary_sync_state_written_version';
let db: TestDatabase;

interface Row { uns_path: string; confirmed_version: number; canary_tag: string | null; outcome: string }

async function stateRows<T extends string>(column: T): Promise<(Row & Record<T, unknown>)[]> {
  const { rows } = await db.pool('uns_meta_admin').query<Row & Record<T, unknown>>(
    `select m.uns_path, s.confirmed_version, s.canary_tag, s.outcome, s.${column}
       from uns_meta.canary_sync_state s join uns_meta.metrics m using (metric_id) order by m.uns_path`);
  return rows;
}

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

describe(`Sqitch change ${CHANGE}`, () => {
  it('deploy: written and unchanged rows name their confirmed version, skipped and retired ones none; revert: an empty copy, the rest kept', { timeout: 120_000 }, async () => {
    expect(await sqitch(db.name, ['revert', '-y', '--to', `${CHANGE}^`])).toMatch(new RegExp(`- ${CHANGE} \\.+ ok`));
    const admin = db.pool('uns_meta_admin');
    await admin.query(`insert into uns_meta.devices (group_id, edge, device, uns_path) values ('G', 'E', 'D', 'G/E/D')`);
    await admin.query(`insert into uns_meta.metrics (device_id, name, uns_path, datatype)
                       select device_id, n, 'G/E/D/' || n, 10 from uns_meta.devices, unnest(array['a', 'b', 'c', 'd']) as n`);
    // what the old worker recorded: the properties Canary holds for the tag, per outcome
    await admin.query(`insert into uns_meta.canary_sync_state (metric_id, confirmed_version, canary_tag, confirmed_properties, outcome)
                       select m.metric_id, v.version, v.tag, v.props::jsonb, v.outcome
                         from (values ('a', 3, 'G.E.D.a', '{"Eng Units": "bar"}', 'written'),
                                      ('b', 2, 'G.E.D.b', '{"Eng Units": "rpm"}', 'unchanged'),
                                      ('c', 4, 'G.E.D.c', '{"Eng Units": "A"}', 'skipped_transient'),
                                      ('d', 5, null, '{}', 'retired')) as v(name, version, tag, props, outcome)
                         join uns_meta.metrics m on m.name = v.name`);

    expect(await sqitch(db.name, ['deploy'])).toMatch(new RegExp(`\\+ ${CHANGE} \\.+ ok`));
    expect(await stateRows('written_version')).toStrictEqual([
      { uns_path: 'G/E/D/a', confirmed_version: 3, canary_tag: 'G.E.D.a', outcome: 'written', written_version: 3 },
      { uns_path: 'G/E/D/b', confirmed_version: 2, canary_tag: 'G.E.D.b', outcome: 'unchanged', written_version: 2 },
      { uns_path: 'G/E/D/c', confirmed_version: 4, canary_tag: 'G.E.D.c', outcome: 'skipped_transient', written_version: null },
      { uns_path: 'G/E/D/d', confirmed_version: 5, canary_tag: null, outcome: 'retired', written_version: null },
    ]);

    expect(await sqitch(db.name, ['revert', '-y', '--to', `${CHANGE}^`])).toMatch(new RegExp(`- ${CHANGE} \\.+ ok`));
    expect(await stateRows('confirmed_properties')).toStrictEqual([
      { uns_path: 'G/E/D/a', confirmed_version: 3, canary_tag: 'G.E.D.a', outcome: 'written', confirmed_properties: {} },
      { uns_path: 'G/E/D/b', confirmed_version: 2, canary_tag: 'G.E.D.b', outcome: 'unchanged', confirmed_properties: {} },
      { uns_path: 'G/E/D/c', confirmed_version: 4, canary_tag: 'G.E.D.c', outcome: 'skipped_transient', confirmed_properties: {} },
      { uns_path: 'G/E/D/d', confirmed_version: 5, canary_tag: null, outcome: 'retired', confirmed_properties: {} },
    ]);
    expect(await sqitch(db.name, ['deploy', '--verify'])).toMatch(new RegExp(`\\+ ${CHANGE} \\.+ ok`));
  });
});
