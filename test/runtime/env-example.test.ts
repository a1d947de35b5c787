// .env.example lists every variable of every configuration schema (src/runtime/config/*.ts), in the schema's
// section, with the schema's default: this test fails when a schema variable is missing from the file, when the
// file lists one no schema has, or when a default differs — so the two cannot drift.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allSchemas } from '../../src/runtime/config/index.ts';
import { loadIngestConfig } from '../../src/runtime/config/ingest.ts';
import { loadWorkerConfig } from '../../src/runtime/config/worker.ts';

interface Entry {
  /** undefined for `#NAME=` (no default). */
  value: string | undefined;
  /** The comment line above it. */
  meaning: string;
}

/** Sections (`## [name] ...`) of NAME=value / #NAME= lines, each with the comment above it. */
function parseEnvExample(text: string): Map<string, Map<string, Entry>> {
  const sections = new Map<string, Map<string, Entry>>();
  let current: Map<string, Entry> | undefined;
  let comment = '';
  for (const line of text.split('\n')) {
    const header = /^## \[([a-z-]+)\]/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1] ?? '', current);
      continue;
    }
    const entry = /^(#?)([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (entry) {
      const [, hash, name = '', value = ''] = entry;
      if (!current) throw new Error(`.env.example: ${name} comes before any ## [section] header`);
      if (current.has(name)) throw new Error(`.env.example: ${name} is listed twice in one section`);
      if (hash === '#' && value !== '') throw new Error(`.env.example: #${name}=${value}: a commented variable has no value`);
      current.set(name, { value: hash === '#' ? undefined : value, meaning: comment });
      comment = '';
      continue;
    }
    comment = line.startsWith('# ') ? line.slice(2) : '';
  }
  return sections;
}

const example = parseEnvExample(readFileSync(new URL('../../.env.example', import.meta.url), 'utf8'));

describe('.env.example', () => {
  it('has a section for each schema and none without one', () => {
    expect([...example.keys()]).toEqual(allSchemas.map((s) => s.section));
  });

  for (const schema of allSchemas) {
    it(`[${schema.section}] lists exactly the schema's variables, each with its default and meaning`, () => {
      const listed = example.get(schema.section) ?? new Map<string, Entry>();
      const declared = Object.keys(schema.variables);
      expect([...listed.keys()].filter((n) => !declared.includes(n)), 'listed in .env.example but in no schema').toEqual([]);
      expect(declared.filter((n) => !listed.has(n)), 'in the schema but missing from .env.example').toEqual([]);
      for (const [name, spec] of Object.entries(schema.variables)) {
        const entry = listed.get(name);
        expect(entry?.value, `default of ${name}`).toBe(spec.default);
        expect(entry?.meaning, `meaning of ${name}`).toContain(spec.meaning);
      }
    });
  }

  it('its defaults are what the processes run with when nothing is set', () => {
    // The file's values, given explicitly, resolve to the same configuration as an empty environment.
    const given = (section: string) => Object.fromEntries([...(example.get(section) ?? [])].flatMap(([n, e]) => (e.value === undefined ? [] : [[n, e.value]])));
    const fixed = { MQTT_CLIENT_ID: 'c', XDG_STATE_HOME: '/state' };
    expect(loadIngestConfig({ ...given('ingest'), ...fixed })).toEqual(loadIngestConfig(fixed));
    expect(loadWorkerConfig({ ...given('worker'), CANARY_API_TOKEN: 't' })).toEqual(loadWorkerConfig({ CANARY_API_TOKEN: 't' }));
    expect(Object.keys(given('ingest')).length).toBeGreaterThan(10);
  });
});
