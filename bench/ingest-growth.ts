// How the cost of a first birth grows with its size (issue 12, "Speed": ingest time for 1k, 10k, 100k and 1M-metric
// births in one table; the cost per metric should stay flat).
//
//   node bench/ingest-growth.ts                                   1,000 / 10,000 / 100,000 / 1,000,000 metrics
//   node bench/ingest-growth.ts --sizes 1000,10000 --no-docs
//
// Needs the test template (scripts/test-sql.sh builds it). For each size, in a fresh clone of the template (dropped
// afterwards): the plant-shaped synthetic DBIRTH (src/sparkplug/synthetic.ts, seed 1) is sent the way the ingestor
// sends it (`catalogFields` of each metric, chunks of --chunk metrics, INGEST_CHUNK_METRICS' default 20,000) through
// `uns_meta.ingest_birth` as uns_meta_app, every chunk in one transaction, COMMIT included. The time is the
// database's: each chunk's JSON is built before its clock starts (a 1,000,000-metric birth as one JSON text would
// not fit a jsonb value; built chunk by chunk it never exists whole). Before each size the bench waits (up to
// --wait seconds) for a 1-minute load average under 1 and prints the load it started at.
// Writes the "ingest growth" section of docs/benchmarks.md (unless --no-docs).
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { configFor, createTestDatabase } from '../test/support/database.ts';
import { birthChunks } from './support/birth-chunks.ts';
import { writeBenchmarkSection } from './support/benchmarks-doc.ts';
import { psqlAsAdmin } from './support/psql.ts';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000,100000,1000000' },
    chunk: { type: 'string', default: '20000' },
    wait: { type: 'string', default: '300' },
    docs: { type: 'boolean', default: true },
    // uns_meta.catalog_probes for the session: on, off (force either plan of the catalog lookups) or rule (unset)
    probes: { type: 'string', default: 'rule' },
  },
  allowNegative: true,
});
const sizes = args.sizes.split(',').map(Number);
const chunkSize = Number(args.chunk);
const STATEMENT_TIMEOUT_MS = 1_800_000;
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

/** Waits until the 1-minute load average is under 1, at most `seconds`; the load it ends at. */
async function quiet(seconds: number): Promise<string> {
  const until = Date.now() + seconds * 1000;
  while (loadavg()[0]! >= 1 && Date.now() < until) await sleep(5000);
  return load();
}

interface Row { metrics: number; chunks: number; megabytes: number; seconds: number; properties: number; load: string }
const rows: Row[] = [];

for (const metrics of sizes) {
  const db = await createTestDatabase();
  try {
    const client = new pg.Client({ ...configFor(db.url('uns_meta_app')), statement_timeout: STATEMENT_TIMEOUT_MS });
    await client.connect();
    const before = await quiet(Number(args.wait));
    let seconds = 0;
    let count = 0;
    let bytes = 0;
    try {
      if (args.probes !== 'rule') await client.query(`set uns_meta.catalog_probes = ${args.probes === 'on' ? 'on' : 'off'}`);
      let start = process.hrtime.bigint();
      await client.query('begin');
      seconds += Number(process.hrtime.bigint() - start) / 1e9;
      for (const text of birthChunks(metrics, chunkSize, new Date().toISOString())) {
        count++;
        bytes += Buffer.byteLength(text);
        start = process.hrtime.bigint();
        await client.query('select uns_meta.ingest_birth($1::jsonb)', [text]);
        seconds += Number(process.hrtime.bigint() - start) / 1e9;
      }
      start = process.hrtime.bigint();
      await client.query('commit');
      seconds += Number(process.hrtime.bigint() - start) / 1e9;
    } finally {
      await client.end();
    }
    const [stored, properties] = psqlAsAdmin(db.name, ['select count(*) || \',\' || (select count(*) from uns_meta.metric_properties) from uns_meta.metrics']).trim().split(',').map(Number);
    if (stored !== metrics) throw new Error(`${stored} metrics stored, expected ${metrics}`);
    const row = { metrics, chunks: count, megabytes: bytes / 1e6, seconds, properties: properties!, load: before };
    rows.push(row);
    console.log(`${metrics} metrics (${count} chunks, ${row.megabytes.toFixed(1)} MB): ${seconds.toFixed(2)} s, ${(seconds / metrics * 1e6).toFixed(1)} µs/metric; load before ${before}`);
  } finally {
    await db.drop();
  }
}

const table = [
  '| metrics | chunks | JSON sent | properties stored | database time (all chunks + COMMIT) | per metric | metrics/s | load avg before (1/5/15 min) |',
  '|---:|---:|---:|---:|---:|---:|---:|---|',
  ...rows.map((r) => `| ${r.metrics.toLocaleString('en')} | ${r.chunks} | ${r.megabytes.toFixed(1)} MB | ${r.properties.toLocaleString('en')} | ${r.seconds.toFixed(2)} s | ${(r.seconds / r.metrics * 1e6).toFixed(1)} µs | ${Math.round(r.metrics / r.seconds).toLocaleString('en')} | ${r.load} |`),
].join('\n');
console.log(`\n${table}\n`);

if (args.docs) {
  const code = execFileSync('git', ['describe', '--always', '--dirty'], { encoding: 'utf8' }).trim();
  const server = psqlAsAdmin('postgres', ['show server_version']).trim();
  const command = `node bench/ingest-growth.ts${args.sizes !== '1000,10000,100000,1000000' ? ` --sizes ${args.sizes}` : ''}${chunkSize !== 20000 ? ` --chunk ${chunkSize}` : ''}${args.probes !== 'rule' ? ` --probes ${args.probes}` : ''}`;
  writeBenchmarkSection('ingest growth', `## ingest growth

\`${command}\` — run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on commit ${code}.

- Machine: ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB RAM, PostgreSQL ${server},
  Node ${process.version}. The bench waits for a 1-minute load average under 1 before each size (the load it started at is in the table).
- Each size: the plant-shaped synthetic first birth (seed 1; the first N metrics of the same sequence) as the ingestor
  sends it, chunks of ${chunkSize.toLocaleString('en')} metrics through \`uns_meta.ingest_birth\` in one transaction as uns_meta_app, in
  a fresh clone of the test template. Database time only: each chunk's JSON is built before its clock starts.

${table}
`);
}
