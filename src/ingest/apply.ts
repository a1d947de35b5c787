// Applies one birth message to the database, in one transaction:
//   DBIRTH  read its fingerprint off the wire (fingerprint.ts: one pass, no value decoded, no JSON built), ask
//           uns_meta.birth_is_current: when the catalog already holds the birth, stop there ('unchanged': nothing
//           decoded, no JSON built, no transaction); else decode it (once: in chunks for a large birth), name
//           alias-only metrics from the alias maps, call uns_meta.ingest_birth once (or once per chunk with the
//           chunk protocol; the fingerprint goes with the only or final call), record the device's alias map. A
//           large birth is pipelined: chunk i+1 is decoded and built while the database applies chunk i.
//   NBIRTH  decode and record the edge node's alias map
// A payload that does not decode, a payload without the timestamp and seq every birth carries (an empty one
// clears a retained message: it must not retire the device's metrics), or a birth ingest_birth refuses, comes
// back as 'rejected' (no transaction is opened for the first two; the last after the rollback) for the caller to
// dead-letter.
// Serialization failures and deadlocks are retried in place; any other database failure throws
// DatabaseUnavailable so the caller spools the message.
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { missingBirthFields } from '../sparkplug/birth-header.ts';
import { type UnwrappedPayload, decodeMetricsChunked, decodePayload, openPayload, unwrapBodyOnce } from '../sparkplug/decode.ts';
import { DecodeError } from '../sparkplug/errors.ts';
import type { MetricJson, PayloadHeaderJson } from '../sparkplug/json-types.ts';
import type { SparkplugTopic } from '../sparkplug/topic.ts';
import { aliasOnly, catalogFields } from './catalog-fields.ts';
import { type WireFingerprint, wireFingerprint } from './fingerprint.ts';
import { STREAMED_BODY_BYTES, unwrapBody } from './inflate.ts';
import type { Logger } from '../runtime/log.ts';
import type { IngestMetrics } from './metrics.ts';
import { DatabaseUnavailable, classifyPgError, sqlstateOf } from './pg-errors.ts';
import type { SqlText } from './sql.ts';
import { ESCAPE_INVALID_UTF8 as ESCAPE, unstorableReason, visible } from './unstorable.ts';

export interface BirthMessage {
  seq: number;
  topic: string;
  parsed: SparkplugTopic;
  receivedAt: Date;
  payload: Buffer;
}

export type Outcome =
  | { kind: 'ingested'; metrics: number; unresolvedAliases: string[]; summary?: unknown; timings: Timings }
  /** A DBIRTH whose fingerprint the catalog holds (uns_meta.birth_is_current): nothing was sent or written. */
  | { kind: 'unchanged'; metrics: number; timings: Timings }
  /** Undecodable, not a valid birth, or refused by the database: the caller dead-letters it. */
  | { kind: 'rejected'; reason: string; category: 'decode' | 'invalid' | 'oversize' | 'rejected'; sqlstate: string | undefined };

export interface ApplyContext {
  pool: pg.Pool;
  sql: SqlText;
  log: Logger;
  metrics: IngestMetrics;
  chunkMetrics: number;
  retryAttempts: number;
  /** INGEST_MAX_PAYLOAD_BYTES: a larger payload is dead-lettered undecoded. */
  maxPayloadBytes: number;
}

/** Where the time of one birth went, in milliseconds: decoding and JSON building vs waiting for the database. */
export interface Timings {
  decodeMs: number;
  databaseMs: number;
  totalMs: number;
}

const now = () => performance.now();

interface Scope {
  group: string;
  edge: string;
  /** '' for the edge node's own map. */
  device: string;
}

type Query = <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => Promise<pg.QueryResult<R>>;

/** A metric as ingest_birth takes it: its catalog fields, or only its (visible) name and why the ingestor rejects it. */
type CatalogMetric = MetricJson & { reject?: string };

/** The metrics of a chunk that ingest_birth could not even receive (unstorableReason), with the reason. */
function unstorableMetrics(metrics: readonly MetricJson[]): Map<MetricJson, string> {
  const found = new Map<MetricJson, string>();
  for (const m of metrics) {
    const reason = unstorableReason(m);
    if (reason !== undefined) found.set(m, reason);
  }
  return found;
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

function countProperties(metrics: readonly MetricJson[]): number {
  let n = 0;
  for (const m of metrics) n += m.properties?.keys?.length ?? 0;
  return n;
}

/**
 * Names alias-only metrics from the device's map, then the node's, else `alias:<id>`; returns the metrics it
 * named from a map and the alias ids it could not resolve.
 */
async function nameAliasOnlyMetrics(query: Query, ctx: ApplyContext, scope: Scope, metrics: MetricJson[]): Promise<{ named: MetricJson[]; unresolved: string[] }> {
  const wanted = metrics.filter(aliasOnly);
  if (wanted.length === 0) return { named: [], unresolved: [] };
  const aliases = [...new Set(wanted.map((m) => m.alias))];
  const { rows } = await query<{ alias: string; metric_name: string }>(ctx.sql.lookup_aliases, [scope.group, scope.edge, scope.device, aliases]);
  const names = new Map(rows.map((r) => [r.alias, r.metric_name]));
  const named: MetricJson[] = [];
  const unresolved: string[] = [];
  for (const m of wanted) {
    const name = names.get(m.alias);
    if (name === undefined) {
      unresolved.push(m.alias);
      m.name = `alias:${m.alias}`;
    } else {
      m.name = name;
      named.push(m);
    }
  }
  return { named, unresolved };
}

/** Upserts the (alias, name) pairs this chunk declares into the scope's map (last one wins in a chunk). */
async function recordAliases(query: Query, ctx: ApplyContext, scope: Scope, bornAt: Date, metrics: readonly MetricJson[]): Promise<void> {
  const pairs = new Map<string, string>();
  for (const m of metrics) if (m.alias !== undefined && m.name) pairs.set(m.alias, m.name);
  if (pairs.size === 0) return;
  await query(ctx.sql.upsert_aliases, [scope.group, scope.edge, scope.device, bornAt, [...pairs.keys()], [...pairs.values()]]);
}

interface Chunk {
  header: PayloadHeaderJson;
  metrics: MetricJson[];
  last: boolean;
  /** -1 for a birth sent in one call (no chunk protocol). */
  index: number;
}

/**
 * The payload unwrapped. A birth of up to `chunkMetrics` metrics is decoded whole (`decodeWhole`): at once for an
 * NBIRTH or a DBIRTH without a fingerprint (before any connection is taken), for a fingerprinted DBIRTH only once
 * the catalog said it does not hold it. A larger one is decoded a chunk at a time as it is sent.
 */
interface Prepared {
  unwrapped: UnwrappedPayload;
  /** What a whole decode reads: the original payload, so an error inside a compressed one says so, as
   * `uns-meta decode` does (a small payload is inflated twice); for a large compressed one, the inflated bytes. */
  source: Buffer;
  chunked: boolean;
  whole: Chunk | undefined;
}

async function prepare(payload: Buffer, chunkMetrics: number): Promise<Prepared> {
  const opened = openPayload(payload, ESCAPE);
  let unwrapped: UnwrappedPayload;
  let source = payload;
  if (!opened.compressed) {
    unwrapped = opened.unwrapped;
  } else if (opened.body.length >= STREAMED_BODY_BYTES) {
    unwrapped = await unwrapBody(opened.body, opened.compression);
    source = unwrapped.bytes;
  } else {
    try {
      unwrapped = unwrapBodyOnce(opened, ESCAPE);
    } catch (err) {
      // The reason `uns-meta decode` gives for the same bytes (the framing scan words some errors differently).
      decodePayload(payload, ESCAPE);
      throw err;
    }
  }
  return { unwrapped, source, chunked: unwrapped.metricCount > chunkMetrics, whole: undefined };
}

/** Decodes a birth that is sent in one call, once (kept for a retried attempt). @throws DecodeError */
function decodeWhole(prepared: Prepared): void {
  if (prepared.chunked || prepared.whole) return;
  const { metrics = [], ...header } = decodePayload(prepared.source, ESCAPE);
  prepared.whole = { header, metrics, last: true, index: -1 };
}

function* chunksOf(prepared: Prepared, chunkMetrics: number): Generator<Chunk> {
  decodeWhole(prepared);
  if (prepared.whole) {
    yield prepared.whole;
    return;
  }
  const total = prepared.unwrapped.metricCount;
  let index = 0;
  for (const c of decodeMetricsChunked(prepared.unwrapped.bytes, chunkMetrics, ESCAPE)) {
    yield { header: c.header, metrics: c.metrics, last: c.start + c.metrics.length >= total, index: index++ };
  }
}

/**
 * A DBIRTH's fingerprint, read off the wire. Bytes the pass refuses are decoded, so that the decoder's own words
 * say why (as `uns-meta decode` would); bytes it refuses and the decoder takes (none known) get no fingerprint.
 * A birth without one (alias-only metrics, or the above) of up to `chunkMetrics` metrics is decoded at once.
 * @throws DecodeError
 */
function fingerprintBirth(prepared: Prepared, chunkMetrics: number): WireFingerprint {
  let found: WireFingerprint;
  try {
    found = wireFingerprint(prepared.unwrapped.bytes);
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    for (const chunk of chunksOf(prepared, chunkMetrics)) if (chunk.index >= 0) chunk.metrics.length = 0;
    found = { fingerprint: undefined, properties: 0 };
  }
  if (found.fingerprint === undefined) decodeWhole(prepared);
  return found;
}

/** One attempt: nothing when the catalog holds the birth's fingerprint, else the whole birth in one transaction. */
async function attempt(client: pg.PoolClient, ctx: ApplyContext, msg: BirthMessage, prepared: Prepared, fingerprinted: WireFingerprint | undefined): Promise<Outcome> {
  const { parsed } = msg;
  const isDevice = parsed.messageType === 'DBIRTH';
  const scope: Scope = { group: parsed.groupId, edge: parsed.edgeNodeId, device: parsed.deviceId ?? '' };
  const receivedAt = msg.receivedAt.toISOString();
  let metricTotal = 0;
  const unresolved: string[] = [];
  let summary: unknown;
  const t = { decode: 0, db: 0 };
  const db = async <R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> => {
    const t0 = now();
    try {
      return await client.query<R>(text, values);
    } finally {
      t.db += now() - t0;
    }
  };
  const fingerprint = fingerprinted?.fingerprint;
  if (fingerprint) {
    const { rows } = await db<{ current: boolean }>(ctx.sql.birth_is_current, [msg.topic, fingerprint]);
    if (rows[0]?.current === true) {
      ctx.metrics.metricsParsed.inc(prepared.unwrapped.metricCount);
      ctx.metrics.propertiesParsed.inc(fingerprinted.properties);
      return { kind: 'unchanged', metrics: prepared.unwrapped.metricCount, timings: { decodeMs: 0, databaseMs: Math.round(t.db), totalMs: 0 } };
    }
    // Not held: a birth sent in one call is decoded now, before the transaction (an error opens none).
    const t0 = now();
    try {
      decodeWhole(prepared);
    } catch (err) {
      if (err instanceof DecodeError) throw new Rejected(`undecodable payload: ${err.message}`, 'decode');
      throw err;
    } finally {
      t.decode += now() - t0;
    }
  }
  // The JSON of one chunk of a DBIRTH for ingest_birth (its alias-only metrics named first).
  const build = (chunk: Chunk, unstorable: Map<MetricJson, string>): string => {
    const t1 = now();
    const metrics = chunk.metrics.map((m): CatalogMetric => {
      const reject = unstorable.get(m);
      return reject === undefined ? catalogFields(m) : { name: visible(m.name ?? ''), reject };
    });
    const birth: Record<string, unknown> = { topic: msg.topic, received_at: receivedAt, payload: { metrics } };
    if (chunk.index >= 0) birth.chunk = { index: chunk.index, last: chunk.last };
    if (chunk.last && fingerprint) birth.fingerprint = fingerprint.toString('hex');
    const text = JSON.stringify(birth);
    t.decode += now() - t1;
    return text;
  };
  // Pipelining: the ingest_birth call of chunk i is sent and not awaited while chunk i+1 is decoded and, when it
  // has no alias-only metric (whose names need the database), built; then the call is awaited, and chunk i+1's
  // queries follow on the same connection, in the same transaction, in the same order as without the overlap.
  // Memory: two chunks at most (the one the database is applying, as JSON text, and the next, decoded and as text).
  let inFlight: Promise<pg.QueryResult<{ summary: unknown }>> | undefined;
  const settle = async () => {
    if (!inFlight) return;
    const sent = inFlight;
    inFlight = undefined;
    const t0 = now();
    try {
      summary = (await sent).rows[0]?.summary;
    } finally {
      t.db += now() - t0;
    }
  };
  await db('begin');
  try {
    const chunks = chunksOf(prepared, ctx.chunkMetrics);
    for (;;) {
      let next: IteratorResult<Chunk>;
      const t0 = now();
      try {
        next = chunks.next();
        t.decode += now() - t0;
      } catch (err) {
        await settle(); // the previous chunk's refusal, if any, is what the birth is rejected for, as without the overlap
        throw err;
      }
      if (next.done) break;
      const chunk = next.value;
      metricTotal += chunk.metrics.length;
      ctx.metrics.metricsParsed.inc(chunk.metrics.length);
      ctx.metrics.propertiesParsed.inc(countProperties(chunk.metrics));
      // A metric carrying a NUL character or invalid UTF-8 goes to ingest_birth as a rejection and never into an alias map.
      const unstorable = unstorableMetrics(chunk.metrics);
      const storable = unstorable.size === 0 ? chunk.metrics : chunk.metrics.filter((m) => !unstorable.has(m));
      const needsNames = isDevice && chunk.metrics.some(aliasOnly);
      let text = isDevice && !needsNames ? build(chunk, unstorable) : undefined;
      await settle();
      // The birth's own (alias, name) pairs first, so alias-only metrics resolve against them too; then the
      // names found for alias-only metrics (the map is what this birth's metrics are called; never alias:<id>).
      await recordAliases(db, ctx, scope, msg.receivedAt, storable);
      if (needsNames) {
        const resolved = await nameAliasOnlyMetrics(db, ctx, scope, chunk.metrics);
        unresolved.push(...resolved.unresolved);
        await recordAliases(db, ctx, scope, msg.receivedAt, resolved.named);
        text = build(chunk, unstorable);
      }
      if (text !== undefined) {
        inFlight = client.query<{ summary: unknown }>(ctx.sql.ingest_birth, [text]);
        inFlight.catch(() => undefined); // awaited by settle(); a failure meanwhile must not be an unhandled rejection
      }
      if (chunk.index >= 0) chunk.metrics.length = 0; // let a decoded chunk go before the database answers
    }
    await settle();
    await db(ctx.sql.prune_aliases, [scope.group, scope.edge, scope.device, msg.receivedAt]);
    await db('commit');
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  }
  return { kind: 'ingested', metrics: metricTotal, unresolvedAliases: unresolved, summary, timings: { decodeMs: Math.round(t.decode), databaseMs: Math.round(t.db), totalMs: 0 } };
}

/**
 * Applies the message; returns what happened. Throws DatabaseUnavailable when the database cannot take it now
 * (the message must be kept and retried later).
 */
export async function applyBirth(ctx: ApplyContext, msg: BirthMessage, log: Logger): Promise<Outcome> {
  if (msg.payload.length > ctx.maxPayloadBytes) {
    // Refused before decoding: an oversized payload costs no decoder time and no database transaction.
    ctx.metrics.birthsFailed.inc({ reason: 'oversize' });
    return {
      kind: 'rejected', category: 'oversize', sqlstate: undefined,
      reason: `payload of ${msg.payload.length} bytes on ${msg.topic} is over INGEST_MAX_PAYLOAD_BYTES (${ctx.maxPayloadBytes}); not decoded, the catalog is unchanged; raise the limit or split the device's birth`,
    };
  }
  const started = now();
  let prepared: Prepared;
  let prepareMs: number;
  try {
    prepared = await prepare(msg.payload, ctx.chunkMetrics);
    prepareMs = now() - started;
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    ctx.metrics.birthsFailed.inc({ reason: 'decode' });
    ctx.metrics.decodeErrors.inc();
    return { kind: 'rejected', reason: `undecodable payload: ${err.message}`, category: 'decode', sqlstate: undefined };
  }
  // A DBIRTH's fingerprint, else a birth sent in one call decoded; undefined when that went well, else the outcome.
  let fingerprinted: WireFingerprint | undefined;
  const read = (decode = false): Outcome | undefined => {
    try {
      if (msg.parsed.messageType === 'DBIRTH' && !decode) fingerprinted = fingerprintBirth(prepared, ctx.chunkMetrics);
      else decodeWhole(prepared);
      return undefined;
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      ctx.metrics.birthsFailed.inc({ reason: 'decode' });
      ctx.metrics.decodeErrors.inc();
      return { kind: 'rejected', reason: `undecodable payload: ${err.message}`, category: 'decode', sqlstate: undefined };
    }
  };
  // As before the fingerprint was read off the wire: a birth sent in one call is refused for bad bytes before it is
  // for a missing timestamp or seq, a chunked one after.
  const early = prepared.chunked ? undefined : read();
  if (early) return early;
  const missing = missingBirthFields(prepared.unwrapped.header);
  if (missing.length > 0) {
    // The fingerprint pass does not decode property sets: bad bytes there still come before the missing field.
    const undecodable = prepared.chunked ? undefined : read(true);
    if (undecodable) return undecodable;
    ctx.metrics.birthsFailed.inc({ reason: 'invalid' });
    const zeroBytes = msg.payload.length === 0 ? ' (a zero-byte payload, as MQTT clients publish to clear a retained message)' : '';
    return {
      kind: 'rejected', category: 'invalid', sqlstate: undefined,
      reason: `not a valid ${msg.parsed.messageType} on ${msg.topic}: the payload has no ${missing.join(' and no ')}${zeroBytes}; the catalog is unchanged; a birth must carry both`,
    };
  }
  const late = prepared.chunked ? read() : undefined;
  if (late) return late;
  prepareMs = now() - started;
  for (let n = 0; ; n++) {
    let client: pg.PoolClient;
    try {
      client = await ctx.pool.connect();
    } catch (err) {
      ctx.metrics.birthsFailed.inc({ reason: 'transient' }); // no connection: the birth goes to the spool
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
      const outcome = await attempt(client, ctx, msg, prepared, fingerprinted);
      if (outcome.kind !== 'rejected') {
        outcome.timings.decodeMs += Math.round(prepareMs);
        outcome.timings.totalMs = Math.round(now() - started);
      }
      return outcome;
    } catch (caught) {
      const err = caught instanceof DecodeError ? new Rejected(`undecodable payload: ${caught.message}`, 'decode') : caught; // deep in a large birth
      if (err instanceof Rejected) {
        ctx.metrics.birthsFailed.inc({ reason: err.category });
        if (err.category === 'decode') ctx.metrics.decodeErrors.inc();
        return { kind: 'rejected', reason: err.message, category: err.category, sqlstate: err.sqlstate };
      }
      const cls = classifyPgError(err);
      if (cls === 'rejected') {
        ctx.metrics.birthsFailed.inc({ reason: 'rejected' });
        const sqlstate = sqlstateOf(err);
        return { kind: 'rejected', reason: `ingest_birth refused the birth (${sqlstate}): ${(err as Error).message}`, category: 'rejected', sqlstate };
      }
      if (cls === 'internal') {
        ctx.metrics.birthsFailed.inc({ reason: 'internal' });
        log.error({ event: 'ingest.internal_error', err: (err as Error).message, stack: (err as Error).stack }, `internal error on this birth: ${(err as Error).message}`);
        return { kind: 'rejected', reason: `internal error of the ingestor: ${(err as Error).message}`, category: 'rejected', sqlstate: undefined };
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
