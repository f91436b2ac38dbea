/**
 * planRetry and backoffDelay as pure functions: whether a failed attempt is resent, after how long,
 * and why. The random source is injected; no clock is involved.
 */
import { describe, expect, it } from 'vitest';
import {
  type RetryDecisionContext,
  type RetryOptions,
  resolveRetryOptions,
} from '../../src/retry/options.ts';
import { type AttemptFailure, backoffDelay, planRetry, type RetryPlan } from '../../src/retry/plan.ts';

const status = (statusCode: number, extra: Partial<AttemptFailure> = {}): AttemptFailure => ({
  kind: 'status',
  statusCode,
  errorCode: undefined,
  retryable: statusCode === 408 || statusCode === 429 || statusCode >= 500,
  spendCap: false,
  retryAfterMs: undefined,
  ...extra,
});
const network = (errorCode: string | undefined, retryable = true): AttemptFailure => ({
  kind: 'network',
  statusCode: undefined,
  errorCode,
  retryable,
  spendCap: false,
  retryAfterMs: undefined,
});
const stream = (errorCode: string, retryable = true): AttemptFailure => ({
  kind: 'stream',
  statusCode: undefined,
  errorCode,
  retryable,
  spendCap: false,
  retryAfterMs: undefined,
});

const resolve = (options: RetryOptions = {}, random = 0) =>
  resolveRetryOptions({ random: () => random, ...options });

/** Every plan for the same failure repeating from attempt 1 until planRetry says stop. */
function plans(failure: AttemptFailure, options: RetryOptions = {}, random = 0): RetryPlan[] {
  const resolved = resolve(options, random);
  const planned: RetryPlan[] = [];
  for (let attempt = 1; attempt <= 50; attempt++) {
    const plan = planRetry(failure, attempt, 0, resolved);
    if (plan === undefined) return planned;
    planned.push(plan);
  }
  throw new Error('planRetry never stopped');
}
const delays = (failure: AttemptFailure, options: RetryOptions = {}, random = 0): number[] =>
  plans(failure, options, random).map((plan) => plan.delayMs);

describe('backoff: doubling from the base, jittered upwards only', () => {
  it('doubles the wait for each resend: 1 s, 2 s, 4 s for a 503', () => {
    expect(delays(status(503))).toEqual([1000, 2000, 4000]);
  });

  it('adds up to one more step of jitter: random 0.5 → 1.5 s, 3 s, 6 s', () => {
    expect(delays(status(503), {}, 0.5)).toEqual([1500, 3000, 6000]);
  });

  it('stays below twice the step, in whole milliseconds', () => {
    expect(delays(status(503), {}, 0.9999)).toEqual([1999, 3999, 7999]);
    expect(delays(status(503), { baseDelay: 3 }, 0.5)).toEqual([4, 9, 18]);
  });

  it('follows baseDelay', () => {
    expect(delays(status(503), { baseDelay: 250 })).toEqual([250, 500, 1000]);
  });

  it('caps every wait at maxDelay', () => {
    expect(delays(status(503), { maxDelay: 2500 })).toEqual([1000, 2000, 2500]);
    expect(delays(status(503), { maxDelay: 2500 }, 0.9)).toEqual([1900, 2500, 2500]);
    expect(delays(status(503), { maxDelay: 0 })).toEqual([0, 0, 0]);
  });

  it('keeps a misbehaving random source inside [step, 2 * step)', () => {
    const options = resolve({}, 0);
    const withRandom = (random: number): number => backoffDelay(2, { ...options, random: () => random });
    expect(withRandom(-0.5)).toBe(2000);
    expect(withRandom(Number.NaN)).toBe(2000);
    expect(withRandom(1.5)).toBe(4000);
    expect(withRandom(0.25)).toBe(2500);
  });

  it('says the wait came from the policy', () => {
    expect(plans(status(503)).map((plan) => plan.source)).toEqual(['policy', 'policy', 'policy']);
  });
});

describe('how many resends: the status table, capped by maxAttempts', () => {
  it.each([
    [500, 1],
    [502, 3],
    [503, 3],
    [504, 3],
    [429, 3],
    [408, 2],
    [520, 2],
    [400, 0],
    [401, 0],
    [402, 0],
    [404, 0],
  ])('%d is resent %d time(s)', (statusCode, resends) => {
    expect(plans(status(statusCode))).toHaveLength(resends);
  });

  it('a status outside 400-599 has no table rule and is not resent, even when the predicate says yes', () => {
    expect(plans(status(302))).toEqual([]);
    expect(plans(status(302), { retryOn: () => true })).toEqual([]);
    expect(plans(status(600, { retryable: true }))).toEqual([]);
  });

  it('maxAttempts below the table count stops earlier', () => {
    expect(delays(status(503), { maxAttempts: 2 })).toEqual([1000]);
    expect(delays(status(503), { maxAttempts: 3 })).toEqual([1000, 2000]);
    expect(delays(status(503), { maxAttempts: 1 })).toEqual([]);
  });

  it('maxAttempts above the table count does not add resends the table does not allow', () => {
    expect(delays(status(500), { maxAttempts: 10 })).toEqual([1000]);
  });

  it('network and stream errors are resent up to maxAttempts - 1 times', () => {
    expect(delays(network('UND_ERR_SOCKET'))).toEqual([1000, 2000, 4000]);
    expect(delays(network('ECONNRESET'), { maxAttempts: 6 })).toEqual([1000, 2000, 4000, 8000, 16000]);
    expect(delays(stream('rate_limit_exceeded'), { maxAttempts: 2 })).toEqual([1000]);
  });

  it('failures the policy calls final are not resent', () => {
    expect(plans(network('ENOTFOUND', false))).toEqual([]);
    expect(plans(stream('context_length_exceeded', false))).toEqual([]);
  });
});

describe('Retry-After', () => {
  it("replaces the backoff with the server's wait", () => {
    expect(plans(status(429, { retryAfterMs: 7 }))).toEqual([
      { delayMs: 7, source: 'retry-after', reason: '429' },
      { delayMs: 7, source: 'retry-after', reason: '429' },
      { delayMs: 7, source: 'retry-after', reason: '429' },
    ]);
  });

  it('longer than maxDelay: stops retrying rather than waiting less than asked', () => {
    expect(plans(status(503, { retryAfterMs: 30_001 }))).toEqual([]);
    expect(plans(status(503, { retryAfterMs: 5000 }), { maxDelay: 4999 })).toEqual([]);
  });

  it('exactly maxDelay is still honoured', () => {
    expect(delays(status(503, { retryAfterMs: 5000 }), { maxDelay: 5000 })).toEqual([5000, 5000, 5000]);
  });

  it('0 means resend at once', () => {
    expect(delays(status(429, { retryAfterMs: 0 }))).toEqual([0, 0, 0]);
  });
});

describe('deadline', () => {
  it('no resend whose wait would end after the deadline', () => {
    const options = resolve({ deadline: 5000 });
    expect(planRetry(status(503), 1, 4000, options)).toEqual({
      delayMs: 1000,
      source: 'policy',
      reason: '503',
    });
    expect(planRetry(status(503), 1, 4001, options)).toBeUndefined();
    expect(planRetry(status(503, { retryAfterMs: 100 }), 2, 4900, options)?.delayMs).toBe(100);
    expect(planRetry(status(503, { retryAfterMs: 100 }), 2, 4901, options)).toBeUndefined();
  });
});

describe('retryOn: a list of statuses', () => {
  it('replaces the table: listed statuses are resent up to maxAttempts - 1 times', () => {
    expect(delays(status(409), { retryOn: [409] })).toEqual([1000, 2000, 4000]);
    expect(delays(status(500), { retryOn: [500] })).toEqual([1000, 2000, 4000]);
  });

  it('statuses not listed are not resent, even those the table would resend', () => {
    expect(plans(status(503), { retryOn: [429] })).toEqual([]);
    expect(plans(status(429), { retryOn: [] })).toEqual([]);
  });

  it('leaves network and stream errors to the built-in verdict', () => {
    expect(delays(network('ECONNRESET'), { retryOn: [429] })).toEqual([1000, 2000, 4000]);
    expect(plans(network('ENOTFOUND', false), { retryOn: [429] })).toEqual([]);
    expect(delays(stream('overloaded'), { retryOn: [] })).toEqual([1000, 2000, 4000]);
  });

  it('a spend-cap 429 is never resent, even with 429 listed', () => {
    const spendCap = status(429, { spendCap: true, retryable: false, errorCode: 'daily_spend_limit' });
    expect(plans(spendCap, { retryOn: [429] })).toEqual([]);
    expect(plans(spendCap, { retryOn: () => true })).toEqual([]);
    expect(plans({ ...spendCap, retryable: true })).toEqual([]);
  });
});

describe('retryOn: a function', () => {
  it('is asked with what failed and the built-in verdict', () => {
    const asked: RetryDecisionContext[] = [];
    const options = resolve({
      retryOn: (context) => {
        asked.push(context);
        return undefined;
      },
    });
    planRetry(status(503, { errorCode: 'overloaded' }), 1, 0, options);
    planRetry(status(400, { errorCode: 'invalid_request_error' }), 2, 0, options);
    planRetry(network('ECONNRESET'), 3, 0, options);
    planRetry(stream('rate_limit', false), 1, 0, options);
    expect(asked).toEqual([
      { attempt: 1, statusCode: 503, errorCode: 'overloaded', phase: 'immediate', defaultVerdict: true },
      {
        attempt: 2,
        statusCode: 400,
        errorCode: 'invalid_request_error',
        phase: 'immediate',
        defaultVerdict: false,
      },
      {
        attempt: 3,
        statusCode: undefined,
        errorCode: 'ECONNRESET',
        phase: 'immediate',
        defaultVerdict: true,
      },
      {
        attempt: 1,
        statusCode: undefined,
        errorCode: 'rate_limit',
        phase: 'mid_stream',
        defaultVerdict: false,
      },
    ]);
  });

  it('undefined keeps the built-in verdict', () => {
    expect(delays(status(503), { retryOn: () => undefined })).toEqual([1000, 2000, 4000]);
    expect(plans(status(400), { retryOn: () => undefined })).toEqual([]);
  });

  it('false stops a resend the table would make', () => {
    expect(plans(status(503), { retryOn: () => false })).toEqual([]);
    expect(plans(network('ECONNRESET'), { retryOn: () => false })).toEqual([]);
  });

  it('true resends what the built-in verdict would not, within the status count and maxAttempts', () => {
    expect(delays(network('ENOTFOUND', false), { retryOn: () => true })).toEqual([1000, 2000, 4000]);
    expect(delays(status(500), { retryOn: () => true })).toEqual([1000]);
    expect(delays(stream('content_filter', false), { retryOn: () => true, maxAttempts: 2 })).toEqual([1000]);
  });

  it('may decide per attempt', () => {
    expect(delays(status(503), { retryOn: (context) => context.attempt < 3 })).toEqual([1000, 2000]);
  });
});

describe('reason', () => {
  it('is the status code, else the error code, else "unknown"', () => {
    expect(plans(status(502, { errorCode: 'bad_gateway' }))[0]?.reason).toBe('502');
    expect(plans(network('UND_ERR_SOCKET'))[0]?.reason).toBe('UND_ERR_SOCKET');
    expect(plans(stream('overloaded_error'))[0]?.reason).toBe('overloaded_error');
    expect(plans(network(undefined))[0]?.reason).toBe('unknown');
  });
});
