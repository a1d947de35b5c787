// `uns-meta encode` as a process: the inverse of `uns-meta decode` on the fixtures (decode → encode → decode gives
// the same JSON; the bytes equal the fixture's where the fixture is canonical, i.e. not compressed), and JSON it
// cannot round-trip is refused with the field's path.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/sparkplug/${name}.bin`, import.meta.url));

function uns(args: string[], input?: Buffer | string): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { input, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

describe('uns-meta encode', () => {
  // Canonical fixtures: our encoder's bytes (the plant birth, every datatype) and Eclipse Tahu's.
  for (const name of ['plant-dbirth-portugal-cement', 'datatypes-floats', 'property-values', 'tahu-plant-dbirth']) {
    it(`${name}: decode → encode gives the fixture's bytes, and decodes to the same JSON`, () => {
      const json = uns(['decode', fixture(name)]);
      expect(json.status).toBe(0);
      const encoded = uns(['encode', '-'], json.stdout);
      expect(encoded.stderr).toBe('');
      expect(encoded.status).toBe(0);
      expect(encoded.stdout.equals(readFileSync(fixture(name)))).toBe(true);
      expect(uns(['decode', '-'], encoded.stdout).stdout.toString()).toBe(json.stdout.toString());
    });
  }

  it('a compressed fixture: encode writes the inner payload uncompressed, which decodes to the same JSON', () => {
    const json = uns(['decode', fixture('compressed-gzip')]);
    const encoded = uns(['encode', '-'], json.stdout);
    expect(encoded.status).toBe(0);
    expect(encoded.stdout.equals(readFileSync(fixture('compressed-gzip')))).toBe(false);
    expect(uns(['decode', '-'], encoded.stdout).stdout.toString()).toBe(json.stdout.toString());
  });

  it('refuses a misspelt field or a value in the wrong form, naming it, and writes nothing', () => {
    const misspelt = uns(['encode', '-'], JSON.stringify({ timestamp: '1', metrics: [{ name: 'a', datatype: 9, floatValue: 1.5, propertys: {} }] }));
    expect(misspelt.status).toBe(65);
    expect(misspelt.stdout.length).toBe(0);
    expect(misspelt.stderr).toMatch(/^uns-meta encode: \(stdin\): metrics\[0\]\.propertys is \{\} but encodes as absent; write it in canonical form/);
    const number = uns(['encode', '-'], '{"timestamp": 1700000000000}');
    expect(number.status).toBe(65);
    expect(number.stderr).toMatch(/timestamp is 1700000000000 but encodes as "1700000000000"/);
    expect(uns(['encode', '-'], 'not json').status).toBe(65);
  });
});
