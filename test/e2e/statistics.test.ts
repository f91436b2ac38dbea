import { describe, expect, it } from 'vitest';
import { binomialBounds } from './support/statistics.ts';

describe('binomialBounds', () => {
  it('matches hand-computed tails for a small case', () => {
    // Binomial(4, 0.5): P(0) = P(4) = 1/16, P(1) = P(3) = 4/16.
    expect(binomialBounds(4, 0.5, 2 / 16)).toEqual([1, 3]);
    expect(binomialBounds(4, 0.5, 2 / 16 - 1e-9)).toEqual([0, 4]);
    expect(binomialBounds(4, 0.5, 10 / 16)).toEqual([2, 2]);
  });

  it('is close to mean ± z·sd for a large case', () => {
    const [low, high] = binomialBounds(950, 0.1, 1e-6);
    const sd = Math.sqrt(950 * 0.1 * 0.9);
    // z for a two-sided 1e-6 is 4.89; the exact bounds are skewed up a little (p < 0.5).
    expect(low).toBeGreaterThanOrEqual(Math.floor(95 - 5.2 * sd));
    expect(low).toBeLessThanOrEqual(Math.ceil(95 - 4.5 * sd));
    expect(high).toBeGreaterThanOrEqual(Math.floor(95 + 4.5 * sd));
    expect(high).toBeLessThanOrEqual(Math.ceil(95 + 5.4 * sd));
  });

  it('rejects impossible arguments', () => {
    expect(() => binomialBounds(0, 0.1, 0.01)).toThrow(/trials/);
    expect(() => binomialBounds(10, 1, 0.01)).toThrow(/p must/);
  });
});
