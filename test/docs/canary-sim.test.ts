// docs/canary-sim.md, run as written: each line of "Running it" through bash (bin/uns-meta), up to its "listening"
// line, a request, and SIGTERM (exit 0); the TypeScript example as a script. The first and third lines listen on the
// default port 55293, as the page says; the third on HTTPS with the page's token, certificate files and 429s.
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkout, docEnv } from '../support/doc-shell.ts';
import { codeBlocks } from '../support/markdown.ts';
import { call, makeSelfSignedCert } from '../canary-sim/helpers.ts';

const exec = promisify(execFile);
const blocks = codeBlocks('canary-sim.md');
const lines = blocks.find((b) => b.lang === 'sh')!.text.trim().split('\n').map((l) => l.replace(/\s+#.*$/, ''));
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'uns-meta-sim-doc-'));
  const tls = await makeSelfSignedCert();
  copyFileSync(tls.certPath, join(dir, 'cert.pem'));
  copyFileSync(tls.keyPath, join(dir, 'key.pem'));
  rmSync(tls.dir, { recursive: true, force: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs one line until its "listening" line, calls `body` with its URL and log, then SIGTERM: the exit code. */
async function running(line: string, body: (url: string, log: Record<string, unknown>[]) => Promise<void>): Promise<number | null> {
  const child = spawn('bash', ['-c', line], { cwd: dir, env: docEnv({ CANARY_SIM_API_TOKEN: '', LOG_LEVEL: 'info' }), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const log: Record<string, unknown>[] = [];
  try {
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (l) => {
        const json = JSON.parse(l) as Record<string, unknown>;
        log.push(json);
        if (json.msg === 'listening') resolve(String(json.url));
      });
      void exited.then((code) => reject(new Error(`${line}: exited ${code} before listening: ${stderr}`)));
    });
    await body(url, log);
  } finally {
    process.kill(-child.pid!, 'SIGTERM');
  }
  return exited;
}

describe('docs/canary-sim.md', () => {
  it('has the three lines this test runs', () => {
    expect(lines).toEqual([
      'uns-meta canary-sim',
      'uns-meta canary-sim --port 0 --log-level debug',
      'CANARY_SIM_API_TOKEN=s3cret uns-meta canary-sim --tls-cert cert.pem --tls-key key.pem --enforce-rate-limit',
    ]);
  });

  it('`uns-meta canary-sim` listens on http://127.0.0.1:55293', async () => {
    expect(await running(lines[0]!, async (url) => {
      expect(url).toBe('http://127.0.0.1:55293');
      expect((await call(url, 'getSessionToken', { historians: ['localhost'], clientId: 'doc' })).status).toBe(200);
    })).toBe(0);
  });

  it('`--port 0 --log-level debug`: any free port, one JSON log line per request', async () => {
    expect(await running(lines[1]!, async (url, log) => {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(url).not.toBe('http://127.0.0.1:55293');
      const before = log.length;
      await call(url, 'getSessionToken', { historians: ['localhost'], clientId: 'doc' });
      await new Promise((r) => setTimeout(r, 200));
      expect(log.slice(before).filter((l) => l.level === 20)).toHaveLength(1);
    })).toBe(0);
  });

  it('the token, the certificate files and the rate limit: HTTPS on 55293, the token required', async () => {
    expect(await running(lines[2]!, async (url, log) => {
      expect(url).toBe('https://127.0.0.1:55293');
      expect(log.find((l) => l.msg === 'listening')).toMatchObject({ apiTokenRequired: true, enforceRateLimit: true });
      const dispatcher = new Agent({ connect: { rejectUnauthorized: false } });
      const session = (apiToken: string) => call(url, 'getSessionToken', { apiToken, historians: ['localhost'], clientId: 'doc' }, { dispatcher });
      expect((await session('wrong')).json).not.toHaveProperty('sessionToken');
      expect((await session('s3cret')).json).toHaveProperty('sessionToken');
      expect(JSON.stringify(log)).not.toContain('s3cret');
    })).toBe(0);
  });

  it('the TypeScript example runs as a script', async () => {
    const example = blocks.find((b) => b.lang === 'ts')!.text;
    const script = join(dir, 'example.ts');
    writeFileSync(script, `${example.replace("'../src/", `'${checkout}/src/`)}\nconsole.log('closed');\n`);
    const { stdout, stderr } = await exec(process.execPath, [script]);
    expect(stderr).toBe('');
    expect(stdout).toBe('closed\n');
  });
});
