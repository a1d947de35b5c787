// Injectable faults, settable at start-up and at run time (POST /sim/faults or `state.setFaults()`).
//
// Every fault except `tagErrors` has a trigger:
//   { count?: N, fraction?: p, methods?: [...] }
//   - `methods` limits it to some API methods (any casing); absent = every method it applies to.
//   - `count` fires it for the next N matching requests, then it is spent.
//   - `fraction` fires it for each matching request with probability p, drawn from a PRNG seeded with `seed`
//     (default 1) and re-seeded whenever faults are set, so a run is reproducible.
//   - neither: fires for every matching request until cleared.
// Transport faults are tried in the order hang, reset, serverError, tooManyRequests; the first that fires wins.
// Latency is independent and delays the request before anything else happens.

import { describe, isJsonObject, type JsonObject } from './json-fields.ts';
import { canonicalMethod, SESSION_METHODS, type ApiMethod } from './protocol.ts';
import { seededRandom } from '../sparkplug/random.ts';

export interface FaultTrigger {
  count?: number;
  fraction?: number;
  methods?: string[];
}

export interface TagErrorRule {
  /** A full tag path that always fails... */
  tag?: string;
  /** ...or a prefix of tag paths that always fail. */
  prefix?: string;
  /** The error text returned for the tag (default says it is a simulated failure). */
  message?: string;
}

export interface FaultConfig {
  seed?: number;
  /** Delay every matching request by `ms` before handling it. */
  latency?: FaultTrigger & { ms: number };
  /** Answer HTTP `status` (500..599, default 503) instead of handling the request. */
  serverError?: FaultTrigger & { status?: number };
  /** Answer HTTP 429 with `Retry-After: retryAfterSeconds` (default 1). */
  tooManyRequests?: FaultTrigger & { retryAfterSeconds?: number };
  /** Destroy the connection without a response. */
  reset?: FaultTrigger;
  /** Never answer (the request stays open until the client gives up or the simulator closes). */
  hang?: FaultTrigger;
  /** Answer `BadSessionToken` to calls presenting a live token, and close that session. Session methods only. */
  badSessionToken?: FaultTrigger;
  /** storeData answers `Errors` for these tags (others in the request are stored). Persist until cleared. */
  tagErrors?: TagErrorRule[];
  /** storeData answers `Errors` with one error naming no tag (`message`) and stores nothing. storeData only. */
  requestErrors?: FaultTrigger & { message?: string };
}

/** A change to the faults: each key present replaces that fault; `null` clears it. */
export type FaultPatch = { [K in keyof FaultConfig]?: FaultConfig[K] | null };

export type TransportFault =
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'serverError'; status: number }
  | { kind: 'tooManyRequests'; retryAfterSeconds: number };

const TRIGGER_KEYS = ['latency', 'serverError', 'tooManyRequests', 'reset', 'hang', 'badSessionToken', 'requestErrors'] as const;
type TriggerKey = (typeof TRIGGER_KEYS)[number];
const ALL_KEYS = new Set<string>([...TRIGGER_KEYS, 'seed', 'tagErrors']);

type Result<T> = { ok: true; value: T } | { ok: false; error: string };

function positiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

function parseTrigger(key: string, raw: JsonObject, extra: readonly string[]): Result<FaultTrigger> {
  for (const k of Object.keys(raw)) {
    if (!['count', 'fraction', 'methods', ...extra].includes(k)) {
      return { ok: false, error: `${key}.${k} is not a fault option; use count, fraction, methods${extra.map((e) => `, ${e}`).join('')}` };
    }
  }
  const trigger: FaultTrigger = {};
  if (raw.count !== undefined) {
    if (!positiveInteger(raw.count)) return { ok: false, error: `${key}.count must be a positive integer, got ${describe(raw.count)}` };
    trigger.count = raw.count;
  }
  if (raw.fraction !== undefined) {
    if (typeof raw.fraction !== 'number' || !(raw.fraction > 0 && raw.fraction <= 1)) {
      return { ok: false, error: `${key}.fraction must be a number in (0, 1], got ${describe(raw.fraction)}` };
    }
    trigger.fraction = raw.fraction;
  }
  if (raw.methods !== undefined) {
    if (!Array.isArray(raw.methods) || raw.methods.length === 0) {
      return { ok: false, error: `${key}.methods must be a non-empty array of method names` };
    }
    const methods: string[] = [];
    for (const m of raw.methods as unknown[]) {
      const canonical = typeof m === 'string' ? canonicalMethod(m) : undefined;
      if (!canonical) return { ok: false, error: `${key}.methods: ${describe(m)} is not a Canary Write API method` };
      methods.push(canonical);
    }
    trigger.methods = methods;
  }
  return { ok: true, value: trigger };
}

function parseTagErrors(raw: unknown): Result<TagErrorRule[]> {
  if (!Array.isArray(raw)) return { ok: false, error: 'tagErrors must be an array of {tag | prefix, message?}' };
  const rules: TagErrorRule[] = [];
  for (const item of raw as unknown[]) {
    if (!isJsonObject(item)) return { ok: false, error: `tagErrors items must be objects, got ${describe(item)}` };
    const { tag, prefix, message, ...rest } = item;
    const unknownKey = Object.keys(rest)[0];
    if (unknownKey !== undefined) return { ok: false, error: `tagErrors.${unknownKey} is not an option; use tag, prefix, message` };
    const hasTag = typeof tag === 'string' && tag !== '';
    const hasPrefix = typeof prefix === 'string' && prefix !== '';
    if (hasTag === hasPrefix || (tag !== undefined && !hasTag) || (prefix !== undefined && !hasPrefix)) {
      return { ok: false, error: 'each tagErrors item needs exactly one of "tag" or "prefix" (a non-empty string)' };
    }
    if (message !== undefined && typeof message !== 'string') {
      return { ok: false, error: `tagErrors.message must be a string, got ${describe(message)}` };
    }
    const rule: TagErrorRule = hasTag ? { tag } : { prefix };
    if (message !== undefined) rule.message = message;
    rules.push(rule);
  }
  return { ok: true, value: rules };
}

/** Validates an untrusted fault patch (from JSON). */
export function parseFaultPatch(raw: unknown): Result<FaultPatch> {
  if (!isJsonObject(raw)) return { ok: false, error: `faults must be a JSON object, got ${describe(raw)}` };
  const patch: FaultPatch = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!ALL_KEYS.has(key)) {
      return { ok: false, error: `"${key}" is not a fault; use ${[...ALL_KEYS].join(', ')}` };
    }
    if (value === null) {
      (patch as Record<string, null>)[key] = null;
      continue;
    }
    if (key === 'seed') {
      if (typeof value !== 'number' || !Number.isInteger(value)) return { ok: false, error: 'seed must be an integer' };
      patch.seed = value;
      continue;
    }
    if (key === 'tagErrors') {
      const rules = parseTagErrors(value);
      if (!rules.ok) return rules;
      patch.tagErrors = rules.value;
      continue;
    }
    if (!isJsonObject(value)) return { ok: false, error: `${key} must be an object (or null to clear it), got ${describe(value)}` };
    switch (key as TriggerKey) {
      case 'latency': {
        const t = parseTrigger(key, value, ['ms']);
        if (!t.ok) return t;
        if (typeof value.ms !== 'number' || !Number.isInteger(value.ms) || value.ms < 0 || value.ms > 600_000) {
          return { ok: false, error: `latency.ms must be an integer from 0 to 600000, got ${describe(value.ms)}` };
        }
        patch.latency = { ...t.value, ms: value.ms };
        break;
      }
      case 'serverError': {
        const t = parseTrigger(key, value, ['status']);
        if (!t.ok) return t;
        const status = value.status ?? 503;
        if (typeof status !== 'number' || !Number.isInteger(status) || status < 500 || status > 599) {
          return { ok: false, error: `serverError.status must be an HTTP status from 500 to 599, got ${describe(status)}` };
        }
        patch.serverError = { ...t.value, status };
        break;
      }
      case 'tooManyRequests': {
        const t = parseTrigger(key, value, ['retryAfterSeconds']);
        if (!t.ok) return t;
        const retryAfterSeconds = value.retryAfterSeconds ?? 1;
        if (typeof retryAfterSeconds !== 'number' || !Number.isInteger(retryAfterSeconds) || retryAfterSeconds < 0) {
          return { ok: false, error: `tooManyRequests.retryAfterSeconds must be a non-negative integer, got ${describe(retryAfterSeconds)}` };
        }
        patch.tooManyRequests = { ...t.value, retryAfterSeconds };
        break;
      }
      case 'requestErrors': {
        const t = parseTrigger(key, value, ['message']);
        if (!t.ok) return t;
        if (value.message !== undefined && typeof value.message !== 'string') {
          return { ok: false, error: `requestErrors.message must be a string, got ${describe(value.message)}` };
        }
        patch.requestErrors = value.message === undefined ? t.value : { ...t.value, message: value.message };
        break;
      }
      case 'reset':
      case 'hang':
      case 'badSessionToken': {
        const t = parseTrigger(key, value, []);
        if (!t.ok) return t;
        patch[key as 'reset' | 'hang' | 'badSessionToken'] = t.value;
        break;
      }
    }
  }
  return { ok: true, value: patch };
}


export class FaultInjector {
  readonly #initial: FaultConfig;
  #config: FaultConfig = {};
  #random: () => number = seededRandom(1);
  #fired: Partial<Record<TriggerKey | 'tagErrors', number>> = {};

  constructor(initial: FaultConfig = {}) {
    this.#initial = structuredClone(initial);
    this.restoreInitial();
  }

  /** Applies a patch (keys present replace, `null` clears) and re-seeds the PRNG. */
  update(patch: FaultPatch): void {
    const next = { ...this.#config, ...structuredClone(patch) };
    for (const key of Object.keys(next) as (keyof FaultPatch)[]) {
      if (next[key] === null || next[key] === undefined) delete next[key];
    }
    this.#config = next as FaultConfig; // nulls removed above
    this.#random = seededRandom(this.#config.seed ?? 1);
  }

  clear(): void {
    this.#config = {};
    this.#random = seededRandom(1);
  }

  /** Back to the faults given at start-up, with their counts restored. */
  restoreInitial(): void {
    this.clear();
    this.update(this.#initial);
    this.#fired = {};
  }

  /** The faults in force (counts show what is left) and how often each has fired. */
  current(): { faults: FaultConfig; fired: Partial<Record<string, number>> } {
    return { faults: structuredClone(this.#config), fired: { ...this.#fired } };
  }

  #fires(key: TriggerKey, method: ApiMethod, appliesTo?: readonly ApiMethod[]): boolean {
    const trigger = this.#config[key];
    if (!trigger) return false;
    if (appliesTo && !appliesTo.includes(method)) return false;
    if (trigger.methods && !trigger.methods.includes(method)) return false;
    if (trigger.fraction !== undefined && this.#random() >= trigger.fraction) return false;
    if (trigger.count !== undefined) {
      trigger.count--;
      if (trigger.count <= 0) delete this.#config[key];
    }
    this.#fired[key] = (this.#fired[key] ?? 0) + 1;
    return true;
  }

  /** Milliseconds to delay this request (0 = none). */
  latencyFor(method: ApiMethod): number {
    const ms = this.#config.latency?.ms ?? 0;
    return this.#fires('latency', method) ? ms : 0;
  }

  /** A transport-level fault for this request, or `undefined` to handle it normally. */
  transportFaultFor(method: ApiMethod): TransportFault | undefined {
    if (this.#fires('hang', method)) return { kind: 'hang' };
    if (this.#fires('reset', method)) return { kind: 'reset' };
    const status = this.#config.serverError?.status ?? 503;
    if (this.#fires('serverError', method)) return { kind: 'serverError', status };
    const retryAfterSeconds = this.#config.tooManyRequests?.retryAfterSeconds ?? 1;
    if (this.#fires('tooManyRequests', method)) return { kind: 'tooManyRequests', retryAfterSeconds };
    return undefined;
  }

  /** Whether this call, presenting a live session token, must be answered BadSessionToken. */
  badSessionTokenFor(method: ApiMethod): boolean {
    return this.#fires('badSessionToken', method, SESSION_METHODS);
  }

  /** The injected error naming no tag for this storeData call, or `undefined`. */
  requestErrorFor(method: ApiMethod): string | undefined {
    const message = this.#config.requestErrors?.message ?? 'simulated failure of the whole request (canary-sim requestErrors fault)';
    return this.#fires('requestErrors', method, ['storeData']) ? message : undefined;
  }

  /** The injected error for a tag, or `undefined`. */
  tagError(tag: string): string | undefined {
    for (const rule of this.#config.tagErrors ?? []) {
      if (rule.tag === tag || (rule.prefix !== undefined && tag.startsWith(rule.prefix))) {
        this.#fired.tagErrors = (this.#fired.tagErrors ?? 0) + 1;
        return rule.message ?? 'simulated failure for this tag (canary-sim tagErrors fault)';
      }
    }
    return undefined;
  }
}
