// What of a birth metric reaches the catalog: the fields uns_meta.ingest_birth reads, listed once here. The JSON the
// ingestor sends is made of them; the birth fingerprint (fingerprint.ts) reads the same fields off the wire, its table
// of their wire tags typed by this list (a field added here does not compile until the fingerprint reads it too), and
// test/ingest/fingerprint.test.ts checks the two agree.
import type { MetricJson } from '../sparkplug/json-types.ts';

/**
 * The fields of a birth metric that uns_meta.ingest_birth reads (docs/sql-api.md), in the order its JSON carries them:
 * its identity, datatype, flags and properties. The value, timestamp and metadata (and a template's or data set's
 * definition) stay out of the JSON the database must parse, which is a large share of a plant birth.
 */
export const CATALOG_FIELDS = ['name', 'alias', 'datatype', 'isHistorical', 'isTransient', 'properties'] as const satisfies readonly (keyof MetricJson)[];
export type CatalogField = (typeof CATALOG_FIELDS)[number];

function copyField<K extends CatalogField>(out: MetricJson, m: MetricJson, field: K): void {
  const value = m[field];
  if (value !== undefined) out[field] = value;
}

/** The CATALOG_FIELDS a birth metric has. */
export function catalogFields(m: MetricJson): MetricJson {
  const out: MetricJson = {};
  for (const field of CATALOG_FIELDS) copyField(out, m, field);
  return out;
}

/** A metric that names itself only by alias (no name, or an empty one): its name comes from an alias map. */
export function aliasOnly(m: MetricJson): m is MetricJson & { alias: string } {
  return (m.name === undefined || m.name === '') && m.alias !== undefined;
}
