// The worker's rules that ordinary syncs rarely exercise: a late confirmation of an older version, a retired metric
// and what canary_parity says about it, and which properties are sent after a version Canary never got (skipped,
// shadowed names, a changed name mapping). Each test has its own device, so they run in any order.
import { describe, expect, it } from 'vitest';
import { confirmValues, type Confirmation } from '../../src/worker/sync.ts';
import { workerSql } from '../../src/worker/sql.ts';
import { birth, canaryProps, ingest, startTestWorker, storeRequests, syncDevice, TAG, useWorkerFixture, waitFor } from './helpers.ts';

const fx = useWorkerFixture();

interface StateRow { confirmed_version: number; canary_tag: string | null; written_version: number | null; outcome: string }

async function syncState(path: string): Promise<StateRow | undefined> {
  const { rows } = await fx.db.pool('uns_meta_ro').query<StateRow>(
    `select s.confirmed_version, s.canary_tag, s.written_version, s.outcome
       from uns_meta.canary_sync_state s join uns_meta.metrics m using (metric_id) where m.uns_path = $1`, [path]);
  return rows[0];
}

async function metricId(path: string): Promise<string> {
  const { rows } = await fx.db.pool('uns_meta_ro').query<{ metric_id: string }>('select metric_id::text from uns_meta.metrics where uns_path = $1', [path]);
  if (!rows[0]) throw new Error(`no metric ${path}`);
  return rows[0].metric_id;
}

describe('worker rules', () => {
  it('a late confirmation of an older version never moves a metric back', async () => {
    await ingest(fx.db, birth('Late', { 'L/x': { engUnit: 'A' } }));
    await ingest(fx.db, birth('Late', { 'L/x': { engUnit: 'B' } }));
    fx.worker = await startTestWorker(fx.sim, fx.db);
    await waitFor('Late in sync', async () => (await syncState('Secil/Portugal/Late/L/x'))?.confirmed_version === 2);
    await fx.worker.stop();
    fx.worker = undefined;
    const before = await syncState('Secil/Portugal/Late/L/x');
    expect(before).toStrictEqual({ confirmed_version: 2, canary_tag: TAG('L/x', 'Late'), written_version: 2, outcome: 'written' });

    // what a job that read version 1 would record once its request finally came back
    const late: Confirmation = {
      metric_id: await metricId('Secil/Portugal/Late/L/x'), version: 1, tag: TAG('L/x', 'Late'),
      outcome: 'written', changed_at: '2020-01-01T00:00:00.000000Z',
    };
    const { rows } = await fx.db.pool('uns_meta_app').query(workerSql.confirm, confirmValues([late]));
    expect(rows).toEqual([]); // nothing confirmed
    expect(await syncState('Secil/Portugal/Late/L/x')).toStrictEqual(before);
    // a late confirmation on another tag (an older path) does not move it either
    await fx.db.pool('uns_meta_app').query(workerSql.confirm, confirmValues([{ ...late, tag: 'Secil.Portugal.Late.Old' }]));
    expect(await syncState('Secil/Portugal/Late/L/x')).toStrictEqual(before);
  });

  it('a retired metric is recorded as retired with nothing sent; canary_parity shows it in sync and retired', async () => {
    await ingest(fx.db, birth('Retire', { 'R/kept': { engUnit: 'bar' }, 'R/gone': { engUnit: 'rpm' } }));
    fx.worker = await startTestWorker(fx.sim, fx.db);
    await waitFor('Retire in sync', async () => (await syncState('Secil/Portugal/Retire/R/gone'))?.confirmed_version === 1 &&
      (await syncState('Secil/Portugal/Retire/R/kept'))?.confirmed_version === 1);
    const seq = storeRequests(fx.sim).at(-1)?.seq ?? 0;

    await ingest(fx.db, birth('Retire', { 'R/kept': { engUnit: 'bar' } }));
    await waitFor('the retirement confirmed', async () => (await syncState('Secil/Portugal/Retire/R/gone'))?.outcome === 'retired');
    await waitFor('no job left', async () => (await fx.db.pool('uns_meta_admin').query('select 1 from graphile_worker.jobs')).rowCount === 0);
    // the job is done: any request it made for the device is in the simulator's log

    expect(storeRequests(fx.sim).filter((r) => r.seq > seq).flatMap((r) => r.tagPaths)).toEqual([]);
    expect(canaryProps(fx.sim, TAG('R/gone', 'Retire'))).toStrictEqual({ 'Eng Units': 'rpm' }); // Canary keeps what it had
    // the confirmation of a retirement writes no tag and keeps the version whose properties Canary holds
    expect(await syncState('Secil/Portugal/Retire/R/gone')).toStrictEqual({
      confirmed_version: 2, canary_tag: TAG('R/gone', 'Retire'), written_version: 1, outcome: 'retired',
    });
    const { rows } = await fx.db.pool('uns_meta_ro').query<{ uns_path: string; version: number; confirmed_version: number; status: string; last_outcome: string; up_to_date: boolean; retired: boolean }>(
      `select uns_path, version, confirmed_version, status, last_outcome, up_to_date, retired_at is not null as retired
         from uns_meta.canary_parity where uns_path like 'Secil/Portugal/Retire/%' order by uns_path`);
    expect(rows).toStrictEqual([
      { uns_path: 'Secil/Portugal/Retire/R/gone', version: 2, confirmed_version: 2, status: 'in_sync', last_outcome: 'retired', up_to_date: true, retired: true },
      { uns_path: 'Secil/Portugal/Retire/R/kept', version: 1, confirmed_version: 1, status: 'in_sync', last_outcome: 'written', up_to_date: true, retired: false },
    ]);
  });

  it('a metric retired before it was ever synced is recorded as retired and never sent', async () => {
    await ingest(fx.db, birth('Early', { 'E/kept': { engUnit: 'bar' }, 'E/gone': { engUnit: 'rpm', documentation: 'never sent' } }));
    await ingest(fx.db, birth('Early', { 'E/kept': { engUnit: 'bar' } }));
    fx.worker = await startTestWorker(fx.sim, fx.db);
    await waitFor('Early synced', async () => (await syncState('Secil/Portugal/Early/E/gone'))?.outcome === 'retired' &&
      (await syncState('Secil/Portugal/Early/E/kept'))?.outcome === 'written');
    expect(storeRequests(fx.sim).flatMap((r) => r.tagPaths).filter((t) => t.startsWith('Secil.Portugal.Early.'))).toEqual([TAG('E/kept', 'Early')]);
    expect(fx.sim.state.tag(TAG('E/gone', 'Early'))).toBeUndefined();
    expect(await syncState('Secil/Portugal/Early/E/gone')).toStrictEqual({ confirmed_version: 2, canary_tag: null, written_version: null, outcome: 'retired' });
  });
  it('a change made while the metric was transient (skipped, nothing written) reaches Canary once it is synced again', async () => {
    const path = 'Secil/Portugal/Skip/S/x';
    await ingest(fx.db, birth('Skip', { 'S/x': { engUnit: 'A', documentation: 'kept' } }));
    await syncDevice(fx, 'Skip');
    await ingest(fx.db, birth('Skip', { 'S/x': { engUnit: 'B', documentation: 'kept' } }, undefined, { 'S/x': { isTransient: true } }));
    await syncDevice(fx, 'Skip');
    expect(await syncState(path)).toStrictEqual({ confirmed_version: 2, canary_tag: TAG('S/x', 'Skip'), written_version: 1, outcome: 'skipped_transient' });
    expect(canaryProps(fx.sim, TAG('S/x', 'Skip'))).toStrictEqual({ 'Eng Units': 'A', Description: 'kept' });
    const seq = storeRequests(fx.sim).at(-1)?.seq ?? 0;
    // version 3 changes only the flag; Eng Units changed in version 2, which Canary never got
    await ingest(fx.db, birth('Skip', { 'S/x': { engUnit: 'B', documentation: 'kept' } }));
    await syncDevice(fx, 'Skip');
    expect(storeRequests(fx.sim).filter((r) => r.seq > seq).map((r) => [r.tagPaths, r.propertyRows])).toEqual([[[TAG('S/x', 'Skip')], 1]]);
    expect(canaryProps(fx.sim, TAG('S/x', 'Skip'))).toStrictEqual({ 'Eng Units': 'B', Description: 'kept' });
    expect(await syncState(path)).toStrictEqual({ confirmed_version: 3, canary_tag: TAG('S/x', 'Skip'), written_version: 3, outcome: 'written' });
  });

  it('a removed mapped key uncovers the raw key of the same Canary name: its value is sent', async () => {
    // engUnit is mapped to "Eng Units" and wins over a raw key named "Eng Units" (docs/worker.md, "Names")
    await ingest(fx.db, birth('Shadow', { 'S/x': { 'Eng Units': 'raw', engUnit: 'mapped' } }));
    await syncDevice(fx, 'Shadow');
    expect(canaryProps(fx.sim, TAG('S/x', 'Shadow'))).toStrictEqual({ 'Eng Units': 'mapped' });
    await ingest(fx.db, birth('Shadow', { 'S/x': { 'Eng Units': 'raw' } }));
    await syncDevice(fx, 'Shadow');
    expect(canaryProps(fx.sim, TAG('S/x', 'Shadow'))).toStrictEqual({ 'Eng Units': 'raw' });
  });

  it('a name mapping added after a sync sends the metrics with the key under the new name', async () => {
    await ingest(fx.db, birth('Remap', { 'R/x': { remapMe: 'v', engUnit: 'bar' }, 'R/y': { engUnit: 'rpm' } }));
    await syncDevice(fx, 'Remap');
    expect(canaryProps(fx.sim, TAG('R/x', 'Remap'))).toStrictEqual({ remapMe: 'v', 'Eng Units': 'bar' });
    const seq = storeRequests(fx.sim).at(-1)?.seq ?? 0;
    await fx.db.pool('uns_meta_admin').query(`insert into uns_meta.canary_property_names (property_key, canary_name) values ('remapMe', 'Remapped')`);
    await syncDevice(fx, 'Remap');
    // every property of R/x (the mapping's version names no property), nothing of R/y (no such key: no version)
    expect(storeRequests(fx.sim).filter((r) => r.seq > seq).flatMap((r) => r.tagPaths)).toEqual([TAG('R/x', 'Remap')]);
    expect(canaryProps(fx.sim, TAG('R/x', 'Remap'))).toStrictEqual({ remapMe: 'v', 'Eng Units': 'bar', Remapped: 'v' });
  });
});
