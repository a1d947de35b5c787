// `make coverage-sql` as docs/testing.md shows it: the target runs scripts/coverage-sql.ts, and the script, run as
// the page's second line runs it (one pgTAP file, on a private cluster with plpgsql_check's profiler), reports the
// statements that file ran and did not run. Expected values come from the function's source and the pgTAP file:
// uns_meta.deployed_changes() is a block with an IF whose RAISE (no Sqitch registry) sql-tests/functions/
// deployed_changes.sql never reaches, then a RETURN QUERY; the trigger function tg_metrics__metric_id_immutable,
// which that file never fires, is one block holding one RAISE (no IF, CASE or loop: no branch figure).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { namedBlock } from '../support/markdown.ts';

const run = promisify(execFile);
const block = namedBlock('testing.md', 'coverage-sql');
const lines = block.text.split('\n').filter((l) => l !== '' && !l.startsWith('# '));

/** The rows of the aligned psql table printed under `== <heading>` (its fields trimmed). */
function table(output: string, heading: string): string[][] {
  const start = output.indexOf(`== ${heading}`);
  expect(start, `a section "${heading}" in:\n${output}`).toBeGreaterThanOrEqual(0);
  const rows = output.slice(start).split('\n').slice(1);
  const end = rows.findIndex((r, i) => i > 1 && (r.trim() === '' || r.startsWith('==')));
  return rows.slice(2, end === -1 ? undefined : end).map((r) => r.split('|').map((f) => f.trim()));
}

describe('make coverage-sql', () => {
  it('the target runs scripts/coverage-sql.ts (after make setup, which installs postgresql-15-plpgsql-check)', async () => {
    expect(lines[0]).toMatch(/^make coverage-sql\s+#/);
    expect((await run('make', ['-n', 'coverage-sql'])).stdout).toContain('node scripts/coverage-sql.ts');
    expect((await run('grep', ['-c', 'postgresql-15-plpgsql-check', 'scripts/setup.sh'])).stdout.trim()).not.toBe('0');
  });

  it("reports each function's statements run and not run by the pgTAP files given, and plpgsql_check finds nothing", async () => {
    const command = lines[1]!.replace(/\s+#.*$/, '');
    expect(command).toBe('node scripts/coverage-sql.ts sql-tests/functions/deployed_changes.sql');
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', command], { maxBuffer: 16 << 20 });
    expect(stdout).toContain('Result: PASS');

    const coverage = table(stdout, 'statement and branch coverage');
    expect(coverage.find((r) => r[0] === 'deployed_changes')).toEqual(['deployed_changes', '4', '3', '75', '50']);
    expect(coverage.find((r) => r[0] === 'tg_metrics__metric_id_immutable')).toEqual(['tg_metrics__metric_id_immutable', '2', '0', '0', '-']);

    const untested = table(stdout, 'untested paths');
    expect(untested.filter((r) => r[0] === 'deployed_changes')).toEqual([
      ['deployed_changes', '4', 'RAISE', '0', "raise exception 'no Sqitch registry (schema sqitch) in database %', current_database()"],
    ]);
    expect(untested.filter((r) => r[0] === 'tg_metrics__metric_id_immutable').map((r) => r.slice(0, 4)))
      .toEqual([['tg_metrics__metric_id_immutable', '2', 'statement block', '1']]);

    expect(table(stdout, 'plpgsql_check_function')).toEqual([]);
  }, 900_000);
});
