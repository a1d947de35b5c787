// What DeadLetterWriter stores, in process against a real catalog: a payload cut at INGEST_MAX_DEAD_LETTER_BYTES-style
// maxBytes with its full size kept, a reason without NUL, and a reason past 4,000 characters cut with its length said.
// Expected rows are built from the letters written (the Stryker run of 2026-12-07 left the cut untested in process).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadLetterWriter, storableText } from '../../src/ingest/dead-letters.ts';
import { DatabaseUnavailable } from '../../src/ingest/pg-errors.ts';
import { ingestSql } from '../../src/ingest/sql.ts';
import { type TestDatabase, createTestDatabase } from '../support/database.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

interface Row { topic: string; payload: Buffer; payload_size: string; reason: string }

describe('DeadLetterWriter', () => {
  it('stores at most maxBytes of each payload with its whole size, and reasons PostgreSQL can hold', async () => {
    const maxBytes = 8;
    const writer = new DeadLetterWriter(db.pool('uns_meta_app'), ingestSql, maxBytes);
    const payloads = [7, 8, 9, 20].map((n) => Buffer.from(Array.from({ length: n }, (_, i) => i + 1)));
    const reasons = ['short', 'a NUL \u0000 inside', 'x'.repeat(4000), 'y'.repeat(4001)];
    await Promise.all(payloads.map((payload, i) =>
      writer.write({ topic: `spBv1.0/G/DBIRTH/E/D${i}`, receivedAt: new Date(), payload, reason: reasons[i]!, sqlstate: undefined })));

    const { rows } = await db.pool('uns_meta_admin').query<Row>(
      `select topic, payload, payload_size::text, reason from uns_meta.dead_letters order by topic`);
    expect(rows).toStrictEqual(payloads.map((payload, i) => ({
      topic: `spBv1.0/G/DBIRTH/E/D${i}`,
      payload: payload.subarray(0, Math.min(payload.length, maxBytes)),
      payload_size: String(payload.length),
      reason: [reasons[0], 'a NUL \\u0000 inside', reasons[2], `${'y'.repeat(4000)}… (4001 characters)`][i],
    })));
  });

  it('storableText cuts at the limit given, never at or below it', () => {
    expect(storableText('abc', 3)).toBe('abc');
    expect(storableText('abcd', 3)).toBe('abc… (4 characters)');
  });

  it('a batch PostgreSQL refuses for one row: the others stored as they are, that one with its topic escaped and its reason saying why', async () => {
    const writer = new DeadLetterWriter(db.pool('uns_meta_app'), ingestSql, 1024);
    const good = ['spBv1.0/R/DBIRTH/E/A', 'spBv1.0/R/DBIRTH/E/C'];
    const bad = 'spBv1.0/R/DBIRTH/E/B\u0000'; // a topic with a NUL: text PostgreSQL cannot hold (22021)
    await Promise.all([good[0]!, bad, good[1]!].map((topic, i) =>
      writer.write({ topic, receivedAt: new Date(), payload: Buffer.from([i]), reason: `reason ${i}`, sqlstate: undefined })));
    const { rows } = await db.pool('uns_meta_admin').query<Row>(
      `select topic, payload, payload_size::text, reason from uns_meta.dead_letters where topic like 'spBv1.0/R/%' order by topic`);
    expect(rows).toStrictEqual([
      { topic: good[0], payload: Buffer.from([0]), payload_size: '1', reason: 'reason 0' },
      { topic: 'spBv1.0/R/DBIRTH/E/B\\u0000', payload: Buffer.from([1]), payload_size: '1', reason: '(reason not storable: 22021) reason 1' },
      { topic: good[1], payload: Buffer.from([2]), payload_size: '1', reason: 'reason 2' },
    ]);
  });

  it('a database it cannot reach: each write rejects with DatabaseUnavailable (the caller keeps the message in the spool)', async () => {
    const unreachable = db.url('uns_meta_app').replace(/:\d+\//, ':1/'); // nothing listens on port 1
    const pool = new pg.Pool({ connectionString: unreachable, connectionTimeoutMillis: 2000 });
    try {
      const writer = new DeadLetterWriter(pool, ingestSql, 1024);
      const writes = [0, 1].map((i) => writer.write({ topic: `spBv1.0/U/DBIRTH/E/${i}`, receivedAt: new Date(), payload: Buffer.from([i]), reason: 'r', sqlstate: undefined }));
      for (const w of writes) await expect(w).rejects.toBeInstanceOf(DatabaseUnavailable);
    } finally {
      await pool.end();
    }
  });
});
