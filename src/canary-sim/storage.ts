// What the simulated historian holds: its datasets and, per tag, the stored properties (the latest value per
// property name plus a bounded history of every row accepted), TVQs (count and latest only) and annotation counts.
// "Latest" means latest by timestamp, as in a historian; equal timestamps: the row that arrived last wins.

import type { PropertyRow, RowValue, TvqRow } from './row-validation.ts';

export interface StoredProperty {
  name: string;
  value: RowValue;
  timestamp: string;
  quality: number;
  /** Wall-clock time the simulator accepted the row. */
  receivedAt: string;
  /** Id of the session that wrote it (not its token). */
  sessionId: string;
}

export interface StoredTvq {
  timestamp: string;
  value: RowValue;
  quality: number;
  receivedAt: string;
  sessionId: string;
}

interface TagRecord {
  tag: string;
  dataset: string;
  /** Latest row per property name, with its timestamp as epoch ms for ordering. */
  properties: Map<string, { stored: StoredProperty; epochMs: number }>;
  propertyHistory: StoredProperty[];
  tvqCount: number;
  latestTvq: { stored: StoredTvq; epochMs: number } | undefined;
  annotationCount: number;
}

/** A tag as the read-back routes and `state.tag()` return it: plain JSON. */
export interface TagView {
  tag: string;
  dataset: string;
  properties: Record<string, StoredProperty>;
  propertyHistory: StoredProperty[];
  tvqCount: number;
  latestTvq: StoredTvq | null;
  annotationCount: number;
}

export interface StorageCounts {
  datasets: number;
  tags: number;
  propertyRowsStored: number;
  tvqRowsStored: number;
  annotationsStored: number;
}

export class CanaryStorage {
  readonly #initialDatasets: string[];
  readonly #historyLimit: number;
  #datasets: Set<string>;
  #tags = new Map<string, TagRecord>();
  #counts = { propertyRowsStored: 0, tvqRowsStored: 0, annotationsStored: 0 };

  /** @param historyLimit rows of property history kept per tag (oldest dropped first). */
  constructor(datasets: readonly string[], historyLimit: number) {
    this.#initialDatasets = [...datasets];
    this.#datasets = new Set(datasets);
    this.#historyLimit = historyLimit;
  }

  hasDataset(name: string): boolean {
    return this.#datasets.has(name);
  }

  createDataset(name: string): void {
    this.#datasets.add(name);
  }

  datasets(): string[] {
    return [...this.#datasets].sort();
  }

  #record(tag: string, dataset: string): TagRecord {
    let record = this.#tags.get(tag);
    if (!record) {
      record = {
        tag,
        dataset,
        properties: new Map(),
        propertyHistory: [],
        tvqCount: 0,
        latestTvq: undefined,
        annotationCount: 0,
      };
      this.#tags.set(tag, record);
    }
    return record;
  }

  /** @param receivedAt when the simulator accepted the rows (ISO-8601). */
  storeProperties(tag: string, dataset: string, rows: PropertyRow[], sessionId: string, receivedAt: string): void {
    const record = this.#record(tag, dataset);
    for (const row of rows) {
      const { name, timestamp, value, quality, epochMs } = row;
      const stored: StoredProperty = { name, value, timestamp, quality, receivedAt, sessionId };
      const current = record.properties.get(name);
      if (!current || epochMs >= current.epochMs) record.properties.set(name, { stored, epochMs });
      record.propertyHistory.push(stored);
    }
    const excess = record.propertyHistory.length - this.#historyLimit;
    if (excess > 0) record.propertyHistory.splice(0, excess);
    this.#counts.propertyRowsStored += rows.length;
  }

  storeTvqs(tag: string, dataset: string, rows: TvqRow[], sessionId: string, receivedAt: string): void {
    const record = this.#record(tag, dataset);
    for (const row of rows) {
      if (!record.latestTvq || row.epochMs >= record.latestTvq.epochMs) {
        const { timestamp, value, quality, epochMs } = row;
        record.latestTvq = { stored: { timestamp, value, quality, receivedAt, sessionId }, epochMs };
      }
    }
    record.tvqCount += rows.length;
    this.#counts.tvqRowsStored += rows.length;
  }

  storeAnnotations(tag: string, dataset: string, count: number): void {
    this.#record(tag, dataset).annotationCount += count;
    this.#counts.annotationsStored += count;
  }

  tag(tag: string): TagView | undefined {
    const record = this.#tags.get(tag);
    if (!record) return undefined;
    const properties: Record<string, StoredProperty> = {};
    for (const [name, { stored }] of record.properties) properties[name] = { ...stored };
    return {
      tag: record.tag,
      dataset: record.dataset,
      properties,
      propertyHistory: record.propertyHistory.map((p) => ({ ...p })),
      tvqCount: record.tvqCount,
      latestTvq: record.latestTvq ? { ...record.latestTvq.stored } : null,
      annotationCount: record.annotationCount,
    };
  }

  /** Stored tag paths, sorted, optionally only those starting with `prefix`. */
  tags(prefix = ''): string[] {
    return [...this.#tags.keys()].filter((t) => t.startsWith(prefix)).sort();
  }

  counts(): StorageCounts {
    return { datasets: this.#datasets.size, tags: this.#tags.size, ...this.#counts };
  }

  clear(): void {
    this.#datasets = new Set(this.#initialDatasets);
    this.#tags = new Map();
    this.#counts = { propertyRowsStored: 0, tvqRowsStored: 0, annotationsStored: 0 };
  }
}
