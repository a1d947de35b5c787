// The one SQL loader: runtime SQL lives in .sql files next to the module that runs it, one statement per file,
// read once when the module loads (a missing file fails at start-up, not at the first query).
import { readFileSync } from 'node:fs';

/** Reads `<dir>/<name>.sql` for each name; `dir` is a URL, e.g. new URL('./sql/', import.meta.url). */
export function loadSql<const N extends string>(dir: URL, names: readonly N[]): Record<N, string> {
  return Object.fromEntries(names.map((name) => [name, readFileSync(new URL(`${name}.sql`, dir), 'utf8')])) as Record<N, string>;
}
