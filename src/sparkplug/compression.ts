// Tahu's compressed payloads: an outer Payload with uuid "SPBV1.0_COMPRESSED" whose `body` is the
// encoded inner Payload, compressed with DEFLATE or GZIP, and an optional String metric `algorithm`
// naming which ("DEFLATE" when absent). Tahu's Java (java.util.zip.Deflater) and JS (pako.deflate)
// libraries write zlib-wrapped DEFLATE; raw DEFLATE is accepted as well, and GZIP is recognised by its
// magic bytes when no algorithm is named.
import zlib from 'node:zlib';
import { DecodeError } from './errors.ts';

export const COMPRESSED_UUID = 'SPBV1.0_COMPRESSED';

export type Compression = 'DEFLATE' | 'GZIP';

/** Default ceiling for an inflated payload: a 1,000,000-metric plant birth is about 400 MB. */
export const DEFAULT_MAX_INFLATED_BYTES = 1024 * 1024 * 1024;

function isGzip(body: Buffer): boolean {
  return body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b;
}

/** RFC 1950 header: compression method 8 (deflate) and a header checksum divisible by 31. */
export function looksZlibWrapped(body: Buffer): boolean {
  const cmf = body[0];
  const flg = body[1];
  return cmf !== undefined && flg !== undefined && (cmf & 0x0f) === 8 && (cmf * 256 + flg) % 31 === 0;
}

/** Which algorithm the `algorithm` metric names, or the one the body's first bytes show. */
export function compressionOf(algorithm: string | undefined, body: Buffer): Compression {
  if (algorithm === undefined) return isGzip(body) ? 'GZIP' : 'DEFLATE';
  const named = algorithm.trim().toUpperCase();
  if (named === 'DEFLATE' || named === 'GZIP') return named;
  throw new DecodeError(
    `compressed payload names algorithm ${JSON.stringify(algorithm)}; only DEFLATE and GZIP are defined`,
  );
}

/** zlib's error when the output would pass maxOutputLength. */
function isTooLarge(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === 'ERR_BUFFER_TOO_LARGE';
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Inflates the body of a compressed payload; every failure is a DecodeError that says which. */
export function inflateBody(body: Buffer, compression: Compression, maxBytes = DEFAULT_MAX_INFLATED_BYTES): Buffer {
  const options = { maxOutputLength: maxBytes };
  const tooLarge = () =>
    new DecodeError(`compressed payload (${compression}) inflates to more than ${maxBytes} bytes; raise maxInflatedBytes if it is genuine`);
  if (body.length === 0) throw new DecodeError(`compressed payload (${compression}) has an empty body`);
  if (compression === 'GZIP') {
    try {
      return zlib.gunzipSync(body, options);
    } catch (err) {
      if (isTooLarge(err)) throw tooLarge();
      throw new DecodeError(`compressed payload (GZIP): body is not valid gzip data (${messageOf(err)})`, { cause: err });
    }
  }
  let wrappedError: unknown;
  if (looksZlibWrapped(body)) {
    try {
      return zlib.inflateSync(body, options);
    } catch (err) {
      if (isTooLarge(err)) throw tooLarge();
      wrappedError = err; // a raw stream can start with bytes that look like a zlib header: try raw too
    }
  }
  try {
    return zlib.inflateRawSync(body, options);
  } catch (err) {
    if (isTooLarge(err)) throw tooLarge();
    const cause = wrappedError ?? err;
    throw new DecodeError(
      `compressed payload (DEFLATE): body is neither zlib-wrapped nor raw DEFLATE data (${messageOf(cause)})`,
      { cause },
    );
  }
}

export interface CompressOptions {
  algorithm: Compression;
  /** DEFLATE only: write raw DEFLATE instead of the zlib-wrapped stream Tahu writes. */
  raw?: boolean;
}

/** Compresses an encoded inner payload (the body of the outer, wrapping payload). */
export function compressBody(inner: Uint8Array, options: CompressOptions): Buffer {
  if (options.algorithm === 'GZIP') return zlib.gzipSync(inner);
  return options.raw ? zlib.deflateRawSync(inner) : zlib.deflateSync(inner);
}
