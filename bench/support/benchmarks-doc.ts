// docs/benchmarks.md holds one `## <heading>` section per program in bench/, each rewritten whole by the program that
// measures it (a note added by hand inside a section is gone at that program's next run with docs on).
import { readFileSync, writeFileSync } from 'node:fs';

const FILE = new URL('../../docs/benchmarks.md', import.meta.url);
const HEADER = '# Benchmarks\n\nResults of the programs in `bench/`, with the command and the machine that produced them.\n';

/** Replaces the section headed `## <heading>` with `section` (which starts with that heading), or appends it. */
export function writeBenchmarkSection(heading: string, section: string): void {
  let doc: string;
  try {
    doc = readFileSync(FILE, 'utf8');
  } catch {
    doc = HEADER;
  }
  const at = doc.indexOf(`\n## ${heading}\n`);
  let next: string;
  if (at < 0) next = `${doc.trimEnd()}\n\n${section}`;
  else {
    const end = doc.indexOf('\n## ', at + 1);
    next = doc.slice(0, at + 1) + section + (end < 0 ? '' : doc.slice(end));
  }
  writeFileSync(FILE, next.endsWith('\n') ? next : `${next}\n`);
  console.log(`docs/benchmarks.md: section "${heading}" written`);
}
