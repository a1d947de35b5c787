// Fails fast, with the command to run, when the template database the tests clone is missing.
import pg from 'pg';
import { configFor, templateDatabase } from './database.ts';

export default async function setup(): Promise<void> {
  const c = new pg.Client(configFor(`postgres://uns_meta_admin@${process.env.PGHOST ?? '127.0.0.1'}:${process.env.PGPORT ?? '5432'}/postgres`));
  await c.connect();
  try {
    const { rowCount } = await c.query('select 1 from pg_database where datname = $1', [templateDatabase]);
    if (!rowCount) {
      throw new Error(`template database "${templateDatabase}" is missing: run \`make test-sql\` (or \`make test\`) first`);
    }
  } finally {
    await c.end();
  }
}
