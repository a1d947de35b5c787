// Speed of uns_meta.ingest_birth(jsonb) on a plant-shaped synthetic DBIRTH (issue 3, "Speed").
//
//   node bench/ingest-birth.ts                          98,332 metrics, 1 % changed in the third birth
//   node bench/ingest-birth.ts --metrics 10000 --change 0.05 --no-docs
//
// Needs the test template (scripts/test-sql.sh builds it; UNS_META_TEST_TEMPLATE names another one).
//
// In a fresh clone of the test template (dropped at the end), as uns_meta_app, each call its own
// transaction (autocommit), wall time measured here (JSON sent as a text parameter, parsed by the server):
//   1. first ingest   2. identical re-birth (no-op; answered from uns_meta.birth_fingerprints)   3. the same
//      again with birth_fingerprints emptied (every metric compared)   4. re-birth with --change of the metrics
//      changed (their `documentation` property gets a new value).
// Baseline: psql `\copy` (one transaction) of the rows the first ingest wrote (devices, metrics,
// metric_properties, metric_versions) into unindexed, constraint-free `(like ...)` copies of the tables.
// Prints a table and rewrites the "ingest_birth" section of docs/benchmarks.md (unless --no-docs).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { PayloadJson } from '../src/sparkplug/json-types.ts';
import { catalogFields } from '../src/ingest/catalog-fields.ts';
import { syntheticBirth } from '../src/sparkplug/synthetic.ts';
import { writeBenchmarkSection } from './support/benchmarks-doc.ts';
import { psqlAsAdmin } from './support/psql.ts';
import { type TestDatabase, configFor, createTestDatabase } from '../test/support/database.ts';

const { values: args } = parseArgs({
  options: {
    metrics: { type: 'string', default: '98332' },
    change: { type: 'string', default: '0.01' },
    docs: { type: 'boolean', default: true },
  },
  allowNegative: true,
});
const metrics = Number(args.metrics);
const changeFraction = Number(args.change);
const STATEMENT_TIMEOUT_MS = 600_000; // a runaway query must not exhaust the machine's memory
const TOPIC = 'spBv1.0/Secil/DBIRTH/Portugal/Cement';
const TABLES = ['devices', 'metrics', 'metric_properties', 'metric_versions'] as const;

const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

// --- the births ---------------------------------------------------------------------------------------
const payload: PayloadJson = syntheticBirth({ metrics, seed: 1 });
const all = payload.metrics!;
const propertyCount = all.reduce((n, m) => n + (m.properties?.keys?.length ?? 0), 0);
// Each birth as the full canonical JSON and as the ingestor sends it: only the fields ingest_birth reads
// (catalogFields, src/ingest/catalog-fields.ts).
const catalogJson = (p: PayloadJson) => JSON.stringify({ topic: TOPIC, payload: { metrics: (p.metrics ?? []).map(catalogFields) } });
const birthJson = JSON.stringify({ topic: TOPIC, payload });
const birthCatalogJson = catalogJson(payload);
// The variant: evenly spread metrics get a new `documentation` string; names and everything else stay.
const changedCount = Math.round(metrics * changeFraction);
for (let k = 0; k < changedCount; k++) {
  const props = all[Math.floor((k * metrics) / changedCount)]!.properties!;
  const value = props.values![props.keys!.indexOf('documentation')]!;
  value.stringValue = `${value.stringValue} (revised)`;
}
const changedJson = JSON.stringify({ topic: TOPIC, payload });
const changedCatalogJson = catalogJson(payload);
interface Form {
  label: string;
  birth: string;
  changed: string;
}
const forms: Form[] = [
  { label: 'the full canonical JSON (as `uns-meta decode` prints it, or a psql replay sends it)', birth: birthJson, changed: changedJson },
  { label: 'the JSON the ingestor sends (`catalogFields`: name, alias, datatype, flags, properties)', birth: birthCatalogJson, changed: changedCatalogJson },
];
console.log(
  `birth: ${metrics.toLocaleString('en')} metrics, ${(propertyCount / metrics).toFixed(2)} properties/metric, ` +
    `${(Buffer.byteLength(birthJson) / 1e6).toFixed(1)} MB of JSON (${(Buffer.byteLength(birthCatalogJson) / 1e6).toFixed(1)} MB as the ingestor sends it); ` +
    `variant: ${changedCount} metrics changed`,
);

// --- the run -----------------------------------------------------------------------------------------
interface Summary {
  metrics: { inserted: number; updated: number; revived: number; unchanged: number; retired: number; rejected: number };
  properties_written: number;
  versions_written: number;
}
interface Result {
  name: string;
  seconds: number;
  load: string;
  summary?: Summary;
  check: string;
}

/** The three births and the COPY baseline, in the clone `db`; rows the first ingest wrote go through `workDir`. */
async function measure(db: TestDatabase, workDir: string, form: Form): Promise<{ results: Result[]; serverVersion: string }> {
  const results: Result[] = [];
  const app = new pg.Client({ ...configFor(db.url('uns_meta_app')), statement_timeout: STATEMENT_TIMEOUT_MS });
  await app.connect();
  try {
    const serverVersion = (await app.query<{ v: string }>('select version() as v')).rows[0]!.v.split(',')[0]!;

    const ingest = async (name: string, json: string, expect: Partial<Summary['metrics']>) => {
      const before = load();
      const start = process.hrtime.bigint();
      const { rows } = await app.query<{ s: Summary }>('select uns_meta.ingest_birth($1::jsonb) as s', [json]);
      const elapsed = seconds(start);
      const summary = rows[0]!.s;
      const wrong = Object.entries({ rejected: 0, retired: 0, ...expect })
        .filter(([k, v]) => summary.metrics[k as keyof Summary['metrics']] !== v)
        .map(([k, v]) => `${k} ${summary.metrics[k as keyof Summary['metrics']]} ≠ ${v}`);
      results.push({ name, seconds: elapsed, load: before, summary, check: wrong.length === 0 ? 'ok' : wrong.join(', ') });
    };

    // The floor of every call: PostgreSQL parsing the argument into jsonb (the same text the calls send). Beside it,
    // the same text sent and taken as text (the transfer alone) and as json (checked, not converted).
    const floor = async (name: string, sql: string) => {
      const before = load();
      const start = process.hrtime.bigint();
      await app.query(sql, [form.birth]);
      results.push({ name, seconds: seconds(start), load: before, check: '' });
    };
    await floor('parse', 'select jsonb_typeof($1::jsonb)');
    await floor('text', 'select length($1::text)');
    await floor('json', 'select json_typeof($1::json)');

    await ingest('first ingest', form.birth, { inserted: metrics, updated: 0, unchanged: 0 });

    // Baseline: the rows the first ingest wrote, exported, then COPYed (one transaction) into unindexed copies.
    const psql = (commands: string[], single = false) => psqlAsAdmin(db.name, commands, single);
    const file = (table: string) => join(workDir, `${table}.copy`);
    psql([
      ...TABLES.map((t) => `\\copy (select * from uns_meta.${t}) to '${file(t)}'`),
      ...TABLES.map((t) => `create table public.bench_${t} (like uns_meta.${t})`),
    ]);
    const copyLoad = load();
    const copyStart = process.hrtime.bigint();
    psql(TABLES.map((t) => `\\copy public.bench_${t} from '${file(t)}'`), true);
    const copySeconds = seconds(copyStart);
    const rowCounts = psql([`select ${TABLES.map((t) => `(select count(*) from public.bench_${t})`).join(` || ' / ' || `)}`]);
    results.push({ name: 'COPY baseline', seconds: copySeconds, load: copyLoad, check: `rows ${rowCounts.trim()}` });

    await ingest('identical re-birth (no-op)', form.birth, { inserted: 0, updated: 0, unchanged: metrics });
    // The same re-birth without the shortcut of uns_meta.birth_fingerprints: every metric compared.
    await app.query('delete from uns_meta.birth_fingerprints');
    await ingest('identical re-birth, compared in full', form.birth, { inserted: 0, updated: 0, unchanged: metrics });
    await ingest(`re-birth, ${changedCount} changed`, form.changed, { inserted: 0, updated: changedCount, unchanged: metrics - changedCount });
    return { results, serverVersion };
  } finally {
    await app.end();
  }
}

async function runForm(form: Form): Promise<{ results: Result[]; serverVersion: string }> {
  const db = await createTestDatabase();
  const workDir = mkdtempSync(join(tmpdir(), 'bench-ingest-birth-'));
  try {
    console.log(`\n${form.label}: ${(Buffer.byteLength(form.birth) / 1e6).toFixed(1)} MB`);
    return await measure(db, workDir, form);
  } catch (error) {
    console.error('the benchmark failed:', error);
    throw error;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
    await db.drop().catch((error: unknown) => console.error(`could not drop ${db.name}:`, error));
  }
}

const runs: { form: Form; results: Result[] }[] = [];
let serverVersion = '';
for (const form of forms) {
  const run = await runForm(form);
  runs.push({ form, results: run.results });
  serverVersion = run.serverVersion;
}
const failed = runs.some((r) => r.results.some((x) => x.summary !== undefined && x.check !== 'ok'));

// --- the report --------------------------------------------------------------------------------------
const verdict = (ok: boolean) => (ok ? 'met' : '**not met**');
const counts = (s?: Summary) =>
  s ? `${s.metrics.inserted} / ${s.metrics.updated} / ${s.metrics.unchanged} / ${s.properties_written} / ${s.versions_written}` : '';
function tableOf(results: Result[]): string {
  const [parse, text, json, first, copy, noop, noopFull, changed] = results as [Result, Result, Result, Result, Result, Result, Result, Result];
  const ratio = first.seconds / copy.seconds;
  const rows = [
    ['first ingest', first, '≤ 10 s', first.seconds <= 10],
    ['identical re-birth (no-op), answered from `birth_fingerprints`', noop, '≤ 2 s', noop.seconds <= 2],
    ['the same re-birth with `birth_fingerprints` emptied first: every metric compared', noopFull, '(≤ 2 s)', noopFull.seconds <= 2],
    [`re-birth, ${changedCount} metrics (${(changeFraction * 100).toFixed(0)} %) changed`, changed, '≤ 3 s', changed.seconds <= 3],
  ] as const;
  return [
    '| step | wall time | load avg before (1/5/15 min) | inserted / updated / unchanged / properties / versions | check | target | result |',
    '|---|---:|---|---|---|---|---|',
    ...rows.map(([name, r, target, ok]) =>
      `| ${name} | ${r.seconds.toFixed(2)} s | ${r.load} | ${counts(r.summary)} | ${r.check} | ${target} | ${verdict(ok)} |`),
    `| COPY of the first ingest's rows (devices / metrics / properties / versions) | ${copy.seconds.toFixed(2)} s | ${copy.load} | | ${copy.check} | | |`,
    `| first ingest ÷ COPY | ${ratio.toFixed(2)} | | | | ≤ 4 | ${verdict(ratio <= 4)} |`,
    `| of each call: parsing the argument into jsonb alone (\`select jsonb_typeof($1::jsonb)\`) | ${parse.seconds.toFixed(2)} s | ${parse.load} | | | | |`,
    `| the same text sent as \`text\` (\`select length($1::text)\`: the transfer alone) | ${text.seconds.toFixed(2)} s | ${text.load} | | | | |`,
    `| the same text checked as \`json\`, not converted (\`select json_typeof($1::json)\`) | ${json.seconds.toFixed(2)} s | ${json.load} | | | | |`,
  ].join('\n');
}
const tables = runs.map((r) => `With ${r.form.label}, ${(Buffer.byteLength(r.form.birth) / 1e6).toFixed(1)} MB:\n\n${tableOf(r.results)}`).join('\n\n');
console.log(`\n${tables}\n`);

const command = `node bench/ingest-birth.ts --metrics ${metrics} --change ${changeFraction}`;
const code = execFileSync('git', ['describe', '--always', '--dirty'], { encoding: 'utf8' }).trim();
const machine =
  `${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ` +
  `${serverVersion}, Node ${process.version}`;
const section = `## ingest_birth

\`${command}\` — run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on commit ${code}.

- Machine: ${machine}; shared with other engineers' test runs, hence the load average next to each figure.
- Birth: synthetic and plant-shaped, \`syntheticBirth({ metrics: ${metrics}, seed: 1 })\`: ${metrics.toLocaleString('en')} metrics,
  ${(propertyCount / metrics).toFixed(2)} properties/metric. The variant gives
  ${changedCount} evenly spread metrics a new \`documentation\` property value.
- Each birth is one \`select uns_meta.ingest_birth($1::jsonb)\` as \`uns_meta_app\` in its own transaction, in a fresh
  clone of the test template; wall time measured by the client, JSON transfer and parsing included.
- Baseline: psql \`\\copy\` (one transaction) of exactly the rows the first ingest wrote into plain
  \`create table ... (like uns_meta.<table>)\` copies without indexes, constraints or triggers.

${tables}
`;
if (args.docs) writeBenchmarkSection('ingest_birth', section);
if (failed) {
  console.error('the summaries did not match the expected counts (see "check")');
  process.exitCode = 1;
}
