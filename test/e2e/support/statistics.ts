/**
 * Exact binomial bounds for the sampling test: how many of `trials` independent draws, each kept
 * with probability `p`, may be kept before the difference says more than chance. Pure.
 */

/**
 * The smallest [low, high] with P(X < low) ≤ alpha/2 and P(X > high) ≤ alpha/2 for
 * X ~ Binomial(trials, p): a kept count outside it happens by chance less often than `alpha`.
 */
export function binomialBounds(trials: number, p: number, alpha: number): [low: number, high: number] {
  if (!Number.isInteger(trials) || trials < 1)
    throw new RangeError(`trials must be a positive integer, got ${trials}`);
  if (!(p > 0 && p < 1)) throw new RangeError(`p must be in (0, 1), got ${p}`);
  const pmf = binomialPmf(trials, p);
  // Each tail may hold alpha/2, give or take the rounding of summing probabilities in floats.
  const tail = (alpha / 2) * (1 + 1e-9);
  let low = 0;
  for (let below = 0; below + (pmf[low] ?? 0) <= tail; low++) below += pmf[low] ?? 0;
  let high = trials;
  for (let above = 0; above + (pmf[high] ?? 0) <= tail; high--) above += pmf[high] ?? 0;
  return [low, high];
}

/** P(X = k) for k = 0..trials, in log space so that large `trials` do not underflow. */
function binomialPmf(trials: number, p: number): number[] {
  const logP = Math.log(p);
  const logQ = Math.log1p(-p);
  const logs: number[] = [0];
  let logChoose = 0;
  for (let k = 1; k <= trials; k++) {
    logChoose += Math.log(trials - k + 1) - Math.log(k);
    logs.push(logChoose);
  }
  return logs.map((choose, k) => Math.exp(choose + k * logP + (trials - k) * logQ));
}
