// StrykerJS config for `npm run mutate` (scripts/mutate.ts runs it once per group with MUTATE_GROUP
// set). Alone: `MUTATE_GROUP=errors npm exec -- stryker run`. See docs/mutation.md.
import { selectedGroup } from './mutate/groups.ts';

const group = selectedGroup();

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'mutate/vitest.config.ts', related: false },
  coverageAnalysis: 'perTest',
  mutate: group.mutate,
  concurrency: 2,
  // Full reports under coverage/ (git- and Biome-ignored); scripts/mutate.ts summarises them.
  reporters: ['json', 'html', 'clear-text', 'progress'],
  jsonReporter: { fileName: `coverage/mutation/${group.name}.json` },
  htmlReporter: { fileName: `coverage/mutation/${group.name}.html` },
  clearTextReporter: { allowColor: false, logTests: false },
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['dist', 'coverage', '.e2e', 'reports', 'bench/results.json'],
  thresholds: { high: 90, low: 85, break: null },
  timeoutMS: 5000,
  timeoutFactor: 2,
};
