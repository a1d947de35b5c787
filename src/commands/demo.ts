// `uns-meta demo`: shows the pipeline on the embedded default. Today it proves the database is deployed and
// reachable by the service role; the ingestor and worker stages join as they land.
import { parseArgs } from 'node:util';
import { createPool, describeConnection } from '../db.ts';

export const summary = 'run the pipeline on the embedded default (needs a deployed database: `make demo`)';

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(`Usage: uns-meta demo\n\n${summary}\nConnects with DATABASE_URL (or PG*), as the service role uns_meta_app.`);
    return 0;
  }
  const pool = createPool('uns-meta demo', { max: 1 });
  try {
    const { rows } = await pool.query<{ tables: number; debounce: string; role: string; db: string }>(
      `select (select count(*)::int from pg_tables where schemaname = 'uns_meta') as tables,
              uns_meta.setting_interval('debounce_interval')::text as debounce,
              current_user as role, current_database() as db`,
    );
    const r = rows[0];
    if (!r) throw new Error('the status query returned no row');
    console.log(`demo: connected to ${describeConnection()} as ${r.role}`);
    console.log(`demo: schema uns_meta deployed in database ${r.db} with ${r.tables} tables; debounce_interval = ${r.debounce}`);
    return 0;
  } catch (err) {
    console.error(`demo: the database is not ready (${describeConnection()}): ${(err as Error).message}\nRun \`make db\` to deploy it.`);
    return 1;
  } finally {
    await pool.end();
  }
}
