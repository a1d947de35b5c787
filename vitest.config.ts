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
  },
});
