// One sync (syncSelection, as a job or `uns-meta canary resync` runs it) driven in-process on the real database and
// simulator, checked for what ops and the job see of it: the report's counts (written, unchanged, skipped, requests,
// dead-lettered, failed), the page reads and their log lines, the histograms and counters, the dead letters of
// refused tags, and how far it goes when Canary fails (the page in flight finishes, the rest waits for the retry).
// Expected values come from the births below. Each test has its own device.
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createSyncDeps } from '../../src/worker/canary-sync.ts';
import { refreshStatistics, syncSelection, type SyncDeps, type SyncOptions } from '../../src/worker/sync.ts';
import { birth, deviceIdOf, ingest, recordingLogger, storeRequests, TAG, testConfig, useWorkerFixture, type Props } from './helpers.ts';

const fx = useWorkerFixture();

const JOB: SyncOptions = { force: false, dryRun: false, deadLetterTransient: false, attempts: 1 };

interface Sync {
  deps: SyncDeps;
  records(): Record<string, unknown>[];
  events(msg: string): Record<string, unknown>[];
  close(): Promise<void>;
}

/** Sync dependencies as the worker builds them, on the test's database and simulator, with a recording logger. */
function syncDeps(settings: Record<string, string> = {}): Sync {
  const log = recordingLogger();
  const deps = createSyncDeps(testConfig(fx.sim, fx.db, settings), fx.db.pool('uns_meta_app'), log.logger);
  return { deps, records: log.records, events: log.msgs, close: () => deps.client.close() };
}

const deviceId = (device: string) => deviceIdOf(fx.db, device);

const histogram = async (h: { get(): Promise<{ values: { metricName?: string; value: number }[] }> }) => {
  const values = (await h.get()).values;
  return { count: values.find((v) => v.metricName?.endsWith('_count'))?.value, sum: values.find((v) => v.metricName?.endsWith('_sum'))?.value };
};
const counter = async (c: { get(): Promise<{ values: { value: number }[] }> }) => (await c.get()).values[0]?.value ?? 0;

/** The tags of the storeData requests the simulator received after `seq`, one list per request. */
const sentAfter = (seq: number) => storeRequests(fx.sim).filter((r) => r.seq > seq).map((r) => r.tagPaths);
const lastSeq = () => storeRequests(fx.sim).at(-1)?.seq ?? 0;

describe('a sync reports what it did', () => {
  it('counts written, unchanged and skipped metrics, its requests, its page reads, and what the histograms and counters saw', async () => {
    const first: Record<string, Props> = {
      'R/a': { engUnit: 'bar', documentation: 'a' },
      'R/b': { engUnit: 'kW', documentation: 'b', highRange: 10 },
      'R/c': { engUnit: 'A', documentation: 'c' },
      'R/d': { engUnit: 'V', documentation: 'd' },
      'R/e': { engUnit: 'Hz', documentation: 'e' },
    };
    await ingest(fx.db, birth('Report', first, undefined, { 'R/c': { isTransient: true } }));
    const device = await deviceId('Report');
    // pages of 2 (5 metrics: 3 reads), at most 2 tags per request
    const s = syncDeps({ WORKER_PAGE_SIZE: '2', CANARY_BATCH_MAX_TAGS: '2' });
    try {
      const seq = lastSeq();
      const t0 = performance.now();
      const report = await syncSelection(s.deps, { deviceId: device }, JOB);
      const elapsed = performance.now() - t0;
      // a, b, d, e written; c is transient (CANARY_SYNC_TRANSIENT is off): skipped. Requests are made per page:
      // [a, b], [d] (c skipped), [e].
      expect(report).toEqual({ metrics: 5, written: 4, unchanged: 0, skipped: 1, requests: 3, deadLettered: 0, failed: 0 });
      const sent = sentAfter(seq);
      expect(sent.flat().sort()).toEqual(['R/a', 'R/b', 'R/d', 'R/e'].map((m) => TAG(m, 'Report')));
      expect(sent.map((tags) => tags.length).sort()).toEqual([1, 1, 2]);
      const reads = s.events('page read');
      expect(reads).toHaveLength(3); // 2 + 2 + 1: a short page is the last, nothing read after it
      const synced = s.events('page synced');
      expect(synced.map((r) => r.metrics).sort()).toEqual([1, 2, 2]);
      for (const r of [...reads, ...synced]) {
        expect(Number.isInteger(r.ms)).toBe(true);
        expect(r.ms as number).toBeGreaterThanOrEqual(0);
        expect(r.ms as number).toBeLessThanOrEqual(Math.ceil(elapsed));
      }
      const m = s.deps.metrics;
      expect(await histogram(m.batchTags)).toEqual({ count: 3, sum: 4 });
      expect((await histogram(m.batchBytes)).count).toBe(3);
      expect(await counter(m.tagsWritten)).toBe(4);
      // every property of the written metrics, as the birth gave them
      const firstProperties = ['R/a', 'R/b', 'R/d', 'R/e'].reduce((n, k) => n + Object.keys(first[k]!).length, 0);
      expect(await counter(m.propertiesWritten)).toBe(firstProperties);
      // one end-to-end latency per confirmation: the 4 written and the skipped one
      expect((await histogram(m.endToEnd)).count).toBe(5);
      expect(s.events('Canary changes dead-lettered; `uns-meta canary replay` re-sends them')).toEqual([]);

      // The next birth: a and b change their description, c changes (still transient), d is gone (retired), e changes
      // only its datatype (a new version, nothing Canary holds changed).
      await ingest(fx.db, birth('Report', {
        'R/a': { ...first['R/a'], documentation: 'a, second' },
        'R/b': { ...first['R/b'], documentation: 'b, second' },
        'R/c': { ...first['R/c'], documentation: 'c, second' },
        'R/e': first['R/e']!,
      }, undefined, { 'R/c': { isTransient: true }, 'R/e': { datatype: 9 } }));
      const seq2 = lastSeq();
      const again = await syncSelection(s.deps, { deviceId: device }, JOB);
      expect(again).toEqual({ metrics: 5, written: 2, unchanged: 1, skipped: 2, requests: 1, deadLettered: 0, failed: 0 });
      expect(sentAfter(seq2).map((tags) => [...tags].sort())).toEqual([['R/a', 'R/b'].map((m) => TAG(m, 'Report'))]);
      expect(await counter(m.propertiesWritten)).toBe(firstProperties + 2); // only the description of a and b this time
      expect((await histogram(m.endToEnd)).count).toBe(5 + 5);
    } finally {
      await s.close();
    }
  });
});

describe('a sync while Canary fails', () => {
  it('finishes the page in flight, gives up the rest of each page after its first failure, reads no further page, and says how many changes wait', async () => {
    const names = ['F/1', 'F/2', 'F/3', 'F/4', 'F/5', 'F/6'];
    await ingest(fx.db, birth('Failing', Object.fromEntries(names.map((n) => [n, { engUnit: 'bar' }]))));
    const device = await deviceId('Failing');
    // Pages of 2, one tag per request, one request at a time, no retry; every storeData fails after 1.5 s (long
    // enough for the second page to be read and started while the first one's request is out, on a loaded machine).
    const s = syncDeps({ WORKER_PAGE_SIZE: '2', CANARY_BATCH_MAX_TAGS: '1', CANARY_MAX_IN_FLIGHT: '1', CANARY_RETRY_ATTEMPTS: '1', CANARY_REQUEST_TIMEOUT_MS: '10000' });
    fx.sim.state.setFaults({ latency: { ms: 1500, methods: ['storeData'] }, serverError: { methods: ['storeData'] } });
    try {
      const seq = lastSeq();
      const error = await syncSelection(s.deps, { deviceId: device }, JOB).then(() => undefined, (err: unknown) => err);
      // pages 1 and 2 ran (two pages in flight): the first request of each failed, the second was given up
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/^4 metric change\(s\) not delivered yet: .*503/);
      expect(sentAfter(seq).map((tags) => tags[0]).sort()).toEqual([TAG('F/1', 'Failing'), TAG('F/3', 'Failing')]);
      expect(s.events('page synced').map((r) => r.metrics)).toEqual([2, 2]);
      expect(s.events('Canary batch not delivered; the job will retry').map((r) => r.tags)).toEqual([1, 1]);
      expect(await histogram(s.deps.metrics.batchTags)).toEqual({ count: 2, sum: 2 });
      expect(await counter(s.deps.metrics.tagsWritten)).toBe(0);
      const { rows } = await fx.db.pool('uns_meta_ro').query(
        `select 1 from uns_meta.canary_sync_state s join uns_meta.metrics m using (metric_id) where starts_with(m.uns_path, 'Secil/Portugal/Failing/')`);
      expect(rows).toEqual([]); // nothing confirmed
    } finally {
      fx.sim.state.clearFaults();
      await s.close();
    }
  });

  it('on the job\'s last attempt sends every batch and dead-letters those that fail', async () => {
    const names = ['G/1', 'G/2', 'G/3'];
    await ingest(fx.db, birth('LastTry', Object.fromEntries(names.map((n) => [n, { engUnit: 'bar', documentation: n }]))));
    const device = await deviceId('LastTry');
    const s = syncDeps({ CANARY_BATCH_MAX_TAGS: '1', CANARY_MAX_IN_FLIGHT: '1', CANARY_RETRY_ATTEMPTS: '1' });
    fx.sim.state.setFaults({ serverError: { methods: ['storeData'] } });
    try {
      const seq = lastSeq();
      const report = await syncSelection(s.deps, { deviceId: device }, { ...JOB, deadLetterTransient: true, attempts: 7 });
      expect(report).toEqual({ metrics: 3, written: 0, unchanged: 0, skipped: 0, requests: 3, deadLettered: 3, failed: 0 });
      expect(sentAfter(seq).flat().sort()).toEqual(names.map((n) => TAG(n, 'LastTry')));
      const { rows } = await fx.db.pool('uns_meta_ro').query<{ tag: string; attempts: number; properties: unknown }>(
        `select canary_tag as tag, attempts, properties from uns_meta.canary_dead_letters where starts_with(canary_tag, 'Secil.Portugal.LastTry.') order by canary_tag`);
      expect(rows).toEqual(names.map((n) => ({ tag: TAG(n, 'LastTry'), attempts: 7, properties: { 'Eng Units': 'bar', Description: n } }))); // Canary's names for engUnit and documentation
    } finally {
      fx.sim.state.clearFaults();
      await s.close();
    }
  });
});

describe('tags Canary refuses', () => {
  it('are dead-lettered with Canary\'s message, once per request, while the other tags of the request are confirmed', async () => {
    // pages and requests of 3 tags: [x1, x2, x3] with x2 and x3 refused, [y1, y2, y3] all refused (a page with
    // nothing to confirm), [z1, z2, z3] none refused
    const names = ['x1', 'x2', 'x3', 'y1', 'y2', 'y3', 'z1', 'z2', 'z3'];
    await ingest(fx.db, birth('Refused', Object.fromEntries(names.map((n) => [`T/${n}`, { engUnit: 'bar' }]))));
    const device = await deviceId('Refused');
    const s = syncDeps({ WORKER_PAGE_SIZE: '3', CANARY_BATCH_MAX_TAGS: '3' });
    fx.sim.state.setFaults({ tagErrors: [
      { tag: TAG('T/x2', 'Refused'), message: 'x2 refused' }, { tag: TAG('T/x3', 'Refused'), message: 'x3 refused' },
      { prefix: TAG('T/y', 'Refused'), message: 'y refused' },
    ] });
    try {
      const report = await syncSelection(s.deps, { deviceId: device }, JOB);
      expect(report).toEqual({ metrics: 9, written: 4, unchanged: 0, skipped: 0, requests: 3, deadLettered: 5, failed: 0 });
      const { rows } = await fx.db.pool('uns_meta_ro').query<{ tag: string; error: string }>(
        `select canary_tag as tag, error from uns_meta.canary_dead_letters where starts_with(canary_tag, 'Secil.Portugal.Refused.') order by canary_tag`);
      expect(rows.map((r) => [r.tag, r.error])).toEqual([
        [TAG('T/x2', 'Refused'), `${TAG('T/x2', 'Refused')}: x2 refused`], [TAG('T/x3', 'Refused'), `${TAG('T/x3', 'Refused')}: x3 refused`],
        ...['y1', 'y2', 'y3'].map((n) => [TAG(`T/${n}`, 'Refused'), `${TAG(`T/${n}`, 'Refused')}: y refused`]),
      ]);
      const letters = s.events('Canary changes dead-lettered; `uns-meta canary replay` re-sends them');
      expect(letters.map((r) => [r.tags, r.firstTag, r.error]).sort()).toEqual([
        [2, TAG('T/x2', 'Refused'), `${TAG('T/x2', 'Refused')}: x2 refused`],
        [3, TAG('T/y1', 'Refused'), `${TAG('T/y1', 'Refused')}: y refused`],
      ]);
      expect(letters.every((r) => r.level === 50)).toBe(true);
      expect(await counter(s.deps.metrics.deadLetters)).toBe(5);
      expect(await counter(s.deps.metrics.tagsWritten)).toBe(4);
      const { rows: confirmed } = await fx.db.pool('uns_meta_ro').query<{ path: string; outcome: string }>(
        `select m.uns_path as path, s.outcome from uns_meta.canary_sync_state s join uns_meta.metrics m using (metric_id)
          where starts_with(m.uns_path, 'Secil/Portugal/Refused/') order by m.uns_path`);
      expect(confirmed).toEqual(['x1', 'z1', 'z2', 'z3'].map((n) => ({ path: `Secil/Portugal/Refused/T/${n}`, outcome: 'written' })));
    } finally {
      fx.sim.state.clearFaults();
      await s.close();
    }
  });
});

describe('an answer whose errors name no tag', () => {
  it('dead-letters every tag of the request, confirms none of them (what Canary stored is unknown), and the sync goes on', async () => {
    await ingest(fx.db, birth('Untagged', { 'U/a': { engUnit: 'bar' }, 'U/b': { engUnit: 'bar' }, 'U/c': { engUnit: 'bar' } }));
    const s = syncDeps({ CANARY_BATCH_MAX_TAGS: '2' }); // requests [a, b] and [c]; the first one answered with the error
    fx.sim.state.setFaults({ requestErrors: { count: 1, message: 'the historian refused the whole request' } });
    try {
      const report = await syncSelection(s.deps, { deviceId: await deviceId('Untagged') }, JOB);
      expect(report).toEqual({ metrics: 3, written: 1, unchanged: 0, skipped: 0, requests: 2, deadLettered: 2, failed: 0 });
      const { rows } = await fx.db.pool('uns_meta_ro').query<{ tag: string; error: string }>(
        `select canary_tag as tag, error from uns_meta.canary_dead_letters where starts_with(canary_tag, 'Secil.Portugal.Untagged.') order by canary_tag`);
      const error = 'Canary answered storeData with errors naming no tag: the historian refused the whole request';
      expect(rows).toEqual([{ tag: TAG('U/a', 'Untagged'), error }, { tag: TAG('U/b', 'Untagged'), error }]);
      const { rows: confirmed } = await fx.db.pool('uns_meta_ro').query<{ path: string }>(
        `select m.uns_path as path from uns_meta.canary_sync_state s join uns_meta.metrics m using (metric_id)
          where starts_with(m.uns_path, 'Secil/Portugal/Untagged/') order by m.uns_path`);
      expect(confirmed).toEqual([{ path: 'Secil/Portugal/Untagged/U/c' }]);
    } finally {
      fx.sim.state.clearFaults();
      await s.close();
    }
  });
});

describe('the statistics refresh before a sync', () => {
  it('logs the tables it analyzed, and nothing when there was nothing to analyze', async () => {
    const s = syncDeps();
    try {
      // only this test's refreshes analyze them (not autovacuum meanwhile)
      for (const t of ['metrics', 'metric_properties', 'canary_sync_state']) {
        await fx.db.pool('uns_meta_admin').query(`alter table uns_meta.${t} set (autovacuum_enabled = false)`);
      }
      const many = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`S/m${i}`, { engUnit: 'kW', documentation: `metric ${i}` }]));
      await ingest(fx.db, birth('Bulk', many));
      const t0 = performance.now();
      await refreshStatistics(s.deps);
      const elapsed = performance.now() - t0;
      await refreshStatistics(s.deps); // nothing grew since
      const lines = s.events('analyzed catalog tables a bulk birth grew');
      expect(lines.map((r) => r.analyzed)).toEqual([['metric_properties', 'metrics']]);
      expect(lines[0]!.ms as number).toBeLessThanOrEqual(Math.ceil(elapsed));
      expect(lines[0]!.level).toBe(30);
    } finally {
      await s.close();
    }
  });

  it('warns with the likely cause when it fails, and the sync goes on', async () => {
    const admin = fx.db.pool('uns_meta_admin');
    const s = syncDeps();
    const warning = (cause: string) => `could not refresh the catalog statistics (${cause}); syncs go on, possibly with slower page reads`;
    try {
      await admin.query('alter function uns_meta.refresh_catalog_statistics() rename to refresh_catalog_statistics_gone');
      try {
        await refreshStatistics(s.deps);
      } finally {
        await admin.query('alter function uns_meta.refresh_catalog_statistics_gone() rename to refresh_catalog_statistics');
      }
      await admin.query('revoke execute on function uns_meta.refresh_catalog_statistics() from uns_meta_app');
      try {
        await ingest(fx.db, birth('NoStats', { 'N/a': { engUnit: 'bar' } }));
        expect(await syncSelection(s.deps, { deviceId: await deviceId('NoStats') }, JOB)).toMatchObject({ metrics: 1, written: 1 });
      } finally {
        await admin.query('grant execute on function uns_meta.refresh_catalog_statistics() to uns_meta_app');
      }
      const warnings = s.records().filter((r) => r.level === 40);
      expect(warnings.map((r) => r.msg)).toEqual([
        warning('uns_meta.refresh_catalog_statistics() is missing: is the database deployed with sqitch?'),
        warning('uns_meta.refresh_catalog_statistics() failed'),
      ]);
      expect(warnings[1]!.err).toMatch(/^error: permission denied for function refresh_catalog_statistics$/);
    } finally {
      await s.close();
    }
  });
});

describe('what a sync selects and records', () => {
  it('sends only the metrics of `metricIds` when given (a replay), every property when forced', async () => {
    await ingest(fx.db, birth('Chosen', { 'C/a': { engUnit: 'bar', documentation: 'a' }, 'C/b': { engUnit: 'bar' }, 'C/c': { engUnit: 'bar' } }));
    const { rows } = await fx.db.pool('uns_meta_ro').query<{ id: string }>(
      `select metric_id::text as id from uns_meta.metrics where uns_path = any ($1) order by uns_path`, [['Secil/Portugal/Chosen/C/a', 'Secil/Portugal/Chosen/C/c']]);
    const s = syncDeps();
    try {
      const seq = lastSeq();
      const report = await syncSelection(s.deps, { deviceId: await deviceId('Chosen'), metricIds: rows.map((r) => r.id) }, { ...JOB, force: true });
      expect(report).toMatchObject({ metrics: 2, written: 2 });
      expect(sentAfter(seq).flat().sort()).toEqual([TAG('C/a', 'Chosen'), TAG('C/c', 'Chosen')]);
      expect(await counter(s.deps.metrics.propertiesWritten)).toBe(3);
    } finally {
      await s.close();
    }
  });

  it('fails, and confirms nothing, when its confirmation cannot be recorded (a DBA holding canary_sync_state)', async () => {
    await ingest(fx.db, birth('Blocked', { 'B/a': { engUnit: 'bar' } }));
    const device = await deviceId('Blocked');
    // the worker's sessions give up a lock after 200 ms (a DBA's own would be the statement_timeout of the role)
    const pool = new pg.Pool({ connectionString: fx.db.url('uns_meta_app'), options: '-c lock_timeout=200ms', max: 3 });
    const deps = createSyncDeps(testConfig(fx.sim, fx.db), pool, recordingLogger().logger);
    const dba = await fx.db.pool('uns_meta_admin').connect();
    try {
      await dba.query('begin');
      await dba.query('lock table uns_meta.canary_sync_state in exclusive mode'); // reads go on, writes wait
      const error = await syncSelection(deps, { deviceId: device }, JOB).then(() => undefined, (err: unknown) => err);
      expect((error as { code?: string } | undefined)?.code).toBe('55P03');
      await dba.query('rollback');
      expect(storeRequests(fx.sim).filter((r) => r.tagPaths.includes(TAG('B/a', 'Blocked')))).toHaveLength(1); // sent once, not confirmed
      const { rows } = await fx.db.pool('uns_meta_ro').query(
        `select 1 from uns_meta.canary_sync_state s join uns_meta.metrics m using (metric_id) where m.uns_path = 'Secil/Portugal/Blocked/B/a'`);
      expect(rows).toEqual([]);
    } finally {
      await dba.query('rollback').catch(() => undefined);
      dba.release();
      await deps.client.close();
      await pool.end();
    }
  });
});
