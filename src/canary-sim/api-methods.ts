// The Canary Write API methods other than storeData (see store-data.ts). Each takes the parsed JSON body and
// returns the envelope to send with HTTP 200.

import { timingSafeEqual } from 'node:crypto';
import { describe, field, type JsonObject } from './json-fields.ts';
import { liveSession, type CallContext } from './call-context.ts';
import { failed, good, type ApiMethod, type Envelope } from './protocol.ts';
import { applySettings, defaultSettings } from './sessions.ts';
import { storeData } from './store-data.ts';

export const SIMULATOR_VERSION = '25.0.0 (uns-meta canary-sim)';

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

const BAD_API_TOKEN = 'apiToken is missing or not valid for this server; send the API token configured in Canary';

function getSessionToken(body: JsonObject, ctx: CallContext): Envelope {
  const expected = ctx.state.options.apiToken;
  if (expected !== undefined) {
    const given = field(body, 'apiToken');
    if (typeof given !== 'string' || !sameSecret(given, expected)) return failed(BAD_API_TOKEN);
  }
  const historians = field(body, 'historians');
  if (
    !Array.isArray(historians) ||
    historians.length === 0 ||
    !(historians as unknown[]).every((h) => typeof h === 'string' && h.trim() !== '')
  ) {
    return failed(`historians must be a non-empty array of "host" or "host:port" strings, got ${describe(historians)}`);
  }
  const clientId = field(body, 'clientId');
  if (typeof clientId !== 'string' || clientId.trim() === '') {
    return failed(`clientId must be a non-empty string naming the client, got ${describe(clientId)}`);
  }
  const settings = applySettings(defaultSettings(ctx.state.sessions.defaultIdleMs), field(body, 'settings'));
  if (!settings.ok) return failed(settings.error);
  const session = ctx.state.sessions.create(clientId, historians as string[], settings.settings);
  ctx.entry.sessionId = session.id;
  return good({ sessionToken: session.token });
}

function keepAlive(body: JsonObject, ctx: CallContext): Envelope {
  const live = liveSession(body, ctx);
  return 'envelope' in live ? live.envelope : good();
}

function revokeSessionToken(body: JsonObject, ctx: CallContext): Envelope {
  const live = liveSession(body, ctx);
  if ('envelope' in live) return live.envelope;
  ctx.state.sessions.close(live.session, 'revoked');
  return good();
}

function updateSettings(body: JsonObject, ctx: CallContext): Envelope {
  const live = liveSession(body, ctx);
  if ('envelope' in live) return live.envelope;
  const raw = field(body, 'settings');
  if (raw === undefined || raw === null) return failed('settings is required: an object of session settings to change');
  const settings = applySettings(live.session.settings, raw);
  if (!settings.ok) return failed(settings.error);
  live.session.settings = settings.settings;
  return good();
}

function getDatasets(body: JsonObject, ctx: CallContext): Envelope {
  const historian = field(body, 'historian');
  if (typeof historian !== 'string' || historian.trim() === '') {
    return failed(`historian must be a non-empty "host" or "host:port" string, got ${describe(historian)}`);
  }
  // apiToken is optional here; when sent it must be right.
  const expected = ctx.state.options.apiToken;
  const given = field(body, 'apiToken');
  if (expected !== undefined && given !== undefined && (typeof given !== 'string' || !sameSecret(given, expected))) {
    return failed(BAD_API_TOKEN);
  }
  return good({ datasets: ctx.state.datasets() });
}

function version(): Envelope {
  return good({ version: SIMULATOR_VERSION });
}

export const HANDLERS: Record<ApiMethod, (body: JsonObject, ctx: CallContext) => Envelope> = {
  getSessionToken,
  storeData,
  keepAlive,
  revokeSessionToken,
  updateSettings,
  getDatasets,
  version,
};
