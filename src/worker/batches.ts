// Groups tag writes into storeData requests of at most `maxTags` tags and about `maxBytes` bytes of JSON body.
// A single tag larger than maxBytes goes alone in its own request (Canary documents no hard limit).

export interface TagWrite<T> {
  tag: string;
  /** The tag's property rows as JSON text: `[[name, timestamp, value, quality], ...]`. */
  rowsJson: string;
  /** How many rows rowsJson holds. */
  rowCount: number;
  item: T;
}

export interface Batch<T> {
  writes: TagWrite<T>[];
  bytes: number;
  /** The `properties` object of the storeData body, serialized once (its size is what `bytes` counts). */
  json: string;
}

const ENVELOPE_BYTES = 128; // {"sessionToken":"<uuid>","properties":{}} and some slack

export function toBatches<T>(writes: TagWrite<T>[], maxTags: number, maxBytes: number): Batch<T>[] {
  const batches: Batch<T>[] = [];
  let current: TagWrite<T>[] = [];
  let fragments: string[] = [];
  let bytes = ENVELOPE_BYTES;
  const close = () => batches.push({ writes: current, bytes, json: `{${fragments.join(',')}}` });
  for (const write of writes) {
    const fragment = `${JSON.stringify(write.tag)}:${write.rowsJson}`;
    const size = Buffer.byteLength(fragment) + 1;
    if (current.length > 0 && (current.length >= maxTags || bytes + size > maxBytes)) {
      close();
      current = [];
      fragments = [];
      bytes = ENVELOPE_BYTES;
    }
    current.push(write);
    fragments.push(fragment);
    bytes += size;
  }
  if (current.length > 0) close();
  return batches;
}
