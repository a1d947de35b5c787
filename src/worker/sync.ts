// Brings Canary up to date for a selection of metrics (one device for a job; all, a device or a path prefix for
// `uns-meta canary resync`; dead-lettered metrics for `uns-meta canary replay`): reads pages of metrics whose
// version Canary has not confirmed, sends only the properties changed since the version Canary holds, records what
// Canary confirmed.
import { performance } from 'node:perf_hooks';
import type Bottleneck from 'bottleneck';
import type { Logger } from 'pino';
import type pg from 'pg';
import { toBatches, type Batch, type TagWrite } from './batches.ts';
import { PermanentCanaryError } from './canary-errors.ts';
import { safeError, type CanaryClient } from './canary-client.ts';
import type { WorkerConfig } from '../runtime/config/worker.ts';
import type { WorkerMetrics } from './metrics.ts';
import { propertyRowsJson } from './property-rows.ts';
import { workerSql } from './sql.ts';

/** OPC quality Good: every property row the worker writes carries it. */
const QUALITY_GOOD = 192;

export interface Selection {
  deviceId?: string | undefined;
  pathPrefix?: string | undefined;
  metricIds?: string[] | undefined;
}

export interface SyncOptions {
  /** Send every property of every selected metric (resync, replay). */
  force: boolean;
  /** Only report what would be sent (to onDryRun); send and record nothing. */
  dryRun: boolean;
  /** Dead-letter changes whose delivery failed transiently (the job's last attempt) instead of failing. */
  deadLetterTransient: boolean;
  /** graphile-worker attempts so far, recorded with dead letters. */
  attempts: number;
  /** Gets the `properties` object (JSON) of each request that would be sent. */
  onDryRun?: (propertiesJson: string) => void;
}

export interface SyncReport {
  metrics: number;
  written: number;
  unchanged: number;
  skipped: number;
  requests: number;
  deadLettered: number;
  failed: number;
}

interface PendingRow {
  metric_id: string;
  version: number;
  tag: string;
  is_transient: boolean;
  retired: boolean;
  changed_at: string;
  /** Canary name → value to send, as JSON text (rewritten into storeData rows, passed on as is to the database). */
  properties_json: string;
  /** How many properties properties_json holds. */
  property_count: number;
}

export interface Confirmation {
  metric_id: string;
  version: number;
  tag: string | null;
  outcome: 'written' | 'unchanged' | 'skipped_transient' | 'retired';
  changed_at: string;
}

export interface SyncDeps {
  pool: pg.Pool;
  client: CanaryClient;
  /** Requests in flight of this process (src/worker/rate-limit.ts). */
  limiter: Bottleneck;
  metrics: WorkerMetrics;
  logger: Logger;
  config: WorkerConfig;
}

/** Thrown after a selection was processed as far as possible when some batches could not be delivered yet. */
export class DeliveryPendingError extends Error {}

async function timed<T>(logger: Logger, what: string, f: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await f();
  logger.debug({ ms: Math.round(performance.now() - start) }, what);
  return result;
}

/** Session settings of the worker's connections: JIT compilation costs more than the page queries themselves. */
export const WORKER_SESSION_OPTIONS = '-c jit=off';

/**
 * ANALYZEs the catalog tables a bulk birth grew since their last analyze, so the page query is planned with real
 * statistics (without them a sync right after a 100,000-metric birth reads every remaining metric for each page).
 * Runs before every sync and, in `uns-meta worker`, every WORKER_STATS_REFRESH_MS while the debounce runs, so a big
 * birth is usually analyzed before its sync starts. Usually one catalog lookup. A failure only costs speed: logged,
 * and the sync goes on.
 */
export async function refreshStatistics(deps: Pick<SyncDeps, 'pool' | 'logger'>): Promise<void> {
  try {
    const start = performance.now();
    const { rows } = await deps.pool.query<{ analyzed: string[] }>(workerSql['refresh-statistics']);
    const analyzed = rows[0]?.analyzed ?? [];
    if (analyzed.length > 0) {
      deps.logger.info({ analyzed, ms: Math.round(performance.now() - start) }, 'analyzed catalog tables a bulk birth grew');
    }
  } catch (err) {
    // The likely cause, by SQLSTATE: the function missing (a database not deployed). A table it cannot lock is not
    // an error: the function skips it (a notice) and tries again on its next call.
    const code = (err as { code?: unknown } | null)?.code;
    const why = code === '42883' ? 'uns_meta.refresh_catalog_statistics() is missing: is the database deployed with sqitch?'
      : 'uns_meta.refresh_catalog_statistics() failed';
    deps.logger.warn({ err: safeError(err) }, `could not refresh the catalog statistics (${why}); syncs go on, possibly with slower page reads`);
  }
}

export async function syncSelection(deps: SyncDeps, selection: Selection, options: SyncOptions): Promise<SyncReport> {
  await refreshStatistics(deps);
  const report: SyncReport = { metrics: 0, written: 0, unchanged: 0, skipped: 0, requests: 0, deadLettered: 0, failed: 0 };
  const fetchPage = (after: string) => timed(deps.logger, 'page read', () => deps.pool.query<PendingRow>(workerSql['pending-metrics'], [
    selection.deviceId ?? null, selection.pathPrefix ?? null, after, deps.config.pageSize, options.force,
    deps.config.dataset ?? null, selection.metricIds ?? null,
  ]).then((r) => r.rows));
  // Two pages in flight: the next page's requests start while the previous page's last requests and
  // confirmations finish, and the page after is read meanwhile.
  let lastError: unknown;
  const active: Promise<void>[] = [];
  try {
    let page = await fetchPage('0');
    while (page.length > 0 && lastError === undefined) {
      const last = page[page.length - 1]?.metric_id ?? '0';
      const next = page.length === deps.config.pageSize ? fetchPage(last) : Promise.resolve([]);
      next.catch(() => undefined);
      const rows = page;
      const pageStart = performance.now();
      const synced = syncPage(deps, rows, options, report).then((failure) => {
        if (failure !== undefined) lastError ??= failure; // Canary is failing: stop; the job is retried later.
        deps.logger.debug({ metrics: rows.length, ms: Math.round(performance.now() - pageStart) }, 'page synced');
      });
      synced.catch(() => undefined); // awaited below; a database error must not become an unhandled rejection
      active.push(synced);
      if (active.length >= 2) await active.shift();
      page = await next;
    }
  } finally {
    await Promise.allSettled(active); // never leave a page running behind a thrown error
  }
  await Promise.all(active);
  if (lastError !== undefined) {
    throw new DeliveryPendingError(`${report.failed} metric change(s) not delivered yet: ${safeError(lastError)}`);
  }
  return report;
}

async function syncPage(deps: SyncDeps, rows: PendingRow[], options: SyncOptions, report: SyncReport): Promise<unknown> {
  report.metrics += rows.length;
  const quiet: Confirmation[] = [];
  const writes: TagWrite<PendingRow>[] = [];
  for (const row of rows) {
    const base = { metric_id: row.metric_id, version: row.version, changed_at: row.changed_at };
    if (row.retired) quiet.push({ ...base, tag: null, outcome: 'retired' });
    else if (row.is_transient && !deps.config.syncTransient) quiet.push({ ...base, tag: null, outcome: 'skipped_transient' });
    else if (row.properties_json === '{}') quiet.push({ ...base, tag: row.tag, outcome: 'unchanged' });
    else writes.push({ tag: row.tag, rowsJson: propertyRowsJson(row.properties_json, row.changed_at, QUALITY_GOOD), rowCount: row.property_count, item: row });
  }
  report.skipped += quiet.filter((q) => q.outcome !== 'unchanged').length;
  report.unchanged += quiet.filter((q) => q.outcome === 'unchanged').length;
  const batches = toBatches(writes, deps.config.batchMaxTags, deps.config.batchMaxBytes);
  if (options.dryRun) {
    for (const batch of batches) options.onDryRun?.(batch.json);
    report.requests += batches.length;
    return undefined;
  }
  if (quiet.length > 0) await confirm(deps, quiet);
  let failure: unknown;
  const confirmer = new Confirmer(deps);
  await Promise.all(batches.map(async (batch) => {
    const outcome = await sendBatch(deps, batch, options, report, confirmer, () => failure !== undefined && !options.deadLetterTransient);
    if (outcome !== undefined) failure ??= outcome;
  }));
  await confirmer.flush();
  return failure;
}

/** Sends one batch and records the outcome; returns the error when the batch must be retried later. */
async function sendBatch(deps: SyncDeps, batch: Batch<PendingRow>, options: SyncOptions, report: SyncReport,
  confirmer: Confirmer, giveUp: () => boolean): Promise<unknown> {
  let result;
  try {
    // Only the HTTP call holds a limiter slot; recording the outcome happens outside it.
    result = await deps.limiter.schedule(async () => {
      if (giveUp()) return undefined; // Canary is failing: leave the rest for the job's next attempt.
      deps.metrics.batchTags.observe(batch.writes.length);
      deps.metrics.batchBytes.observe(batch.bytes);
      report.requests++;
      return deps.client.storeProperties(batch.json, batch.writes.map((w) => w.tag));
    });
    if (result === undefined) {
      report.failed += batch.writes.length;
      return undefined;
    }
  } catch (err) {
    if (err instanceof PermanentCanaryError || options.deadLetterTransient) {
      await deadLetter(deps, batch.writes, () => safeError(err), options.attempts, report);
      return undefined;
    }
    report.failed += batch.writes.length;
    deps.logger.warn({ err: safeError(err), tags: batch.writes.length }, 'Canary batch not delivered; the job will retry');
    return err;
  }
  if (result.otherErrors.length > 0 && result.tagErrors.size === 0) {
    // Canary reported errors it did not attribute to a tag: we cannot tell what was stored; write nothing as confirmed.
    const message = `Canary answered storeData with errors naming no tag: ${result.otherErrors.join('; ')}`;
    await deadLetter(deps, batch.writes, () => message, options.attempts, report);
    return undefined;
  }
  const delivered = batch.writes.filter((w) => !result.tagErrors.has(w.tag));
  const refused = batch.writes.filter((w) => result.tagErrors.has(w.tag));
  if (refused.length > 0) await deadLetter(deps, refused, (w) => result.tagErrors.get(w.tag) ?? '', options.attempts, report);
  if (delivered.length > 0) {
    await confirmer.add(delivered.map((w) => ({
      metric_id: w.item.metric_id, version: w.item.version, tag: w.tag, outcome: 'written' as const, changed_at: w.item.changed_at,
    })));
    report.written += delivered.length;
    deps.metrics.tagsWritten.inc(delivered.length);
    deps.metrics.propertiesWritten.inc(delivered.reduce((n, w) => n + w.rowCount, 0));
  }
  return undefined;
}

/**
 * Records confirmations in groups (one statement per CONFIRM_GROUP rows or per CONFIRM_DELAY_MS) rather than one per
 * request: fewer round trips and less work for the database while the next requests are on the wire.
 * add() resolves once its rows are committed.
 */
const CONFIRM_GROUP = 1000;
const CONFIRM_DELAY_MS = 20;
class Confirmer {
  private rows: Confirmation[] = [];
  private waiters: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly deps: SyncDeps;
  constructor(deps: SyncDeps) {
    this.deps = deps;
  }
  add(rows: Confirmation[]): Promise<void> {
    this.rows.push(...rows);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this.rows.length >= CONFIRM_GROUP) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), CONFIRM_DELAY_MS);
    return done;
  }
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const rows = this.rows;
    const waiters = this.waiters;
    this.rows = [];
    this.waiters = [];
    if (rows.length === 0) return;
    try {
      await confirm(this.deps, rows);
      for (const w of waiters) w.resolve();
    } catch (err) {
      for (const w of waiters) w.reject(err);
    }
  }
}

/** The parameters of src/worker/sql/confirm.sql for these confirmations: one array per column. */
export function confirmValues(confirmations: Confirmation[]): unknown[] {
  return [
    confirmations.map((c) => c.metric_id), confirmations.map((c) => c.version), confirmations.map((c) => c.tag),
    confirmations.map((c) => c.outcome), confirmations.map((c) => c.changed_at),
  ];
}

async function confirm(deps: SyncDeps, confirmations: Confirmation[]): Promise<void> {
  // A named (prepared) statement: parsed and planned once per connection, not once per group.
  const { rows } = await deps.pool.query<{ latency_seconds: number }>({ name: 'uns_meta_confirm', text: workerSql.confirm, values: confirmValues(confirmations) });
  for (const row of rows) {
    if (row.latency_seconds !== null && Number.isFinite(row.latency_seconds)) deps.metrics.endToEnd.observe(row.latency_seconds);
  }
}

async function deadLetter(deps: SyncDeps, writes: TagWrite<PendingRow>[], error: (w: TagWrite<PendingRow>) => string,
  attempts: number, report: SyncReport): Promise<void> {
  const letters = writes.map((w) => ({ metric_id: w.item.metric_id, version: w.item.version, tag: w.tag, error: error(w), properties: w.item.properties_json }));
  const json = `[${letters.map(({ properties, ...rest }) => `{"properties":${properties},${JSON.stringify(rest).slice(1)}`).join(',')}]`;
  await deps.pool.query(workerSql['dead-letter'], [json, attempts]);
  report.deadLettered += letters.length;
  deps.metrics.deadLetters.inc(letters.length);
  deps.logger.error({ tags: letters.length, firstTag: letters[0]?.tag, error: letters[0]?.error }, 'Canary changes dead-lettered; `uns-meta canary replay` re-sends them');
}
