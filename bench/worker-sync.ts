// Speed of `uns-meta worker` (issue 5, "Speed"): 100,000 changed metrics synced to the Canary simulator after the
// debounce expires, the simulator enforcing the plant's cap of 500 requests in any one-second window.
//
//   node bench/worker-sync.ts                     100,000 metrics, writes the "worker" section of docs/benchmarks.md
//   node bench/worker-sync.ts --metrics 20000 --no-docs
//   node bench/worker-sync.ts --debounce 2        the sync starts 2 s after the birth committed (see below)
//
// Needs the test template (scripts/test-sql.sh builds it). In a fresh clone of the template (dropped at the end):
//   1. the simulator starts in this process (--enforce-rate-limit, 500 rps) and `uns-meta worker` as a child process,
//      running before the birth arrives, as in a plant;
//   2. one synthetic plant-shaped DBIRTH of --metrics metrics is ingested;
//   3. its sync job becomes due --debounce seconds after the birth (default 180: the product's debounce_interval of
//      3 minutes), or 2 s after the birth committed if that is later. Meanwhile the machine does what it would do
//      after such a birth: the worker refreshes statistics (WORKER_STATS_REFRESH_MS), autovacuum may vacuum and
//      analyze. `--debounce 2` starts the sync on tables nothing has visited yet (the harder case);
//   4. timed from that run_at to the last canary_sync_state.confirmed_at (both the database clock), once the job is
//      done. Peak RSS of the worker is its VmHWM (/proc/<pid>/status) before it is stopped. CPU times are counted
//      from 0.3 s before run_at.
//      CPU time: the worker's and every postgres process's from /proc/<pid>/stat, the simulator's from this process.
//      BENCH_PG_TOP=1 also prints the CPU time of each postgres process (which connection did the work).
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startCanarySim } from '../src/canary-sim/index.ts';
import { syntheticBirth } from '../src/sparkplug/synthetic.ts';
import { createTestDatabase } from '../test/support/database.ts';
import { writeBenchmarkSection } from './support/benchmarks-doc.ts';

const { values: args } = parseArgs({
  options: {
    metrics: { type: 'string', default: '100000' },
    // seconds from the birth to its sync (the debounce); 180 = the product's default debounce_interval
    debounce: { type: 'string', default: '180' },
    docs: { type: 'boolean', default: true },
    // NODE_OPTIONS of the worker process only, e.g. --worker-node-options=--max-old-space-size=128
    'worker-node-options': { type: 'string', default: '' },
  },
  allowNegative: true,
});
const metrics = Number(args.metrics);
const debounceSeconds = Number(args.debounce);
const CAP = 500;
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

const db = await createTestDatabase();
const admin = db.pool('uns_meta_admin');
const app = db.pool('uns_meta_app');
const TOKEN = 'bench-token';
const sim = await startCanarySim({ port: 0, apiToken: TOKEN, rateLimitRps: CAP, enforceRateLimit: true, requestLogLimit: 5000, propertyHistoryLimit: 20 });
let child: ReturnType<typeof spawn> | undefined;
try {
  await admin.query(`insert into uns_meta.settings (key, value, description) values ('debounce_interval', '"1 hour"', 'bench')
                     on conflict (key) do update set value = excluded.value`);
  child = spawn(process.execPath, ['src/cli.ts', 'worker'], {
    env: { ...process.env, DATABASE_URL: db.url('uns_meta_app'), CANARY_URL: sim.url, CANARY_API_TOKEN: TOKEN, CANARY_RATE_LIMIT_RPS: String(CAP),
      WORKER_POLL_INTERVAL_MS: '100', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', NODE_OPTIONS: args['worker-node-options'] },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await sleep(1500);
  if (child.exitCode !== null) throw new Error(`the worker exited with code ${child.exitCode} before the birth (its error is above)`);

  const birth = JSON.stringify({ topic: 'spBv1.0/Secil/DBIRTH/Portugal/Cement', payload: syntheticBirth({ metrics, seed: 1 }) });
  let t = Date.now();
  await app.query('set statement_timeout = 600000');
  await app.query('select uns_meta.ingest_birth($1::jsonb)', [birth]);
  const { rows: [props] } = await admin.query<{ n: number }>('select count(*)::int as n from uns_meta.metric_properties');
  console.log(`ingested ${metrics} metrics (${props?.n} properties) in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  // The birth enqueued its job with the 1-hour debounce set above; it becomes due --debounce seconds after the birth
  // (the job's created_at is the birth transaction's start), or 2 s from now if that has passed.
  const { rows: jobs } = await admin.query<{ id: string; run_at: Date; wait_ms: number }>(
    `update graphile_worker._private_jobs set run_at = greatest(created_at + make_interval(secs => $1), now() + interval '2 seconds')
     returning id::text, run_at, extract(epoch from run_at - now())::float8 * 1000 as wait_ms`, [debounceSeconds]);
  const job = jobs[0];
  if (!job || jobs.length > 1) throw new Error(`expected the birth to enqueue one sync job, found ${jobs.length}`);
  console.log(`the sync job is due in ${(job.wait_ms / 1000).toFixed(1)} s`);
  await sleep(Math.max(0, job.wait_ms - 300));
  const loadBefore = load();
  const cpuTicks = () => readFileSync(`/proc/${child?.pid}/stat`, 'utf8').split(') ')[1]?.split(' ').slice(11, 13).reduce((a, b) => a + Number(b), 0) ?? 0;
  const workerCpuBefore = cpuTicks();
  const postgresCpuBefore = postgresTicks();
  const benchCpuBefore = process.cpuUsage();
  // Wait for the job to leave the queue (graphile-worker deletes a job that completed): a primary-key lookup every
  // 100 ms, so the measurement adds no work of its own to PostgreSQL (counting canary_sync_state every 200 ms cost
  // about 0.4 s of its CPU during a run). A job that failed stays queued with its last_error: that ends the wait too.
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    const { rows: [queued] } = await admin.query<{ last_error: string | null }>(
      'select last_error from graphile_worker._private_jobs where id = $1', [job.id]);
    if (!queued || queued.last_error !== null) break;
    await sleep(100);
  }
  const { rows: [done] } = await admin.query<{ n: number; last: Date | null; seconds: number | null }>(
    `select count(*)::int as n, max(confirmed_at) as last, extract(epoch from max(confirmed_at) - $1::timestamptz)::float8 as seconds
       from uns_meta.canary_sync_state`, [job.run_at]);
  if (!done || done.n < metrics) throw new Error(`the sync did not confirm every metric (${done?.n ?? 0} of ${metrics}); see the worker's log`);
  const workerCpu = (cpuTicks() - workerCpuBefore) / 100;
  const postgresCpu = postgresSecondsSince(postgresCpuBefore);
  const benchCpuUsage = process.cpuUsage(benchCpuBefore);
  const simCpu = (benchCpuUsage.user + benchCpuUsage.system) / 1e6;
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
  const peakRssMb = Number(hwm) / 1024;
  const stats = sim.state.stats();
  const stores = sim.state.requests({ method: 'storeData' });
  const { rows: [parity] } = await admin.query<{ in_sync: number }>(`select count(*) filter (where status = 'in_sync')::int as in_sync from uns_meta.canary_parity`);
  const sample = stores.at(-1);
  const seconds = done.seconds ?? NaN;
  // What had visited the new rows before the sync started: autovacuum, and the worker's statistics refresh.
  const { rows: visits } = await admin.query<{ relname: string; vacuumed: boolean; analyzed: boolean }>(
    `select relname, coalesce(last_autovacuum < $1, false) as vacuumed,
            coalesce(greatest(last_autoanalyze, last_analyze) < $1, false) as analyzed
       from pg_stat_user_tables where schemaname = 'uns_meta' and relname in ('metrics', 'metric_properties') order by relname`, [job.run_at]);
  const before = visits.map((v) => `\`${v.relname}\` ${v.vacuumed ? 'vacuumed' : 'not vacuumed'}, ${v.analyzed ? 'analyzed' : 'not analyzed'}`).join('; ');
  const storeCount = stats.requests.byMethod.storeData?.received ?? stores.length;
  console.log({ seconds, confirmed: done.n, inSync: parity?.in_sync, storeData: storeCount, maxInAnyWindow: stats.rate.maxReceivedInAnyWindow,
    rejected: stats.rate.rejected, peakRssMb, workerCpu, simCpu, postgresCpu, lastBatch: sample && { tags: sample.tags, bytes: sample.bodyBytes } });

  const verdict = (ok: boolean) => (ok ? 'met' : '**not met**');
  const code = execFileSync('git', ['describe', '--always', '--dirty'], { encoding: 'utf8' }).trim();
  const { rows: [version] } = await admin.query<{ v: string }>('select version() as v');
  const machine = `${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ` +
    `${(version?.v ?? '').split(',')[0]}, Node ${process.version}`;
  const section = `## worker

\`node bench/worker-sync.ts --metrics ${metrics} --debounce ${debounceSeconds}${args['worker-node-options'] ? ` --worker-node-options=${args['worker-node-options']}` : ''}\` — run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on commit ${code}.

- Machine: ${machine}; the simulator, the worker (a child process) and PostgreSQL share it, with other engineers'
  test runs (load average before the run: ${loadBefore}).
- Data: one synthetic plant-shaped DBIRTH, \`syntheticBirth({ metrics: ${metrics}, seed: 1 })\`, ${props?.n} properties; every metric is
  new to Canary, so every mapped property is sent. One \`canary_sync_device\` job; default worker settings
  (\`CANARY_RATE_LIMIT_RPS=500\`, 100 tags and 1 MB per request, 80 % of the cap scheduled).
- The worker runs before the birth arrives; the sync job becomes due ${debounceSeconds} s after the birth (${debounceSeconds === 180 ? 'the product\'s default debounce_interval' : 'debounce_interval is 3 minutes by default'}), or
  2 s after the ingest committed if that is later. When the sync started: ${before}.
- Timed from the job's \`run_at\` (the debounce expiring) to the last \`canary_sync_state.confirmed_at\`, both on the
  database clock, once all ${metrics} metrics were confirmed. The simulator enforces the cap (HTTP 429 beyond it)
  and counts every request it receives in every one-second window.

| figure | value | target | result |
|---|---:|---|---|
| ${metrics.toLocaleString('en')} metrics confirmed after the debounce | ${seconds.toFixed(2)} s | ≤ 5 s | ${verdict(seconds <= 5)} |
| storeData requests | ${storeCount} | ≥ ${Math.ceil(metrics / 100)} (100 tags each) | |
| simulator: most requests received in any one-second window | ${stats.rate.maxReceivedInAnyWindow} | ≤ ${CAP} | ${verdict(stats.rate.maxReceivedInAnyWindow <= CAP)} |
| simulator: requests refused by the cap (429) | ${stats.rate.rejected} | 0 | ${verdict(stats.rate.rejected === 0)} |
| worker peak RSS (VmHWM) | ${peakRssMb.toFixed(0)} MB | ≤ 300 MB | ${verdict(peakRssMb <= 300)} |
| CPU time of the worker process during the sync | ${workerCpu.toFixed(1)} s | | |
| CPU time of the simulator (the bench process) during the sync | ${simCpu.toFixed(1)} s | | |
| CPU time of all PostgreSQL processes during the sync (the machine's, other sessions included) | ${postgresCpu.toFixed(1)} s | | |
| metrics in_sync in \`uns_meta.canary_parity\` | ${parity?.in_sync} | ${metrics} | ${verdict(parity?.in_sync === metrics)} |
`;
  console.log(section);
  if (args.docs) writeBenchmarkSection('worker', section);
  t = Date.now();
} finally {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((resolve) => child?.once('exit', resolve));
  }
  await sim.close();
  await db.drop(); // waits for the worker's closing sessions
}

/** utime + stime (clock ticks) of every process named postgres, by pid: the server's CPU, whichever session used it. */
function postgresTicks(): Map<string, number> {
  const ticks = new Map<string, number>();
  for (const pid of readdirSync('/proc').filter((d) => /^[0-9]+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.includes(' (postgres) ')) continue;
      const fields = stat.split(') ')[1]?.split(' ') ?? [];
      ticks.set(pid, Number(fields[11]) + Number(fields[12]));
    } catch {
      // the process ended meanwhile
    }
  }
  return ticks;
}

/** CPU seconds PostgreSQL processes used since `before` (processes that ended meanwhile are not counted). */
function postgresSecondsSince(before: Map<string, number>): number {
  let ticks = 0;
  const top: [number, string][] = [];
  for (const [pid, now] of postgresTicks()) {
    ticks += now - (before.get(pid) ?? 0);
    if (process.env.BENCH_PG_TOP) {
      try {
        top.push([now - (before.get(pid) ?? 0), readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')]);
      } catch { /* ended */ }
    }
  }
  for (const [t, cmd] of top.sort((a, b) => b[0] - a[0]).slice(0, 12)) console.log((t / 100).toFixed(2), cmd);
  return ticks / 100;
}

