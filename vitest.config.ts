import { configDefaults, defineConfig } from 'vitest/config';

// `make mutation` (stryker.config.mjs) sets MUTATION_SCOPE: the run is narrowed to the tests of test/<scope>/, less
// the tests that re-check at scale (50,000-metric births, 10,000 fuzzed payloads, a 2,000-metric birth through
// Tahu, 10,000 undecodable payloads through the ingestor) what the fixture tests check exactly: 2–4 s each for every
// mutant they cover. Also left out: the files that run the worker or the ingestor as child processes, where no mutant
// is ever active (Stryker switches mutants on in the test runner's own process). docs/testing.md.
const scope = process.env.MUTATION_SCOPE;
const AT_SCALE = /50,000-metric birth|10000 of them|synthetic birth of 2,000 metrics|10000 undecodable payloads/;
const CHILD_PROCESSES = ['test/worker/processes.test.ts', 'test/ingest/process.test.ts'];
// MUTATION_TESTS=test/worker/units.test.ts,... narrows a run to the named test files: a mutant they kill is killed, one
// they miss counts as surviving, so the score is a lower bound for the folder's tests (docs/testing.md).
const only = process.env.MUTATION_TESTS?.split(',');

export default defineConfig({
  test: {
    include: only ?? [scope ? `test/${scope}/**/*.test.ts` : 'test/**/*.test.ts'],
    ...(scope ? { exclude: [...configDefaults.exclude, ...CHILD_PROCESSES] } : {}),
    ...(scope ? { testNamePattern: new RegExp(`^(?!.*(${AT_SCALE.source}))`) } : {}),
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    // Under Stryker the code is instrumented and the machine busy with the mutants: a test that waits on a process
    // or the simulator gets more time, so the initial run does not fail on a timeout (docs/testing.md).
    testTimeout: scope ? 120_000 : 30_000,
    hookTimeout: 60_000,
    // `make test` runs `vitest run --coverage`: v8 coverage of src/ (docs/testing.md, "TypeScript coverage").
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      // Most of the commands run as child processes (the ingestor, the worker, the simulator, the CLI through
      // bin/uns-meta or `node src/cli.ts`): their V8 coverage (NODE_V8_COVERAGE, which Node passes on to every child)
      // is merged with the test processes' own.
      autoAttachSubprocess: true,
      reporter: ['text-summary', ['json-summary', { file: 'coverage-summary.json' }]],
      reportsDirectory: 'coverage', // git-ignored
      thresholds: { lines: 85, branches: 85 },
    },
  },
});
