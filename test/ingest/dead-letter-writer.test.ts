// What DeadLetterWriter stores, in process against a real catalog: a payload cut at INGEST_MAX_DEAD_LETTER_BYTES-style
// maxBytes with its full size kept, a reason without NUL, and a reason past 4,000 characters cut with its length said.
// Expected rows are built from the letters written (the Stryker run of 2026-12-07 left the cut untested in process).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadLetterWriter, storableText } from '../../src/ingest/dead-letters.ts';
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
});
