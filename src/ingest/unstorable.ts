// Text PostgreSQL cannot hold, in the fields of a metric the catalog stores (its name, property keys and string
// values, nested ones included):
//   - the NUL character (U+0000), refused by both jsonb and text;
//   - bytes that are not valid UTF-8, which the decoder hands the ingestor escaped as lone surrogates
//     (src/sparkplug/wire.ts escapeInvalidUtf8) and which jsonb refuses too.
// Either would fail the whole birth without naming the metric (22P05, 22P02). Such a metric is sent to
// uns_meta.ingest_birth with its name made visible and a "reject" reason instead: the database records the
// rejection (uns_meta.ingest_rejections) and applies the other metrics (docs/sql-api.md#rejections).
import type { MetricJson, PropertySetJson, PropertyValueJson } from '../sparkplug/json-types.ts';
import { hasEscapedBytes, visibleEscapedBytes } from '../sparkplug/wire.ts';

const NUL = '\u0000';

/** How the ingestor decodes: invalid UTF-8 comes back escaped, so only the metric that holds it is rejected. */
export const ESCAPE_INVALID_UTF8 = { invalidUtf8: 'escape' } as const;

type Flaw = 'nul' | 'utf8';

const WHY: Record<Flaw, string> = {
  nul: 'contains the NUL character U+0000 (written here as \\u0000), which the catalog cannot store; remove it at the edge',
  utf8: 'is not valid UTF-8 (each byte that is not is written here as \\xHH), which the catalog cannot store; fix the encoding at the edge',
};

function flawOf(text: string): Flaw | undefined {
  if (text.includes(NUL)) return 'nul';
  return hasEscapedBytes(text) ? 'utf8' : undefined;
}

/** The text with each NUL written as the six visible characters `\u0000` and each invalid byte as `\xHH`. */
export function visible(text: string): string {
  return visibleEscapedBytes(text.replaceAll(NUL, '\\u0000'));
}

interface Found { where: string; flaw: Flaw }

function flawInSet(set: PropertySetJson | undefined, prefix: string): Found | undefined {
  const keys = set?.keys ?? [];
  const values = set?.values ?? [];
  for (let i = 0; i < Math.max(keys.length, values.length); i++) {
    const key = keys[i] ?? String(i);
    const where = prefix + visible(key);
    const flaw = flawOf(key);
    if (flaw) return { where: `property key ${where}`, flaw };
    const found = flawInValue(values[i], where);
    if (found) return found;
  }
  return undefined;
}

function flawInValue(value: PropertyValueJson | undefined, where: string): Found | undefined {
  if (value === undefined) return undefined;
  const flaw = typeof value.stringValue === 'string' ? flawOf(value.stringValue) : undefined;
  if (flaw) return { where: `the value of property ${where}`, flaw };
  const nested = flawInSet(value.propertysetValue, `${where}/`);
  if (nested) return nested;
  const list = value.propertysetsValue?.propertyset ?? [];
  for (let i = 0; i < list.length; i++) {
    const found = flawInSet(list[i], `${where}/${i}/`);
    if (found) return found;
  }
  return undefined;
}

/**
 * Why ingest_birth cannot store this metric as sent, or undefined: the field that carries a NUL character or bytes
 * that are not UTF-8 (its name, a property key or a string value, nested ones included).
 */
export function unstorableReason(m: MetricJson): string | undefined {
  const nameFlaw = m.name === undefined ? undefined : flawOf(m.name);
  const found = nameFlaw ? { where: 'its name', flaw: nameFlaw } : flawInSet(m.properties, '');
  if (found === undefined) return undefined;
  return `${found.where} ${WHY[found.flaw]}`;
}
