// The schema contract (docs/contracts/postgres_schema.json): the uns_meta schema's tables, columns, types,
// constraints, indexes, triggers, views, functions and grants as the live catalog has them
// (src/contract/schema-contract.sql), and the difference between two contracts, one line per changed path.
import type pg from 'pg';
import { loadSql } from '../runtime/sql.ts';

export const CONTRACT_FILE = new URL('../../docs/contracts/postgres_schema.json', import.meta.url);
const contractSql = loadSql(new URL('./', import.meta.url), ['schema-contract'])['schema-contract'];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Objects with their keys sorted, so the file reads alphabetically and diffs stay small. */
function sorted(value: Json): Json {
  if (Array.isArray(value)) return value.map(sorted);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sorted(value[k]!)]));
  }
  return value;
}

export async function readContract(db: pg.ClientBase | pg.Pool): Promise<Json> {
  const { rows } = await db.query<{ contract: Json }>(contractSql);
  return sorted(rows[0]!.contract);
}

/** The file's text for a contract: 2-space JSON and a final newline. */
export function contractText(contract: Json): string {
  return `${JSON.stringify(contract, null, 2)}\n`;
}

/** Every leaf as `path = value`; array items that have a `name` are addressed by it (a column by its name). */
function leaves(value: Json, path: string, out: Map<string, string>): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      const named = item !== null && typeof item === 'object' && !Array.isArray(item) && typeof item.name === 'string';
      leaves(item, `${path}[${named ? (item as { name: string }).name : i}]`, out);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) leaves(v, path === '' ? k : `${path}.${k}`, out);
  } else {
    out.set(path, JSON.stringify(value));
  }
}

/** The difference from `expected` (the file) to `actual` (the database): `- path: value` gone, `+ path: value` new. */
export function contractDiff(expected: Json, actual: Json): string[] {
  const a = new Map<string, string>();
  const b = new Map<string, string>();
  leaves(expected, '', a);
  leaves(actual, '', b);
  const lines: string[] = [];
  for (const path of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const was = a.get(path);
    const now = b.get(path);
    if (was === now) continue;
    if (was !== undefined) lines.push(`- ${path}: ${was}`);
    if (now !== undefined) lines.push(`+ ${path}: ${now}`);
  }
  return lines;
}
