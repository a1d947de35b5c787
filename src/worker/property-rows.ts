// The storeData rows of one tag, `[[name, timestamp, value, quality], ...]`, written straight from the page query's
// `properties_json` text (src/worker/sql/pending-metrics.sql) instead of parsing it into objects and serializing
// them again: the worker's largest source of garbage in a bulk sync.
//
// It relies on the exact shape PostgreSQL gives that text: a compact JSON object (no whitespace) whose keys are JSON
// strings and whose values are JSON scalars (strings, numbers, true, false, null: never objects or arrays). Each
// `"key":value` pair becomes `["key",<timestamp>,value,<quality>]`; key and value are copied as they are, so their
// escapes are kept byte for byte.

/** One `"key":value` pair: a JSON string, a colon, then a JSON string or a bare scalar (number, true, false, null). */
const PAIR = /("[^"\\]*(?:\\.[^"\\]*)*"):("[^"\\]*(?:\\.[^"\\]*)*"|[^,}"]+)/g;

/**
 * `propertiesJson` (`{"Eng Units":"degC","Default High Scale":1200}`) as storeData property rows stamped with
 * `timestamp` (ISO-8601 with zone) and `quality`: `[["Eng Units","<timestamp>","degC",192],...]`.
 */
export function propertyRowsJson(propertiesJson: string, timestamp: string, quality: number): string {
  if (!propertiesJson.startsWith('{') || !propertiesJson.endsWith('}')) {
    throw new Error(`properties_json must be a JSON object, got ${propertiesJson.slice(0, 40)}`);
  }
  // `$` in the replacement pattern is special: the timestamp is ISO-8601 text and never holds one.
  return `[${propertiesJson.slice(1, -1).replace(PAIR, `[$1,${JSON.stringify(timestamp)},$2,${quality}]`)}]`;
}
