// Vitest config for mutation runs: only the tests of the group named by MUTATE_GROUP (see groups.ts),
// so each group's mutants are judged by its own tests. Stryker's vitest runner loads this file.
import { defineConfig } from 'vitest/config';
import { selectedGroup } from './groups.ts';

export default defineConfig({
  test: {
    include: selectedGroup().tests,
    exclude: ['test/e2e/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default'],
  },
});
