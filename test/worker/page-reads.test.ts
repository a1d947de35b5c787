// What the worker's statements read and run in the middle of a sync, counted by PostgreSQL itself (no clock):
// - a page read (src/worker/sql/pending-metrics.sql) reads about one page of `metrics` however many metrics are
//   left, also once `canary_sync_state` was analyzed with the confirmations of the pages before (autovacuum or
//   refresh_catalog_statistics during a sync): its statistics then said every confirmed version equals its metric's,
//   the planner estimated one pending metric for the whole device, and each page sorted all the device's remaining
//   metrics (a profile of a 100,000-metric sync: 4-6 of its 50 pages read every remaining metric, with parallel
//   workers);
// - a confirmation (src/worker/sql/confirm.sql) checks its rows' metrics once per statement, not with one query per
//   row (what a FOREIGN KEY of canary_sync_state did: 100,000 lookups locking each metric row for a 100,000-metric
//   sync).
import { beforeAll, describe, expect, it } from 'vitest';
import { workerSql } from '../../src/worker/sql.ts';
import { birth, ingest, useWorkerFixture } from './helpers.ts';

const fx = useWorkerFixture();
const METRICS = 3000;
const CONFIRMED = 1500;
const PAGE = 100;

interface PlanNode { 'Node Type': string; 'Relation Name'?: string; 'Plan Rows': number; 'Actual Rows': number; 'Actual Loops': number; Plans?: PlanNode[] }

/** The first node of this type, depth first. */
function findNode(node: PlanNode, type: string): PlanNode | undefined {
  if (node['Node Type'] === type) return node;
  for (const child of node.Plans ?? []) {
    const found = findNode(child, type);
    if (found) return found;
  }
  return undefined;
}

/** Rows every scan of `relation` in the plan returned, over all its loops (parallel workers included). */
function rowsRead(node: PlanNode, relation: string): number {
  const own = node['Relation Name'] === relation && /Scan/.test(node['Node Type']) ? node['Actual Rows'] * node['Actual Loops'] : 0;
  return own + (node.Plans ?? []).reduce((n, child) => n + rowsRead(child, relation), 0);
}

/** The metric ids of the device in order. */
async function metricIds(): Promise<string[]> {
  const { rows } = await fx.db.pool('uns_meta_admin').query<{ id: string }>('select metric_id::text as id from uns_meta.metrics order by metric_id');
  return rows.map((r) => r.id);
}

/** Confirms these metrics at their current version through the worker's own statement. */
async function confirmMetrics(ids: string[]): Promise<void> {
  const { rows } = await fx.db.pool('uns_meta_admin').query<{ id: string; version: number; tag: string }>(
    'select metric_id::text as id, version, canary_id as tag from uns_meta.metrics where metric_id = any ($1::bigint[]) order by metric_id', [ids]);
  await fx.db.pool('uns_meta_app').query(workerSql.confirm, [rows.map((r) => r.id), rows.map((r) => r.version), rows.map((r) => r.tag),
    rows.map(() => 'written'), rows.map(() => '2026-12-07T00:00:00Z')]);
}

beforeAll(async () => {
  // only this test's ANALYZE decides the statistics
  for (const t of ['metrics', 'metric_properties', 'canary_sync_state']) {
    await fx.db.pool('uns_meta_admin').query(`alter table uns_meta.${t} set (autovacuum_enabled = false)`);
  }
  const metrics = Object.fromEntries(Array.from({ length: METRICS }, (_, i) => [`Area/m${String(i).padStart(5, '0')}`, { engUnit: 'kW', documentation: `metric ${i}` }]));
  await ingest(fx.db, birth('Cement', metrics));
  await fx.db.pool('uns_meta_admin').query('analyze uns_meta.metrics; analyze uns_meta.metric_properties');
}, 120_000);

describe('page reads in the middle of a sync', () => {
  it('read one page of metrics after the pages before were confirmed and analyzed', async () => {
    const ids = await metricIds();
    expect(ids).toHaveLength(METRICS);
    await confirmMetrics(ids.slice(0, CONFIRMED));
    await fx.db.pool('uns_meta_admin').query('analyze uns_meta.canary_sync_state');
    const after = ids[CONFIRMED - 1]!;

    const { rows: [device] } = await fx.db.pool('uns_meta_admin').query<{ id: string }>('select device_id::text as id from uns_meta.devices');
    // as a sync job reads its device: by device_id
    const args = [device!.id, null, after, PAGE, false, null, null];
    const { rows: page } = await fx.db.pool('uns_meta_app').query<{ metric_id: string }>(workerSql['pending-metrics'], args);
    expect(page.map((r) => r.metric_id)).toEqual(ids.slice(CONFIRMED, CONFIRMED + PAGE));

    const { rows: [explained] } = await fx.db.pool('uns_meta_app').query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
      `explain (analyze, format json) ${workerSql['pending-metrics']}`, args);
    const plan = explained!['QUERY PLAN'][0].Plan;
    // the planner expects a full page of pending metrics (it expected 1: then sorting every remaining metric of the
    // device looks as cheap as walking them in order, and for a big device it is the plan it picked)
    expect(findNode(plan, 'Limit')?.['Plan Rows']).toBe(PAGE);
    const read = rowsRead(plan, 'metrics');
    // the page and the row a merge join may look at past it; not the 1,500 metrics the device has left
    expect(read).toBeGreaterThanOrEqual(PAGE);
    expect(read).toBeLessThanOrEqual(PAGE + 1);
  });
});
