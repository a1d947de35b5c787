// `uns-meta watch`: a live feed of catalog changes. LISTEN on uns_meta_catalog_changes through pg-listen (which
// reconnects), one NOTIFY per statement (triggers/notify_catalog_changes) saying where to look; the details are read
// with the watcher's filters in SQL (src/watch/sql/) and printed one line per change, in notification order.
// After a reconnection it reads what committed while it was away (a catch-up), skipping what it already printed.
import type pg from 'pg';
import pgListen, { type Subscriber } from 'pg-listen';
import { createPool } from '../runtime/database.ts';
import { loadSql } from '../runtime/sql.ts';
import { confirmationChange, formatJson, formatLine, versionChange, type Change, type ConfirmationRow, type VersionRow } from './describe.ts';

export const CHANNEL = 'uns_meta_catalog_changes';

const sql = loadSql(new URL('./sql/', import.meta.url), ['versions', 'confirmations', 'start']);

/** The payloads of triggers/notify_catalog_changes. */
type Notification =
  | { kind: 'versions'; count: number; first: number; last: number; devices: number[] | null }
  | { kind: 'confirmations'; count: number; from: string; to: string; devices: number[] | null };

export interface WatchFilters {
  /** A device_id or <edge>/<device>. */
  device?: string;
  /** A UNS path prefix (the path itself or anything under <prefix>/). */
  prefix?: string;
}

export interface WatchOptions {
  connection: pg.ClientConfig;
  filters: WatchFilters;
  json: boolean;
  /** A change line (stdout). */
  print: (line: string) => void;
  /** A status or error line (stderr). */
  log: (line: string) => void;
}

export interface Watch {
  close(): Promise<void>;
}

const MAX_VERSION_ID = '9223372036854775807';
/** A catch-up re-reads this many version ids below the last one handled: versions that commit out of id order. */
const CATCH_UP_MARGIN = 10_000;
const CATCH_UP_MARGIN_MS = 60_000;
/** Ids (and confirmation keys) remembered so a catch-up or an overlapping range never prints a change twice. */
const REMEMBERED = 100_000;

/** Insertion-ordered set that forgets its oldest entries beyond `limit`. */
class Remembered {
  private readonly seen = new Set<string>();
  private readonly limit: number;
  constructor(limit: number) {
    this.limit = limit;
  }
  /** True when the key is new (and remembers it). */
  add(key: string): boolean {
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    if (this.seen.size > this.limit) this.seen.delete(this.seen.values().next().value!);
    return true;
  }
}

export async function startWatch(options: WatchOptions): Promise<Watch> {
  const { filters } = options;
  const device = filters.device ?? null;
  const prefix = filters.prefix ?? null;
  const pool = createPool({ name: 'uns-meta watch', connection: options.connection, max: 1 }); // a broken idle connection: the next query reports it
  // pg-listen is CommonJS: its function is the module's `default` export.
  const subscriber: Subscriber = pgListen.default({ ...options.connection, application_name: 'uns-meta watch (listen)' }, {
    retryInterval: (attempt: number) => Math.min(250 * 2 ** attempt, 10_000),
    retryTimeout: 0, // never give up: an operator's feed waits for the database to come back
    paranoidChecking: 10_000,
  });
  const versionsSeen = new Remembered(REMEMBERED);
  const confirmationsSeen = new Remembered(REMEMBERED);
  let versionHigh = 0n;
  let confirmedHigh = new Date();
  let catchUpNeeded = false;
  let chain: Promise<void> = Promise.resolve();

  const emit = (c: Change) => options.print(options.json ? formatJson(c) : formatLine(c));

  async function showVersions(first: string, last: string, devices: number[] | null): Promise<void> {
    const { rows } = await pool.query<VersionRow>(sql.versions, [first, last, devices, device, prefix]);
    for (const row of rows) if (versionsSeen.add(row.version_id)) emit(versionChange(row));
    if (BigInt(last) > versionHigh && last !== MAX_VERSION_ID) versionHigh = BigInt(last);
    for (const row of rows) if (BigInt(row.version_id) > versionHigh) versionHigh = BigInt(row.version_id);
  }

  /** `from` and `to` as PostgreSQL wrote them (microseconds: a JavaScript Date would cut them to milliseconds). */
  async function showConfirmations(from: string, to: string, devices: number[] | null): Promise<void> {
    const { rows } = await pool.query<ConfirmationRow>(sql.confirmations, [from, to, devices, device, prefix]);
    for (const row of rows) {
      if (confirmationsSeen.add(`${row.metric_id}:${row.confirmed_version}:${row.confirmed_at.toISOString()}`)) emit(confirmationChange(row));
    }
    const until = new Date(to);
    if (until > confirmedHigh) confirmedHigh = until;
  }

  async function catchUp(): Promise<void> {
    const first = versionHigh > BigInt(CATCH_UP_MARGIN) ? versionHigh - BigInt(CATCH_UP_MARGIN) : 0n;
    await showVersions(first.toString(), MAX_VERSION_ID, null);
    await showConfirmations(new Date(confirmedHigh.getTime() - CATCH_UP_MARGIN_MS).toISOString(), 'infinity', null);
    catchUpNeeded = false;
  }

  async function handle(n: Notification): Promise<void> {
    if (catchUpNeeded) await catchUp();
    if (n.kind === 'versions') await showVersions(String(n.first), String(n.last), n.devices);
    else if (n.kind === 'confirmations') await showConfirmations(n.from, n.to, n.devices);
  }

  /** Runs steps one after another, so lines come out in notification order; a failed step asks for a catch-up. */
  function enqueue(step: () => Promise<void>): void {
    chain = chain.then(step).catch((err: unknown) => {
      catchUpNeeded = true;
      options.log(`uns-meta watch: cannot read the change (${(err as Error).message}); it is read again after the next notification or reconnection`);
    });
  }

  subscriber.events.on('error', (err) => options.log(`uns-meta watch: ${err.message}`));
  subscriber.events.on('reconnect', (attempt) => {
    if (attempt === 1) options.log('uns-meta watch: connection lost, reconnecting');
  });
  let listening = false;
  subscriber.events.on('connected', () => {
    if (!listening) return;
    options.log('uns-meta watch: reconnected; reading what committed meanwhile');
    enqueue(catchUp);
  });
  subscriber.notifications.on(CHANNEL, (payload: Notification) => enqueue(() => handle(payload)));

  try {
    await subscriber.connect();
    await subscriber.listenTo(CHANNEL);
    const start = (await pool.query<{ version_id: string; at: Date }>(sql.start)).rows[0]!;
    versionHigh = BigInt(start.version_id);
    confirmedHigh = start.at;
  } catch (err) {
    await Promise.allSettled([subscriber.close(), pool.end()]);
    throw err;
  }
  listening = true;
  return {
    async close() {
      listening = false;
      await subscriber.close();
      await chain;
      await pool.end();
    },
  };
}
