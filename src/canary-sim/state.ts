// Everything the running simulator holds, in one object: sessions, stored data, faults, the rate cap and the
// request log. Tests and benchmarks use its public methods (the same data the /sim/* routes serve); the HTTP
// layer and the API handlers use its components.

import { parseFaultPatch, FaultInjector, type FaultConfig, type FaultPatch } from './faults.ts';
import { RateCap, type RateCapStats } from './rate-cap.ts';
import { RequestLog, type RequestCounts, type RequestFilter, type RequestLogEntry } from './request-log.ts';
import { QUALITY_NO_DATA, splitTagPath } from './row-validation.ts';
import { SessionStore, type CloseReason, type Session, type SessionCounts, type SessionSettings } from './sessions.ts';
import { CanaryStorage, type StorageCounts, type StoredProperty, type TagView } from './storage.ts';

export interface StateOptions {
  apiToken: string | undefined;
  datasets: readonly string[];
  sessionIdleMs: number;
  rateLimitRps: number;
  enforceRateLimit: boolean;
  faults: FaultConfig;
  requestLogLimit: number;
  propertyHistoryLimit: number;
}

export interface SimStats {
  startedAt: string;
  uptimeMs: number;
  requests: RequestCounts;
  rate: RateCapStats;
  sessions: SessionCounts;
  storage: StorageCounts;
  faultsFired: Partial<Record<string, number>>;
}

/** A session as read-back shows it: no token. */
export interface SessionView {
  id: string;
  clientId: string;
  historians: string[];
  settings: SessionSettings;
  createdAt: string;
  idleMs: number;
  calls: number;
  tagsWritten: number;
}

export class SimulatorState {
  readonly options: StateOptions;
  /** performance.now() at start; request times are relative to it. */
  readonly t0 = performance.now();
  readonly startedAt = new Date().toISOString();
  readonly faults: FaultInjector;
  sessions: SessionStore;
  storage: CanaryStorage;
  rateCap: RateCap;
  log: RequestLog;

  constructor(options: StateOptions) {
    this.options = options;
    this.faults = new FaultInjector(options.faults);
    this.storage = new CanaryStorage(options.datasets, options.propertyHistoryLimit);
    this.sessions = new SessionStore(options.sessionIdleMs, (s, reason) => this.#onSessionClosed(s, reason));
    this.rateCap = new RateCap(options.rateLimitRps, options.enforceRateLimit);
    this.log = new RequestLog(options.requestLogLimit);
  }

  /** Canary's autoWriteNoData: a closing session writes a "No Data" TVQ to every tag it wrote. */
  #onSessionClosed(session: Session, reason: CloseReason): void {
    if (reason === 'reset' || !session.settings.autoWriteNoData) return;
    const now = new Date();
    for (const tag of session.tagsWritten) {
      const split = splitTagPath(tag);
      if (!split.ok) continue;
      this.storage.storeTvqs(
        tag,
        split.dataset,
        [{ timestamp: now.toISOString(), epochMs: now.getTime(), value: null, quality: QUALITY_NO_DATA }],
        session.id,
        now.toISOString(),
      );
    }
  }

  // ---- read-back for tests and benchmarks (not part of Canary's Write API) ----

  /** Everything stored for a tag, or `undefined` if nothing was ever stored for it. */
  tag(tag: string): TagView | undefined {
    return this.storage.tag(tag);
  }

  /** The latest value of each property of a tag, keyed by property name. */
  properties(tag: string): Record<string, StoredProperty> | undefined {
    return this.storage.tag(tag)?.properties;
  }

  tags(prefix?: string): string[] {
    return this.storage.tags(prefix);
  }

  datasets(): string[] {
    return this.storage.datasets();
  }

  requests(filter?: RequestFilter): RequestLogEntry[] {
    return this.log.entries(filter);
  }

  sessionList(): SessionView[] {
    const now = performance.now();
    return this.sessions.list().map((s) => ({
      id: s.id,
      clientId: s.clientId,
      historians: [...s.historians],
      settings: structuredClone(s.settings),
      createdAt: s.createdAt,
      idleMs: Math.round(now - s.lastSeen),
      calls: s.calls,
      tagsWritten: s.tagsWritten.size,
    }));
  }

  stats(): SimStats {
    return {
      startedAt: this.startedAt,
      uptimeMs: Math.round(performance.now() - this.t0),
      requests: this.log.counts(),
      rate: this.rateCap.stats(),
      sessions: this.sessions.counts(),
      storage: this.storage.counts(),
      faultsFired: this.faults.current().fired,
    };
  }

  // ---- run-time control ----

  /** Sets faults (keys present replace, `null` clears one). Throws with the reason when the patch is invalid. */
  setFaults(patch: FaultPatch): void {
    const parsed = parseFaultPatch(patch);
    if (!parsed.ok) throw new Error(`invalid faults: ${parsed.error}`);
    this.faults.update(parsed.value);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** Closes every open session, so their next call gets BadSessionToken. Returns how many were closed. */
  expireAllSessions(): number {
    return this.sessions.closeAll('fault');
  }

  /** A Canary restart (startCanarySim's `state`): every session ends; stored data, faults and the log are kept. */
  restart(): void {
    this.sessions.closeAll('reset');
  }

  /** Back to the start-up state: no sessions, no stored tags, configured datasets, empty log, start-up faults. */
  reset(): void {
    this.sessions.clear();
    this.storage.clear();
    this.faults.restoreInitial();
    this.rateCap = new RateCap(this.options.rateLimitRps, this.options.enforceRateLimit);
    this.log = new RequestLog(this.options.requestLogLimit);
  }
}
