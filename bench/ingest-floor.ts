// Where the database's time goes for the 98,332-metric plant-shaped DBIRTH as `uns-meta ingest` sends it, and the
// least any implementation of the same catalog must spend on it (issue 4: publish → committed ≤ 12 s).
//
//   node bench/ingest-floor.ts                    98,332 metrics in chunks of 20,000 (INGEST_CHUNK_METRICS' default)
//   node bench/ingest-floor.ts --metrics 20000 --chunk 5000 --no-docs
//
// Needs the test template (scripts/test-sql.sh builds it) and, for the per-statement split, a superuser through
// `runuser -u postgres` (root on the dev machine): auto_explain is loaded for the clone only, reporting each
// statement's duration to this client as a NOTICE. Without it the split is left out.
//   1. parse: PostgreSQL turning each chunk's text into jsonb and nothing else (`select jsonb_typeof($1::jsonb)`);
//   2. ingest: the chunks through uns_meta.ingest_birth in one transaction, as uns_meta_app, in a fresh clone,
//      wall time;
//   3. COPY: the rows that ingest wrote (devices, metrics, metric_properties, metric_versions), exported and
//      COPYed in one transaction into the REAL tables of another fresh clone: every index, check constraint, foreign
//      key and trigger the catalog has (the triggers that version a DBA's manual writes told, as ingest_birth tells
//      them, that the copied versions record the change). PostgreSQL has no faster way to write these rows.
//   3b. a DBA's UPDATE of one string property on every metric in that clone, through the statement triggers that
//      record one version per metric and one sync job per device (triggers/catalog_changes), wall time;
//   4. with a superuser: the same ingest again in a third clone with auto_explain, the durations of the function's
//      statements summed over the chunks (the notices slow that run down: its wall time is not reported).
// floor = parse + COPY; the rest of the ingest is the work the catalog asks for on top (staging, path
// normalisation, decoding typed values, building versions, lineage, jobs).
// Writes the "ingest floor" section of docs/benchmarks.md (unless --no-docs).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { catalogFields } from '../src/ingest/catalog-fields.ts';
import { syntheticBirth } from '../src/sparkplug/synthetic.ts';
import { configFor, createTestDatabase, type TestDatabase } from '../test/support/database.ts';
import { writeBenchmarkSection } from './support/benchmarks-doc.ts';
import { psqlAsAdmin } from './support/psql.ts';

const { values: args } = parseArgs({
  options: {
    metrics: { type: 'string', default: '98332' },
    chunk: { type: 'string', default: '20000' },
    docs: { type: 'boolean', default: true },
  },
  allowNegative: true,
});
const metricCount = Number(args.metrics);
const chunkSize = Number(args.chunk);
const TOPIC = 'spBv1.0/Secil/DBIRTH/Portugal/Cement';
const TABLES = ['devices', 'metrics', 'metric_properties', 'metric_versions'] as const;
const STATEMENT_TIMEOUT_MS = 600_000;
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const since = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

// The chunks as src/ingest/apply.ts builds them: catalogFields of each metric, the chunk protocol, one topic.
const all = syntheticBirth({ metrics: metricCount, seed: 1 }).metrics!.map(catalogFields);
const receivedAt = new Date().toISOString();
const chunks: string[] = [];
for (let i = 0; i < all.length; i += chunkSize) {
  chunks.push(JSON.stringify({
    topic: TOPIC, received_at: receivedAt,
    chunk: { index: chunks.length, last: i + chunkSize >= all.length },
    payload: { metrics: all.slice(i, i + chunkSize) },
  }));
}
const megabytes = chunks.reduce((n, c) => n + Buffer.byteLength(c), 0) / 1e6;
console.log(`birth: ${metricCount.toLocaleString('en')} metrics in ${chunks.length} chunks of ≤ ${chunkSize.toLocaleString('en')}, ${megabytes.toFixed(1)} MB of JSON`);

/** Runs SQL as the cluster's superuser; false when that is not possible here. */
function superuser(database: string, sql: string): boolean {
  try {
    execFileSync('runuser', ['-u', 'postgres', '--', 'psql', '-qAtX', '-v', 'ON_ERROR_STOP=1', '-d', database, '-c', sql],
      { cwd: '/', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, stdio: ['ignore', 'ignore', 'pipe'] });
    return true;
  } catch {
    return false;
  }
}

/** A statement of ingest_birth named by the first words of its text. */
function statementLabel(queryText: string): string {
  return queryText.replace(/--[^\n]*/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 90);
}

interface Step { label: string; seconds: number; load: string }
const steps: Step[] = [];
let dbaKey: string | undefined;
let dbaRows: string | undefined;
const split = new Map<string, { ms: number; calls: number }>();
let splitAvailable: boolean;
const copyByTable = new Map<string, number>();
const work = mkdtempSync(join(tmpdir(), 'bench-ingest-floor-'));

/**
 * Sends every chunk through `statement` ($1 = the chunk's text) on a new uns_meta_app connection, in one transaction
 * when `transaction`; seconds from the first statement to the last (COMMIT included), the connection not counted.
 */
async function sendChunks(db: TestDatabase, statement: string, transaction: boolean, onNotice?: (message: string) => void): Promise<number> {
  const client = new pg.Client({ ...configFor(db.url('uns_meta_app')), statement_timeout: STATEMENT_TIMEOUT_MS });
  await client.connect();
  try {
    if (onNotice) client.on('notice', (notice) => onNotice(notice.message ?? ''));
    const start = process.hrtime.bigint();
    if (transaction) await client.query('begin');
    for (const text of chunks) await client.query(statement, [text]);
    if (transaction) await client.query('commit');
    return since(start);
  } finally {
    await client.end();
  }
}
const INGEST = 'select uns_meta.ingest_birth($1::jsonb)';

const source = await createTestDatabase();
const target = await createTestDatabase();
try {
  // 1. parse alone, 2. the ingest
  let before = load();
  steps.push({ label: 'parse', seconds: await sendChunks(source, 'select jsonb_typeof($1::jsonb)', false), load: before });
  before = load();
  steps.push({ label: 'ingest', seconds: await sendChunks(source, INGEST, true), load: before });
  const inserted = psqlAsAdmin(source.name, ['select count(*) from uns_meta.metrics']).trim();
  if (Number(inserted) !== metricCount) throw new Error(`${inserted} metrics in the database, expected ${metricCount}`);

  // 3. COPY into the real tables of a fresh clone. Generated columns are left out (the table computes them).
  const columns = new Map<string, string>();
  for (const t of TABLES) {
    columns.set(t, psqlAsAdmin(source.name, [`select string_agg(quote_ident(attname), ',' order by attnum) from pg_attribute
      where attrelid = 'uns_meta.${t}'::regclass and attnum > 0 and not attisdropped and attgenerated = ''`]).trim());
  }
  const file = (t: string) => join(work, `${t}.copy`);
  psqlAsAdmin(source.name, TABLES.map((t) => `\\copy (select ${columns.get(t)} from uns_meta.${t}) to '${file(t)}'`));
  // The rows copied include the versions the ingest recorded: the statement triggers that record a DBA's manual
  // writes (triggers/catalog_changes) are told, as ingest_birth tells them, that the change is being recorded already.
  const COPY_AS_RECORDED = 'set uns_meta.catalog_change_active = on';
  const copyBefore = load();
  const copyStart = process.hrtime.bigint();
  const timed = psqlAsAdmin(target.name, [COPY_AS_RECORDED, '\\timing on', ...TABLES.map((t) => `\\copy uns_meta.${t} (${columns.get(t)}) from '${file(t)}'`)], true);
  steps.push({ label: 'copy', seconds: since(copyStart), load: copyBefore });
  // psql's \timing lines, one per \copy (the last four)
  const times = [...timed.matchAll(/Time: ([\d.]+) ms/g)].map((m) => Number(m[1]) / 1000).slice(-TABLES.length);
  TABLES.forEach((t, i) => copyByTable.set(t, times[i] ?? NaN));
  const copied = psqlAsAdmin(target.name, [`select ${TABLES.map((t) => `(select count(*) from uns_meta.${t})`).join(` || ' / ' || `)}`]).trim();
  console.log(`COPY into the real tables: rows ${copied}`);

  // 3b. A DBA's bulk write through the statement triggers (triggers/catalog_changes): one string property of every
  // metric changed by one UPDATE, which must record one version per metric and one sync job per device.
  const key = psqlAsAdmin(target.name, [`select key from uns_meta.metric_properties where value_string is not null
    group by key order by count(*) desc, key limit 1`]).trim();
  // COPY wrote the identity columns' values without moving their sequences
  psqlAsAdmin(target.name, [`select setval(pg_get_serial_sequence('uns_meta.metric_versions', 'version_id'),
    (select max(version_id) from uns_meta.metric_versions))`]);
  const dbaBefore = load();
  const dbaStart = process.hrtime.bigint();
  psqlAsAdmin(target.name, [`update uns_meta.metric_properties set value_string = value_string || ' (checked)' where key = '${key.replace(/'/g, "''")}'`]);
  steps.push({ label: 'dba', seconds: since(dbaStart), load: dbaBefore });
  dbaRows = psqlAsAdmin(target.name, [`select (select count(*) from uns_meta.metric_properties where key = '${key.replace(/'/g, "''")}')
    || ' / ' || (select count(*) from uns_meta.metric_versions where source = 'UPDATE on uns_meta.metric_properties')
    || ' / ' || (select count(*) from graphile_worker.jobs)`]).trim();
  dbaKey = key;
} finally {
  rmSync(work, { recursive: true, force: true });
  await source.drop();
  await target.drop();
}

// 4. The split, in a third clone: the same ingest again with auto_explain (its notices cost time: not the figure above).
const explained = await createTestDatabase();
try {
  splitAvailable = [
    `alter database ${explained.name} set session_preload_libraries = 'auto_explain'`,
    `alter database ${explained.name} set auto_explain.log_min_duration = 1`,
    `alter database ${explained.name} set auto_explain.log_nested_statements = on`,
    `alter database ${explained.name} set auto_explain.log_level = notice`,
  ].every((sql) => superuser(explained.name, sql));
  if (!splitAvailable) console.log('no superuser through runuser: the per-statement split is left out');
  else {
    await sendChunks(explained, INGEST, true, (message) => {
      const m = /^duration: ([\d.]+) ms\s+plan:\s*\nQuery Text: ([\s\S]*?)\n(?=\S)/.exec(message);
      if (!m) return;
      const label = statementLabel(m[2]!);
      if (/^select uns_meta\.ingest_birth\(/.test(label)) return; // the call itself, not one of its statements
      const entry = split.get(label) ?? { ms: 0, calls: 0 };
      entry.ms += Number(m[1]);
      entry.calls++;
      split.set(label, entry);
    });
  }
} finally {
  await explained.drop();
}

// --- the report --------------------------------------------------------------------------------------
const get = (label: string) => steps.find((s) => s.label === label)!;
const [parse, ingest, copy] = [get('parse'), get('ingest'), get('copy')];
const floor = parse.seconds + copy.seconds;
const top = [...split.entries()].sort((a, b) => b[1].ms - a[1].ms);
const shown = top.slice(0, 10);
const rest = top.slice(10).reduce((n, [, v]) => n + v.ms, 0);
const statementsMs = top.reduce((n, [, v]) => n + v.ms, 0);
const table = [
  '| step | seconds | load avg before (1/5/15 min) |',
  '|---|---:|---|',
  `| the ingest: ${chunks.length} chunks through \`ingest_birth\`, one transaction, COMMIT included | ${ingest.seconds.toFixed(2)} | ${ingest.load} |`,
  `| parse: the same chunks turned into jsonb and nothing else | ${parse.seconds.toFixed(2)} | ${parse.load} |`,
  `| COPY of the rows the ingest wrote into the real tables of a fresh clone (indexes, constraints, foreign keys, triggers), one transaction: ${TABLES.map((t) => `${t} ${(copyByTable.get(t) ?? NaN).toFixed(2)} s`).join(', ')} | ${copy.seconds.toFixed(2)} | ${copy.load} |`,
  `| a DBA's UPDATE of the property \`${dbaKey ?? ''}\` on every metric in the COPY's clone, through the statement triggers that version it and enqueue its sync (rows / versions / jobs: ${dbaRows ?? ''}) | ${get('dba').seconds.toFixed(2)} | ${get('dba').load} |`,
  `| **floor** = parse + COPY | **${floor.toFixed(2)}** | |`,
  `| the ingest above the floor | ${(ingest.seconds - floor).toFixed(2)} | |`,
].join('\n');
const splitTable = splitAvailable ? [
  '',
  `Inside the ingest (the same ingest again in another clone, with \`auto_explain\`): durations of \`ingest_birth\`'s statements summed over the ${chunks.length} calls, ${(statementsMs / 1000).toFixed(2)} s in all (statements of 1 ms or more; the foreign-key checks run inside the inserts):`,
  '',
  '| statement (first words) | calls | seconds |',
  '|---|---:|---:|',
  ...shown.map(([label, v]) => `| \`${label.replace(/\|/g, '\\|')}\` | ${v.calls} | ${(v.ms / 1000).toFixed(2)} |`),
  `| every other statement (${top.length - shown.length}) | | ${(rest / 1000).toFixed(2)} |`,
].join('\n') : '';
console.log(`\n${table}\n${splitTable}\n`);

if (args.docs) {
  const code = execFileSync('git', ['describe', '--always', '--dirty'], { encoding: 'utf8' }).trim();
  const server = execFileSync('psql', ['-AtX', '-U', 'uns_meta_admin', '-d', 'postgres', '-c', 'show server_version'], { encoding: 'utf8' }).trim();
  const command = `node bench/ingest-floor.ts${metricCount !== 98332 ? ` --metrics ${metricCount}` : ''}${chunkSize !== 20000 ? ` --chunk ${chunkSize}` : ''}`;
  const section = `## ingest floor

\`${command}\` — run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on commit ${code}.

- Machine: ${availableParallelism()} CPUs (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB RAM, PostgreSQL ${server}, Node ${process.version}.
- The ${metricCount.toLocaleString('en')}-metric plant-shaped birth (\`syntheticBirth\`, seed 1) as \`uns-meta ingest\` sends it: ${chunks.length} chunks of
  ≤ ${chunkSize.toLocaleString('en')} metrics (${megabytes.toFixed(1)} MB of JSON), \`ingest_birth\` as \`uns_meta_app\` in a fresh clone of the test template.
  The ingestor's alias-map statements are not included (see the ingestor section for the whole path).
- The floor is what no implementation of this catalog can avoid on this machine: PostgreSQL parsing the argument,
  and writing the same rows with COPY into the same tables with their indexes and constraints.

${table}
${splitTable}
`;
  writeBenchmarkSection('ingest floor', section);
}
process.exit(0);
