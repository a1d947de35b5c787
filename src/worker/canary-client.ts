// Canary Write API client: one session (getSessionToken → calls → keepAlive while idle → revokeSessionToken),
// every HTTP attempt through the shared rate gate and the resilience policies. Tokens never appear in logs or
// error messages.
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { Agent, request } from 'undici';
import type { WorkerConfig } from '../runtime/config/worker.ts';
import { BadSessionTokenError, PermanentCanaryError, TransientCanaryError } from './canary-errors.ts';
import type { WorkerMetrics } from './metrics.ts';
import type { RateGate } from './rate-limit.ts';
import { CircuitState, canaryPolicies, circuitStateValue } from './resilience.ts';

export interface Envelope {
  statusCode: string;
  errors: string[];
  [field: string]: unknown;
}

/** Property rows by full tag path: [name, timestamp, value, quality]. */
export type PropertyRows = Record<string, [string, string, unknown, number][]>;

export interface StoreResult {
  /** Tags Canary reported in `errors`, with their messages. */
  tagErrors: Map<string, string>;
  /** `errors` entries that name no tag of the request. */
  otherErrors: string[];
}

export interface CanaryClientDeps {
  gate: RateGate;
  metrics: WorkerMetrics;
  logger: Logger;
}

export class CanaryClient {
  private readonly config: WorkerConfig;
  private readonly deps: CanaryClientDeps;
  private readonly agent: Agent;
  private readonly policies: ReturnType<typeof canaryPolicies>;
  private session: Promise<string> | undefined;
  private lastCallAt = performance.now();
  private readonly keepAliveTimer: NodeJS.Timeout;
  private closing: Promise<void> | undefined;

  constructor(config: WorkerConfig, deps: CanaryClientDeps) {
    this.config = config;
    this.deps = deps;
    this.agent = new Agent({ connections: config.maxInFlight + 2, keepAliveTimeout: 30_000 });
    this.policies = canaryPolicies(config, {
      onRetry: () => deps.metrics.retries.inc(),
      onCircuitState: (state) => {
        deps.metrics.circuitState.set(circuitStateValue[state]);
        if (state === CircuitState.Open) deps.metrics.circuitOpens.inc();
        deps.logger.warn({ circuit: circuitStateValue[state] }, 'Canary circuit breaker changed state (0 closed, 1 half-open, 2 open)');
      },
    });
    this.keepAliveTimer = setInterval(() => void this.keepAliveIfIdle(), Math.max(100, config.sessionTimeoutMs / 5));
    this.keepAliveTimer.unref();
  }

  /**
   * Writes property rows: `propertiesJson` is the serialized `properties` object (PropertyRows) of the given tags.
   * Retried, rate-limited, behind the circuit breaker.
   */
  async storeProperties(propertiesJson: string, tags: string[]): Promise<StoreResult> {
    const envelope = await this.policies.policy.execute(({ signal }) => this.storeOnce(propertiesJson, signal));
    return attributeErrors(tags, envelope);
  }

  /** Revokes the session (on shutdown). Never throws; a second call waits for the first. */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    clearInterval(this.keepAliveTimer);
    const session = this.session;
    this.session = undefined;
    if (session) {
      try {
        const token = await session;
        await this.post('revokeSessionToken', { sessionToken: token }, AbortSignal.timeout(5000));
      } catch (err) {
        this.deps.logger.warn({ err: safeError(err) }, 'could not revoke the Canary session');
      }
    }
    await this.agent.close();
  }

  private async storeOnce(propertiesJson: string, signal: AbortSignal): Promise<Envelope> {
    for (let attempt = 0; ; attempt++) {
      const session = this.currentSession(signal);
      const token = await session;
      const envelope = await this.post('storeData', `{"sessionToken":${JSON.stringify(token)},"properties":${propertiesJson}}`, signal);
      if (envelope.statusCode !== 'BadSessionToken') return envelope;
      // Re-acquire and resend once; a second refusal counts as a failed attempt (retried by the policy).
      if (this.session === session) this.session = undefined;
      if (attempt >= 1) throw new BadSessionTokenError('storeData');
      this.deps.logger.info('Canary session refused (BadSessionToken): acquiring a new one and resending');
    }
  }

  private currentSession(signal: AbortSignal): Promise<string> {
    if (!this.session) {
      const acquiring = this.acquireSession(signal);
      this.session = acquiring;
      acquiring.catch(() => {
        if (this.session === acquiring) this.session = undefined;
      });
    }
    return this.session;
  }

  private async acquireSession(signal: AbortSignal): Promise<string> {
    const envelope = await this.post('getSessionToken', {
      apiToken: this.config.apiToken,
      historians: this.config.historians,
      clientId: this.config.clientId,
      settings: sessionSettings(this.config),
    }, signal);
    const token = envelope.sessionToken;
    if (envelope.statusCode !== 'Good' || typeof token !== 'string' || token === '') {
      throw new PermanentCanaryError(`Canary refused getSessionToken (${envelope.statusCode}): ${envelope.errors.join('; ')}; check CANARY_API_TOKEN, CANARY_HISTORIANS and CANARY_CLIENT_ID`);
    }
    this.deps.metrics.sessionRefreshes.inc();
    return token;
  }

  private async keepAliveIfIdle(): Promise<void> {
    if (!this.session || performance.now() - this.lastCallAt < this.config.sessionTimeoutMs / 2) return;
    const session = this.session;
    try {
      const envelope = await this.post('keepAlive', { sessionToken: await session }, AbortSignal.timeout(this.config.requestTimeoutMs));
      if (envelope.statusCode === 'BadSessionToken' && this.session === session) this.session = undefined;
    } catch (err) {
      this.deps.logger.warn({ err: safeError(err) }, 'Canary keepAlive failed');
    }
  }

  /** One HTTP attempt: takes a rate slot, times out after CANARY_REQUEST_TIMEOUT_MS. */
  private async post(method: string, body: Record<string, unknown> | string, signal: AbortSignal): Promise<Envelope> {
    const waitStart = performance.now();
    this.deps.metrics.rateSlotWaiting.inc();
    try {
      await this.deps.gate.acquire();
    } finally {
      this.deps.metrics.rateSlotWaiting.dec();
    }
    this.deps.metrics.rateSlotWait.observe((performance.now() - waitStart) / 1000);
    this.lastCallAt = performance.now();
    const sent = performance.now();
    const count = (outcome: string) => {
      this.deps.metrics.requests.inc({ method, outcome });
      this.deps.metrics.requestDuration.observe({ method }, (performance.now() - sent) / 1000);
    };
    let res;
    try {
      res = await request(`${this.config.canaryUrl}/api/v1/${method}`, {
        method: 'POST',
        body: typeof body === 'string' ? body : JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
        dispatcher: this.agent,
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.config.requestTimeoutMs)]),
      });
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      count(timedOut ? 'timeout' : 'transport_error');
      throw new TransientCanaryError(timedOut
        ? `Canary ${method} got no answer within ${this.config.requestTimeoutMs} ms`
        : `Canary ${method} failed in transport: ${safeError(err)}`);
    }
    if (res.statusCode >= 500 || res.statusCode === 429) {
      await res.body.dump();
      count(`http_${res.statusCode}`);
      throw new TransientCanaryError(`Canary ${method} answered HTTP ${res.statusCode}`, res.statusCode);
    }
    let json: unknown;
    try {
      json = await res.body.json();
    } catch (err) {
      count('bad_body');
      throw new TransientCanaryError(`Canary ${method} answered HTTP ${res.statusCode} with a body that is not JSON: ${safeError(err)}`);
    }
    if (res.statusCode !== 200 || typeof json !== 'object' || json === null || typeof (json as Envelope).statusCode !== 'string') {
      count(`http_${res.statusCode}`);
      throw new PermanentCanaryError(`Canary ${method} answered HTTP ${res.statusCode} without a status envelope`);
    }
    const envelope = json as Envelope;
    if (!Array.isArray(envelope.errors)) envelope.errors = [];
    count(envelope.statusCode);
    if (envelope.statusCode === 'Error') {
      throw new PermanentCanaryError(`Canary refused ${method}: ${envelope.errors.join('; ') || 'statusCode Error'}`);
    }
    return envelope;
  }
}

/** Maps `errors` strings ("<tag>: <message>") to the tags of the request; the longest matching tag wins. */
export function attributeErrors(tags: string[], envelope: Envelope): StoreResult {
  const tagErrors = new Map<string, string>();
  const otherErrors: string[] = [];
  if (envelope.statusCode === 'Good') return { tagErrors, otherErrors };
  const byLength = [...tags].sort((a, b) => b.length - a.length);
  for (const error of envelope.errors) {
    const tag = byLength.find((t) => error.startsWith(`${t}:`) || error === t);
    if (tag === undefined) otherErrors.push(error);
    else tagErrors.set(tag, tagErrors.has(tag) ? `${tagErrors.get(tag)}; ${error}` : error);
  }
  if (envelope.statusCode !== 'Errors' && tagErrors.size === 0) {
    otherErrors.push(`statusCode ${envelope.statusCode}`);
  }
  return { tagErrors, otherErrors };
}

/** An error's message without anything that could be a token (tokens are only ever in request bodies). */
/** The session settings sent with getSessionToken: a metadata-only writer never writes "No Data". */
export function sessionSettings(config: WorkerConfig): Record<string, unknown> {
  return {
    clientTimeout: config.sessionTimeoutMs,
    autoWriteNoData: false,
    ...(config.dataset === 'Test' ? { autoCreateDatasets: true } : {}),
  };
}

export function safeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
