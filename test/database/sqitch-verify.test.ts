// The Sqitch verify scripts really verify: on a clone of the deployed template, `sqitch verify` passes; after
// an object a verify script checks is dropped, it fails (non-zero exit) and names exactly the broken change.
// Each scenario gets its own clone and they run in parallel (one `sqitch verify` takes about 3 s).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { runSqitch } from '../support/sqitch.ts';


interface VerifyResult {
  code: number | null;
  /** stdout and stderr together. */
  output: string;
  /** Change name -> the rest of its line in the report ("ok", or the failure note). */
  changes: Map<string, string>;
}

/** `sqitch verify` of a database, its report parsed. */
async function sqitchVerify(database: string): Promise<VerifyResult> {
  const { code, stdout, output } = await runSqitch(database, ['verify']);
  const changes = new Map<string, string>();
  // "  * tables/metric_path_lineage .......... # Verify script "verify/..." failed."  or  "... ok"
  // Parsed from stdout alone: psql's errors arrive on stderr, possibly in the middle of a report line.
  for (const m of stdout.matchAll(/^ {2}\* (\S+) \.+ (.*)$/gm)) {
    if (m[1] && m[2] !== undefined) changes.set(m[1], m[2].trim());
  }
  return { code, output, changes };
}

const clones: TestDatabase[] = [];
afterAll(async () => {
  await Promise.all(clones.map((db) => db.drop()));
});

/** A fresh clone, with the `sabotage` statements run in it as uns_meta_admin, then verified. */
async function verifyAfter(sabotage: string[]): Promise<VerifyResult> {
  const db = await createTestDatabase();
  clones.push(db);
  const admin = db.pool('uns_meta_admin');
  for (const statement of sabotage) await admin.query(statement);
  return sqitchVerify(db.name);
}

/** The changes reported as failing. */
function failing(result: VerifyResult): string[] {
  return [...result.changes].filter(([, status]) => status !== 'ok').map(([name]) => name).sort();
}

const failedNote = (change: string) => `# Verify script "verify/${change}.sql" failed.`;

// Three clones keep the file well under 30 s on a small machine: the intact one, the simplest break alone,
// and one holding several independent breaks, each of which must be pinned on its own change (and only there).
const scenarios: { name: string; sabotage: string[]; changes: string[] }[] = [
  {
    name: 'a dropped table',
    sabotage: ['drop table uns_meta.metric_path_lineage'],
    changes: ['tables/metric_path_lineage'],
  },
  {
    name: 'a dropped unique constraint, CHECK constraint and append-only trigger, and a publication missing a table',
    sabotage: [
      'alter table uns_meta.devices drop constraint uq_devices_uns_path',
      'alter table uns_meta.metric_properties drop constraint chk_metric_properties_type_value',
      'drop trigger _100_append_only on uns_meta.metric_versions',
      'alter publication uns_meta_pub drop table uns_meta.metric_properties',
    ],
    changes: ['publications/uns_meta_pub', 'tables/devices', 'tables/metric_properties', 'tables/metric_versions'],
  },
  {
    name: 'a dropped publication',
    sabotage: ['drop publication uns_meta_pub'],
    changes: ['publications/uns_meta_pub'],
  },
];

describe('sqitch verify', () => {
  let intact: VerifyResult;
  let broken: VerifyResult[];
  beforeAll(async () => {
    // Every verification at once: the file takes about as long as the slowest `sqitch verify`.
    [intact, ...broken] = await Promise.all([verifyAfter([]), ...scenarios.map((s) => verifyAfter(s.sabotage))]);
  }, 240_000); // four `sqitch verify` runs of the whole plan at once: over a minute on a loaded 2-core machine

  it('succeeds on an intact clone of the template', () => {
    expect(intact.output).toContain('Verify successful');
    expect(failing(intact)).toEqual([]);
    expect(intact.changes.size).toBeGreaterThanOrEqual(14);
    expect(intact.code).toBe(0);
  });

  scenarios.forEach((s, i) => {
    it(`fails and names ${s.changes.join(', ')} after ${s.name}`, () => {
      const result = broken[i]!;
      expect(result.code).not.toBe(0);
      expect(failing(result)).toEqual(s.changes);
      for (const change of s.changes) expect(result.changes.get(change)).toBe(failedNote(change));
      expect(result.output).toContain('Verify failed');
      expect(result.output).toContain(`Errors:  ${s.changes.length}`);
    });
  });
});
