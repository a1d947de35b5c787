// Writes dead letters to uns_meta.dead_letters in batches: while one INSERT runs, the next ones gather, so a
// burst of bad payloads (10,000 in the fuzz test) costs a few statements, not one commit each. write()
// resolves once the row is committed, and rejects with DatabaseUnavailable when it cannot be (the caller then
// keeps the raw message in the spool).
import type pg from 'pg';
import { DatabaseUnavailable, classifyPgError, sqlstateOf } from './pg-errors.ts';
import type { SqlText } from './sql.ts';

export interface DeadLetter {
  topic: string;
  receivedAt: Date;
  payload: Buffer;
  reason: string;
  sqlstate: string | undefined;
}

const MAX_REASON = 4000;

/** Text PostgreSQL can store: no NUL (a decoder message may quote one), and not unbounded. */
export function storableText(text: string, max = MAX_REASON): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/\u0000/g, '\\u0000');
  return clean.length > max ? `${clean.slice(0, max)}… (${clean.length} characters)` : clean;
}

interface Waiting {
  letter: DeadLetter;
  resolve(): void;
  reject(err: Error): void;
}

export class DeadLetterWriter {
  private readonly pool: pg.Pool;
  private readonly sql: SqlText;
  private readonly maxBytes: number;
  private readonly maxBatch: number;
  private queue: Waiting[] = [];
  private flushing = false;

  constructor(pool: pg.Pool, sql: SqlText, maxBytes: number, maxBatch = 500) {
    this.pool = pool;
    this.sql = sql;
    this.maxBytes = maxBytes;
    this.maxBatch = maxBatch;
  }

  write(letter: DeadLetter): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ letter, resolve, reject });
      void this.flush();
    });
  }

  private async insert(letters: readonly DeadLetter[]): Promise<void> {
    const cut = (p: Buffer) => (p.length > this.maxBytes ? p.subarray(0, this.maxBytes) : p);
    await this.pool.query(this.sql.insert_dead_letters, [
      letters.map((l) => l.topic),
      letters.map((l) => l.receivedAt),
      letters.map((l) => cut(l.payload)),
      letters.map((l) => l.payload.length),
      letters.map((l) => storableText(l.reason)),
      letters.map((l) => l.sqlstate ?? null),
    ]);
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          await this.insert(batch.map((w) => w.letter));
          for (const w of batch) w.resolve();
        } catch (err) {
          if (classifyPgError(err) !== 'rejected') {
            const failure = new DatabaseUnavailable(err);
            for (const w of batch) w.reject(failure);
            continue;
          }
          // One row of the batch is not storable: each on its own, and a refused one with its reason reduced
          // to the database's complaint (the raw bytes are what matters).
          for (const w of batch) {
            try {
              await this.insert([w.letter]).catch(async (e: unknown) => {
                if (classifyPgError(e) !== 'rejected') throw e;
                await this.insert([{ ...w.letter, topic: storableText(w.letter.topic, 1000), reason: `(reason not storable: ${sqlstateOf(e)}) ${storableText(w.letter.reason, 200)}` }]);
              });
              w.resolve();
            } catch (e) {
              w.reject(new DatabaseUnavailable(e));
            }
          }
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
