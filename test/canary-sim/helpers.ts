// Helpers for the simulator's tests: a real client (undici) speaking to the real server.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { request, type Dispatcher } from 'undici';
import type { CanarySim } from '../../src/canary-sim/index.ts';

export interface CallResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body (every simulator answer is JSON). */
  json: Record<string, unknown>;
}

/** POSTs a JSON body to /api/v1/<method> (as Canary's demos do: no Content-Type unless given). */
export async function call(
  baseUrl: string,
  method: string,
  body: unknown = {},
  options: { dispatcher?: Dispatcher; headers?: Record<string, string>; raw?: string; signal?: AbortSignal } = {},
): Promise<CallResult> {
  const res = await request(`${baseUrl}/api/v1/${method}`, {
    method: 'POST',
    body: options.raw ?? JSON.stringify(body),
    headers: options.headers ?? {},
    ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const json = (await res.body.json()) as Record<string, unknown>;
  return { status: res.statusCode, headers: res.headers, json };
}

export async function getJson(baseUrl: string, path: string, init: { method?: 'GET' | 'POST' | 'DELETE'; body?: unknown } = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await request(`${baseUrl}${path}`, {
    method: init.method ?? 'GET',
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> };
}

/** Opens a session and returns its token. */
export async function openSession(sim: CanarySim, settings: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<string> {
  const { json } = await call(sim.url, 'getSessionToken', {
    historians: ['localhost'],
    clientId: 'vitest',
    settings,
    ...extra,
  });
  if (json.statusCode !== 'Good' || typeof json.sessionToken !== 'string') {
    throw new Error(`getSessionToken failed: ${JSON.stringify(json)}`);
  }
  return json.sessionToken;
}

const execFileAsync = promisify(execFile);

export const TS = '2025-08-26T12:00:00.0000000Z';

export { setTimeout as sleep } from 'node:timers/promises';

/** A self-signed EC certificate for localhost and 127.0.0.1, made with the openssl CLI in a temp dir. */
export async function makeSelfSignedCert(): Promise<{ dir: string; certPath: string; keyPath: string; cert: string; key: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'canary-sim-tls-'));
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  await execFileAsync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ]);
  return { dir, certPath, keyPath, cert: await readFile(certPath, 'utf8'), key: await readFile(keyPath, 'utf8') };
}
