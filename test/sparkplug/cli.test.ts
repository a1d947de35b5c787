// `uns-meta decode`, run as ops run it: a child process, stdout, stderr and the exit status.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodePayload } from '../../src/sparkplug/decode.ts';
import { syntheticBirthBuffer } from '../../src/sparkplug/synthetic.ts';
import { FIXTURE_DIR, REPO_ROOT, readFixtures } from './support.ts';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function decode(args: string[], stdin?: Buffer): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['src/cli.ts', 'decode', ...args],
      { cwd: REPO_ROOT, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
    if (stdin !== undefined) child.stdin!.end(stdin);
  });
}

const scratch = mkdtempSync(join(tmpdir(), 'uns-meta-decode-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const pretty = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

describe('uns-meta decode', () => {
  it.each(['plant-dbirth-portugal-cement', 'compressed-gzip', 'metric-fields', 'payload-header', 'payload-empty'])(
    'prints %s as its canonical JSON, indented by 2',
    async (name) => {
      const { json } = readFixtures().find((f) => f.name === name)!;
      expect(await decode([`${FIXTURE_DIR}${name}.bin`])).toStrictEqual({ code: 0, stdout: pretty(json), stderr: '' });
    },
  );

  it('reads stdin when given -', async () => {
    const { bin, json } = readFixtures().find((f) => f.name === 'datatypes-integers')!;
    expect(await decode(['-'], bin)).toStrictEqual({ code: 0, stdout: pretty(json), stderr: '' });
  });

  it('prints a birth of several chunks exactly as JSON.stringify would', async () => {
    const bin = syntheticBirthBuffer({ metrics: 4500, seed: 5 });
    const file = join(scratch, 'birth-4500.bin');
    writeFileSync(file, bin);
    const result = await decode([file]);
    expect(result.code).toBe(0);
    expect(result.stdout === pretty(decodePayload(bin))).toBe(true);
  });

  it('exits 65 naming the file and the problem for a payload that is not valid, printing nothing else', async () => {
    const { bin } = readFixtures().find((f) => f.name === 'plant-dbirth-portugal-cement')!;
    const file = join(scratch, 'truncated.bin');
    writeFileSync(file, bin.subarray(0, 700));
    const result = await decode([file]);
    expect(result.code).toBe(65);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(new RegExp(`^uns-meta decode: ${file}: metric #1: length \\d+ runs past the end of its message .+\\n$`));
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('exits 65 for bytes that are not protobuf at all, read from stdin', async () => {
    const result = await decode(['-'], Buffer.from('{"this": "is JSON, not protobuf"}'));
    expect(result).toMatchObject({ code: 65, stdout: '' });
    expect(result.stderr).toMatch(/^uns-meta decode: \(stdin\): payload is not a Sparkplug B protobuf: /);
  });

  it('exits 66 when the file cannot be read', async () => {
    expect(await decode([join(scratch, 'missing.bin')])).toMatchObject({
      code: 66,
      stderr: `uns-meta decode: cannot read ${join(scratch, 'missing.bin')}: ENOENT\n`,
    });
  });

  it('exits 64 on a usage error, 0 with --help', async () => {
    expect((await decode([])).code).toBe(64);
    expect((await decode(['a.bin', 'b.bin'])).code).toBe(64);
    expect(await decode(['--compact', 'a.bin'])).toMatchObject({ code: 64, stderr: expect.stringContaining('unknown option --compact') as string });
    const help = await decode(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: uns-meta decode <file\|->/);
  });
});
