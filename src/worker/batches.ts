// Groups tag writes into storeData requests of at most `maxTags` tags and about `maxBytes` bytes of JSON body.
// A single tag larger than maxBytes goes alone in its own request (Canary documents no hard limit).

export interface TagWrite<T> {
  tag: string;
  rows: [string, string, unknown, number][];
  item: T;
}

export interface Batch<T> {
  writes: TagWrite<T>[];
  bytes: number;
}

const ENVELOPE_BYTES = 128; // {"sessionToken":"<uuid>","properties":{}} and some slack

export function toBatches<T>(writes: TagWrite<T>[], maxTags: number, maxBytes: number): Batch<T>[] {
  const batches: Batch<T>[] = [];
  let current: Batch<T> = { writes: [], bytes: ENVELOPE_BYTES };
  for (const write of writes) {
    const size = Buffer.byteLength(JSON.stringify(write.tag)) + Buffer.byteLength(JSON.stringify(write.rows)) + 2;
    if (current.writes.length > 0 && (current.writes.length >= maxTags || current.bytes + size > maxBytes)) {
      batches.push(current);
      current = { writes: [], bytes: ENVELOPE_BYTES };
    }
    current.writes.push(write);
    current.bytes += size;
  }
  if (current.writes.length > 0) batches.push(current);
  return batches;
}
