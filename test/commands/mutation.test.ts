// `make mutation` as docs/testing.md describes it, short of running Stryker (hours on this machine, so never in
// `make test`): the target runs one Stryker per folder, each folder mutates its own sources with its own tests, and
// the working files Stryker writes are git-ignored.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** stryker.config.mjs as Stryker loads it, with the given environment. */
async function strykerConfig(env: Record<string, string>): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, ['-e', "import('./stryker.config.mjs').then((m) => console.log(JSON.stringify(m.default)))"],
    { env: { ...process.env, ...env } });
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('make mutation', () => {
  it('runs the SQL round trip (the tests clone its template), then one incremental Stryker run per folder', async () => {
    const { stdout } = await run('make', ['-n', 'mutation']);
    expect(stdout).toContain('scripts/test-sql.sh');
    expect(stdout).toContain('for scope in sparkplug worker ingest; do');
    expect(stdout).toContain('MUTATION_SCOPE=$scope stryker run');
    const one = await run('make', ['-n', 'mutation', 'MUTATION_SCOPES=sparkplug']);
    expect(one.stdout).toContain('for scope in sparkplug; do');
  });

  it.each(['sparkplug', 'worker', 'ingest'])('MUTATION_SCOPE=%s mutates src/%s with the vitest runner, the TypeScript checker, one process, incrementally', async (scope) => {
    expect(await strykerConfig({ MUTATION_SCOPE: scope })).toMatchObject({
      mutate: [`src/${scope}/**/*.ts`], testRunner: 'vitest', checkers: ['typescript'], concurrency: 1,
      incremental: true, incrementalFile: `mutation/incremental-${scope}.json`, ignoreStatic: true,
    });
  });

  it('STRYKER_MUTATE narrows the run to the named files; an unknown scope is refused', async () => {
    expect((await strykerConfig({ MUTATION_SCOPE: 'worker', STRYKER_MUTATE: 'src/worker/batches.ts,src/worker/property-rows.ts' })).mutate)
      .toEqual(['src/worker/batches.ts', 'src/worker/property-rows.ts']);
    await expect(strykerConfig({ MUTATION_SCOPE: 'canary-sim' })).rejects.toThrow(/MUTATION_SCOPE must be one of sparkplug, worker, ingest, got canary-sim/);
  });

  it('the tests of a scope are the tests of its folder (vitest.config.ts reads MUTATION_SCOPE)', async () => {
    const { stdout } = await run(process.execPath, ['-e', "import('./vitest.config.ts').then((m) => console.log(JSON.stringify(m.default.test.include)))"],
      { env: { ...process.env, MUTATION_SCOPE: 'worker' } });
    expect(JSON.parse(stdout)).toEqual(['test/worker/**/*.test.ts']);
  });

  it('under MUTATION_SCOPE the child-process files are left out; MUTATION_TESTS narrows the run to the named test files', { timeout: 120_000 }, async () => {
    const config = async (env: Record<string, string>) => JSON.parse((await run(process.execPath, ['-e',
      "import('./vitest.config.ts').then((m) => console.log(JSON.stringify({ include: m.default.test.include, exclude: m.default.test.exclude ?? [] })))"],
    { env: { ...process.env, ...env } })).stdout) as { include: string[]; exclude: string[] };
    const worker = await config({ MUTATION_SCOPE: 'worker' });
    expect(worker.exclude).toEqual(expect.arrayContaining(['test/worker/processes.test.ts', 'test/ingest/process.test.ts']));
    expect((await config({})).exclude).toEqual([]);
    expect((await config({ MUTATION_SCOPE: 'worker', MUTATION_TESTS: 'test/worker/units.test.ts,test/worker/sync.test.ts' })).include)
      .toEqual(['test/worker/units.test.ts', 'test/worker/sync.test.ts']);
  });

  it("Stryker's sandbox, reports and incremental results are git-ignored", async () => {
    const paths = ['.stryker-tmp/sandbox-1/x.ts', 'reports/mutation/sparkplug.html', 'mutation/incremental-worker.json'];
    const { stdout } = await run('git', ['check-ignore', ...paths]);
    expect(stdout.trim().split('\n')).toEqual(paths);
  });
});
