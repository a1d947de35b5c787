// The Canary Write API simulator: an HTTP(S) server that behaves as docs/canary-sim.md describes.
//
//   const sim = await startCanarySim({ port: 0 });
//   // ... point a client at sim.url, assert with sim.state.properties('Secil.Plant.Kiln.Temperature') ...
//   await sim.close();

import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { handleApiRequest } from './api-route.ts';
import { parseFaultPatch, type FaultConfig } from './faults.ts';
import { sendJson } from './http-io.ts';
import type { RequestLogEntry } from './request-log.ts';
import { handleSimRequest } from './sim-routes.ts';
import { SimulatorState } from './state.ts';
import { tlsOnlyPort } from './tls-port.ts';

export type { FaultConfig, FaultPatch, FaultTrigger, TagErrorRule } from './faults.ts';
export type { RequestFilter, RequestLogEntry } from './request-log.ts';
export type { SimStats, SimulatorState, SessionView } from './state.ts';
export type { StoredProperty, TagView } from './storage.ts';

export interface CanarySimOptions {
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 0: a free port; see `port` on the result). */
  port?: number;
  /** PEM certificate and key: serve HTTPS instead of HTTP. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** When set, getSessionToken must present this apiToken. */
  apiToken?: string;
  /** Datasets that exist at start (default ["Secil", "Test"]). */
  datasets?: string[];
  /** Session idle timeout in ms when a session's settings carry no clientTimeout (default 60000). */
  sessionIdleMs?: number;
  /** The plant's cap: requests in any one-second window (default 500). */
  rateLimitRps?: number;
  /** Answer HTTP 429 to requests beyond the cap (default false: only count and report). */
  enforceRateLimit?: boolean;
  /** Faults in force from the start (and restored by reset). */
  faults?: FaultConfig;
  /** Request-log entries kept in memory (default 10000; oldest dropped first). */
  requestLogLimit?: number;
  /** Property rows of history kept per tag (default 1000; the latest value per property is always kept). */
  propertyHistoryLimit?: number;
  /** Largest request body accepted (default 16 MiB); larger ones get HTTP 413. */
  maxBodyBytes?: number;
  /** Called once per API request when it is answered (or definitively not: reset, hang, aborted). */
  onRequest?: (entry: RequestLogEntry) => void;
  /**
   * The state of a closed simulator to serve again: a Canary restart. Its stored tags, datasets, faults, request log
   * and counters are kept (a historian keeps its data on disk); its sessions end, as Canary's do, so a client's old
   * token gets BadSessionToken. The options that build a state (apiToken ... propertyHistoryLimit) are then the
   * state's own and must not be given.
   */
  state?: SimulatorState;
}

export interface CanarySim {
  /** Base URL, e.g. http://127.0.0.1:41234 (API at `${url}/api/v1/<method>`). */
  url: string;
  port: number;
  state: SimulatorState;
  close(): Promise<void>;
}

const API_PATH = /^\/api\/v1\/([^/]+)\/?$/i;

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new Error(`canary-sim: ${name} must be a positive integer, got ${value}`);
  return value;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

const STATE_OPTIONS = ['apiToken', 'datasets', 'sessionIdleMs', 'rateLimitRps', 'enforceRateLimit', 'faults', 'requestLogLimit', 'propertyHistoryLimit'] as const;

/** The state of a Canary restart (options.state): its sessions end, everything else is kept. */
function restarted(state: SimulatorState, options: CanarySimOptions): SimulatorState {
  const given = STATE_OPTIONS.filter((k) => options[k] !== undefined);
  if (given.length > 0) throw new Error(`canary-sim: ${given.join(', ')} cannot be given with state (a restart keeps the state's own)`);
  state.restart();
  return state;
}

export async function startCanarySim(options: CanarySimOptions = {}): Promise<CanarySim> {
  const host = options.host ?? '127.0.0.1';
  const faults = parseFaultPatch(options.faults ?? {});
  if (!faults.ok) throw new Error(`canary-sim: invalid faults: ${faults.error}`);
  const datasets = options.datasets ?? ['Secil', 'Test'];
  if (!datasets.every((d) => d !== '' && !d.includes('.'))) {
    throw new Error('canary-sim: dataset names must be non-empty and contain no "."');
  }
  const state = options.state === undefined ? new SimulatorState({
    apiToken: options.apiToken === '' ? undefined : options.apiToken,
    datasets,
    sessionIdleMs: positiveInteger('sessionIdleMs', options.sessionIdleMs ?? 60_000),
    rateLimitRps: positiveInteger('rateLimitRps', options.rateLimitRps ?? 500),
    enforceRateLimit: options.enforceRateLimit ?? false,
    faults: options.faults ?? {},
    requestLogLimit: options.requestLogLimit ?? 10_000,
    propertyHistoryLimit: options.propertyHistoryLimit ?? 1000,
  }) : restarted(options.state, options);
  const closing = new AbortController();
  const apiContext = {
    state,
    maxBodyBytes: options.maxBodyBytes ?? 16 * 1024 * 1024,
    closing: closing.signal,
    onRequest: options.onRequest,
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://canary-sim');
    const api = API_PATH.exec(url.pathname);
    if (api) return handleApiRequest(req, res, api[1] ?? '', apiContext);
    if (url.pathname.startsWith('/sim/')) return handleSimRequest(req, res, url, state);
    sendJson(res, 404, {
      statusCode: 'Error',
      errors: [`no route ${url.pathname}; the API is POST /api/v1/<method>, read-back is under /sim/`],
    });
  };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    route(req, res).catch((err: unknown) => sendJson(res, 500, { error: `canary-sim internal error: ${String(err)}` }));
  };

  const httpsServer = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler) : undefined;
  const server: Server = httpsServer ?? createHttpServer(handler);
  // over TLS, the port is a front that answers plain HTTP with a 400 saying so (tls-port.ts)
  const tlsPort = httpsServer ? tlsOnlyPort(httpsServer) : undefined;
  const listening = tlsPort?.front ?? server;

  await new Promise<void>((resolve, reject) => {
    listening.once('error', reject);
    listening.listen(options.port ?? 0, host, () => {
      listening.off('error', reject);
      resolve();
    });
  });
  const port = (listening.address() as AddressInfo).port;
  const sweep = setInterval(() => state.sessions.sweep(), 1000);
  sweep.unref();

  let closed: Promise<void> | undefined;
  return {
    url: `${options.tls ? 'https' : 'http'}://${urlHost(host)}:${port}`,
    port,
    state,
    close() {
      closed ??= new Promise<void>((resolve) => {
        clearInterval(sweep);
        closing.abort();
        listening.close(() => resolve());
        server.closeAllConnections();
        tlsPort?.closeAll();
      });
      return closed;
    },
  };
}
