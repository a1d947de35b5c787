// The fingerprint of a DBIRTH: what it would make the catalog hold, in 32 bytes, computed while the birth is
// decoded (chunk by chunk for a large one), before any JSON for the database is built. The catalog keeps the
// fingerprint of the last birth it applied in full (uns_meta.birth_fingerprints); a birth with the same one is
// answered by uns_meta.birth_is_current and never sent (docs/ingestor.md#identical-re-births).
//
// Algorithm (version 1): sha-256 over the UTF-8 bytes of
//     "uns-meta birth fingerprint v1\n"
//     then, for every metric in payload order, JSON.stringify(catalogFields(metric)) followed by "\n"
// that is, the very JSON text ingest_birth would receive for each metric (name, alias, datatype, isHistorical,
// isTransient, properties; never the value or timestamps), so equal fingerprints mean equal input to ingest_birth.
// JSON text holds no raw newline, so "\n" separates metrics unambiguously, and chunk boundaries do not matter: a
// birth has the same fingerprint whatever INGEST_CHUNK_METRICS is. Deterministic, not canonical: the same metadata
// encoded in another field order on the wire gives another fingerprint, which costs a full ingest, never a wrong match.
// A birth with an alias-only metric has no fingerprint: its name comes from the alias maps, not from the birth.
import { createHash } from 'node:crypto';
import type { MetricJson } from '../sparkplug/json-types.ts';
import { aliasOnly, catalogFields } from './catalog-fields.ts';

const DOMAIN = 'uns-meta birth fingerprint v1\n';

export class BirthFingerprint {
  readonly #hash = createHash('sha256').update(DOMAIN);
  #usable = true;

  /** Adds the next metrics of the birth, in payload order. */
  add(metrics: readonly MetricJson[]): void {
    if (!this.#usable) return;
    let text = '';
    for (const m of metrics) {
      if (aliasOnly(m)) {
        this.#usable = false;
        return;
      }
      text += JSON.stringify(catalogFields(m)) + '\n';
    }
    this.#hash.update(text, 'utf8');
  }

  /** True while every metric added names itself (the birth can still be fingerprinted). */
  get usable(): boolean {
    return this.#usable;
  }

  /** The 32-byte sha-256, or undefined when a metric was alias-only. Call once, after the last metric. */
  digest(): Buffer | undefined {
    return this.#usable ? this.#hash.digest() : undefined;
  }
}
