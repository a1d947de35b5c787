// The one probe server of every long-running process, on METRICS_PORT/METRICS_HOST: /metrics (Prometheus),
// /healthz (the process answers) and /readyz (200 or 503, with a JSON object of the checks, e.g.
// {"mqtt":"connected","postgres":"reachable"}). Anything but GET/HEAD: 405; another path: 404.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface Readiness {
  ok: boolean;
  /** What each check found, e.g. { postgres: 'reachable' }. */
  checks: Record<string, string>;
}

export interface ProbeOptions {
  port: number;
  host: string;
  registry: Registry;
  /** Called per /readyz; a rejection answers 503 with `failed` as the checks. */
  ready(): Promise<Readiness>;
  failed?: Record<string, string>;
}

export interface ProbeServer {
  port: number;
  close(): Promise<void>;
}

export async function startProbeServer(options: ProbeOptions): Promise<ProbeServer> {
  const { registry } = options;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    const json = (status: number, body: unknown) => reply(status, `${JSON.stringify(body)}\n`, 'application/json');
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'method not allowed\n');
    if (path === '/healthz') return reply(200, 'ok\n');
    if (path === '/metrics') {
      registry.metrics().then((text) => reply(200, text, registry.contentType), (err: unknown) => reply(500, `${String(err)}\n`));
      return;
    }
    if (path === '/readyz') {
      options.ready().then((r) => json(r.ok ? 200 : 503, r.checks), () => json(503, options.failed ?? { ready: 'no' }));
      return;
    }
    reply(404, 'not found: try /metrics, /healthz or /readyz\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
