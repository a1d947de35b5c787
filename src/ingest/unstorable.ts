// Text PostgreSQL cannot hold: the NUL character (U+0000) is refused by both jsonb and text, so a metric whose
// name or property carries one would fail the whole birth (22P05) without naming the metric. Such a metric is
// sent to uns_meta.ingest_birth with its name made visible and a "reject" reason instead: the database records
// the rejection (uns_meta.ingest_rejections) and applies the other metrics (docs/sql-api.md#rejections).
import type { MetricJson, PropertySetJson, PropertyValueJson } from '../sparkplug/json-types.ts';

const NUL = '\u0000';

/** The text with each NUL written as the six visible characters `\u0000`. */
export function visibleNul(text: string): string {
  return text.replaceAll(NUL, '\\u0000');
}

function nulInSet(set: PropertySetJson | undefined, prefix: string): string | undefined {
  const keys = set?.keys ?? [];
  const values = set?.values ?? [];
  for (let i = 0; i < Math.max(keys.length, values.length); i++) {
    const key = keys[i] ?? String(i);
    const where = prefix + visibleNul(key);
    if (key.includes(NUL)) return `property key ${where}`;
    const found = nulInValue(values[i], where);
    if (found) return found;
  }
  return undefined;
}

function nulInValue(value: PropertyValueJson | undefined, where: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value.stringValue === 'string' && value.stringValue.includes(NUL)) return `the value of property ${where}`;
  const nested = nulInSet(value.propertysetValue, `${where}/`);
  if (nested) return nested;
  const list = value.propertysetsValue?.propertyset ?? [];
  for (let i = 0; i < list.length; i++) {
    const found = nulInSet(list[i], `${where}/${i}/`);
    if (found) return found;
  }
  return undefined;
}

/**
 * Why ingest_birth cannot store this metric as sent, or undefined: the field that carries a NUL character
 * (its name, a property key or a string value, nested ones included).
 */
export function unstorableReason(m: MetricJson): string | undefined {
  const where = m.name?.includes(NUL) ? 'its name' : nulInSet(m.properties, '');
  if (where === undefined) return undefined;
  return `${where} contains the NUL character U+0000 (written here as \\u0000), which the catalog cannot store; remove it at the edge`;
}
