// docs/worker.md, run as written: the page's command block (the worker started with its variables, the resync and
// replay commands) through bash, `uns-meta` being the checkout's bin/uns-meta, its values swapped for the test's
// (the clone, the simulator, a free port); and the canary_parity queries through psql as uns_meta_ro. The catalog is
// the plant's DBIRTH fixture; the simulator refuses one of its tags, so a change is dead-lettered and replayed.
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../src/embedded-mosquitto.ts';
import type { PayloadJson } from '../../src/sparkplug/json-types.ts';
import { docEnv, shell } from '../support/doc-shell.ts';
import { codeBlocks } from '../support/markdown.ts';
import { ingest, parity, setDebounce, storeRequests, TAG, useWorkerFixture, waitFor } from '../worker/helpers.ts';

const exec = promisify(execFile);
const fixture = JSON.parse(readFileSync(new URL('../../fixtures/sparkplug/plant-dbirth-portugal-cement.json', import.meta.url), 'utf8')) as PayloadJson;
const names = fixture.metrics!.map((m) => m.name!);
const tags = names.map((n) => TAG(n));
const refused = TAG(names[2]!);
const fx = useWorkerFixture();

const [commands, queries] = ((blocks) => [blocks.find((b) => b.lang === 'sh')!.text, blocks.find((b) => b.lang === 'sql')!.text])(codeBlocks('worker.md'));
const lines = commands.replace(/\\\n/g, ' ').trim().split('\n');

/** The page's variables, with the test's values. */
async function values(): Promise<Record<string, string>> {
  return { DATABASE_URL: fx.db.url('uns_meta_app'), CANARY_URL: fx.sim.url, CANARY_API_TOKEN: 'docs-token', METRICS_PORT: String(await freePort()) };
}
function substitute(line: string, v: Record<string, string>): string {
  return line.replace(/\b([A-Z_]+)=(\S+)/g, (all, key: string) => (key in v ? `${key}=${v[key]}` : all));
}
async function sh(line: string, v: Record<string, string>): Promise<{ code: number; out: string }> {
  const r = await shell(line, { ...v, LOG_LEVEL: 'info' });
  return { code: r.code, out: r.stdout + r.stderr };
}
async function psql(sql: string): Promise<string[]> {
  const { stdout } = await exec('psql', ['-XAtq', '-v', 'ON_ERROR_STOP=1', '-U', 'uns_meta_ro', '-d', fx.db.name, '-c', sql]);
  return stdout.trim().split('\n').filter((l) => l !== '');
}

describe('docs/worker.md', () => {
  it('has the commands this test runs: the worker, two resyncs, two replays', () => {
    expect(lines.map((l) => l.replace(/\s+#.*$/, '').split(/\s+/).filter((w) => !w.includes('=')).slice(0, 4).join(' '))).toEqual([
      'uns-meta worker', 'uns-meta canary resync --prefix', 'uns-meta canary resync --device', 'uns-meta canary replay', 'uns-meta canary replay --send',
    ]);
  });

  it('the worker command syncs the plant\'s birth; parity shows the refused tag; resync and replay do what their comments say', async () => {
    await setDebounce(fx.db, '0 seconds');
    fx.sim.state.setFaults({ tagErrors: [{ tag: refused, message: 'Tag is already being logged' }] });
    await ingest(fx.db, { topic: 'spBv1.0/Secil/DBIRTH/Portugal/Cement', payload: fixture });
    const v = await values();
    // the operator commands run in the worker's environment (its env file): the page's variables of the worker line
    const vars = Object.fromEntries([...substitute(lines[0]!, v).matchAll(/\b([A-Z_]+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
    const worker = spawn('bash', ['-c', substitute(lines[0]!, v)], { env: docEnv({ ...v, LOG_LEVEL: 'info' }), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let log = '';
    worker.stdout.on('data', (d: Buffer) => (log += d.toString()));
    worker.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((resolve) => worker.once('exit', resolve));
    try {
      await waitFor('the birth synced, one tag refused', async () => {
        const rows = await parity(fx.db);
        return rows.filter((r) => r.status === 'in_sync').length === 2 && rows.some((r) => r.status === 'dead_letter');
      }, 30_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}; the worker logged:\n${log}`, { cause: err });
    } finally {
      process.kill(-worker.pid!, 'SIGTERM');
    }
    expect(await exited, log).toBe(0);
    fx.sim.state.clearFaults();

    const [byStatus, notUpToDate] = queries.trim().split('\n');
    expect((await psql(byStatus!)).sort()).toEqual(['dead_letter|1', 'in_sync|2']);
    const stale = await psql(notUpToDate!);
    expect(stale.map((r) => r.split('|')[0])).toEqual([`Secil/Portugal/Cement/${names[2]}`]);

    // resync --prefix <the device> --dry-run: one storeData line per request, the device's three tags, nothing sent
    const before = storeRequests(fx.sim).length;
    const dry = await sh(lines[1]!, vars);
    expect(dry.code, dry.out).toBe(0);
    const requests = dry.out.split('\n').filter((l) => l.startsWith('{"method"')).map((l) => JSON.parse(l) as { method: string; properties: unknown });
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.every((r) => r.method === 'storeData')).toBe(true);
    for (const tag of tags) expect(dry.out).toContain(tag);
    expect(storeRequests(fx.sim).length).toBe(before);

    // replay (dry run) names the dead-lettered tag and sends nothing; --send delivers it
    const replay = await sh(lines[3]!, vars);
    expect(replay.code, replay.out).toBe(0);
    expect(replay.out).toContain(refused);
    expect(storeRequests(fx.sim).length).toBe(before);
    const send = await sh(lines[4]!, vars);
    expect(send.code, send.out).toBe(0);
    await waitFor('all in sync', async () => (await parity(fx.db)).every((r) => r.status === 'in_sync'));
    expect(fx.sim.state.properties(refused)).toBeDefined();

    // resync --device <the device's id> re-sends its full metadata
    const { rows: [device] } = await fx.db.pool('uns_meta_ro').query<{ id: string }>(`select device_id::text as id from uns_meta.devices where uns_path = 'Secil/Portugal/Cement'`);
    expect(lines[2]).toMatch(/--device 42\b/);
    const sent = storeRequests(fx.sim).length;
    const resync = await sh(lines[2]!.replace('--device 42', `--device ${device!.id}`), vars);
    expect(resync.code, resync.out).toBe(0);
    expect(storeRequests(fx.sim).length).toBeGreaterThan(sent);
  }, 90_000);
});
