// docs/decoder.md, run as written: `uns-meta decode` and `uns-meta encode` (bin/uns-meta) on a fixture file and on
// stdin (`-`), and the chunked-decoding loop on the fixture's bytes. Expected: the fixture's own .json and .bin.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkout, shell } from '../support/doc-shell.ts';
import { codeBlocks } from '../support/markdown.ts';

const exec = promisify(execFile);
const FIXTURE = `${checkout}/fixtures/sparkplug/plant-dbirth-portugal-cement`;
const json = readFileSync(`${FIXTURE}.json`, 'utf8');
const bytes = readFileSync(`${FIXTURE}.bin`);
const blocks = codeBlocks('decoder.md');
const synopsis = (command: string) => blocks.find((b) => b.lang === '' && b.text.startsWith(`uns-meta ${command} `))!.text.trim();
let dir: string;

beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'uns-meta-decoder-doc-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('docs/decoder.md', () => {
  it('`uns-meta decode <file|->`: a file and stdin print the fixture\'s canonical JSON', async () => {
    const line = synopsis('decode');
    expect(line).toBe('uns-meta decode <file|->');
    const file = await shell(line.replace('<file|->', `${FIXTURE}.bin`));
    expect(file).toEqual({ code: 0, stdout: `${JSON.stringify(JSON.parse(json), null, 2)}\n`, stderr: '' });
    const stdin = await shell(line.replace('<file|->', '-'), {}, { stdin: bytes });
    expect(stdin.stdout).toBe(file.stdout);
  });

  it('`uns-meta encode <file|-> > payload.bin`: a file and stdin write the fixture\'s bytes', async () => {
    const line = synopsis('encode');
    expect(line).toBe('uns-meta encode <file|-> > payload.bin');
    expect((await shell(line.replace('<file|->', `${FIXTURE}.json`), {}, { cwd: dir })).code).toBe(0);
    expect(readFileSync(join(dir, 'payload.bin')).equals(bytes)).toBe(true);
    rmSync(join(dir, 'payload.bin'));
    expect((await shell(line.replace('<file|->', '-'), {}, { cwd: dir, stdin: json })).code).toBe(0);
    expect(readFileSync(join(dir, 'payload.bin')).equals(bytes)).toBe(true);
  });

  it('the chunked-decoding loop runs as written over the fixture: every metric once, the header in every chunk', async () => {
    const loop = blocks.find((b) => b.lang === 'ts' && b.text.includes('decodeMetricsChunked'))!.text;
    const script = join(dir, 'chunked.ts');
    // the page's loop, its generator wrapped to record what it yields (the loop body is comments)
    writeFileSync(script, `import { readFileSync } from 'node:fs';
import { decodeMetricsChunked as real } from '${checkout}/src/sparkplug/decode.ts';
const bytes = readFileSync(${JSON.stringify(`${FIXTURE}.bin`)});
const seen: { header: unknown; metricCount: number; start: number; names: string[] }[] = [];
function* decodeMetricsChunked(b: Uint8Array, n: number) {
  for (const c of real(b, n)) { seen.push({ header: c.header, metricCount: c.metricCount, start: c.start, names: c.metrics.map((m) => String(m.name)) }); yield c; }
}
${loop}
console.log(JSON.stringify(seen));
`);
    const { stdout } = await exec(process.execPath, [script]);
    const seen = JSON.parse(stdout) as { header: Record<string, unknown>; metricCount: number; start: number; names: string[] }[];
    const expected = JSON.parse(json) as { timestamp: string; seq: string; metrics: { name: string }[] };
    expect(seen.flatMap((c) => c.names)).toEqual(expected.metrics.map((m) => m.name));
    expect(seen.map((c) => c.start)).toEqual(seen.map((_, i) => seen.slice(0, i).reduce((n, c) => n + c.names.length, 0)));
    for (const c of seen) expect(c).toMatchObject({ metricCount: expected.metrics.length, header: { timestamp: expected.timestamp, seq: expected.seq } });
  });
});
