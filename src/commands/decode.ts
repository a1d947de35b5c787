// `uns-meta decode <file|->`: print a Sparkplug B payload as its canonical protobuf JSON, the exact
// document `uns_meta.ingest_birth` receives. For ops and DBAs looking inside a capture, and for tests.
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { decodeMetricsChunked, unwrapPayload } from '../sparkplug/decode.ts';
import { DecodeError } from '../sparkplug/errors.ts';
import type { PayloadHeaderJson } from '../sparkplug/json-types.ts';

export const summary = 'print a Sparkplug B payload file (or stdin) as canonical protobuf JSON';

const HELP = `Usage: uns-meta decode <file|->

Decodes one Sparkplug B payload (the raw bytes of an MQTT message, e.g. saved with
\`mosquitto_sub -t 'spBv1.0/Secil/DBIRTH/#' -C 1 -N > birth.bin\`) and prints its canonical protobuf
JSON, indented by 2 spaces: lowerCamelCase fields, 64-bit integers as decimal strings, intValue as the
raw uint32 (not sign-extended), fields absent on the wire left out, bytes as base64. Compressed payloads
(uuid SPBV1.0_COMPRESSED, DEFLATE or GZIP) are inflated and the inner payload printed.
Use - to read the payload from stdin. Births of any size are printed with bounded memory.

Exit status: 0 decoded; 64 usage error; 65 the input is not a valid Sparkplug B payload (the reason
is printed on stderr); 66 the file cannot be read.

See docs/decoder.md.`;

const EX_USAGE = 64;
const EX_DATAERR = 65;
const EX_NOINPUT = 66;

/** Metrics per chunk while validating and printing: bounds memory for huge births. */
const CHUNK = 2000;

async function readInput(source: string): Promise<Buffer> {
  if (source !== '-') return readFile(source);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function indent(json: string, by: string): string {
  return json.replace(/\n/g, `\n${by}`);
}

/** Set when stdout's reader went away (`uns-meta decode big.bin | head`): stop printing, quietly. */
let stdoutClosed = false;

function epipe(): NodeJS.ErrnoException {
  return Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
}

/** Writes, waiting for the stream to drain when its buffer is full. */
async function write(out: Writable, text: string): Promise<void> {
  if (stdoutClosed) throw epipe();
  if (!out.write(text)) await once(out, 'drain');
}

/**
 * Prints the payload exactly as `JSON.stringify(decodePayload(bytes), null, 2)` would, but a chunk of
 * metrics at a time, so a million-metric birth never becomes one giant object or string.
 */
async function printPayload(bytes: Buffer, out: Writable): Promise<void> {
  let opened = false;
  let entries = 0;
  const entry = async (key: string, json: string) => {
    await write(out, `${entries++ === 0 ? '{\n' : ',\n'}  ${JSON.stringify(key)}: ${json}`);
  };
  const headerEntry = async (header: PayloadHeaderJson, key: keyof PayloadHeaderJson) => {
    const value = header[key];
    if (value !== undefined) await entry(key, indent(JSON.stringify(value, null, 2), '  '));
  };
  let header: PayloadHeaderJson = {};
  for (const chunk of decodeMetricsChunked(bytes, CHUNK)) {
    header = chunk.header;
    if (!opened) {
      opened = true;
      await headerEntry(header, 'timestamp');
      if (chunk.metricCount > 0) await entry('metrics', '[');
    }
    const lines = chunk.metrics.map((m) => `    ${indent(JSON.stringify(m, null, 2), '    ')}`);
    if (lines.length > 0) await write(out, `${chunk.start === 0 ? '\n' : ',\n'}${lines.join(',\n')}`);
    if (chunk.start + chunk.metrics.length === chunk.metricCount && chunk.metricCount > 0) await write(out, '\n  ]');
  }
  for (const key of ['seq', 'uuid', 'body'] as const) await headerEntry(header, key);
  await write(out, entries === 0 ? '{}\n' : '\n}\n');
}

export async function run(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(HELP);
    return 0;
  }
  const unknown = args.find((a) => a.startsWith('-') && a !== '-');
  if (unknown !== undefined || args.length !== 1) {
    console.error(unknown !== undefined ? `uns-meta decode: unknown option ${unknown}` : 'uns-meta decode: give exactly one file, or - for stdin');
    console.error('Run `uns-meta decode --help` for usage.');
    return EX_USAGE;
  }
  const source = args[0]!;
  const label = source === '-' ? '(stdin)' : source;

  let bytes: Buffer;
  try {
    bytes = await readInput(source);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    console.error(`uns-meta decode: cannot read ${label}: ${code ?? (err as Error).message}`);
    return EX_NOINPUT;
  }

  try {
    // Decode everything once before printing, so a bad metric deep in a birth prints nothing but the
    // reason instead of half a document.
    const { bytes: inflated } = unwrapPayload(bytes);
    for (const chunk of decodeMetricsChunked(inflated, CHUNK)) void chunk;
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      stdoutClosed = true;
    });
    await printPayload(inflated, process.stdout);
    return 0;
  } catch (err) {
    if (err instanceof DecodeError) {
      console.error(`uns-meta decode: ${label}: ${err.message}`);
      return EX_DATAERR;
    }
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') return 0; // the reader went away (… | head)
    throw err;
  }
}
