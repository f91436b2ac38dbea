/**
 * The planned wait before each resend (src/retry/plan.ts), with an injected random source: never
 * below the seeds' delay for that resend (Cline: 500 "retry once after 1s", 429 "exponential
 * backoff (start at 1s)", 502/503 "up to 3 times with backoff"), jittered upwards only, capped by
 * maxDelay, replaced by the server's Retry-After. No wall clock is involved.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_STATUS_RULES } from '../../src/errors/policy.ts';
import { type RetryOptions, resolveRetryOptions } from '../../src/retry/options.ts';
import { type AttemptFailure, backoffDelay, planRetry } from '../../src/retry/plan.ts';

const httpFailure = (statusCode: number, retryAfterMs?: number): AttemptFailure => ({
  kind: 'status',
  statusCode,
  errorCode: String(statusCode),
  retryable: true,
  spendCap: false,
  retryAfterMs,
});
const socketFailure: AttemptFailure = {
  kind: 'network',
  statusCode: undefined,
  errorCode: 'UND_ERR_SOCKET',
  retryable: true,
  spendCap: false,
  retryAfterMs: undefined,
};

/** The planned delay of each resend of a failure that keeps happening, until the plan stops. */
function delays(failure: AttemptFailure, random: number, options: RetryOptions = {}): number[] {
  const resolved = resolveRetryOptions({ ...options, random: () => random });
  const planned: number[] = [];
  for (let attempt = 1; ; attempt++) {
    const plan = planRetry(failure, attempt, 0, resolved);
    if (!plan) return planned;
    planned.push(plan.delayMs);
  }
}

describe("the seeds' delays are the floor of every wait", () => {
  it.each([
    // status, waits with the smallest jitter, waits with the largest
    [500, [1000], [1999]],
    [429, [1000, 2000, 4000], [1999, 3999, 7999]],
    [502, [1000, 2000, 4000], [1999, 3999, 7999]],
    [503, [1000, 2000, 4000], [1999, 3999, 7999]],
    [504, [1000, 2000, 4000], [1999, 3999, 7999]],
  ])('HTTP %i: resends after %j ms at least, %j ms at most', (status, lowest, highest) => {
    expect(delays(httpFailure(status), 0)).toEqual(lowest);
    expect(delays(httpFailure(status), 0.9999999)).toEqual(highest);
  });

  it('a median draw waits one and a half steps', () => {
    expect(delays(httpFailure(503), 0.5)).toEqual([1500, 3000, 6000]);
  });

  it('network errors back off the same way', () => {
    expect(delays(socketFailure, 0)).toEqual([1000, 2000, 4000]);
  });

  it("the default base is the seeds' first delay of every retryable status rule", () => {
    const resolved = resolveRetryOptions({});
    for (const rule of Object.values(DEFAULT_STATUS_RULES)) {
      if (rule.retryable) expect(resolved.baseDelay).toBe(rule.baseDelayMs);
    }
  });

  it('no draw of the random source goes below the step or to twice it', () => {
    const options = resolveRetryOptions({});
    for (let draw = 0; draw < 1; draw += 1 / 1024) {
      for (let attempt = 1; attempt <= 3; attempt++) {
        const step = 1000 * 2 ** (attempt - 1);
        const delay = backoffDelay(attempt, { ...options, random: () => draw });
        expect(delay).toBeGreaterThanOrEqual(step);
        expect(delay).toBeLessThan(2 * step);
        expect(Number.isInteger(delay)).toBe(true);
      }
    }
  });

  it.each([
    [-0.5, 1000],
    [Number.NaN, 1000],
    [7, 2000],
  ])('a random source that returns %d stays within the window: %i ms', (draw, expected) => {
    expect(backoffDelay(1, { ...resolveRetryOptions({}), random: () => draw })).toBe(expected);
  });
});

describe('limits', () => {
  it('maxDelay caps each wait', () => {
    expect(delays(httpFailure(503), 0.5, { maxDelay: 2500 })).toEqual([1500, 2500, 2500]);
  });

  it('a smaller baseDelay is the application’s choice and scales the whole table', () => {
    expect(delays(httpFailure(503), 0, { baseDelay: 10 })).toEqual([10, 20, 40]);
  });

  it('the deadline stops a resend whose wait would pass it', () => {
    const options = resolveRetryOptions({ random: () => 0, deadline: 2_500 });
    expect(planRetry(httpFailure(503), 1, 1_400, options)?.delayMs).toBe(1000);
    expect(planRetry(httpFailure(503), 1, 1_600, options)).toBeUndefined();
  });
});

describe('Retry-After wins when present', () => {
  it('below the policy floor', () => {
    const plan = planRetry(httpFailure(429, 250), 1, 0, resolveRetryOptions({ random: () => 0.5 }));
    expect(plan).toEqual({ delayMs: 250, source: 'retry-after', reason: '429' });
  });

  it('above the policy ceiling, up to maxDelay', () => {
    const plan = planRetry(httpFailure(503, 20_000), 2, 0, resolveRetryOptions({ random: () => 0.5 }));
    expect(plan).toEqual({ delayMs: 20_000, source: 'retry-after', reason: '503' });
  });

  it('the policy backoff says so', () => {
    const plan = planRetry(httpFailure(502), 2, 0, resolveRetryOptions({ random: () => 0.25 }));
    expect(plan).toEqual({ delayMs: 2500, source: 'policy', reason: '502' });
  });
});
