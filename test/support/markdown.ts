// Fenced code blocks of a docs/ page, so a test runs exactly what the page shows (the page and the test cannot drift).
import { readFileSync } from 'node:fs';

export interface CodeBlock {
  lang: string;
  /** The first line when it is a `-- <name>` or `# <name>` comment naming the block, else ''. */
  name: string;
  text: string;
}

export function codeBlocks(doc: string): CodeBlock[] {
  const text = readFileSync(new URL(`../../docs/${doc}`, import.meta.url), 'utf8');
  return [...text.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => {
    const body = m[2]!;
    const name = /^(?:--|#) ([a-z0-9-]+)\n/.exec(body)?.[1] ?? '';
    return { lang: m[1]!, name, text: body };
  });
}

export function namedBlock(doc: string, name: string): CodeBlock {
  const block = codeBlocks(doc).find((b) => b.name === name);
  if (block === undefined) throw new Error(`docs/${doc} has no code block named "${name}"`);
  return block;
}

/** A CSV table as `psql --csv -P null='\\N'` prints it: rows of fields, NULL (\\N) as undefined. */
export function parseCsv(text: string): (string | undefined)[][] {
  const rows: (string | undefined)[][] = [];
  let row: (string | undefined)[] = [];
  let i = 0;
  while (i < text.length) {
    let field: string | undefined;
    if (text[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        if (text[i] === '"' && text[i + 1] === '"') { value += '"'; i += 2; } else if (text[i] === '"') { i++; break; } else { value += text[i]; i++; }
      }
      field = value;
    } else {
      let end = i;
      while (end < text.length && text[end] !== ',' && text[end] !== '\n') end++;
      field = text.slice(i, end);
      if (field === '\\N') field = undefined;
      i = end;
    }
    row.push(field);
    if (text[i] === ',') { i++; continue; }
    rows.push(row);
    row = [];
    i++;
  }
  return rows;
}

/** The one code block of a page whose text (after its name line, if any) starts with `start`. */
export function blockStarting(doc: string, start: string): CodeBlock {
  const found = codeBlocks(doc).filter((b) => b.text.replace(/^(?:--|#) [a-z0-9-]+\n/, '').startsWith(start));
  if (found.length !== 1) throw new Error(`docs/${doc} has ${found.length} code blocks starting with ${JSON.stringify(start)}, not one`);
  return found[0]!;
}
