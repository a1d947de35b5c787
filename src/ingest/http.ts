// /metrics, /healthz (the process answers) and /readyz (MQTT connected and Postgres reachable) on METRICS_PORT.
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface ReadinessCheck {
  mqtt(): boolean;
  postgres(): Promise<boolean>;
}

export async function startHttpServer(registry: Registry, ready: ReadinessCheck, port: number, host: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'method not allowed\n');
    if (path === '/healthz') return reply(200, 'ok\n');
    if (path === '/metrics') {
      registry.metrics().then((m) => reply(200, m, registry.contentType), (err: Error) => reply(500, `${err.message}\n`));
      return;
    }
    if (path === '/readyz') {
      const mqtt = ready.mqtt();
      ready.postgres().then(
        (pg) => reply(mqtt && pg ? 200 : 503, JSON.stringify({ mqtt: mqtt ? 'connected' : 'disconnected', postgres: pg ? 'reachable' : 'unreachable' }) + '\n', 'application/json'),
        () => reply(503, JSON.stringify({ mqtt: mqtt ? 'connected' : 'disconnected', postgres: 'unreachable' }) + '\n', 'application/json'),
      );
      return;
    }
    reply(404, 'not found: try /metrics, /healthz or /readyz\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
