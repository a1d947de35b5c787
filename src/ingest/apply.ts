// Applies one birth message to the database, in one transaction:
//   DBIRTH  decode (in chunks for a large birth), name alias-only metrics from the alias maps, call
//           uns_meta.ingest_birth once (or once per chunk with the chunk protocol), record the device's alias map
//   NBIRTH  decode and record the edge node's alias map
// A payload that does not decode, or a birth ingest_birth refuses, is dead-lettered (after the rollback).
// Serialization failures and deadlocks are retried in place; any other database failure throws
// DatabaseUnavailable so the caller spools the message.
import type pg from 'pg';
import { type UnwrappedPayload, decodeMetricsChunked, decodePayload, unwrapPayload } from '../sparkplug/decode.ts';
import { DecodeError } from '../sparkplug/errors.ts';
import type { MetricJson, PayloadHeaderJson } from '../sparkplug/json-types.ts';
import type { SparkplugTopic } from '../sparkplug/topic.ts';
import type { Logger } from './log.ts';
import type { IngestMetrics } from './metrics.ts';
import { DatabaseUnavailable, classifyPgError, sqlstateOf } from './pg-errors.ts';
import type { SqlText } from './sql.ts';

export interface BirthMessage {
  seq: number;
  topic: string;
  parsed: SparkplugTopic;
  receivedAt: Date;
  payload: Buffer;
}

export type Outcome =
  | { kind: 'ingested'; metrics: number; unresolvedAliases: string[]; summary?: unknown }
  | { kind: 'dead-lettered'; reason: string; category: 'decode' | 'rejected'; deadLetterId: string };

export interface ApplyContext {
  pool: pg.Pool;
  sql: SqlText;
  log: Logger;
  metrics: IngestMetrics;
  chunkMetrics: number;
  retryAttempts: number;
  deadLetterMaxBytes: number;
}

interface Scope {
  group: string;
  edge: string;
  /** '' for the edge node's own map. */
  device: string;
}

class Rejected extends Error {
  override readonly name = 'Rejected';
  readonly sqlstate: string | undefined;
  readonly category: 'decode' | 'rejected';

  constructor(message: string, category: 'decode' | 'rejected', sqlstate?: string) {
    super(message);
    this.category = category;
    this.sqlstate = sqlstate;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function countProperties(metrics: readonly MetricJson[]): number {
  let n = 0;
  for (const m of metrics) n += m.properties?.keys?.length ?? 0;
  return n;
}

/** A metric that names itself only by alias (no name, or an empty one). */
function aliasOnly(m: MetricJson): m is MetricJson & { alias: string } {
  return (m.name === undefined || m.name === '') && m.alias !== undefined;
}

/** Names alias-only metrics from the device's map, then the node's, else `alias:<id>`; returns the unresolved ids. */
async function nameAliasOnlyMetrics(client: pg.PoolClient, ctx: ApplyContext, scope: Scope, metrics: MetricJson[]): Promise<string[]> {
  const wanted = metrics.filter(aliasOnly);
  if (wanted.length === 0) return [];
  const aliases = [...new Set(wanted.map((m) => m.alias))];
  const { rows } = await client.query<{ alias: string; metric_name: string }>(ctx.sql.lookup_aliases, [scope.group, scope.edge, scope.device, aliases]);
  const names = new Map(rows.map((r) => [r.alias, r.metric_name]));
  const unresolved: string[] = [];
  for (const m of wanted) {
    const name = names.get(m.alias);
    if (name === undefined) unresolved.push(m.alias);
    m.name = name ?? `alias:${m.alias}`;
  }
  return unresolved;
}

/** Upserts the (alias, name) pairs this chunk declares into the scope's map (last one wins in a chunk). */
async function recordAliases(client: pg.PoolClient, ctx: ApplyContext, scope: Scope, bornAt: Date, metrics: readonly MetricJson[]): Promise<void> {
  const pairs = new Map<string, string>();
  for (const m of metrics) if (m.alias !== undefined && m.name) pairs.set(m.alias, m.name);
  if (pairs.size === 0) return;
  await client.query(ctx.sql.upsert_aliases, [scope.group, scope.edge, scope.device, bornAt, [...pairs.keys()], [...pairs.values()]]);
}

function chunksOf(unwrapped: UnwrappedPayload, chunkMetrics: number): Iterable<{ header: PayloadHeaderJson; metrics: MetricJson[]; last: boolean; index: number }> {
  if (unwrapped.metricCount <= chunkMetrics) {
    const { metrics = [], ...header } = decodePayload(unwrapped.bytes);
    return [{ header, metrics, last: true, index: -1 }];
  }
  const total = unwrapped.metricCount;
  return (function* () {
    let index = 0;
    for (const c of decodeMetricsChunked(unwrapped.bytes, chunkMetrics)) {
      yield { header: c.header, metrics: c.metrics, last: c.start + c.metrics.length >= total, index: index++ };
    }
  })();
}

function unwrap(payload: Buffer): UnwrappedPayload {
  try {
    return unwrapPayload(payload);
  } catch (err) {
    if (err instanceof DecodeError) throw new Rejected(`undecodable payload: ${err.message}`, 'decode');
    throw err;
  }
}

/** One attempt: the whole birth in one transaction. */
async function attempt(client: pg.PoolClient, ctx: ApplyContext, msg: BirthMessage): Promise<Outcome> {
  const { parsed } = msg;
  const isDevice = parsed.messageType === 'DBIRTH';
  const scope: Scope = { group: parsed.groupId, edge: parsed.edgeNodeId, device: parsed.deviceId ?? '' };
  const unwrapped = unwrap(msg.payload);
  const receivedAt = msg.receivedAt.toISOString();
  let metricTotal = 0;
  const unresolved: string[] = [];
  let summary: unknown;
  await client.query('begin');
  try {
    const chunks = chunksOf(unwrapped, ctx.chunkMetrics)[Symbol.iterator]();
    for (;;) {
      let next: IteratorResult<{ header: PayloadHeaderJson; metrics: MetricJson[]; last: boolean; index: number }>;
      try {
        next = chunks.next();
      } catch (err) {
        if (err instanceof DecodeError) throw new Rejected(`undecodable payload: ${err.message}`, 'decode');
        throw err;
      }
      if (next.done) break;
      const chunk = next.value;
      metricTotal += chunk.metrics.length;
      ctx.metrics.metricsParsed.inc(chunk.metrics.length);
      ctx.metrics.propertiesParsed.inc(countProperties(chunk.metrics));
      // The birth's own (alias, name) pairs first, so alias-only metrics resolve against them too; names found
      // for alias-only metrics are not recorded (the map holds what births declare).
      await recordAliases(client, ctx, scope, msg.receivedAt, chunk.metrics);
      if (isDevice) unresolved.push(...(await nameAliasOnlyMetrics(client, ctx, scope, chunk.metrics)));
      if (isDevice) {
        const birth: Record<string, unknown> = { topic: msg.topic, received_at: receivedAt, payload: { ...chunk.header, metrics: chunk.metrics } };
        if (chunk.index >= 0) birth.chunk = { index: chunk.index, last: chunk.last };
        const text = JSON.stringify(birth);
        chunk.metrics.length = 0; // let the decoded chunk go before the database answers
        const res = await client.query<{ summary: unknown }>(ctx.sql.ingest_birth, [text]);
        summary = res.rows[0]?.summary;
      }
    }
    await client.query(ctx.sql.prune_aliases, [scope.group, scope.edge, scope.device, msg.receivedAt]);
    await client.query('commit');
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  }
  return { kind: 'ingested', metrics: metricTotal, unresolvedAliases: unresolved, summary };
}

async function deadLetter(ctx: ApplyContext, msg: BirthMessage, reason: string, sqlstate: string | undefined): Promise<string> {
  const stored = msg.payload.length > ctx.deadLetterMaxBytes ? msg.payload.subarray(0, ctx.deadLetterMaxBytes) : msg.payload;
  try {
    const { rows } = await ctx.pool.query<{ dead_letter_id: string }>(ctx.sql.insert_dead_letter, [
      msg.topic, msg.receivedAt, stored, msg.payload.length, reason, sqlstate ?? null,
    ]);
    return rows[0]?.dead_letter_id ?? '';
  } catch (err) {
    throw new DatabaseUnavailable(err);
  }
}

/**
 * Applies the message; returns what happened. Throws DatabaseUnavailable when the database cannot take it now
 * (the message must be kept and retried later).
 */
export async function applyBirth(ctx: ApplyContext, msg: BirthMessage, log: Logger): Promise<Outcome> {
  for (let n = 0; ; n++) {
    let client: pg.PoolClient;
    try {
      client = await ctx.pool.connect();
    } catch (err) {
      throw new DatabaseUnavailable(err);
    }
    // A connection that breaks between two queries emits 'error' on the client, which would crash the process
    // unhandled; the next query fails anyway and the birth is spooled.
    let broken: Error | undefined;
    const onError = (err: Error) => {
      broken = err;
    };
    client.on('error', onError);
    try {
      return await attempt(client, ctx, msg);
    } catch (err) {
      if (err instanceof Rejected) {
        const reason = err.message;
        ctx.metrics.birthsFailed.inc({ reason: err.category });
        if (err.category === 'decode') ctx.metrics.decodeErrors.inc();
        const deadLetterId = await deadLetter(ctx, msg, reason, err.sqlstate);
        return { kind: 'dead-lettered', reason, category: err.category, deadLetterId };
      }
      const cls = classifyPgError(err);
      if (cls === 'rejected') {
        ctx.metrics.birthsFailed.inc({ reason: 'rejected' });
        const sqlstate = sqlstateOf(err);
        const reason = `ingest_birth refused the birth (${sqlstate}): ${(err as Error).message}`;
        const deadLetterId = await deadLetter(ctx, msg, reason, sqlstate);
        return { kind: 'dead-lettered', reason, category: 'rejected', deadLetterId };
      }
      ctx.metrics.birthsFailed.inc({ reason: 'transient' });
      if (cls === 'unavailable') {
        broken = err as Error;
        throw new DatabaseUnavailable(err);
      }
      if (n >= ctx.retryAttempts) throw new DatabaseUnavailable(err);
      const state = sqlstateOf(err) ?? 'unknown';
      ctx.metrics.transientRetries.inc({ sqlstate: state });
      const delay = Math.min(5000, 100 * 2 ** n);
      log.warn({ event: 'ingest.retry', sqlstate: state, attempt: n + 1, retryInMs: delay }, `transient database error ${state}; retrying in ${delay} ms`);
      await sleep(delay);
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }
}
