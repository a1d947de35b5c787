// A bounded, in-memory log of every Canary API request the simulator receives (oldest dropped first), plus
// counters per method and outcome that are never dropped. Entries are added on arrival (outcome "pending") and
// completed when the request is answered, so the log is in arrival order.

import type { StatusCode } from './protocol.ts';

export interface RequestLogEntry {
  /** 1, 2, 3… in arrival order; survives the log dropping old entries. */
  seq: number;
  /** Wall-clock arrival time (ISO-8601). */
  at: string;
  /** Arrival, in milliseconds since the simulator started (monotonic, sub-millisecond). */
  t: number;
  /** The canonical API method, or the name as sent when Canary has no such method. */
  method: string;
  bodyBytes: number;
  /** Distinct tag paths across properties, tvqs and annotations. */
  tags: number;
  /** The distinct tag paths of a storeData body (empty for other methods). */
  tagPaths: string[];
  propertyRows: number;
  tvqRows: number;
  annotationRows: number;
  /** HTTP status answered; null when no response was sent (reset, hang) or not yet. */
  httpStatus: number | null;
  /** The envelope's statusCode when one was sent. */
  statusCode: StatusCode | null;
  /**
   * "pending", the envelope statusCode for HTTP 200, "HTTP <status>" otherwise, "reset" (connection destroyed),
   * "hang" (never answered) or "aborted" (the client went away before the body was read).
   */
  outcome: string;
  /** The fault injected into this request, if any: rateLimit, latency, hang, reset, serverError, tooManyRequests, badSessionToken. */
  faults: string[];
  /** Id of the session the call used (never the token). */
  sessionId: string | null;
  /** Number of error strings in the envelope. */
  errors: number;
  /** Milliseconds from arrival to answer; null while pending or when never answered. */
  durationMs: number | null;
}

export interface RequestFilter {
  method?: string;
  outcome?: string;
  /** Only entries with seq greater than this. */
  afterSeq?: number;
  /** At most this many (the most recent ones). */
  limit?: number;
}

export interface RequestCounts {
  received: number;
  /** byMethod[method][outcome] = requests answered that way. */
  byMethod: Record<string, Record<string, number>>;
}

export class RequestLog {
  readonly limit: number;
  #ring: RequestLogEntry[] = [];
  #start = 0;
  #seq = 0;
  #byMethod = new Map<string, Map<string, number>>();

  constructor(limit: number) {
    this.limit = limit;
  }

  begin(method: string, at: string, t: number): RequestLogEntry {
    const entry: RequestLogEntry = {
      seq: ++this.#seq,
      at,
      t,
      method,
      bodyBytes: 0,
      tags: 0,
      tagPaths: [],
      propertyRows: 0,
      tvqRows: 0,
      annotationRows: 0,
      httpStatus: null,
      statusCode: null,
      outcome: 'pending',
      faults: [],
      sessionId: null,
      errors: 0,
      durationMs: null,
    };
    if (this.#ring.length < this.limit) {
      this.#ring.push(entry);
    } else if (this.limit > 0) {
      this.#ring[this.#start] = entry;
      this.#start = (this.#start + 1) % this.limit;
    }
    return entry;
  }

  /** Marks an entry answered (or definitively unanswered) and counts its outcome. */
  finish(entry: RequestLogEntry, outcome: string): void {
    entry.outcome = outcome;
    let perOutcome = this.#byMethod.get(entry.method);
    if (!perOutcome) this.#byMethod.set(entry.method, (perOutcome = new Map<string, number>()));
    perOutcome.set(outcome, (perOutcome.get(outcome) ?? 0) + 1);
  }

  /** Copies of the kept entries, oldest first, filtered. */
  entries(filter: RequestFilter = {}): RequestLogEntry[] {
    const ordered = [...this.#ring.slice(this.#start), ...this.#ring.slice(0, this.#start)];
    const method = filter.method?.toLowerCase();
    const selected = ordered.filter(
      (e) =>
        (method === undefined || e.method.toLowerCase() === method) &&
        (filter.outcome === undefined || e.outcome === filter.outcome) &&
        (filter.afterSeq === undefined || e.seq > filter.afterSeq),
    );
    const limited = filter.limit === undefined ? selected : selected.slice(Math.max(0, selected.length - filter.limit));
    return limited.map((e) => ({ ...e, faults: [...e.faults] }));
  }

  counts(): RequestCounts {
    const byMethod: Record<string, Record<string, number>> = {};
    for (const [method, outcomes] of this.#byMethod) byMethod[method] = Object.fromEntries(outcomes);
    return { received: this.#seq, byMethod };
  }
}
