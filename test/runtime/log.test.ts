// The one logger factory (src/runtime/log.ts): every secret variable of every schema and the database password
// are scrubbed from every line, secret-named fields are censored, and no module builds a logger of its own.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/runtime/log.ts';

const dir = mkdtempSync(join(tmpdir(), 'uns-meta-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture(env: Record<string, string>, secrets: string[] = []) {
  const lines: string[] = [];
  const log = createLogger('uns-meta-test', { level: 'info', env, secrets, destination: { write: (s: string) => void lines.push(s) } });
  return { log, lines };
}

describe('createLogger', () => {
  it('writes the one format: level, ISO time, pid, name, msg', () => {
    const { log, lines } = capture({});
    log.info('hello');
    const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(line).toMatchObject({ level: 30, pid: process.pid, name: 'uns-meta-test', msg: 'hello' });
    expect(String(line.time)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('scrubs the value of every secret variable, whatever the command', () => {
    const pgpass = join(dir, 'pgpass');
    writeFileSync(pgpass, '127.0.0.1:5432:db:app:file-secret-9\n', { mode: 0o600 });
    const env = {
      CANARY_API_TOKEN: 'canary-token-1', CANARY_SIM_API_TOKEN: 'sim-token-2', MQTT_PASSWORD: 'mqtt-pass-3', PGPASSWORD: 'pg-pass-4',
      DATABASE_URL: 'postgres://app:url-pass-5@127.0.0.1:5432/db', PGPASSFILE: pgpass,
    };
    const { log, lines } = capture(env, ['cli-token-6']);
    const all = ['canary-token-1', 'sim-token-2', 'mqtt-pass-3', 'pg-pass-4', 'url-pass-5', 'cli-token-6'];
    log.error({ err: new Error(`refused: ${all.join(' ')}`) }, `failed with ${all.map(encodeURIComponent).join(',')}`);
    expect(lines).toHaveLength(1);
    for (const secret of all) expect(lines[0]).not.toContain(secret);
    expect(lines[0]).toContain('[redacted]');

    // the password of the password file, when DATABASE_URL has none
    const fromFile = capture({ DATABASE_URL: 'postgres://app@127.0.0.1:5432/db', PGPASSFILE: pgpass });
    fromFile.log.warn('login with file-secret-9 failed');
    expect(fromFile.lines[0]).not.toContain('file-secret-9');
  });

  it('keeps the last error line\'s message, scrubbed, for the status topic', () => {
    const lastError: { message?: string; at?: string } = {};
    const log = createLogger('uns-meta-test', { env: { MQTT_PASSWORD: 'mqtt-pass-7' }, lastError, destination: { write: () => undefined } });
    log.warn('only a warning');
    expect(lastError.message).toBeUndefined();
    log.error({ err: 'x' }, 'login refused with mqtt-pass-7');
    expect(lastError.message).toBe('login refused with [redacted]');
    expect(lastError.at).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('censors fields named like a secret, at the top level and one object down', () => {
    const { log, lines } = capture({});
    log.info({ apiToken: 'a1', session: { sessionToken: 's1', password: 'p1' }, token: 't1' }, 'fields');
    const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(line).toMatchObject({ apiToken: '[redacted]', session: { sessionToken: '[redacted]', password: '[redacted]' }, token: '[redacted]' });
  });

  it('is the only place a logger is built: no module under src/ calls pino() itself', () => {
    const src = new URL('../../src/', import.meta.url).pathname;
    const offenders: string[] = [];
    const walk = (d: string) => {
      for (const name of readdirSync(d)) {
        const p = join(d, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.ts') && !p.endsWith('runtime/log.ts') && /\bpino\(/.test(readFileSync(p, 'utf8'))) offenders.push(p.slice(src.length));
      }
    };
    walk(src);
    expect(offenders).toEqual([]);
  });
});
