// storeData: `{sessionToken, properties?, tvqs?, annotations?}`, each section an object keyed by full tag path
// (`<Dataset>.<path>`) whose value is an array of rows.
//
// Each (section, tag) is all-or-nothing: when any of its rows is invalid none of them is stored. Problems with one
// tag do not stop the others: the response is `statusCode: "Errors"` with one string per problem, each starting
// with the tag path, and every tag without a problem is stored. A malformed request as a whole (a section that is
// not an object) is refused with `statusCode: "Error"` and nothing is stored.

import { liveSession, type CallContext } from './call-context.ts';
import { describe, field, isJsonObject, type JsonObject } from './json-fields.ts';
import { failed, good, type Envelope } from './protocol.ts';
import { splitTagPath, validatePropertyRow, validateTvqRow, type RowResult } from './row-validation.ts';
import type { Session } from './sessions.ts';

const SECTIONS = ['properties', 'tvqs', 'annotations'] as const;
type Section = (typeof SECTIONS)[number];

const ROW_SHAPES: Record<Section, string> = {
  properties: '[name, timestamp, value, quality?]',
  tvqs: '[timestamp, value, quality?]',
  annotations: 'annotation entries',
};

export interface StoreDataCounts {
  tags: number;
  /** The distinct tag paths themselves, in body order. */
  tagPaths: string[];
  propertyRows: number;
  tvqRows: number;
  annotationRows: number;
}

/** Sizes of a storeData body for the request log; tolerant of any shape (counts only what is well-formed). */
export function countStoreData(body: unknown): StoreDataCounts {
  const counts: StoreDataCounts = { tags: 0, tagPaths: [], propertyRows: 0, tvqRows: 0, annotationRows: 0 };
  if (!isJsonObject(body)) return counts;
  const tags = new Set<string>();
  const rowKey = { properties: 'propertyRows', tvqs: 'tvqRows', annotations: 'annotationRows' } as const;
  for (const section of SECTIONS) {
    const raw = field(body, section);
    if (!isJsonObject(raw)) continue;
    for (const [tag, rows] of Object.entries(raw)) {
      tags.add(tag);
      if (Array.isArray(rows)) counts[rowKey[section]] += rows.length;
    }
  }
  counts.tags = tags.size;
  counts.tagPaths = [...tags];
  return counts;
}

/** The dataset a tag is written to, or why the tag cannot be written at all (bad path, injected fault, unknown dataset). */
function checkTag(tag: string, session: Session, ctx: CallContext): { dataset: string } | { problem: string } {
  const split = splitTagPath(tag);
  if (!split.ok) return { problem: split.error };
  const injected = ctx.state.faults.tagError(tag);
  if (injected !== undefined) return { problem: injected };
  const { storage } = ctx.state;
  if (!storage.hasDataset(split.dataset) && !session.settings.autoCreateDatasets) {
    return {
      problem:
        `dataset "${split.dataset}" does not exist (datasets: ${storage.datasets().join(', ') || 'none'}); ` +
        'write to an existing dataset or set settings.autoCreateDatasets for this session',
    };
  }
  return { dataset: split.dataset };
}

/** Validates every row; the valid rows, and one message per invalid row. */
function validateAll<T>(section: Section, rows: unknown[], validate: (row: unknown) => RowResult<T>): { rows: T[]; errors: string[] } {
  const valid: T[] = [];
  const errors: string[] = [];
  rows.forEach((row, i) => {
    const result = validate(row);
    if (result.ok) valid.push(result.row);
    else errors.push(`${section}[${i}]: ${result.error}`);
  });
  return { rows: valid, errors };
}

export function storeData(body: JsonObject, ctx: CallContext): Envelope {
  const live = liveSession(body, ctx);
  if ('envelope' in live) return live.envelope;
  const { session } = live;
  const requestError = ctx.state.faults.requestErrorFor('storeData');
  if (requestError !== undefined) return { statusCode: 'Errors', errors: [requestError] };

  const sections: [Section, JsonObject][] = [];
  for (const section of SECTIONS) {
    const raw = field(body, section);
    if (raw === undefined || raw === null) continue;
    if (!isJsonObject(raw)) {
      return failed(
        `${section} must be an object keyed by full tag path ("<Dataset>.<path>") whose values are arrays of ` +
          `${ROW_SHAPES[section]} rows, got ${describe(raw)}; nothing was stored`,
      );
    }
    sections.push([section, raw]);
  }

  const { storage } = ctx.state;
  const receivedAt = new Date().toISOString();
  const errors: string[] = [];
  const checked = new Map<string, { dataset: string } | { problem: string }>();
  for (const [section, byTag] of sections) {
    for (const [tag, rows] of Object.entries(byTag)) {
      let check = checked.get(tag);
      if (!check) {
        check = checkTag(tag, session, ctx);
        checked.set(tag, check);
        if ('problem' in check) errors.push(`${tag}: ${check.problem}`);
      }
      if ('problem' in check) continue;
      const { dataset } = check;
      if (!Array.isArray(rows)) {
        errors.push(`${tag}: ${section} must be an array of ${ROW_SHAPES[section]} rows, got ${describe(rows)}`);
        continue;
      }
      const list = rows as unknown[];
      const before = errors.length;
      if (section === 'properties') {
        const v = validateAll(section, list, validatePropertyRow);
        for (const e of v.errors) errors.push(`${tag}: ${e}`);
        if (errors.length > before) continue;
        if (!storage.hasDataset(dataset)) storage.createDataset(dataset);
        storage.storeProperties(tag, dataset, v.rows, session.id, receivedAt);
      } else if (section === 'tvqs') {
        const v = validateAll(section, list, validateTvqRow);
        for (const e of v.errors) errors.push(`${tag}: ${e}`);
        if (errors.length > before) continue;
        if (!storage.hasDataset(dataset)) storage.createDataset(dataset);
        storage.storeTvqs(tag, dataset, v.rows, session.id, receivedAt);
      } else {
        // Canary's reference does not give the annotation row format: only the shape is checked and rows counted.
        if (!storage.hasDataset(dataset)) storage.createDataset(dataset);
        storage.storeAnnotations(tag, dataset, list.length);
      }
      session.tagsWritten.add(tag);
    }
  }
  return errors.length > 0 ? { statusCode: 'Errors', errors } : good();
}
