// Canary Write API sessions: created by getSessionToken, closed by revokeSessionToken or after `clientTimeout`
// milliseconds without a call (default 60 s). Every call that presents a live token resets its idle timer.

import { randomUUID } from 'node:crypto';
import { describe, field, isJsonObject } from './json-fields.ts';

export interface SessionSettings {
  /** Milliseconds between calls before the session closes. */
  clientTimeout: number;
  autoCreateDatasets: boolean;
  /** When true, closing the session writes a "No Data" TVQ to every tag the session wrote. */
  autoWriteNoData: boolean;
  extendData: boolean;
  insertReplaceData: boolean;
  externalPropertyStorage: boolean;
  /** Settings the simulator does not interpret, kept as sent. */
  other: Record<string, unknown>;
}

export type CloseReason = 'revoked' | 'expired' | 'fault' | 'reset';

export interface Session {
  /** A non-secret id for logs and read-back routes; the token itself is never logged. */
  id: string;
  token: string;
  clientId: string;
  historians: string[];
  settings: SessionSettings;
  createdAt: string;
  /** Monotonic time (performance.now()) of the last call that used the token. */
  lastSeen: number;
  calls: number;
  /** Tags this session wrote anything to (for autoWriteNoData on close). */
  tagsWritten: Set<string>;
}

export function defaultSettings(idleMs: number): SessionSettings {
  return {
    clientTimeout: idleMs,
    autoCreateDatasets: false,
    autoWriteNoData: true,
    extendData: true,
    insertReplaceData: false,
    externalPropertyStorage: false,
    other: {},
  };
}

const BOOLEAN_SETTINGS = ['autoCreateDatasets', 'autoWriteNoData', 'extendData', 'insertReplaceData', 'externalPropertyStorage'] as const;

/** Applies a `settings` object from a request on top of `base`; keys match case-insensitively. */
export function applySettings(
  base: SessionSettings,
  raw: unknown,
): { ok: true; settings: SessionSettings } | { ok: false; error: string } {
  if (raw === undefined || raw === null) return { ok: true, settings: base };
  if (!isJsonObject(raw)) return { ok: false, error: `settings must be an object, got ${describe(raw)}` };
  const settings: SessionSettings = { ...base, other: { ...base.other } };
  const timeout = field(raw, 'clientTimeout');
  if (timeout !== undefined) {
    if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout <= 0) {
      return { ok: false, error: `settings.clientTimeout must be a positive integer of milliseconds, got ${describe(timeout)}` };
    }
    settings.clientTimeout = timeout;
  }
  for (const key of BOOLEAN_SETTINGS) {
    const value = field(raw, key);
    if (value === undefined) continue;
    if (typeof value !== 'boolean') {
      return { ok: false, error: `settings.${key} must be true or false, got ${describe(value)}` };
    }
    settings[key] = value;
  }
  const known = new Set(['clienttimeout', ...BOOLEAN_SETTINGS.map((k) => k.toLowerCase())]);
  for (const [key, value] of Object.entries(raw)) {
    if (!known.has(key.toLowerCase())) settings.other[key] = value;
  }
  return { ok: true, settings };
}

export interface SessionCounts {
  open: number;
  created: number;
  revoked: number;
  expired: number;
  closedByFault: number;
}

export class SessionStore {
  readonly #byToken = new Map<string, Session>();
  readonly #idleMs: number;
  readonly #onClose: (session: Session, reason: CloseReason) => void;
  #nextId = 1;
  #counts = { created: 0, revoked: 0, expired: 0, closedByFault: 0 };

  constructor(idleMs: number, onClose: (session: Session, reason: CloseReason) => void) {
    this.#idleMs = idleMs;
    this.#onClose = onClose;
  }

  get defaultIdleMs(): number {
    return this.#idleMs;
  }

  create(clientId: string, historians: string[], settings: SessionSettings): Session {
    const session: Session = {
      id: `s${this.#nextId++}`,
      token: randomUUID(),
      clientId,
      historians,
      settings,
      createdAt: new Date().toISOString(),
      lastSeen: performance.now(),
      calls: 1,
      tagsWritten: new Set(),
    };
    this.#byToken.set(session.token, session);
    this.#counts.created++;
    return session;
  }

  /** The live session for a token, its idle timer reset; `undefined` when unknown, expired or revoked. */
  use(token: string): Session | undefined {
    const session = this.#byToken.get(token);
    if (!session) return undefined;
    const now = performance.now();
    if (now - session.lastSeen > session.settings.clientTimeout) {
      this.close(session, 'expired');
      return undefined;
    }
    session.lastSeen = now;
    session.calls++;
    return session;
  }

  close(session: Session, reason: CloseReason): void {
    if (!this.#byToken.delete(session.token)) return;
    if (reason === 'revoked') this.#counts.revoked++;
    else if (reason === 'expired') this.#counts.expired++;
    else if (reason === 'fault') this.#counts.closedByFault++;
    this.#onClose(session, reason);
  }

  /** Closes every session idle longer than its clientTimeout. */
  sweep(): void {
    const now = performance.now();
    for (const session of [...this.#byToken.values()]) {
      if (now - session.lastSeen > session.settings.clientTimeout) this.close(session, 'expired');
    }
  }

  closeAll(reason: CloseReason): number {
    const all = [...this.#byToken.values()];
    for (const session of all) this.close(session, reason);
    return all.length;
  }

  list(): Session[] {
    return [...this.#byToken.values()];
  }

  counts(): SessionCounts {
    return { open: this.#byToken.size, ...this.#counts };
  }

  clear(): void {
    this.closeAll('reset');
    this.#counts = { created: 0, revoked: 0, expired: 0, closedByFault: 0 };
    this.#nextId = 1;
  }
}
