// The path of a message from MQTT to the database, and the rules that make sure none is lost:
//
//   accept()   parses the topic (non-births are ignored silently), numbers the message in arrival order, and
//              puts it in the bounded in-memory queue, or in the durable spool when the queue is full, the
//              database is unavailable, or the spool already holds messages (so order is kept)
//   memory     the scheduler applies births (per device in order, devices in parallel); a job that finds an
//              earlier birth in the spool, or held, when its turn comes goes to the spool (or is held) instead; a
//              job the database cannot take now goes to the spool and the database is marked unavailable
//   probe      while the database is unavailable, `select 1` with backoff (250 ms doubling, capped)
//   replay     when the database is available, memory is empty and no spool write is in flight: the spool's
//              files in sequence order through the same scheduler; each file is removed once its birth is
//              committed or dead-lettered; a failure stops the pass (the rest stays on disk) until the next probe,
//              and so does a file whose turn comes while an earlier birth is held (the disk refused it)
//   held       births the disk refused, kept in memory and put back in the scheduler a second later
//
// One rule keeps each device's births in arrival (seq) order across the three places: no birth is applied, or
// written to the spool, while an earlier one waits elsewhere (see earlierWaits).
//
// Dead letters of an unavailable database stay in the spool as the raw message and are written on replay.
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { IngestConfig } from '../runtime/config/ingest.ts';
import { type ParsedTopic, type SparkplugTopic, TopicError, parseTopic } from '../sparkplug/topic.ts';
import { type ApplyContext, type BirthMessage, type Outcome, applyBirth } from './apply.ts';
import { DeadLetterWriter } from './dead-letters.ts';
import type { Logger } from '../runtime/log.ts';
import type { IngestMetrics } from './metrics.ts';
import { DatabaseUnavailable } from './pg-errors.ts';
import type { RebirthRequester } from './rebirth.ts';
import { DeviceScheduler } from './scheduler.ts';
import type { Spool, SpooledMessage } from './spool.ts';
import type { SqlText } from './sql.ts';

/** The settings the pipeline uses. */
export type PipelineLimits = Pick<IngestConfig, 'queueLimit' | 'queueMaxBytes' | 'concurrency' | 'chunkMetrics' | 'retryAttempts' | 'deadLetterMaxBytes' | 'maxPayloadBytes'>;

export interface PipelineOptions {
  pool: pg.Pool;
  sql: SqlText;
  spool: Spool;
  log: Logger;
  metrics: IngestMetrics;
  rebirth: RebirthRequester;
  /** The limits of docs/ingestor.md, as loadConfig reads them. */
  limits: PipelineLimits;
  /** Cap of the database probe backoff (default 30 s). */
  probeMaxMs?: number;
}

export interface Pipeline {
  accept(topic: string, payload: Buffer, receivedAt?: Date): void;
  /** Resolves when memory and spool are both empty (tests, benchmarks). */
  drained(): Promise<void>;
  databaseAvailable(): boolean;
  memoryDepth(): number;
  spoolDepth(): number;
  stop(): Promise<void>;
}

function deviceLabel(t: SparkplugTopic): string {
  return t.deviceId === undefined ? `${t.groupId}/${t.edgeNodeId}` : `${t.groupId}/${t.edgeNodeId}/${t.deviceId}`;
}

/** A birth topic we apply, or undefined for anything we ignore; throws TopicError for a malformed birth topic. */
function birthTopic(topic: string): SparkplugTopic | undefined {
  let parsed: ParsedTopic;
  try {
    parsed = parseTopic(topic);
  } catch (err) {
    // Only malformed topics under a birth subscription are worth a warning; anything else is noise.
    if (err instanceof TopicError && /^spBv1\.0\/[^/]+\/(DBIRTH|NBIRTH)(\/|$)/.test(topic)) throw err;
    return undefined;
  }
  if (parsed.messageType !== 'DBIRTH' && parsed.messageType !== 'NBIRTH') return undefined;
  return parsed;
}

export function createPipeline(options: PipelineOptions): Pipeline {
  const { limits, ...parts } = options;
  const o = { ...parts, queueLimit: limits.queueLimit, queueMaxBytes: limits.queueMaxBytes, concurrency: limits.concurrency,
    chunkMetrics: limits.chunkMetrics, retryAttempts: limits.retryAttempts, deadLetterMaxBytes: limits.deadLetterMaxBytes };
  const scheduler = new DeviceScheduler(o.concurrency);
  const ctx: ApplyContext = {
    pool: o.pool, sql: o.sql, log: o.log, metrics: o.metrics,
    chunkMetrics: o.chunkMetrics, retryAttempts: o.retryAttempts, maxPayloadBytes: limits.maxPayloadBytes,
  };
  const deadLetters = new DeadLetterWriter(o.pool, o.sql, o.deadLetterMaxBytes);
  let available = true;
  let probing = false;
  // The probe's backoff survives a probe that succeeds while births still fail (a database that answers but
  // refuses them, e.g. a missing privilege): it is reset only when a birth commits.
  let probeDelay = 250;
  let replaying = false;
  let stopped = false;
  let memory = 0; // memory jobs waiting or running
  let memoryBytes = 0; // their payload bytes
  let pendingWrites: Promise<void>[] = [];
  let held: BirthMessage[] = [];
  let heldTimer: NodeJS.Timeout | undefined;
  let heldOldest = Infinity; // the smallest seq in held
  const released = new Set<number>(); // held births back in the scheduler, not finished yet
  let releasedOrder: number[] = []; // the released batch's seqs, ascending (finished ones are skipped)
  let releasedHead = 0;

  /**
   * True when a birth that arrived before `seq` waits outside the scheduler's order: held (the disk refused it),
   * or released from there into the scheduler behind jobs that arrived after it. Such a birth goes first: a newer
   * one that finds it must not reach the database (or the spool, and from there replay) before it. Over all
   * devices, not just the birth's own: a DBIRTH may need an earlier NBIRTH of its edge node.
   */
  function earlierWaits(seq: number): boolean {
    if (heldOldest < seq) return true;
    while (releasedHead < releasedOrder.length && !released.has(releasedOrder[releasedHead]!)) releasedHead++;
    return releasedHead < releasedOrder.length && releasedOrder[releasedHead]! < seq;
  }

  const gauges = () => {
    o.metrics.queueDepth.set(memory);
    o.metrics.spoolDepth.set(o.spool.depth);
    o.metrics.spoolHeld.set(held.length);
  };

  const lineLog = (msg: { topic: string; parsed?: SparkplugTopic; seq: number }) =>
    o.log.child({ topic: msg.topic, device: msg.parsed ? deviceLabel(msg.parsed) : undefined, seq: msg.seq });

  function toSpool(msg: BirthMessage, why: string): Promise<void> {
    // Births the disk refused are older: nothing newer goes to the spool (and from there to replay) before them.
    if (held.length > 0) {
      hold(msg);
      return Promise.resolve();
    }
    const write = o.spool.append(msg).then(
      () => {
        o.log.debug({ topic: msg.topic, seq: msg.seq, event: 'spool.written', why }, `spooled (${why})`);
        gauges();
        kickReplay();
      },
      (err: Error) => {
        // The disk refused (full, read-only, gone): keep the birth in memory rather than drop it, and say so loudly.
        o.metrics.spoolWriteFailures.inc();
        o.log.error({ topic: msg.topic, seq: msg.seq, event: 'spool.write_failed', err: err.message },
          `cannot write to the spool ${o.spool.dir}: ${err.message}; keeping the birth in memory (free or fix INGEST_SPOOL_DIR)`);
        hold(msg);
      },
    );
    pendingWrites.push(write);
    void write.finally(() => {
      pendingWrites = pendingWrites.filter((p) => p !== write);
    });
    gauges();
    return write;
  }

  /**
   * Births the spool refused, kept in memory. While any is held or back in the scheduler, new births join the
   * held ones (and nothing is written to the spool), so nothing overtakes them. A second after the first is held
   * (not at once, so a broken disk and a broken database together do not spin), all of them go back to the
   * scheduler in arrival order, like new births (to the spool first if it holds any) — once the previous such
   * batch is finished (applied, spooled, or refused again and held).
   */
  function hold(msg: BirthMessage): void {
    held.push(msg);
    heldOldest = Math.min(heldOldest, msg.seq);
    gauges();
    armRelease();
  }

  function armRelease(): void {
    heldTimer ??= setTimeout(() => {
      heldTimer = undefined;
      if (released.size > 0) return armRelease();
      const batch = held.sort((a, b) => a.seq - b.seq);
      held = [];
      heldOldest = Infinity;
      releasedOrder = batch.map((m) => m.seq);
      releasedHead = 0;
      for (const m of batch) {
        released.add(m.seq);
        enqueueMemory(m);
      }
    }, 1000);
  }

  function reportIngested(msg: BirthMessage, outcome: Extract<Outcome, { kind: 'ingested' }>, log: Logger): void {
    probeDelay = 250;
    o.metrics.birthsIngested.inc();
    o.metrics.ingestLatency.observe((Date.now() - msg.receivedAt.getTime()) / 1000);
    log.info({ event: 'birth.ingested', type: msg.parsed.messageType, metrics: outcome.metrics, receivedAt: msg.receivedAt.toISOString(), ...outcome.timings, summary: outcome.summary },
      `${msg.parsed.messageType} applied: ${outcome.metrics} metrics`);
    if (outcome.unresolvedAliases.length > 0) {
      const some = outcome.unresolvedAliases.slice(0, 5).join(', ');
      log.warn({ event: 'birth.unresolved_aliases', aliases: outcome.unresolvedAliases.length },
        `${outcome.unresolvedAliases.length} alias-only metrics had no name in the device's or the edge node's map (alias ${some}); stored as alias:<id>`);
      o.rebirth.request(msg.parsed.groupId, msg.parsed.edgeNodeId, `DBIRTH ${msg.topic} has alias-only metrics without a known name (alias ${some})`, log);
    }
  }

  /** A DBIRTH the catalog already held (its fingerprint matched): nothing was sent; counted as ingested too. */
  function reportUnchanged(msg: BirthMessage, outcome: Extract<Outcome, { kind: 'unchanged' }>, log: Logger): void {
    probeDelay = 250;
    o.metrics.birthsIngested.inc();
    o.metrics.birthsUnchanged.inc();
    o.metrics.ingestLatency.observe((Date.now() - msg.receivedAt.getTime()) / 1000);
    log.info({ event: 'birth.unchanged', type: msg.parsed.messageType, metrics: outcome.metrics, receivedAt: msg.receivedAt.toISOString(), ...outcome.timings },
      `${msg.parsed.messageType} of ${deviceLabel(msg.parsed)} unchanged: the catalog holds its fingerprint (${outcome.metrics} metrics); nothing sent`);
  }

  function reportApplied(msg: BirthMessage, outcome: Exclude<Outcome, { kind: 'rejected' }>, log: Logger): void {
    if (outcome.kind === 'unchanged') reportUnchanged(msg, outcome, log);
    else reportIngested(msg, outcome, log);
  }

  /** Bookkeeping after a commit: a failure there is logged, never taken for a failed birth (no re-apply). */
  function afterCommit(report: () => void, log: Logger): void {
    try {
      report();
    } catch (err) {
      log.error({ event: 'ingest.report_failed', err: (err as Error).message }, `the birth is committed, but reporting it failed: ${(err as Error).message}`);
    }
  }

  /** Writes the dead letter (batched; outside the device's turn: it changes nothing of the catalog). */
  async function deadLetter(msg: BirthMessage, outcome: Extract<Outcome, { kind: 'rejected' }>, log: Logger): Promise<void> {
    await deadLetters.write({ topic: msg.topic, receivedAt: msg.receivedAt, payload: msg.payload, reason: outcome.reason, sqlstate: outcome.sqlstate });
    o.metrics.deadLettered.inc({ reason: outcome.category });
    log.warn({ event: 'birth.dead_lettered', reason: outcome.reason, sqlstate: outcome.sqlstate }, `dead-lettered to uns_meta.dead_letters: ${outcome.reason}`);
    if (outcome.category === 'decode') o.rebirth.request(msg.parsed.groupId, msg.parsed.edgeNodeId, `undecodable ${msg.parsed.messageType} on ${msg.topic}`, log);
  }

  function markUnavailable(err: DatabaseUnavailable, log: Logger): void {
    if (available) log.error({ event: 'db.unavailable', err: err.message }, `${err.message}; births go to the spool until it is back`);
    available = false;
    void probe();
  }

  async function probe(): Promise<void> {
    if (probing || stopped) return;
    probing = true;
    try {
      while (!stopped && !available) {
        await sleep(probeDelay);
        probeDelay = Math.min(o.probeMaxMs ?? 30_000, probeDelay * 2);
        try {
          await o.pool.query(o.sql.ping);
          available = true;
          o.log.info({ event: 'db.available' }, 'the database is reachable again; replaying the spool');
        } catch (err) {
          o.log.debug({ event: 'db.probe_failed', err: (err as Error).message, retryInMs: probeDelay }, 'database probe failed');
        }
      }
    } finally {
      probing = false;
    }
    kickReplay();
  }

  function enqueueMemory(msg: BirthMessage): void {
    memory++;
    memoryBytes += msg.payload.length;
    gauges();
    const done = () => {
      released.delete(msg.seq);
      memory--;
      memoryBytes -= msg.payload.length;
      gauges();
      if (memory === 0) kickReplay();
    };
    const spoolAfterFailure = async (err: unknown, log: Logger) => {
      if (err instanceof DatabaseUnavailable) {
        markUnavailable(err, log);
        await toSpool(msg, 'database unavailable');
      } else {
        log.error({ event: 'birth.failed', err: (err as Error).message }, `unexpected failure: ${(err as Error).message}; spooling the birth`);
        await toSpool(msg, 'unexpected failure');
      }
    };
    scheduler.push({
      node: `${msg.parsed.groupId}/${msg.parsed.edgeNodeId}`,
      device: msg.parsed.deviceId,
      run: async () => {
        const log = lineLog(msg);
        let handedOff = false;
        try {
          if (stopped) {
            await toSpool(msg, 'shutting down');
            return;
          }
          if (o.spool.holdsOlderThan(msg.seq) || earlierWaits(msg.seq)) {
            // toSpool holds it instead while births are held; released ones are sorted back into order.
            await toSpool(msg, 'earlier births are in the spool or held');
            return;
          }
          const outcome = await applyBirth(ctx, msg, log);
          if (outcome.kind !== 'rejected') afterCommit(() => reportApplied(msg, outcome, log), log);
          else {
            handedOff = true;
            void deadLetter(msg, outcome, log).catch((err: unknown) => spoolAfterFailure(err, log)).finally(done);
          }
        } catch (err) {
          await spoolAfterFailure(err, log);
        } finally {
          if (!handedOff) done();
        }
      },
    });
  }

  function kickReplay(): void {
    if (replaying || stopped || !available || o.spool.depth === 0) return;
    replaying = true;
    void replay().finally(() => {
      replaying = false;
      if (o.spool.depth > 0 && available && !stopped) setTimeout(kickReplay, 10);
      gauges();
    });
  }

  async function replay(): Promise<void> {
    while (!stopped && available && o.spool.depth > 0) {
      // Earlier births still in memory or still being written come first.
      while (!stopped && (memory > 0 || o.spool.busy)) await sleep(20);
      if (stopped) return;
      const pass = { aborted: false };
      let inFlight = 0;
      const seqs = o.spool.sequences();
      for (const seq of seqs) {
        while (inFlight >= o.queueLimit && !pass.aborted) await sleep(10);
        if (pass.aborted || stopped) break;
        const topic = o.spool.topicOf(seq);
        if (topic === undefined) continue;
        let parsed: SparkplugTopic | undefined;
        try {
          parsed = birthTopic(topic);
        } catch {
          parsed = undefined;
        }
        if (!parsed) {
          // Only births are ever spooled; a file with another topic was put there by hand: leave it, say so.
          o.log.error({ topic, seq, event: 'spool.foreign_file' }, `spool file ${seq} is not a birth; removing it from the replay`);
          await o.spool.remove(seq);
          continue;
        }
        const p = parsed;
        inFlight++;
        scheduler.push({
          node: `${p.groupId}/${p.edgeNodeId}`,
          device: p.deviceId,
          run: async () => {
            let handedOff = false;
            const finish = () => {
              inFlight--;
              gauges();
            };
            const fail = (err: unknown, log: Logger) => {
              pass.aborted = true;
              if (err instanceof DatabaseUnavailable) markUnavailable(err, log);
              else log.error({ event: 'spool.replay_failed', err: (err as Error).message }, `replay failed: ${(err as Error).message}`);
            };
            try {
              if (pass.aborted || stopped) return;
              if (earlierWaits(seq)) {
                // An earlier birth the disk refused goes first: the pass stops here and runs again after it.
                pass.aborted = true;
                return;
              }
              let raw: SpooledMessage;
              try {
                raw = await o.spool.read(seq);
              } catch (err) {
                const bad = await o.spool.quarantine(seq);
                o.log.error({ topic, seq, event: 'spool.unreadable', err: (err as Error).message, file: bad },
                  `spool file ${seq} is unreadable (${(err as Error).message}); moved aside to ${bad} for an operator`);
                return;
              }
              const msg: BirthMessage = { ...raw, parsed: p };
              const log = lineLog(msg);
              try {
                const outcome = await applyBirth(ctx, msg, log);
                if (outcome.kind !== 'rejected') {
                  await o.spool.remove(seq);
                  afterCommit(() => reportApplied(msg, outcome, log), log);
                } else {
                  handedOff = true;
                  void deadLetter(msg, outcome, log).then(() => o.spool.remove(seq)).catch((err: unknown) => fail(err, log)).finally(finish);
                }
              } catch (err) {
                fail(err, log);
              }
            } finally {
              if (!handedOff) finish();
            }
          },
        });
      }
      while (inFlight > 0) await sleep(10);
      if (pass.aborted) {
        if (available) await sleep(1000); // not a database outage: do not spin
        return;
      }
    }
  }

  function accept(topic: string, payload: Buffer, receivedAt = new Date()): void {
    if (stopped) return;
    let parsed: SparkplugTopic | undefined;
    try {
      parsed = birthTopic(topic);
    } catch (err) {
      o.metrics.birthsReceived.inc({ type: 'malformed' });
      o.log.warn({ topic, event: 'birth.bad_topic', err: (err as Error).message }, `${(err as Error).message}; ignored`);
      return;
    }
    if (!parsed) {
      o.metrics.ignored.inc();
      return;
    }
    o.metrics.birthsReceived.inc({ type: parsed.messageType });
    const msg: BirthMessage = { seq: o.spool.nextSeq(), topic, parsed, receivedAt, payload };
    if (held.length > 0 || released.size > 0) hold(msg);
    else if (o.spool.depth > 0) void toSpool(msg, 'the spool holds earlier births');
    else if (!available) void toSpool(msg, 'database unavailable');
    else if (memory >= o.queueLimit) void toSpool(msg, `the in-memory queue is full (${o.queueLimit})`);
    else if (memory > 0 && memoryBytes + payload.length > o.queueMaxBytes) void toSpool(msg, `the in-memory queue holds ${memoryBytes} bytes (INGEST_QUEUE_MAX_BYTES ${o.queueMaxBytes})`);
    else enqueueMemory(msg);
  }

  kickReplay();

  return {
    accept,
    databaseAvailable: () => available,
    memoryDepth: () => memory,
    spoolDepth: () => o.spool.depth,
    async drained() {
      while (memory > 0 || held.length > 0 || o.spool.depth > 0 || replaying) await sleep(20);
    },
    async stop() {
      stopped = true;
      // Births that have not started go to the spool (replayed at the next start); running ones finish.
      await Promise.all(scheduler.drainPending().map((job) => job.run()));
      await scheduler.idle();
      // Dead letters still being written (they left the scheduler early), then spool writes.
      for (let waited = 0; memory > 0 && waited < 30_000; waited += 10) await sleep(10);
      await Promise.allSettled(pendingWrites);
      clearTimeout(heldTimer);
      if (held.length > 0) {
        // The spool refused them; one last try, and what it still refuses is lost with the process: say so.
        const last = held;
        held = [];
        heldOldest = Infinity;
        await Promise.allSettled(last.map((m) => o.spool.append(m)));
        const lost = last.filter((m) => !o.spool.sequences().includes(m.seq));
        if (lost.length > 0) o.log.error({ event: 'spool.lost_at_stop', births: lost.length, topics: [...new Set(lost.map((m) => m.topic))].slice(0, 20) },
          `stopping with ${lost.length} births the spool ${o.spool.dir} refused; they are lost (free or fix INGEST_SPOOL_DIR)`);
      }
      while (replaying) await sleep(10);
      gauges();
    },
  };
}
