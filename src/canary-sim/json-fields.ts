// Helpers for reading untrusted JSON request bodies without casting.
// Canary's own samples spell keys with loose casing (`autoCreateDataSets` vs `autoCreateDatasets`), so keys are
// looked up case-insensitively: an exact match wins, otherwise the first key that matches ignoring case.

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value of `key` in `obj`, matching the key case-insensitively; `undefined` when absent. */
export function field(obj: JsonObject, key: string): unknown {
  if (Object.hasOwn(obj, key)) return obj[key];
  const wanted = key.toLowerCase();
  for (const k of Object.keys(obj)) {
    if (k.toLowerCase() === wanted) return obj[k];
  }
  return undefined;
}

/** A short, bounded description of a JSON value for error messages. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Parses a request body: empty means `{}` (Canary's no-argument calls), a UTF-8 BOM is ignored. */
export function parseJsonBody(raw: Buffer): { ok: true; value: unknown } | { ok: false; error: string } {
  let text = raw.toString('utf8');
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  if (text.trim() === '') return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, error: `request body is not valid JSON (${(err as Error).message}); send a JSON object` };
  }
}
