/**
 * Options of the retry interceptor, their defaults (the seeds' retry table, see src/errors/policy.ts)
 * and validation that names the bad option at construction.
 */
import { InvalidOptionError, optionalFunction, positiveInteger } from '../options/options.ts';

export interface RetryDecisionContext {
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** The HTTP status, when a response arrived. */
  readonly statusCode: number | undefined;
  /** The provider's error code, the mid-stream error code, or the network error's code. */
  readonly errorCode: string | undefined;
  readonly phase: 'immediate' | 'mid_stream';
  /** The built-in verdict, which the predicate may overrule. */
  readonly defaultVerdict: boolean;
}

export interface RetryOptions {
  /** Attempts in all, the first included. Default 4 (the seeds' "up to 3 times"). */
  maxAttempts?: number;
  /**
   * Backoff base in ms: the n-th resend waits a random time in [base * 2^(n-1), 2 * base * 2^(n-1)),
   * at most `maxDelay` (a `Retry-After` from the server replaces it). Default 1000, the seeds' first
   * delay for every retryable status.
   */
  baseDelay?: number;
  /** Longest single wait in ms, also for `Retry-After`; a longer hint stops retrying. Default 30000. */
  maxDelay?: number;
  /** Budget in ms for the whole call, waits included; no resend starts after it. Default 120000. */
  deadline?: number;
  /** Status codes to retry (replacing the default table), or a predicate returning true/false (or undefined for the default). */
  retryOn?: readonly number[] | ((context: RetryDecisionContext) => boolean | undefined);
  /** Methods that may be resent. Default GET, HEAD, OPTIONS, PUT, DELETE, POST (LLM calls are POSTs). */
  methods?: readonly string[];
  /** Streamed request bodies up to this size are buffered so they can be resent. Default 1 MiB. */
  maxBufferedBodyBytes?: number;
  /** Resend when a stream's first event is a transient error (nothing has reached the application yet). Default true. */
  retryMidStream?: boolean;
  /** Jitter source in [0, 1). Default Math.random. */
  random?: () => number;
}

export interface ResolvedRetryOptions {
  readonly maxAttempts: number;
  readonly baseDelay: number;
  readonly maxDelay: number;
  readonly deadline: number;
  readonly retryOnStatuses: ReadonlySet<number> | undefined;
  readonly retryPredicate: ((context: RetryDecisionContext) => boolean | undefined) | undefined;
  readonly methods: ReadonlySet<string>;
  readonly maxBufferedBodyBytes: number;
  readonly retryMidStream: boolean;
  readonly random: () => number;
}

const DEFAULT_METHODS = ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'POST'];

export function resolveRetryOptions(options: RetryOptions = {}): ResolvedRetryOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('retry', 'must be an object of retry options', options);
  }
  const retryOn = options.retryOn;
  let retryOnStatuses: ReadonlySet<number> | undefined;
  let retryPredicate: ResolvedRetryOptions['retryPredicate'];
  if (Array.isArray(retryOn)) {
    if (retryOn.some((status) => !Number.isInteger(status) || status < 100 || status > 599)) {
      throw new InvalidOptionError('retryOn', 'must be a list of HTTP status codes or a function', retryOn);
    }
    retryOnStatuses = new Set(retryOn);
  } else {
    retryPredicate = optionalFunction(options, 'retryOn');
  }
  const methods = options.methods ?? DEFAULT_METHODS;
  if (!Array.isArray(methods) || methods.some((method) => typeof method !== 'string')) {
    throw new InvalidOptionError('methods', 'must be an array of HTTP method names', methods);
  }
  const retryMidStream = options.retryMidStream ?? true;
  if (typeof retryMidStream !== 'boolean') {
    throw new InvalidOptionError('retryMidStream', 'must be a boolean', retryMidStream);
  }
  const baseDelay = nonNegative(options, 'baseDelay', 1000);
  const maxDelay = nonNegative(options, 'maxDelay', 30_000);
  return {
    maxAttempts: positiveInteger(options, 'maxAttempts', 4),
    baseDelay,
    maxDelay,
    deadline: positiveInteger(options, 'deadline', 120_000),
    retryOnStatuses,
    retryPredicate,
    methods: new Set(methods.map((method) => method.toUpperCase())),
    maxBufferedBodyBytes: positiveInteger(options, 'maxBufferedBodyBytes', 1024 * 1024),
    retryMidStream,
    random: optionalFunction<() => number>(options, 'random') ?? Math.random,
  };
}

function nonNegative(options: object, name: string, fallback: number): number {
  const value = (options as Record<string, unknown>)[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidOptionError(name, 'must be a number of milliseconds >= 0', value);
  }
  return value;
}
