// The database's share of a worker sync, without the worker, the simulator or HTTP: the worker's own statements
// (src/worker/sql/pending-metrics.sql and confirm.sql) run page after page on one connection, timed apart.
//
//   node bench/worker-sql.ts                          100,000 metrics, pages of 5000 (WORKER_PAGE_SIZE's default is 2000)
//   node bench/worker-sql.ts --metrics 20000 --page 1000 --no-analyze
//
// In a fresh clone of the test template (dropped at the end): one synthetic plant-shaped DBIRTH is ingested; then,
// unless --no-analyze, uns_meta.refresh_catalog_statistics() runs as the worker runs it before a sync (timed);
// then every pending metric is read page by page and each page confirmed as written (a first sync: every
// property is new to Canary). `jit = off` as in the worker. Prints the times; writes nothing else.
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { syntheticBirth } from '../src/sparkplug/synthetic.ts';
import { workerSql } from '../src/worker/sql.ts';
import { confirmValues } from '../src/worker/sync.ts';
import { createTestDatabase } from '../test/support/database.ts';

const { values: args } = parseArgs({
  options: {
    metrics: { type: 'string', default: '100000' },
    page: { type: 'string', default: '5000' },
    analyze: { type: 'boolean', default: true },
  },
  allowNegative: true,
});
const metrics = Number(args.metrics);
const pageSize = Number(args.page);
const ms = (start: number) => Math.round(performance.now() - start);

interface Row { metric_id: string; version: number; tag: string; changed_at: string; properties_json: string }

const db = await createTestDatabase();
const client = await db.pool('uns_meta_app').connect();
try {
  await client.query('set statement_timeout = 600000');
  await client.query('set jit = off');
  let t = performance.now();
  await client.query('select uns_meta.ingest_birth($1::jsonb)',
    [JSON.stringify({ topic: 'spBv1.0/Secil/DBIRTH/Portugal/Cement', payload: syntheticBirth({ metrics, seed: 1 }) })]);
  console.log(`ingested ${metrics} metrics in ${ms(t)} ms; load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const { rows: [device] } = await client.query<{ id: string }>('select device_id::text as id from uns_meta.devices');

  if (args.analyze) {
    t = performance.now();
    const { rows } = await client.query<{ analyzed: string[] }>(workerSql['refresh-statistics']);
    console.log(`refresh_catalog_statistics: ${ms(t)} ms, analyzed ${rows[0]?.analyzed.join(', ') || 'nothing'}`);
  }

  let after = '0';
  let readMs = 0;
  let confirmMs = 0;
  let pages = 0;
  let jsonBytes = 0;
  for (;;) {
    t = performance.now();
    const { rows } = await client.query<Row>(workerSql['pending-metrics'], [device?.id, null, after, pageSize, false, null, null]);
    readMs += performance.now() - t;
    if (rows.length === 0) break;
    pages++;
    after = rows[rows.length - 1]!.metric_id;
    jsonBytes += rows.reduce((n, r) => n + r.properties_json.length, 0);
    t = performance.now();
    await client.query({ name: 'uns_meta_confirm', text: workerSql.confirm, values: confirmValues(rows.map((r) => ({
      metric_id: r.metric_id, version: r.version, tag: r.tag, outcome: 'written', changed_at: r.changed_at,
    }))) });
    confirmMs += performance.now() - t;
  }
  console.log(`${pages} pages of up to ${pageSize}: page reads ${Math.round(readMs)} ms, confirmations ${Math.round(confirmMs)} ms, ` +
    `${(jsonBytes / 1e6).toFixed(1)} MB of property JSON`);
} finally {
  client.release();
  await db.drop();
}
