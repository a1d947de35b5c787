import { defineConfig } from 'vitest/config';

// `make mutation` (stryker.config.mjs) sets MUTATION_SCOPE: the run is narrowed to the tests of test/<scope>/, less
// the four tests that re-check at scale (50,000-metric births, 10,000 fuzzed payloads, a 2,000-metric birth through
// Tahu) what the fixture tests check exactly: 2–4 s each for every mutant they cover. docs/testing.md.
const scope = process.env.MUTATION_SCOPE;
const AT_SCALE = /50,000-metric birth|10000 of them|synthetic birth of 2,000 metrics/;

export default defineConfig({
  test: {
    include: [scope ? `test/${scope}/**/*.test.ts` : 'test/**/*.test.ts'],
    ...(scope ? { testNamePattern: new RegExp(`^(?!.*(${AT_SCALE.source}))`) } : {}),
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
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
