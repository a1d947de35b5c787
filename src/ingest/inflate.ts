// Inflating a large Tahu-compressed birth without holding it twice. zlib's one-shot inflate collects its output
// in pieces and concatenates them, so a 373 MB birth briefly needs 746 MB. Here the body is streamed twice: once
// to learn the inflated size (output discarded), once into a buffer of exactly that size. Twice the CPU (about a
// second per pass for that birth), half the peak memory. Used by the ingestor for bodies above a few MB; small
// ones take the decoder's synchronous path.
import { once } from 'node:events';
import zlib from 'node:zlib';
import { type Compression, looksZlibWrapped } from '../sparkplug/compression.ts';
import { type UnwrappedPayload, scanInflated } from '../sparkplug/decode.ts';
import { DecodeError } from '../sparkplug/errors.ts';
import { ESCAPE_INVALID_UTF8 } from './unstorable.ts';

/** Compressed bodies at least this large are streamed. */
export const STREAMED_BODY_BYTES = 4 * 1024 * 1024;
const MAX_INFLATED_BYTES = 1024 * 1024 * 1024;

function inflater(body: Buffer, compression: Compression): zlib.Gunzip | zlib.Inflate | zlib.InflateRaw {
  if (compression === 'GZIP') return zlib.createGunzip();
  return looksZlibWrapped(body) ? zlib.createInflate() : zlib.createInflateRaw();
}

/** Streams `body` through a fresh inflater, handing each output piece to `sink`. */
async function stream(body: Buffer, compression: Compression, sink: (piece: Buffer) => void): Promise<void> {
  const z = inflater(body, compression);
  z.on('data', sink);
  const done = once(z, 'end');
  z.end(body);
  try {
    await done;
  } catch (err) {
    throw new DecodeError(`compressed payload (${compression}): body does not inflate (${(err as Error).message})`, { cause: err });
  }
}

async function inflateExact(body: Buffer, compression: Compression): Promise<Buffer> {
  let size = 0;
  await stream(body, compression, (piece) => {
    size += piece.length;
  });
  if (size > MAX_INFLATED_BYTES) throw new DecodeError(`compressed payload (${compression}) inflates to more than ${MAX_INFLATED_BYTES} bytes`);
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  await stream(body, compression, (piece) => {
    at += piece.copy(out, at);
  });
  return out;
}

/**
 * unwrapPayload's result for a compressed body (from openPayload), inflated by streaming. For bodies of at least
 * STREAMED_BODY_BYTES; smaller ones take the decoder's one-shot `unwrapBodyOnce`.
 * @throws DecodeError as unwrapPayload does.
 */
export async function unwrapBody(body: Buffer, compression: Compression): Promise<UnwrappedPayload> {
  return scanInflated(await inflateExact(body, compression), compression, ESCAPE_INVALID_UTF8);
}
