/**
 * Sizes for the redact tests. Under `npm run mutate` (MUTATE_GROUP is set) every mutant that the
 * example tests do not kill re-runs the properties and the adversarial inputs on instrumented code:
 * a tenth of the property runs and 64 KiB instead of 1 MiB there (a backtracking scanner still
 * takes far longer than Stryker's timeout on 64 KiB). The example tests are what pin behaviour.
 */
const mutating = process.env.MUTATE_GROUP !== undefined;

/** `count` property runs, a tenth under mutation testing. */
export function runs(count: number): number {
  return mutating ? Math.ceil(count / 10) : count;
}

/** The size of the adversarial inputs: 1 MiB, 64 KiB under mutation testing. */
export const ADVERSARIAL_SIZE = mutating ? 64 * 1024 : 1024 * 1024;
