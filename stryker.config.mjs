// StrykerJS mutation testing (`make mutation`; not part of `make test`): one folder of src/ at a time, with the tests
// of that folder only, in incremental mode (a re-run tests only the mutants whose code or tests changed).
//   MUTATION_SCOPE=sparkplug|worker|ingest   the folder (default sparkplug)
//   STRYKER_MUTATE=src/worker/sync.ts        narrow the mutated files further (a glob, comma-separated)
// Scores and the surviving mutants judged equivalent: docs/testing.md.
const scope = process.env.MUTATION_SCOPE ?? 'sparkplug';
const folders = ['sparkplug', 'worker', 'ingest'];
if (!folders.includes(scope)) throw new Error(`MUTATION_SCOPE must be one of ${folders.join(', ')}, got ${scope}`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: process.env.STRYKER_MUTATE ? process.env.STRYKER_MUTATE.split(',') : [`src/${scope}/**/*.ts`],
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.config.ts' }, // which reads MUTATION_SCOPE: the tests of test/<scope>/
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  coverageAnalysis: 'perTest',
  // a static mutant (module-level code: tables, constants) would re-run every test of the folder: 47 % of the
  // sparkplug mutants at ~1 min each. They are left out of the score (reported as ignored).
  ignoreStatic: true,
  concurrency: 1,
  incremental: true,
  incrementalFile: `mutation/incremental-${scope}.json`,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${scope}.html` },
  jsonReporter: { fileName: `reports/mutation/${scope}.json` },
  ignorePatterns: ['.tools', 'bench/results', 'coverage', 'reports', 'mutation'],
  timeoutMS: 30_000,
  timeoutFactor: 2,
  cleanTempDir: 'always',
};
