// `uns-meta status`: what an operator needs in one look (docs/operations.md). collectStatus() reads the database
// (src/status/sql/*.sql, one query per section), the checkout's sqitch.plan and the local spool directory, and
// lists what needs attention; the command prints it as text or JSON (the documented, stable shape: StatusReport).
import { readdirSync } from 'node:fs';
import type pg from 'pg';
import { loadSql } from '../runtime/sql.ts';

const sql = loadSql(new URL('./sql/', import.meta.url), ['database', 'settings', 'sqitch', 'deployed-changes', 'jobs', 'dead-letters', 'parity', 'devices']);

/** A due job waiting longer than this past its run_at means no worker takes jobs (the WorkerJobsOverdue alert's threshold). */
export const OVERDUE_SECONDS = 600;

export interface PlanStatus {
  /** deployed: the checkout's plan exactly; behind: a prefix of it (pending changes); mismatch: changes the plan does not have, or in another order; unknown: the registry cannot be read. */
  state: 'deployed' | 'behind' | 'mismatch' | 'unknown';
  plan_changes: number;
  deployed_changes: number | null;
  pending: string[];
  reason?: string;
}

export interface StatusReport {
  ok: boolean;
  attention: string[];
  database: null | {
    name: string; role: string; server_version: string; uns_meta_schema: boolean; graphile_worker_schema: boolean;
    plan: PlanStatus; settings: Record<string, unknown> | null;
  };
  jobs: null | { waiting: number; due: number; running: number; failed: number; oldest_waiting_seconds: number; overdue_seconds: number };
  dead_letters: null | { ingest_total: number; ingest_last_24h: number; canary_open: number };
  parity: Record<string, number> | null;
  spool: null | { dir: string; depth: number };
  devices: { device_id: string; uns_path: string; last_birth_at: string }[] | null;
}

/** The change names of a Sqitch plan, in order (a reworked change appears once per rework, as in the registry). */
export function planChanges(planText: string): string[] {
  return planText.split('\n').filter((l) => /^[a-z]/i.test(l)).map((l) => l.split(/\s/)[0]!);
}

export function comparePlan(plan: string[], deployed: string[]): PlanStatus {
  const base = { plan_changes: plan.length, deployed_changes: deployed.length };
  const prefix = deployed.every((c, i) => plan[i] === c);
  if (prefix && deployed.length === plan.length) return { state: 'deployed', ...base, pending: [] };
  if (prefix) return { state: 'behind', ...base, pending: plan.slice(deployed.length) };
  return { state: 'mismatch', ...base, pending: [], reason: `the database has changes the checkout's plan does not (first: ${deployed.find((c, i) => plan[i] !== c)})` };
}

function spoolDepth(dir: string): number | undefined {
  try {
    return readdirSync(dir).filter((n) => /^\d{20}\.msg$/.test(n)).length;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // not an ingestor host
    throw err;
  }
}

export interface StatusOptions {
  planText: string;
  spoolDir: string;
}

export async function collectStatus(pool: pg.Pool, options: StatusOptions): Promise<StatusReport> {
  const attention: string[] = [];
  const report: StatusReport = { ok: false, attention, database: null, jobs: null, dead_letters: null, parity: null, spool: null, devices: null };
  const depth = spoolDepth(options.spoolDir);
  if (depth !== undefined) {
    report.spool = { dir: options.spoolDir, depth };
    if (depth > 0) attention.push(`spool: ${depth} births wait in ${options.spoolDir} (the ingestor replays them once the database takes them)`);
  }
  const section = async <T>(name: string, query: string, read: (rows: pg.QueryResultRow[]) => T): Promise<T | null> => {
    try {
      return read((await pool.query<pg.QueryResultRow>(query)).rows);
    } catch (err) {
      attention.push(`${name}: cannot read (${(err as Error).message})`);
      return null;
    }
  };

  let db: { name: string; role: string; server_version: string; uns_meta_schema: boolean; graphile_worker_schema: boolean; sqitch_registry: boolean; deployed_changes_function: boolean };
  try {
    db = (await pool.query(sql.database)).rows[0] as typeof db;
  } catch (err) {
    attention.push(`database: unreachable or refused (${(err as Error).message})`);
    report.ok = false;
    return report;
  }
  const plan = planChanges(options.planText);
  let planStatus: PlanStatus = { state: 'unknown', plan_changes: plan.length, deployed_changes: null, pending: [], reason: 'no Sqitch registry in this database' };
  if (db.sqitch_registry) {
    // Any role through uns_meta.deployed_changes(); in a database deployed before that function, only a role that
    // may read the registry (uns_meta_admin).
    try {
      const deployed = await pool.query<{ change: string }>(db.deployed_changes_function ? sql['deployed-changes'] : sql.sqitch);
      planStatus = comparePlan(plan, deployed.rows.map((r) => r.change));
    } catch (err) {
      planStatus.reason = `${(err as Error).message} (run status as uns_meta_admin to compare the plan)`;
    }
  }
  if (planStatus.state === 'behind') attention.push(`plan: ${planStatus.pending.length} changes of the checkout's plan are not deployed (first: ${planStatus.pending[0]}): run sqitch deploy --verify`);
  if (planStatus.state === 'mismatch') attention.push(`plan: ${planStatus.reason}: deploy from the matching release`);
  if (!db.uns_meta_schema) attention.push('database: schema uns_meta is not deployed (sqitch deploy --verify, docs/deployment.md)');
  if (!db.graphile_worker_schema) attention.push('database: schema graphile_worker is missing (graphile-worker --schema-only, then sqitch deploy)');
  report.database = {
    name: db.name, role: db.role, server_version: db.server_version, uns_meta_schema: db.uns_meta_schema,
    graphile_worker_schema: db.graphile_worker_schema, plan: planStatus, settings: null,
  };
  if (!db.uns_meta_schema) {
    report.ok = false;
    return report;
  }
  report.database.settings = await section('settings', sql.settings, (rows) => (rows[0] as { settings: Record<string, unknown> }).settings);
  if (db.graphile_worker_schema) {
    report.jobs = await section('jobs', sql.jobs, (rows) => rows[0] as NonNullable<StatusReport['jobs']>);
    if (report.jobs && report.jobs.failed > 0) attention.push(`jobs: ${report.jobs.failed} failed (graphile_worker.jobs with no attempts left; see last_error)`);
    if (report.jobs && report.jobs.overdue_seconds > OVERDUE_SECONDS) {
      attention.push(`jobs: the oldest due job waits ${Math.round(report.jobs.overdue_seconds)} s past its run_at (over ${OVERDUE_SECONDS} s): is a worker running?`);
    }
  }
  report.dead_letters = await section('dead letters', sql['dead-letters'], (rows) => rows[0] as NonNullable<StatusReport['dead_letters']>);
  if (report.dead_letters && report.dead_letters.ingest_last_24h > 0) {
    attention.push(`dead letters: ${report.dead_letters.ingest_last_24h} births dead-lettered by the ingestor in the last 24 h (uns_meta.dead_letters, docs/ingestor.md)`);
  }
  if (report.dead_letters && report.dead_letters.canary_open > 0) {
    attention.push(`dead letters: ${report.dead_letters.canary_open} open Canary dead letters (uns_meta.canary_dead_letters): fix the cause, then uns-meta canary replay --send`);
  }
  report.parity = await section('parity', sql.parity, (rows) => (rows[0] as { parity: Record<string, number> }).parity);
  report.devices = await section('devices', sql.devices, (rows) => rows.map((r) => ({
    device_id: r.device_id as string, uns_path: r.uns_path as string, last_birth_at: (r.last_birth_at as Date).toISOString(),
  })));
  report.ok = attention.length === 0;
  return report;
}
