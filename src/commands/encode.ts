// `uns-meta encode <file|->`: canonical protobuf JSON (what `uns-meta decode` prints) → Sparkplug B payload bytes
// on stdout, so an operator can edit a decoded birth (a dead letter, a capture) and publish it without code.
// The JSON must round-trip: the bytes are decoded again and must give the same document, so a misspelt field or
// a value in the wrong form is refused (with its path) instead of silently dropped.
import { readFile } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import { decodePayload } from '../sparkplug/decode.ts';
import { encodePayload } from '../sparkplug/encode.ts';

export const summary = 'build Sparkplug B payload bytes from canonical JSON (what decode prints), on stdout';

const HELP = `Usage: uns-meta encode <file|-> > payload.bin

Reads one Sparkplug B payload as canonical protobuf JSON — the document \`uns-meta decode\` prints — and writes
its bytes to stdout (uncompressed). Edit a decoded birth and encode it again to publish a corrected one.
The JSON must use the canonical forms (64-bit integers as decimal strings, bytes as base64, floats "NaN",
"Infinity", "-0" as strings; docs/decoder.md): the bytes are decoded again and must give back the same document,
or nothing is written and the first field that differs is named.
Use - to read the JSON from stdin. Refuses to write to a terminal.

Exit status: 0 encoded; 64 usage error; 65 the JSON is not a payload in canonical form; 66 the file cannot be read.

See docs/decoder.md.`;

const EX_USAGE = 64;
const EX_DATAERR = 65;
const EX_NOINPUT = 66;

async function readInput(source: string): Promise<string> {
  if (source !== '-') return readFile(source, 'utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The path of the first place where two JSON values differ, e.g. `metrics[3].properties.keys`. */
function firstDifference(want: unknown, got: unknown, path: string): string | undefined {
  if (isDeepStrictEqual(want, got)) return undefined;
  if (Array.isArray(want) && Array.isArray(got)) {
    for (let i = 0; i < Math.max(want.length, got.length); i++) {
      const d = firstDifference(want[i], got[i], `${path}[${i}]`);
      if (d !== undefined) return d;
    }
    return path;
  }
  if (want !== null && got !== null && typeof want === 'object' && typeof got === 'object') {
    const w = want as Record<string, unknown>;
    const g = got as Record<string, unknown>;
    for (const key of new Set([...Object.keys(w), ...Object.keys(g)])) {
      const d = firstDifference(w[key], g[key], path === '' ? key : `${path}.${key}`);
      if (d !== undefined) return d;
    }
  }
  return path === '' ? '(the document)' : path;
}

function valueAt(doc: unknown, path: string): string {
  let v: unknown = doc;
  for (const part of path.match(/[^.[\]]+/g) ?? []) v = (v as Record<string, unknown> | undefined)?.[part];
  return v === undefined ? 'absent' : JSON.stringify(v);
}

export async function run(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(HELP);
    return 0;
  }
  const unknown = args.find((a) => a.startsWith('-') && a !== '-');
  if (unknown !== undefined || args.length !== 1) {
    console.error(unknown !== undefined ? `uns-meta encode: unknown option ${unknown}` : 'uns-meta encode: give exactly one JSON file, or - for stdin');
    return EX_USAGE;
  }
  if (process.stdout.isTTY) {
    console.error('uns-meta encode: stdout is a terminal; redirect the bytes to a file (uns-meta encode birth.json > birth.bin)');
    return EX_USAGE;
  }
  const source = args[0]!;
  const label = source === '-' ? '(stdin)' : source;
  let text: string;
  try {
    text = await readInput(source);
  } catch (err) {
    console.error(`uns-meta encode: cannot read ${label}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return EX_NOINPUT;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    console.error(`uns-meta encode: ${label} is not JSON: ${(err as Error).message}`);
    return EX_DATAERR;
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    console.error(`uns-meta encode: ${label} must hold one JSON object (a payload as uns-meta decode prints it)`);
    return EX_DATAERR;
  }
  let bytes: Buffer;
  let back: unknown;
  try {
    bytes = encodePayload(doc);
    back = decodePayload(bytes);
  } catch (err) {
    console.error(`uns-meta encode: ${label}: ${(err as Error).message}`);
    return EX_DATAERR;
  }
  const diff = firstDifference(doc, back, '');
  if (diff !== undefined) {
    console.error(`uns-meta encode: ${label}: ${diff} is ${valueAt(doc, diff)} but encodes as ${valueAt(back, diff)}; ` +
      'write it in canonical form (a field name of the Sparkplug B schema, 64-bit integers as strings; docs/decoder.md)');
    return EX_DATAERR;
  }
  process.stdout.write(bytes);
  return 0;
}
