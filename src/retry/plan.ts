/**
 * Whether and when to resend, as a pure function of what went wrong, how many attempts were made,
 * the time spent and the options: the seeds' table per status (src/errors/policy.ts), the server's
 * Retry-After, exponential backoff jittered upwards from the seeds' delay, the attempt cap and the
 * overall deadline. See docs/retries.md.
 */
import { statusRule } from '../errors/policy.ts';
import { RETRY_SOURCE_POLICY, RETRY_SOURCE_RETRY_AFTER } from '../semconv/names.ts';
import type { ResolvedRetryOptions } from './options.ts';

export interface AttemptFailure {
  readonly kind: 'status' | 'network' | 'stream';
  readonly statusCode: number | undefined;
  /** Provider, stream or network error code. */
  readonly errorCode: string | undefined;
  /** The built-in verdict: src/errors/policy.ts (spend caps and user aborts are never retryable). */
  readonly retryable: boolean;
  readonly spendCap: boolean;
  readonly retryAfterMs: number | undefined;
}

export interface RetryPlan {
  readonly delayMs: number;
  readonly source: string;
  /** `llm.retry.reason`: the status code, else the error code. */
  readonly reason: string;
}

/** `attempt` is the 1-based number of the attempt that failed; `elapsedMs` counts from the call's start. */
export function planRetry(
  failure: AttemptFailure,
  attempt: number,
  elapsedMs: number,
  options: ResolvedRetryOptions,
): RetryPlan | undefined {
  if (attempt >= options.maxAttempts || failure.spendCap) return undefined;
  let verdict = failure.retryable;
  // Stryker disable next-line ArithmeticOperator: equivalent, attempt < maxAttempts is checked above, so any bound >= maxAttempts - 1 gives the same verdict.
  let maxRetries = options.maxAttempts - 1;
  if (failure.kind === 'status' && failure.statusCode !== undefined) {
    if (options.retryOnStatuses) {
      verdict = options.retryOnStatuses.has(failure.statusCode);
    } else {
      maxRetries = statusRule(failure.statusCode)?.maxRetries ?? 0;
    }
  }
  const override = options.retryPredicate?.({
    attempt,
    statusCode: failure.statusCode,
    errorCode: failure.errorCode,
    phase: failure.kind === 'stream' ? 'mid_stream' : 'immediate',
    defaultVerdict: verdict,
  });
  if (override !== undefined) verdict = override;
  if (!verdict || attempt - 1 >= maxRetries) return undefined;

  let delayMs: number;
  let source: string;
  if (failure.retryAfterMs !== undefined) {
    if (failure.retryAfterMs > options.maxDelay) return undefined; // the server asks for more patience than allowed
    delayMs = failure.retryAfterMs;
    source = RETRY_SOURCE_RETRY_AFTER;
  } else {
    delayMs = backoffDelay(attempt, options);
    source = RETRY_SOURCE_POLICY;
  }
  if (elapsedMs + delayMs > options.deadline) return undefined;
  const reason =
    failure.statusCode !== undefined ? String(failure.statusCode) : (failure.errorCode ?? 'unknown');
  return { delayMs, source, reason };
}

/**
 * The wait before the n-th resend (`attempt` = n, the attempt that failed) when the server gave no
 * Retry-After: uniformly in [base * 2^(n-1), 2 * base * 2^(n-1)), whole milliseconds, capped by
 * `maxDelay`. The jitter only ever adds to the exponential step, so no wait is shorter than the
 * seeds' delay for that resend (Cline: "retry once after 1s", "exponential backoff (start at 1s)");
 * full jitter (random(0, step)) made one first resend in ten go out within 100 ms.
 */
export function backoffDelay(attempt: number, options: ResolvedRetryOptions): number {
  const step = options.baseDelay * 2 ** (attempt - 1);
  const random = options.random();
  // A random source outside [0, 1) (or NaN) must not take the wait below the step or past 2 * step.
  const jitter = random > 0 ? Math.min(random, 1) : 0;
  return Math.min(options.maxDelay, Math.floor(step + jitter * step));
}
