// What an API method handler gets besides the body, and the session check every session method starts with.

import { field, type JsonObject } from './json-fields.ts';
import { badSessionToken, type ApiMethod, type Envelope } from './protocol.ts';
import type { RequestLogEntry } from './request-log.ts';
import type { Session } from './sessions.ts';
import type { SimulatorState } from './state.ts';

export interface CallContext {
  state: SimulatorState;
  entry: RequestLogEntry;
  method: ApiMethod;
}

/**
 * The live session for the call's `sessionToken` (its idle timer reset), or the BadSessionToken envelope.
 * The badSessionToken fault answers BadSessionToken for a live token and closes that session.
 */
export function liveSession(body: JsonObject, ctx: CallContext): { session: Session } | { envelope: Envelope } {
  const token = field(body, 'sessionToken');
  const session = typeof token === 'string' ? ctx.state.sessions.use(token) : undefined;
  if (!session) return { envelope: badSessionToken() };
  ctx.entry.sessionId = session.id;
  if (ctx.state.faults.badSessionTokenFor(ctx.method)) {
    ctx.entry.faults.push('badSessionToken');
    ctx.state.sessions.close(session, 'fault');
    return { envelope: badSessionToken() };
  }
  return { session };
}
