// Every fenced block of README.md and docs/*.md is either run by a test against a real catalog or exempt for a
// stated reason: a block added to a page without a test, or a test's block removed from its page, fails here. A block
// is identified by its page and its name (`#<name>`: a first line `# <name>` or `-- <name>`, which the test then
// names too) or else the start of its text. ```mermaid
// blocks are diagrams, exempt by their language; the other exemptions are listed one by one, each with its reason.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkout } from '../support/doc-shell.ts';
import { type CodeBlock, codeBlocks } from '../support/markdown.ts';

type Entry = { page: string; start: string } & ({ run: string } | { exempt: string });

const OUTPUT = 'output example: what a command prints or logs, not something to type';
const ENTRIES: Entry[] = [
  { page: 'README.md', start: 'make demo ', exempt: '`make test` is the suite that runs this file; `make demo` runs `make setup` (apt, npm ci, PostgreSQL start, roles) and redeploys a database: its program, `uns-meta demo`, runs in test/commands/demo.test.ts' },
  { page: 'README.md', start: '#launcher', run: 'test/ops/launcher.test.ts' },
  { page: 'README.md', start: 'target=db:pg://', run: 'test/docs/readme.test.ts' },
  { page: 'analysts.md', start: 'export PGHOST=', run: 'test/docs/analysts.test.ts' },
  { page: 'analysts.md', start: '#device-tags', run: 'test/docs/analysts.test.ts' },
  { page: 'analysts.md', start: '#tag-history', run: 'test/docs/analysts.test.ts' },
  { page: 'analysts.md', start: '#tag-paths', run: 'test/docs/analysts.test.ts' },
  { page: 'analysts.md', start: '#canary-unconfirmed', run: 'test/docs/analysts.test.ts' },
  { page: 'analysts.md', start: '#sync-schedule', run: 'test/docs/analysts.test.ts' },
  { page: 'analysts.md', start: '#tag-as-of', run: 'test/docs/analysts.test.ts' },
  { page: 'analysts.md', start: '#tag-properties-as-of', run: 'test/docs/analysts.test.ts' },
  { page: 'analysts.md', start: '#rejections', run: 'test/docs/analysts.test.ts' },
  { page: 'canary-sim.md', start: 'uns-meta canary-sim ', run: 'test/docs/canary-sim.test.ts' },
  { page: 'canary-sim.md', start: 'import { startCanarySim }', run: 'test/docs/canary-sim.test.ts' },
  { page: 'decoder.md', start: 'payload is not a Sparkplug B protobuf', exempt: `${OUTPUT} (the forms of DecodeError messages)` },
  { page: 'decoder.md', start: 'for (const { header, metricCount', run: 'test/docs/decoder.test.ts' },
  { page: 'decoder.md', start: 'uns-meta decode <file|->', run: 'test/docs/decoder.test.ts' },
  { page: 'decoder.md', start: 'uns-meta encode <file|->', run: 'test/docs/decoder.test.ts' },
  { page: 'deployment.md', start: '#systemd-verify', run: 'test/ops/deployment.test.ts' },
  { page: 'deployment.md', start: '#dba-identity', run: 'test/ops/deployment.test.ts' },
  { page: 'deployment.md', start: '#dba-bootstrap', run: 'test/ops/deployment.test.ts' },
  { page: 'deployment.md', start: '#dba-deploy', run: 'test/ops/deployment.test.ts' },
  { page: 'deployment.md', start: '#dba-upgrade-rollback', run: 'test/ops/deployment.test.ts' },
  { page: 'deployment.md', start: '#tls-check', run: 'test/ops/deployment.test.ts' },
  { page: 'ingestor.md', start: 'MQTT_URL=mqtts://broker.plant:8883', run: 'test/docs/ingestor.test.ts' },
  { page: 'ingestor.md', start: 'listener 8883', exempt: 'a Mosquitto configuration file, not a command; test/ingest/tls.test.ts runs a broker with these directives (test/ingest/support/mosquitto.ts)' },
  { page: 'ingestor.md', start: '{"v":1,', exempt: 'a file format: the layout of a spool record' },
  { page: 'ingestor.md', start: 'payload of 326899 bytes', exempt: `${OUTPUT} (the forms of the dead-letter reasons)` },
  { page: 'ingestor.md', start: '#dead-letter-recipe', run: 'test/ingest/dead-letter-recipe.test.ts' },
  { page: 'operations.md', start: 'uns-meta status ', run: 'test/docs/operations.test.ts' },
  { page: 'operations.md', start: '#watch-device', run: 'test/watch/watch.test.ts' },
  { page: 'operations.md', start: '#watch-prefix', run: 'test/watch/watch.test.ts' },
  { page: 'operations.md', start: '2026-12-06T23:51:02.114Z', exempt: OUTPUT },
  { page: 'operations.md', start: '{\n  "ok": false', run: 'test/commands/status.test.ts' },
  { page: 'schema.md', start: '#contract-regenerate', run: 'test/db/contract.test.ts' },
  { page: 'sql-api.md', start: '{"topic": "spBv1.0/<group>', exempt: 'the shape of the argument, with placeholders (not JSON); the example that follows it runs' },
  { page: 'sql-api.md', start: '{\n  "topic"', run: 'test/docs/sql-api.test.ts' },
  { page: 'sql-api.md', start: '      key      |', run: 'test/docs/sql-api.test.ts' },
  { page: 'sql-api.md', start: ' {\n     "metrics"', run: 'test/docs/sql-api.test.ts' },
  { page: 'sql-api.md', start: '     "metrics": {"retired"', run: 'test/docs/sql-api.test.ts' },
  { page: 'sql-api.md', start: 'insert into uns_meta.ingest_rejections', run: 'test/docs/sql-api.test.ts' },
  { page: 'sql-api.md', start: '$ psql -U uns_meta_app', run: 'test/docs/sql-api.test.ts' },
  { page: 'sql-api.md', start: '{"properties": {"added":   {<key>', exempt: 'the shape of a diff, with placeholders (not JSON); the diffs that follow it run' },
  { page: 'sql-api.md', start: '{"alias": {"new": 17}', run: 'test/docs/sql-api.test.ts' },
  { page: 'sql-api.md', start: '{"datatype": {"new": 9', run: 'test/docs/sql-api.test.ts' },
  { page: 'sql-api.md', start: '-- The properties of a metric as they were', run: 'test/database/docs-history.test.ts' },
  { page: 'sql-api.md', start: '-- Every version of one metric', run: 'test/database/docs-history.test.ts' },
  { page: 'sql-api.md', start: "-- A plant's area as it was", run: 'test/database/docs-history.test.ts' },
  { page: 'sql-api.md', start: ' version_no | change_kind | diff', run: 'test/docs/sql-api.test.ts' },
  { page: 'sql-api.md', start: ' topic        |', run: 'test/docs/sql-api.test.ts' },
  { page: 'sql-api.md', start: ' step |     action', run: 'test/docs/sql-api.test.ts' },
  { page: 'sql-api.md', start: 'insert into uns_meta.segment_normalisation_rules', run: 'test/docs/sql-api.test.ts' },
  { page: 'sql-api.md', start: 'insert into uns_meta.path_rewrite_rules', run: 'test/docs/sql-api.test.ts' },
  { page: 'sql-api.md', start: 'select jsonb_pretty(uns_meta.reapply_path_rules', run: 'test/docs/sql-api.test.ts' },
  { page: 'sql-api.md', start: 'begin;\n', run: 'test/docs/sql-api.test.ts' },
  { page: 'sql-api.md', start: 'select id, task_identifier', run: 'test/docs/sql-api.test.ts' },
  { page: 'sql-api.md', start: "update uns_meta.metric_properties set value_string = 'degC'", run: 'test/database/docs-history.test.ts' },
  { page: 'sql-api.md', start: 'select objid, mode, granted', run: 'test/docs/sql-api.test.ts' },
  { page: 'sql-api.md', start: 'select plant, area, line', run: 'test/docs/sql-api.test.ts' },
  { page: 'testing.md', start: '#coverage-sql', run: 'test/commands/coverage-sql.test.ts' },
  { page: 'testing.md', start: 'make mutation ', exempt: 'Stryker runs for hours (never in `make test`); test/commands/mutation.test.ts checks what the targets run (`make -n`) and the Stryker configuration each scope gets' },
  { page: 'worker.md', start: 'DATABASE_URL=postgres://uns_meta_app@db', run: 'test/docs/worker.test.ts' },
  { page: 'worker.md', start: 'select status, count(*) from uns_meta.canary_parity', run: 'test/docs/worker.test.ts' },
];

const pages = ['README.md', ...readdirSync(`${checkout}/docs`).filter((f) => f.endsWith('.md')).sort()];
const blocksOf = (page: string) => codeBlocks(page === 'README.md' ? '../README.md' : page);
const names = (e: Entry, b: CodeBlock) => (e.start.startsWith('#') ? b.name === e.start.slice(1) : b.name === '' && b.text.startsWith(e.start));

describe('docs coverage: every block of README.md and docs/*.md is run by a test or exempt with a reason', () => {
  it.each(pages)('%s: each block matches one entry', (page) => {
    for (const block of blocksOf(page).filter((b) => b.lang !== 'mermaid')) {
      const matches = ENTRIES.filter((e) => e.page === page && names(e, block));
      expect(matches, `a block of ${page} that no test runs and no exemption names (add a test, then an entry in this file):\n${block.text.slice(0, 200)}`).toHaveLength(1);
    }
  });

  it('each entry names a block that is on its page (no stale entries), once', () => {
    for (const e of ENTRIES) {
      expect(pages, e.page).toContain(e.page);
      expect(blocksOf(e.page).filter((b) => names(e, b)), `${e.page}: ${e.start}`).toHaveLength(1);
    }
  });

  it('each test named exists and reads the page it runs; each exemption says why', () => {
    for (const e of ENTRIES) {
      if ('run' in e) {
        expect(existsSync(`${checkout}/${e.run}`), e.run).toBe(true);
        const test = readFileSync(`${checkout}/${e.run}`, 'utf8');
        expect(test, `${e.run} reads ${e.page}`).toContain(e.page.replace(/\.md$/, ''));
        if (e.start.startsWith('#')) expect(test, `${e.run} runs the block ${e.start}`).toContain(`'${e.start.slice(1)}'`);
      } else {
        expect(e.exempt.length, `${e.page}: ${e.start}`).toBeGreaterThan(20);
      }
    }
  });

  it('the exemptions are few: at most one block in six', () => {
    const blocks = pages.flatMap((p) => blocksOf(p)).filter((b) => b.lang !== 'mermaid').length;
    const exempt = ENTRIES.filter((e) => 'exempt' in e).length;
    expect(exempt * 6).toBeLessThanOrEqual(blocks);
  });
});
