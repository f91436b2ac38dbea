import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/options/options.ts';
import { type RetryOptions, resolveRetryOptions } from '../../src/retry/options.ts';

function failure(options: unknown): InvalidOptionError {
  try {
    resolveRetryOptions(options as RetryOptions);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidOptionError);
    return err as InvalidOptionError;
  }
  throw new Error('expected resolveRetryOptions to throw');
}

describe('defaults (the seeds retry table)', () => {
  it.each([[undefined], [{}]])('%j resolves to the documented defaults', (options) => {
    const resolved = resolveRetryOptions(options);
    expect(resolved).toEqual({
      maxAttempts: 4,
      baseDelay: 1000,
      maxDelay: 30_000,
      deadline: 120_000,
      retryOnStatuses: undefined,
      retryPredicate: undefined,
      methods: new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'POST']),
      maxBufferedBodyBytes: 1024 * 1024,
      retryMidStream: true,
      random: Math.random,
    });
  });
});

describe('values given are kept', () => {
  it('numbers, flags and the random source', () => {
    const random = (): number => 0.5;
    const resolved = resolveRetryOptions({
      maxAttempts: 2,
      baseDelay: 0,
      maxDelay: 0,
      deadline: 5000,
      maxBufferedBodyBytes: 10,
      retryMidStream: false,
      random,
    });
    expect(resolved).toMatchObject({
      maxAttempts: 2,
      baseDelay: 0,
      maxDelay: 0,
      deadline: 5000,
      maxBufferedBodyBytes: 10,
      retryMidStream: false,
    });
    expect(resolved.random).toBe(random);
  });

  it('retryOn as a list of statuses replaces the table; 100 and 599 are the bounds', () => {
    const resolved = resolveRetryOptions({ retryOn: [100, 429, 599] });
    expect(resolved.retryOnStatuses).toEqual(new Set([100, 429, 599]));
    expect(resolved.retryPredicate).toBeUndefined();
    expect(resolveRetryOptions({ retryOn: [] }).retryOnStatuses).toEqual(new Set());
  });

  it('retryOn as a function becomes the predicate', () => {
    const predicate = (): boolean => true;
    const resolved = resolveRetryOptions({ retryOn: predicate });
    expect(resolved.retryPredicate).toBe(predicate);
    expect(resolved.retryOnStatuses).toBeUndefined();
  });

  it('methods are upper-cased', () => {
    expect(resolveRetryOptions({ methods: ['post', 'Patch'] }).methods).toEqual(new Set(['POST', 'PATCH']));
    expect(resolveRetryOptions({ methods: [] }).methods).toEqual(new Set());
  });
});

describe('invalid options fail at construction with a message naming the option', () => {
  it.each([
    [null, 'retry', 'must be an object of retry options (got null)'],
    ['fast', 'retry', 'must be an object of retry options (got "fast")'],
    [3, 'retry', 'must be an object of retry options (got 3)'],
    [{ retryOn: [99] }, 'retryOn', 'must be a list of HTTP status codes or a function (got an array)'],
    [{ retryOn: [600] }, 'retryOn', 'must be a list of HTTP status codes or a function (got an array)'],
    [{ retryOn: [429.5] }, 'retryOn', 'must be a list of HTTP status codes or a function (got an array)'],
    [{ retryOn: ['429'] }, 'retryOn', 'must be a list of HTTP status codes or a function (got an array)'],
    [{ retryOn: [429, 700] }, 'retryOn', 'must be a list of HTTP status codes or a function (got an array)'],
    [{ retryOn: 429 }, 'retryOn', 'must be a function (got 429)'],
    [{ methods: 'POST' }, 'methods', 'must be an array of HTTP method names (got "POST")'],
    [{ methods: ['POST', 1] }, 'methods', 'must be an array of HTTP method names (got an array)'],
    [{ retryMidStream: 'yes' }, 'retryMidStream', 'must be a boolean (got "yes")'],
    [{ retryMidStream: 1 }, 'retryMidStream', 'must be a boolean (got 1)'],
    [{ baseDelay: -1 }, 'baseDelay', 'must be a number of milliseconds >= 0 (got -1)'],
    [{ baseDelay: Number.NaN }, 'baseDelay', 'must be a number of milliseconds >= 0 (got NaN)'],
    [
      { maxDelay: Number.POSITIVE_INFINITY },
      'maxDelay',
      'must be a number of milliseconds >= 0 (got Infinity)',
    ],
    [{ maxDelay: '100' }, 'maxDelay', 'must be a number of milliseconds >= 0 (got "100")'],
    [{ maxAttempts: 0 }, 'maxAttempts', 'must be a positive integer (got 0)'],
    [{ deadline: 1.5 }, 'deadline', 'must be a positive integer (got 1.5)'],
    [{ maxBufferedBodyBytes: -5 }, 'maxBufferedBodyBytes', 'must be a positive integer (got -5)'],
    [{ random: 0.5 }, 'random', 'must be a function (got 0.5)'],
  ])('%j → option "%s"', (options, option, requirement) => {
    const err = failure(options);
    expect(err.option).toBe(option);
    expect(err.message).toBe(`llm-otel-dispatcher: option "${option}" ${requirement}`);
  });
});
