// Why the cost per metric of a first birth grows with its size (issue 12, "ingest growth" in docs/benchmarks.md):
// a profile by counts, not by clock. Runs the plant-shaped first birth of bench/ingest-growth.ts (chunks of --chunk
// metrics through `uns_meta.ingest_birth` in ONE transaction, as uns_meta_app) on a PRIVATE PostgreSQL cluster
// (test/support/private-cluster.ts; the shared cluster is never touched) started with pg_stat_statements
// (track = all: the statements inside ingest_birth's helpers and triggers), auto_explain (nested statements,
// ANALYZE with BUFFERS, no per-node timing, only statements over --explain-ms), track_functions = all,
// track_io_timing, log_checkpoints and log_temp_files = 0. Memory and WAL settings are the shared cluster's
// defaults (shared_buffers 128MB, max_wal_size 1GB, work_mem 4MB; full_page_writes on) unless --settings adds
// postgresql.conf lines, e.g. --settings "max_wal_size = 8GB".
//
//   node bench/ingest-profile.ts                                   1,000,000 metrics, one cluster
//   node bench/ingest-profile.ts --metrics 100000 --out /tmp/p100k
//   node bench/ingest-profile.ts --metrics 1000000 --settings "max_wal_size = 8GB" --out /tmp/p1m-wal
//
// After every chunk it snapshots, from a second (superuser) session: pg_stat_statements, pg_stat_bgwriter, the
// size of every uns_meta relation and how many of its pages are in shared_buffers (pg_buffercache); and from the
// ingesting session itself pg_stat_xact_user_functions (the transaction's function counts, which other sessions
// see only after COMMIT). Writes <out>/chunks.json (the snapshots), <out>/server.log (the plans, checkpoints and
// temp files) and prints, for the first and last --window chunks, each statement's calls, rows, buffers and WAL
// per chunk and its share of the window's database time (shares within one run; not a benchmark figure).
// The cluster is removed at the end, whatever happens.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { birthChunks } from './support/birth-chunks.ts';
import { configFor } from '../test/support/database.ts';
import { startPrivateCluster } from '../test/support/private-cluster.ts';

const { values: args } = parseArgs({
  options: {
    metrics: { type: 'string', default: '1000000' },
    chunk: { type: 'string', default: '20000' },
    window: { type: 'string', default: '5' },
    'explain-ms': { type: 'string', default: '500' },
    settings: { type: 'string', multiple: true, default: [] },
    out: { type: 'string', default: '/tmp/uns-meta-ingest-profile' },
  },
});
const metrics = Number(args.metrics);
const chunkSize = Number(args.chunk);
const windowSize = Number(args.window);
const DATABASE = 'uns_meta_ingest_profile';
mkdirSync(args.out, { recursive: true });

const SETTINGS = [
  `shared_preload_libraries = 'pg_stat_statements,auto_explain'`,
  'pg_stat_statements.track = all', 'pg_stat_statements.max = 10000', 'pg_stat_statements.track_utility = off',
  'auto_explain.log_nested_statements = on', 'auto_explain.log_analyze = on', 'auto_explain.log_buffers = on',
  'auto_explain.log_timing = off', 'auto_explain.log_triggers = on', `auto_explain.log_min_duration = '${args['explain-ms']}ms'`,
  'track_io_timing = on', 'track_functions = all', 'log_checkpoints = on', 'log_temp_files = 0',
  'shared_buffers = 128MB', 'max_wal_size = 1GB', 'work_mem = 4MB', 'full_page_writes = on',
  ...args.settings,
];

interface Statement {
  queryid: string; query: string; calls: number; rows: number; ms: number;
  hit: number; read: number; dirtied: number; written: number; temp_written: number; local_hit: number; local_read: number;
  local_written: number; wal_bytes: number; wal_fpi: number;
}
interface Snapshot {
  chunk: number;
  statements: Statement[];
  bgwriter: Record<string, number>;
  relations: { name: string; kind: string; pages: number; cached: number }[];
  functions: { name: string; calls: number; self_ms: number; total_ms: number }[];
}

const STATEMENTS_SQL = `
  select queryid::text, left(regexp_replace(query, '\\s+', ' ', 'g'), 160) as query, calls::float8, rows::float8,
         total_exec_time as ms, shared_blks_hit::float8 as hit, shared_blks_read::float8 as read,
         shared_blks_dirtied::float8 as dirtied, shared_blks_written::float8 as written,
         temp_blks_written::float8 as temp_written, local_blks_hit::float8 as local_hit,
         local_blks_read::float8 as local_read, local_blks_written::float8 as local_written,
         wal_bytes::float8, wal_fpi::float8
    from pg_stat_statements where query not like '%pg_stat_statements%' and query not like '%pg_buffercache%'`;
const RELATIONS_SQL = `
  select c.relname as name, c.relkind::text as kind, pg_relation_size(c.oid)::float8 / 8192 as pages,
         (select count(*) from pg_buffercache as b where b.relfilenode = pg_relation_filenode(c.oid)
            and b.reldatabase = (select oid from pg_database where datname = current_database()))::float8 as cached
    from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
   where n.nspname = 'uns_meta' and c.relkind in ('r', 'i') and pg_relation_size(c.oid) > 0`;

const cluster = await startPrivateCluster({ database: DATABASE, settings: SETTINGS });
const snapshots: Snapshot[] = [];
try {
  console.log(`private cluster on port ${cluster.port} (${cluster.dir}); deploying ${DATABASE}`);
  await cluster.deploy();
  cluster.superuser('create extension pg_stat_statements; create extension pg_buffercache', DATABASE);
  const watcher = new pg.Client({ host: cluster.dir, port: cluster.port, user: 'postgres', database: DATABASE });
  await watcher.connect();
  await watcher.query('checkpoint');
  await watcher.query(`select pg_stat_statements_reset(), pg_stat_reset_shared('bgwriter')`);
  const client = new pg.Client({ ...configFor(cluster.url('uns_meta_app')), statement_timeout: 3_600_000 });
  await client.connect();
  try {
    const snapshot = async (chunk: number) => {
      const statements = (await watcher.query<Statement>(STATEMENTS_SQL)).rows;
      const bgwriter = (await watcher.query<Record<string, number>>(`select checkpoints_timed::float8, checkpoints_req::float8,
          buffers_checkpoint::float8, buffers_clean::float8, maxwritten_clean::float8, buffers_backend::float8,
          buffers_backend_fsync::float8, buffers_alloc::float8 from pg_stat_bgwriter`)).rows[0]!;
      const relations = (await watcher.query<Snapshot['relations'][number]>(RELATIONS_SQL)).rows;
      const functions = (await client.query<Snapshot['functions'][number]>(`select schemaname || '.' || funcname as name,
          calls::float8, self_time as self_ms, total_time as total_ms from pg_stat_xact_user_functions`)).rows;
      snapshots.push({ chunk, statements, bgwriter, relations, functions });
    };
    await client.query('begin');
    await snapshot(0);
    let chunk = 0;
    for (const text of birthChunks(metrics, chunkSize, new Date().toISOString())) {
      await client.query('select uns_meta.ingest_birth($1::jsonb)', [text]);
      await snapshot(++chunk);
      if (chunk % 5 === 0) console.log(`chunk ${chunk} applied`);
    }
    await client.query('commit');
  } finally {
    await client.end();
    await watcher.end();
  }
  writeFileSync(join(args.out, 'chunks.json'), JSON.stringify({ settings: SETTINGS, metrics, chunkSize, snapshots }));
  writeFileSync(join(args.out, 'server.log'), cluster.log());
} finally {
  await cluster.destroy();
}

// The report: per statement, per chunk, over the first and the last window of chunks.
const last = snapshots.length - 1;
const windows: [number, number][] = [[0, Math.min(windowSize, last)], [Math.max(0, last - windowSize), last]];
const byId = (s: Snapshot) => new Map(s.statements.map((x) => [x.queryid, x]));
const fields = ['calls', 'rows', 'hit', 'read', 'dirtied', 'written', 'temp_written', 'local_hit', 'local_read', 'wal_bytes', 'wal_fpi', 'ms'] as const;
type Delta = Record<(typeof fields)[number], number> & { query: string };
const delta = ([from, to]: [number, number]) => {
  const a = byId(snapshots[from]!);
  const out = new Map<string, Delta>();
  for (const [id, s] of byId(snapshots[to]!)) {
    const before = a.get(id);
    const d = { query: s.query } as Delta;
    for (const f of fields) d[f] = (s[f] - (before?.[f] ?? 0)) / (to - from);
    if (d.calls > 0) out.set(id, d);
  }
  return out;
};
const [early, late] = windows.map(delta) as [ReturnType<typeof delta>, ReturnType<typeof delta>];
const top = [...late].filter(([, d]) => !d.query.includes('uns_meta.ingest_birth($1')).sort(([, x], [, y]) => y.ms - x.ms).slice(0, 25);
const totalMs = (d: ReturnType<typeof delta>) => [...d.values()].find((x) => x.query.includes('uns_meta.ingest_birth($1'))?.ms ?? NaN;
const n = (x: number | undefined) => (x === undefined ? '-' : Math.round(x).toLocaleString('en'));
console.log(`\nper chunk, chunks ${windows[0]![0] + 1}..${windows[0]![1]} (A) against ${windows[1]![0] + 1}..${windows[1]![1]} (B); share = of ingest_birth's time in the window`);
console.log('| statement | calls | rows A / B | shared hit A / B | read A / B | written A / B | temp written A / B | WAL MB A / B | FPI A / B | share A / B |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const [id, b] of top) {
  const a = early.get(id);
  console.log(`| ${b.query.slice(0, 90)} | ${n(b.calls)} | ${n(a?.rows)} / ${n(b.rows)} | ${n(a?.hit)} / ${n(b.hit)} | ${n(a?.read)} / ${n(b.read)} | ${n(a?.written)} / ${n(b.written)} | ${n(a?.temp_written)} / ${n(b.temp_written)} | ${((a?.wal_bytes ?? 0) / 1e6).toFixed(1)} / ${(b.wal_bytes / 1e6).toFixed(1)} | ${n(a?.wal_fpi)} / ${n(b.wal_fpi)} | ${(100 * (a?.ms ?? 0) / totalMs(early)).toFixed(1)} % / ${(100 * b.ms / totalMs(late)).toFixed(1)} % |`);
}
console.log(`\ningest_birth's database time per chunk, window B ÷ window A: ${(totalMs(late) / totalMs(early)).toFixed(2)} (a ratio within this run)`);
const bg = (i: number) => snapshots[i]!.bgwriter;
console.log('\npg_stat_bgwriter per chunk, window A / B:');
for (const k of Object.keys(bg(0))) {
  const per = ([from, to]: [number, number]) => ((bg(to)[k]! - bg(from)[k]!) / (to - from)).toFixed(1);
  console.log(`  ${k}: ${per(windows[0]!)} / ${per(windows[1]!)}`);
}
console.log(`\nrelations at the end (pages of 8 kB; shared_buffers is 16,384 pages unless --settings changed it):`);
for (const r of [...snapshots[last]!.relations].sort((x, y) => y.pages - x.pages).slice(0, 15)) {
  const firstAt = snapshots[Math.min(windowSize, last)]!.relations.find((x) => x.name === r.name);
  console.log(`  ${r.kind === 'i' ? 'index' : 'table'} ${r.name}: ${n(firstAt?.pages)} pages after chunk ${Math.min(windowSize, last)}, ${n(r.pages)} at the end, ${n(r.cached)} in shared_buffers`);
}
const fn = (i: number) => new Map(snapshots[i]!.functions.map((f) => [f.name, f]));
console.log('\nfunctions (pg_stat_xact_user_functions), self time share per window A / B:');
const fshare = ([from, to]: [number, number]) => {
  const a = fn(from); const b = fn(to);
  const d = [...b].map(([name, f]) => [name, f.self_ms - (a.get(name)?.self_ms ?? 0), f.calls - (a.get(name)?.calls ?? 0)] as const);
  const sum = d.reduce((s, [, ms]) => s + ms, 0);
  return new Map(d.map(([name, ms, calls]) => [name, { share: ms / sum, calls: calls / (to - from) }]));
};
const [fa, fb] = windows.map(fshare) as [ReturnType<typeof fshare>, ReturnType<typeof fshare>];
for (const [name, b] of [...fb].sort(([, x], [, y]) => y.share - x.share).slice(0, 15)) {
  console.log(`  ${name}: ${(100 * (fa.get(name)?.share ?? 0)).toFixed(1)} % / ${(100 * b.share).toFixed(1)} % (calls per chunk ${n(b.calls)})`);
}
console.log(`\nsnapshots: ${join(args.out, 'chunks.json')}; plans, checkpoints, temp files: ${join(args.out, 'server.log')}`);
