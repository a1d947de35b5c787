// Where PostgreSQL's work in a worker sync goes, by counting (no clock): the sync of bench/worker-sync.ts (one
// synthetic plant-shaped DBIRTH synced to the Canary simulator by `uns-meta worker`, a child process) on a private
// cluster (test/support/private-cluster.ts) started with pg_stat_statements (track = all: the statements inside
// functions and triggers too) and track_functions = all. Counters are reset just before the sync job becomes due;
// once the job is done it prints, for the sync window: every statement with its calls, rows and shared buffers,
// the functions (triggers included) with their calls, the tables' scans and tuples read/written, and the autovacuum
// and autoanalyze runs the server logged.
//
//   node bench/worker-profile.ts                       100,000 metrics, the sync due 180 s after the birth
//   node bench/worker-profile.ts --metrics 20000 --debounce 20 --page-size 5000 --top 40
//   PROFILE_AUTO_EXPLAIN=15ms node bench/worker-profile.ts   also auto_explain (analyze, buffers, nested statements) of
//                                                            statements of 15 ms or more, printed from the server log
//
// Needs the test template on the machine's cluster (scripts/test-sql.sh builds it); the machine's cluster is only read.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startCanarySim } from '../src/canary-sim/index.ts';
import { syntheticBirth } from '../src/sparkplug/synthetic.ts';
import { createTestDatabase } from '../test/support/database.ts';
import { startPrivateCluster } from '../test/support/private-cluster.ts';

const { values: args } = parseArgs({
  options: {
    metrics: { type: 'string', default: '100000' },
    debounce: { type: 'string', default: '180' },
    'page-size': { type: 'string', default: '' },
    top: { type: 'string', default: '25' },
  },
});
const metrics = Number(args.metrics);
const debounceSeconds = Number(args.debounce);

const cluster = await startPrivateCluster({
  database: 'uns_meta_profile',
  settings: [`shared_preload_libraries = 'pg_stat_statements${process.env.PROFILE_AUTO_EXPLAIN ? ', auto_explain' : ''}'`,
    ...(process.env.PROFILE_AUTO_EXPLAIN ? [`auto_explain.log_min_duration = '${process.env.PROFILE_AUTO_EXPLAIN}'`, 'auto_explain.log_nested_statements = on',
      'auto_explain.log_analyze = on', 'auto_explain.log_buffers = on', 'auto_explain.log_timing = off'] : []), 'pg_stat_statements.track = all', 'pg_stat_statements.max = 10000',
    'track_functions = all', 'log_autovacuum_min_duration = 0', `log_line_prefix = '%m [%p] '`],
});
let child: ReturnType<typeof spawn> | undefined;
try {
  console.log(`template ${await cluster.loadTemplate()} to the private cluster (port ${cluster.port})`);
  const db = await createTestDatabase({ host: '127.0.0.1', port: String(cluster.port) });
  cluster.superuser('create extension pg_stat_statements', db.name);
  const admin = db.pool('uns_meta_admin');
  const app = db.pool('uns_meta_app');
  const TOKEN = 'profile-token';
  const sim = await startCanarySim({ port: 0, apiToken: TOKEN, rateLimitRps: 500, enforceRateLimit: true, requestLogLimit: 5000, propertyHistoryLimit: 20 });
  try {
    await admin.query(`insert into uns_meta.settings (key, value, description) values ('debounce_interval', '"1 hour"', 'profile')
                       on conflict (key) do update set value = excluded.value`);
    child = spawn(process.execPath, ['src/cli.ts', 'worker'], {
      env: { ...process.env, ...cluster.env, DATABASE_URL: db.url('uns_meta_app'), CANARY_URL: sim.url, CANARY_API_TOKEN: TOKEN,
        CANARY_RATE_LIMIT_RPS: '500', WORKER_POLL_INTERVAL_MS: '100', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
        ...(args['page-size'] ? { WORKER_PAGE_SIZE: args['page-size'] } : {}) },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    await sleep(1500);
    if (child.exitCode !== null) throw new Error(`the worker exited with code ${child.exitCode} before the birth`);
    const birth = JSON.stringify({ topic: 'spBv1.0/Secil/DBIRTH/Portugal/Cement', payload: syntheticBirth({ metrics, seed: 1 }) });
    await app.query('set statement_timeout = 0');
    await app.query('select uns_meta.ingest_birth($1::jsonb)', [birth]);
    const { rows: [job] } = await admin.query<{ id: string; wait_ms: number }>(
      `update graphile_worker._private_jobs set run_at = greatest(created_at + make_interval(secs => $1), now() + interval '2 seconds')
       returning id::text, extract(epoch from run_at - now())::float8 * 1000 as wait_ms`, [debounceSeconds]);
    if (!job) throw new Error('the birth enqueued no sync job');
    console.log(`ingested ${metrics} metrics; the sync job is due in ${(job.wait_ms / 1000).toFixed(0)} s`);
    // 1.5 s early: starting psql for the reset takes a while on a loaded machine, and the job must not start first.
    await sleep(Math.max(0, job.wait_ms - 1500));
    const logFrom = cluster.log().length;
    // pg_stat_statements is reset; the table and function counters are diffed (pg_stat_reset would also forget when
    // the tables were last analyzed, which refresh_catalog_statistics reads).
    cluster.superuser(`select pg_stat_statements_reset();
      create table public.profile_tables as select relid, seq_scan, seq_tup_read, idx_scan, idx_tup_fetch, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del from pg_stat_user_tables;
      create table public.profile_functions as select funcid, calls from pg_stat_user_functions;`, db.name);
    for (;;) {
      const { rows: [queued] } = await admin.query<{ last_error: string | null }>('select last_error from graphile_worker._private_jobs where id = $1', [job.id]);
      if (!queued || queued.last_error !== null) break;
      await sleep(100);
    }
    // Backends report their statistics counters when they go idle: give them a moment (the window closes 1.5 s after the job).
    await sleep(1500);
    const psql = (sql: string) => console.log(cluster.superuser(sql, db.name));
    const { rows: [done] } = await admin.query<{ n: number }>('select count(*)::int as n from uns_meta.canary_sync_state');
    console.log(`confirmed ${done?.n} of ${metrics}\n\n== statements (calls | rows | shared blocks hit | read | dirtied | written | temp blocks | WAL records | statement)`);
    psql(`select calls, rows, shared_blks_hit, shared_blks_read, shared_blks_dirtied, shared_blks_written, temp_blks_read + temp_blks_written, wal_records,
                 regexp_replace(left(query, 140), '\\s+', ' ', 'g')
            from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
           order by shared_blks_hit + shared_blks_read desc limit ${Number(args.top)}`);
    console.log('\n== functions (calls | schema.name)');
    psql(`select f.calls - coalesce(b.calls, 0), f.schemaname || '.' || f.funcname from pg_stat_user_functions as f
            left join public.profile_functions as b using (funcid) where f.calls > coalesce(b.calls, 0) order by 1 desc, 2`);
    console.log('\n== tables (seq scans | seq tuples read | index scans | index tuples fetched | ins | upd | hot upd | del | name)');
    psql(`select * from (select t.seq_scan - b.seq_scan as seq_scan, t.seq_tup_read - b.seq_tup_read as seq_tup_read,
                   coalesce(t.idx_scan - b.idx_scan, 0) as idx_scan, coalesce(t.idx_tup_fetch - b.idx_tup_fetch, 0) as idx_tup_fetch,
                   t.n_tup_ins - b.n_tup_ins as ins, t.n_tup_upd - b.n_tup_upd as upd, t.n_tup_hot_upd - b.n_tup_hot_upd as hot, t.n_tup_del - b.n_tup_del as del,
                   t.schemaname || '.' || t.relname as name
              from pg_stat_user_tables as t join public.profile_tables as b using (relid)) as d
           where seq_scan + idx_scan + ins + upd + del > 0 order by seq_tup_read + idx_tup_fetch desc`);
    if (process.env.PROFILE_AUTO_EXPLAIN) console.log(`\n== auto_explain (PROFILE_AUTO_EXPLAIN)\n${cluster.log().slice(logFrom)}`);
    console.log('\n== autovacuum during the sync (server log)');
    console.log(cluster.log().slice(logFrom).split('\n').filter((l) => /automatic (vacuum|analyze)/.test(l)).join('\n') || '(none)');
  } finally {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child?.once('exit', resolve));
    }
    await sim.close();
    await db.drop();
  }
} finally {
  await cluster.destroy();
}
