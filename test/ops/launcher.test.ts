// bin/uns-meta, the launcher for hosts whose Node cannot run the .ts sources (README, docs/deployment.md): it runs
// src/cli.ts with the release's .tools/ Node, else `node` on PATH when it strips types (22.18+), else exits 78 with
// one line saying how to install Node 24. The plain host is this machine's own /usr/bin/node (v20) on a PATH that holds
// nothing else, and a release copy without .tools/.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namedBlock } from '../support/markdown.ts';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
const HOST_NODE = '/usr/bin/node';

interface Result { code: number; stdout: string; stderr: string }
async function run(file: string, args: string[], env: NodeJS.ProcessEnv, cwd = root): Promise<Result> {
  try {
    const { stdout, stderr } = await exec(file, args, { env, cwd });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

let dir: string;
/** A release without .tools/: the launcher copied, the sources linked. */
let bare: string;
/** A release with a .tools/ holding Node 24 (the one running this test). */
let tooled: string;
/** A PATH directory holding only the host's Node 20, and one holding only a Node 24 (the one running this test). */
let hostPath: string;
let newPath: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'uns-meta-launcher-'));
  const release = (name: string, tools: boolean) => {
    const r = join(dir, name);
    mkdirSync(join(r, 'bin'), { recursive: true });
    copyFileSync(join(root, 'bin/uns-meta'), join(r, 'bin/uns-meta'));
    for (const d of ['src', 'node_modules', 'package.json', 'proto']) symlinkSync(join(root, d), join(r, d));
    if (tools) {
      // a release's .tools/ as `make setup` lays it out, holding the Node 24 that runs this test
      mkdirSync(join(r, '.tools/node_modules/.bin'), { recursive: true });
      symlinkSync(process.execPath, join(r, '.tools/node_modules/.bin/node'));
    }
    return r;
  };
  bare = release('bare', false);
  tooled = release('tooled', true);
  hostPath = join(dir, 'host-path');
  newPath = join(dir, 'new-path');
  mkdirSync(hostPath);
  mkdirSync(newPath);
  symlinkSync(HOST_NODE, join(hostPath, 'node'));
  symlinkSync(process.execPath, join(newPath, 'node'));
  // the premise: the host's Node cannot strip types (else this file tests nothing)
  const { stdout } = await exec(HOST_NODE, ['-p', 'process.versions.node']);
  const [major, minor] = stdout.trim().split('.').map(Number) as [number, number];
  expect(major < 22 || (major === 22 && minor < 18), `${HOST_NODE} is ${stdout.trim()}`).toBe(true);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const help = /^Usage: uns-meta <command> \[options\]\n/;

describe('bin/uns-meta', () => {
  it('a plain host (Node 20 on PATH, no .tools/): one line on how to install Node 24, exit 78, nothing run', async () => {
    const r = await run(join(bare, 'bin/uns-meta'), ['--help'], { PATH: hostPath });
    expect(r.code).toBe(78);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${join(hostPath, 'node')} is v20.`);
    expect(lines[0]).toContain(`run \`make setup\` in ${bare}, or \`npm install --prefix ${bare}/.tools node@24\``);
    expect(r.stderr).not.toContain('ERR_UNKNOWN_FILE_EXTENSION');
  });

  it('no node at all: the same line, exit 78', async () => {
    const r = await run(join(bare, 'bin/uns-meta'), ['--help'], { PATH: join(dir, 'nothing') });
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/^uns-meta: needs Node 24 \(or 22\.18\+\), no node on PATH and .*\/\.tools has none: run `make setup` in /);
  });

  it('the release\'s .tools/ Node comes before the host\'s Node 20 on PATH', async () => {
    const r = await run(join(tooled, 'bin/uns-meta'), ['--help'], { PATH: hostPath });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(help);
  });

  it('without .tools/, a Node on PATH that strips types runs it', async () => {
    const r = await run(join(bare, 'bin/uns-meta'), ['--help'], { PATH: newPath });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(help);
  });

  it('through a symbolic link (npm\'s bin link, /usr/local/bin) it finds its release, and passes arguments and exit codes on', async () => {
    const linkDir = join(dir, 'links');
    mkdirSync(linkDir);
    symlinkSync(join(tooled, 'bin/uns-meta'), join(linkDir, 'uns-meta'));
    const r = await run('uns-meta', ['frobnicate'], { PATH: `${linkDir}:${hostPath}:/usr/bin:/bin` });
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('unknown command "frobnicate"');
  });

  it('package.json names it as the `uns-meta` bin, the systemd units start it, and README\'s block runs as written', async () => {
    expect((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin).toEqual({ 'uns-meta': './bin/uns-meta' });
    for (const unit of ['ingest', 'worker']) {
      expect(readFileSync(join(root, `docs/ops/systemd/uns-meta-${unit}.service`), 'utf8')).toMatch(new RegExp(`^ExecStart=/opt/uns-meta/bin/uns-meta ${unit}$`, 'm'));
    }
    const block = namedBlock('../README.md', 'launcher').text;
    const r = await run('sh', ['-euc', block], { PATH: `${hostPath}:/usr/bin:/bin` }, tooled);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(help);
  });
});
