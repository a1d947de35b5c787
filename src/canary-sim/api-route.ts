// `POST /api/v1/<method>`: one Canary Write API request from arrival to answer.
//
// Order: count the arrival (rate cap) → read the body → log its size → refuse it if over the rate cap (429) →
// check size, verb and method → injected latency → injected transport fault (hang, reset, 5xx, 429) → parse
// JSON → the method's handler → HTTP 200 with the envelope.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { HANDLERS } from './api-methods.ts';
import { readBody, sendJson } from './http-io.ts';
import { isJsonObject, parseJsonBody } from './json-fields.ts';
import { API_METHODS, canonicalMethod, failed, type Envelope } from './protocol.ts';
import type { RequestLogEntry } from './request-log.ts';
import type { SimulatorState } from './state.ts';
import { countStoreData } from './store-data.ts';

export interface ApiRouteContext {
  state: SimulatorState;
  maxBodyBytes: number;
  /** Aborted when the simulator closes, ending injected delays. */
  closing: AbortSignal;
  onRequest: ((entry: RequestLogEntry) => void) | undefined;
}

/** Ends the TCP connection with an RST where the socket supports it, else just destroys it. */
function resetConnection(socket: Socket): void {
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

export async function handleApiRequest(
  req: IncomingMessage,
  res: ServerResponse,
  rawMethod: string,
  ctx: ApiRouteContext,
): Promise<void> {
  const { state } = ctx;
  const log = state.log;
  const t = performance.now() - state.t0;
  const method = canonicalMethod(rawMethod);
  const entry = log.begin(method ?? rawMethod, new Date().toISOString(), t);
  const allowed = state.rateCap.arrive(t);

  const finish = (outcome: string, httpStatus: number | null, envelope?: Envelope): void => {
    entry.httpStatus = httpStatus;
    entry.statusCode = httpStatus === 200 && envelope ? envelope.statusCode : null;
    entry.errors = envelope?.errors.length ?? 0;
    entry.durationMs = httpStatus === null ? null : performance.now() - state.t0 - t;
    log.finish(entry, outcome);
    ctx.onRequest?.(entry);
  };
  const respond = (status: number, envelope: Envelope, headers: Record<string, string> = {}): void => {
    sendJson(res, status, envelope, headers);
    finish(status === 200 ? envelope.statusCode : `HTTP ${status}`, status, envelope);
  };

  const read = await readBody(req, ctx.maxBodyBytes);
  entry.bodyBytes = read.bytes;
  if (read.kind === 'aborted') return finish('aborted', null);
  const parsed = read.kind === 'ok' ? parseJsonBody(read.body) : undefined;
  if (method === 'storeData' && parsed?.ok) Object.assign(entry, countStoreData(parsed.value));

  if (!allowed) {
    entry.faults.push('rateLimit');
    const { limit } = state.rateCap;
    return respond(
      429,
      failed(`more than ${limit} requests in one second (the plant's rate limit); slow down and retry after Retry-After`),
      { 'retry-after': '1' },
    );
  }
  if (read.kind === 'tooLarge') {
    return respond(
      413,
      failed(`request body is ${read.bytes} bytes, over the ${ctx.maxBodyBytes} this simulator accepts; send smaller batches`),
      { connection: 'close' },
    );
  }
  if (req.method !== 'POST') return respond(405, failed(`use POST for /api/v1/${rawMethod}`), { allow: 'POST' });
  if (!method) {
    return respond(404, failed(`"${rawMethod}" is not a Canary Write API method; use one of ${API_METHODS.join(', ')}`));
  }

  const delay = state.faults.latencyFor(method);
  if (delay > 0) {
    entry.faults.push('latency');
    try {
      await sleep(delay, undefined, { signal: ctx.closing });
    } catch {
      return finish('aborted', null); // the simulator is closing
    }
  }

  const fault = state.faults.transportFaultFor(method);
  if (fault) {
    entry.faults.push(fault.kind);
    switch (fault.kind) {
      case 'hang':
        return finish('hang', null); // never answered; the simulator's close() ends the connection
      case 'reset':
        finish('reset', null);
        return resetConnection(req.socket);
      case 'serverError':
        return respond(fault.status, failed(`simulated HTTP ${fault.status} (canary-sim serverError fault)`));
      case 'tooManyRequests':
        return respond(429, failed('simulated HTTP 429 (canary-sim tooManyRequests fault)'), {
          'retry-after': String(fault.retryAfterSeconds),
        });
    }
  }

  if (!parsed?.ok) return respond(200, failed(parsed?.error ?? 'request body could not be read'));
  if (!isJsonObject(parsed.value)) return respond(200, failed('request body must be a JSON object'));
  let envelope: Envelope;
  try {
    envelope = HANDLERS[method](parsed.value, { state, entry, method });
  } catch (err) {
    return respond(500, failed(`canary-sim internal error in ${method}: ${(err as Error).message}`));
  }
  respond(200, envelope);
}
