/**
 * The module groups of `npm run mutate`: each group's source files are mutated and only the tests
 * listed with it run against the mutants. Shared by stryker.config.mjs, mutate/vitest.config.ts
 * and scripts/mutate.ts. A new pure module gets a group here (or joins one).
 */

export interface MutationGroup {
  /** Used in MUTATE_GROUP, reports/mutation.json and coverage/mutation/<name>.json. */
  readonly name: string;
  /** Source globs Stryker mutates. */
  readonly mutate: string[];
  /** Test globs run against the mutants (the group's own tests only). */
  readonly tests: string[];
}

export const GROUPS: readonly MutationGroup[] = [
  {
    name: 'errors',
    mutate: ['src/errors/error-type.ts', 'src/errors/policy.ts'],
    tests: ['test/errors/error-type.test.ts', 'test/errors/policy.test.ts'],
  },
  {
    name: 'sse-parser',
    mutate: ['src/sse/parser.ts', 'src/sse/plain-chunk.ts', 'src/sse/event-template.ts'],
    tests: [
      'test/sse/parser.test.ts',
      'test/sse/plain-chunk.test.ts',
      'test/sse/event-template.test.ts',
      'test/sse/stream-observer-fast-path.test.ts',
    ],
  },
  {
    name: 'genai',
    mutate: ['src/genai/*.ts'],
    tests: ['test/genai/**/*.test.ts'],
  },
  {
    name: 'retry-options',
    mutate: ['src/retry/retry-after.ts', 'src/retry/options.ts'],
    tests: ['test/retry/retry-after.test.ts', 'test/retry/options.test.ts'],
  },
  {
    name: 'retry-plan',
    mutate: ['src/retry/plan.ts'],
    tests: ['test/retry/plan.test.ts'],
  },
  {
    name: 'redact',
    mutate: ['src/redact/*.ts'],
    tests: ['test/redact/**/*.test.ts'],
  },
  {
    name: 'error-body',
    mutate: ['src/errors/error-body.ts', 'src/errors/error-code.ts'],
    tests: ['test/errors/error-body.test.ts', 'test/errors/error-code.test.ts'],
  },
  {
    name: 'stream-observer',
    mutate: ['src/sse/stream-observer.ts'],
    tests: [
      'test/sse/stream-observer.test.ts',
      'test/sse/stream-formats.test.ts',
      'test/sse/stream-observer-gaps.test.ts',
      'test/sse/stream-observer-fast-path.test.ts',
    ],
  },
  {
    name: 'providers',
    mutate: ['src/providers/*.ts'],
    tests: ['test/providers/**/*.test.ts'],
  },
  {
    name: 'ndjson',
    mutate: ['src/ndjson/*.ts'],
    tests: ['test/ndjson/**/*.test.ts'],
  },
  {
    name: 'eventstream',
    mutate: ['src/eventstream/*.ts'],
    tests: ['test/eventstream/**/*.test.ts'],
  },
];

/** The group named by `MUTATE_GROUP`; throws naming the valid names otherwise. */
export function selectedGroup(name: string | undefined = process.env.MUTATE_GROUP): MutationGroup {
  const group = GROUPS.find((candidate) => candidate.name === name);
  if (group === undefined) {
    throw new Error(
      `MUTATE_GROUP must be one of ${GROUPS.map((g) => g.name).join(', ')}; got ${JSON.stringify(name)}`,
    );
  }
  return group;
}
