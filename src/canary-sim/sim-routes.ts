// Read-back and control routes under /sim/ for tests, benchmarks and the demo. NOT part of Canary's Write API:
// a real Canary has no such routes, so the client must never depend on them.
//
//   GET    /sim/stats                      counts per method/outcome, rate-cap maxima, sessions, storage
//   GET    /sim/requests?method=&outcome=&afterSeq=&limit=   the request log, oldest first
//   GET    /sim/tags?prefix=               stored tag paths
//   GET    /sim/tags/<tag>                 everything stored for a tag (URL-encode the tag path)
//   GET    /sim/tags/<tag>/properties      latest value per property name
//   GET    /sim/datasets                   datasets, including auto-created ones
//   GET    /sim/sessions                   open sessions (never their tokens)
//   POST   /sim/sessions/expire            close every session (their next call gets BadSessionToken)
//   GET    /sim/faults                     faults in force and how often each fired
//   POST   /sim/faults                     set faults: keys present replace, null clears one
//   DELETE /sim/faults                     clear all faults
//   POST   /sim/reset                      back to the start-up state

import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendJson } from './http-io.ts';
import { parseJsonBody } from './json-fields.ts';
import { parseFaultPatch } from './faults.ts';
import type { RequestFilter } from './request-log.ts';
import type { SimulatorState } from './state.ts';

const MAX_CONTROL_BODY = 1024 * 1024;

function notFound(res: ServerResponse, what: string): void {
  sendJson(res, 404, { error: `${what} not found; see docs/canary-sim.md for the /sim routes` });
}

function wrongVerb(res: ServerResponse, allowed: string): void {
  sendJson(res, 405, { error: `use ${allowed}` }, { allow: allowed });
}

function requestFilter(query: URLSearchParams): RequestFilter | string {
  const filter: RequestFilter = {};
  const method = query.get('method');
  const outcome = query.get('outcome');
  if (method !== null) filter.method = method;
  if (outcome !== null) filter.outcome = outcome;
  for (const key of ['afterSeq', 'limit'] as const) {
    const raw = query.get(key);
    if (raw === null) continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) return `${key} must be a non-negative integer`;
    filter[key] = n;
  }
  return filter;
}

async function setFaults(req: IncomingMessage, res: ServerResponse, state: SimulatorState): Promise<void> {
  const read = await readBody(req, MAX_CONTROL_BODY);
  if (read.kind !== 'ok') return sendJson(res, 400, { error: 'the faults body was too large or not received' });
  const json = parseJsonBody(read.body);
  if (!json.ok) return sendJson(res, 400, { error: json.error });
  const patch = parseFaultPatch(json.value);
  if (!patch.ok) return sendJson(res, 400, { error: patch.error });
  state.faults.update(patch.value);
  sendJson(res, 200, state.faults.current());
}

function tagRoute(res: ServerResponse, rest: string, state: SimulatorState): void {
  const wantsProperties = rest.endsWith('/properties');
  let tag: string;
  try {
    tag = decodeURIComponent(wantsProperties ? rest.slice(0, -'/properties'.length) : rest);
  } catch {
    return sendJson(res, 400, { error: 'the tag path is not valid URL encoding; encode it with encodeURIComponent' });
  }
  const view = state.tag(tag);
  if (!view) return notFound(res, `tag "${tag}"`);
  sendJson(res, 200, wantsProperties ? { tag, properties: view.properties } : view);
}

export async function handleSimRequest(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  state: SimulatorState,
): Promise<void> {
  const path = url.pathname.replace(/\/+$/, '');
  const verb = req.method ?? 'GET';
  if (path.startsWith('/sim/tags/')) {
    if (verb !== 'GET') return wrongVerb(res, 'GET');
    return tagRoute(res, path.slice('/sim/tags/'.length), state);
  }
  switch (path) {
    case '/sim/stats':
      return verb === 'GET' ? sendJson(res, 200, state.stats()) : wrongVerb(res, 'GET');
    case '/sim/requests': {
      if (verb !== 'GET') return wrongVerb(res, 'GET');
      const filter = requestFilter(url.searchParams);
      if (typeof filter === 'string') return sendJson(res, 400, { error: filter });
      return sendJson(res, 200, { requests: state.requests(filter) });
    }
    case '/sim/tags':
      if (verb !== 'GET') return wrongVerb(res, 'GET');
      return sendJson(res, 200, { tags: state.tags(url.searchParams.get('prefix') ?? '') });
    case '/sim/datasets':
      return verb === 'GET' ? sendJson(res, 200, { datasets: state.datasets() }) : wrongVerb(res, 'GET');
    case '/sim/sessions':
      return verb === 'GET' ? sendJson(res, 200, { sessions: state.sessionList() }) : wrongVerb(res, 'GET');
    case '/sim/sessions/expire':
      return verb === 'POST' ? sendJson(res, 200, { expired: state.expireAllSessions() }) : wrongVerb(res, 'POST');
    case '/sim/faults':
      if (verb === 'GET') return sendJson(res, 200, state.faults.current());
      if (verb === 'POST') return setFaults(req, res, state);
      if (verb === 'DELETE') {
        state.clearFaults();
        return sendJson(res, 200, state.faults.current());
      }
      return wrongVerb(res, 'GET, POST, DELETE');
    case '/sim/reset':
      if (verb !== 'POST') return wrongVerb(res, 'POST');
      state.reset();
      return sendJson(res, 200, { reset: true });
    default:
      return notFound(res, `route ${path}`);
  }
}
