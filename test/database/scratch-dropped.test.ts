// `make test` leaves no scratch database behind: scripts/test-sql.sh drops it once the template is made (README,
// "What the two commands do"). vitest runs after test-sql.sh, so the scratch database must be gone by now.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { configFor, templateDatabase } from '../support/database.ts';

const scratch = process.env.UNS_META_TEST_SCRATCH ?? 'uns_meta_test_scratch';

describe('scripts/test-sql.sh', () => {
  it(`drops the scratch database ${scratch} and keeps the template ${templateDatabase}`, async () => {
    const c = new pg.Client(configFor(`postgres://uns_meta_admin@${process.env.PGHOST ?? '127.0.0.1'}:${process.env.PGPORT ?? '5432'}/postgres`));
    await c.connect();
    try {
      const { rows } = await c.query<{ datname: string }>('select datname from pg_database where datname = any($1) order by datname', [[scratch, templateDatabase]]);
      expect(rows.map((r) => r.datname)).toEqual([templateDatabase]);
    } finally {
      await c.end();
    }
  });
});
