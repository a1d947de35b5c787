// Small node:http helpers shared by the API and the read-back routes: read a bounded body, send JSON.

import type { IncomingMessage, ServerResponse } from 'node:http';

export type BodyResult =
  | { kind: 'ok'; body: Buffer; bytes: number }
  | { kind: 'tooLarge'; bytes: number }
  | { kind: 'aborted'; bytes: number };

/** Reads the whole request body. Past `maxBytes` the rest is read and discarded, so a 413 can still be sent. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let settled = false;
    const settle = (result: BodyResult) => {
      if (!settled) {
        settled = true;
        resolve(result);
      }
    };
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= maxBytes) chunks.push(chunk);
    });
    req.on('end', () => {
      settle(bytes > maxBytes ? { kind: 'tooLarge', bytes } : { kind: 'ok', body: Buffer.concat(chunks), bytes });
    });
    req.on('error', () => settle({ kind: 'aborted', bytes }));
    req.on('close', () => {
      if (!req.complete) settle({ kind: 'aborted', bytes });
    });
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}
