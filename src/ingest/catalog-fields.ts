// What of a birth metric reaches the catalog: the fields uns_meta.ingest_birth reads. The JSON the ingestor sends is
// made of them; the birth fingerprint (fingerprint.ts) reads the same fields off the wire, and
// test/ingest/fingerprint.test.ts checks the two agree (a field added here must be added to its record too).
import type { MetricJson } from '../sparkplug/json-types.ts';

/**
 * The fields of a birth metric that uns_meta.ingest_birth reads (docs/sql-api.md): its identity, datatype, flags
 * and properties. The value, timestamp and metadata (and a template's or data set's definition) stay out of the
 * JSON the database must parse, which is a large share of a plant birth.
 */
export function catalogFields(m: MetricJson): MetricJson {
  const out: MetricJson = {};
  if (m.name !== undefined) out.name = m.name;
  if (m.alias !== undefined) out.alias = m.alias;
  if (m.datatype !== undefined) out.datatype = m.datatype;
  if (m.isHistorical !== undefined) out.isHistorical = m.isHistorical;
  if (m.isTransient !== undefined) out.isTransient = m.isTransient;
  if (m.properties !== undefined) out.properties = m.properties;
  return out;
}

/** A metric that names itself only by alias (no name, or an empty one): its name comes from an alias map. */
export function aliasOnly(m: MetricJson): m is MetricJson & { alias: string } {
  return (m.name === undefined || m.name === '') && m.alias !== undefined;
}
