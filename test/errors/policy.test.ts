import { describe, expect, it } from 'vitest';
import type { ProviderError } from '../../src/errors/error-body.ts';
import {
  DEFAULT_STATUS_RULES,
  isRetryableHttpError,
  isRetryableNetworkError,
  isRetryableStatus,
  isRetryableStreamError,
  isSpendCap,
  RETRYABLE_NETWORK_ERROR_CODES,
  RETRYABLE_STREAM_ERROR_CODES,
  statusRule,
} from '../../src/errors/policy.ts';

const error = (code: string | undefined, message: string | undefined): ProviderError => ({
  code,
  message,
  provider: undefined,
  providerRequestId: undefined,
});

describe('status rules (the seeds retry tables)', () => {
  it('matches the seeds row by row', () => {
    expect(DEFAULT_STATUS_RULES[401]).toEqual({ retryable: false, maxRetries: 0, baseDelayMs: 0 });
    expect(DEFAULT_STATUS_RULES[402]).toEqual({ retryable: false, maxRetries: 0, baseDelayMs: 0 });
    expect(DEFAULT_STATUS_RULES[429]).toEqual({ retryable: true, maxRetries: 3, baseDelayMs: 1000 });
    expect(DEFAULT_STATUS_RULES[500]).toEqual({ retryable: true, maxRetries: 1, baseDelayMs: 1000 });
    expect(DEFAULT_STATUS_RULES[502]).toEqual({ retryable: true, maxRetries: 3, baseDelayMs: 1000 });
    expect(DEFAULT_STATUS_RULES[503]).toEqual({ retryable: true, maxRetries: 3, baseDelayMs: 1000 });
  });

  it.each([
    [400, false],
    [401, false],
    [402, false],
    [403, false],
    [404, false],
    [408, true],
    [409, false],
    [422, false],
    [429, true],
    [500, true],
    [501, false],
    [502, true],
    [503, true],
    [504, true],
    [505, false],
    [520, true],
    [599, true],
    [200, false],
    [302, false],
    [600, false],
    [Number.NaN, false],
    [429.5, false],
  ])('%d retryable: %s', (status, expected) => {
    expect(isRetryableStatus(status)).toBe(expected);
  });

  it('gives other 5xx the default rule and leaves non-errors without one', () => {
    expect(statusRule(520)).toEqual({ retryable: true, maxRetries: 2, baseDelayMs: 1000 });
    expect(statusRule(418)).toEqual({ retryable: false, maxRetries: 0, baseDelayMs: 0 });
    expect(statusRule(200)).toBeUndefined();
  });

  it('covers 400..599 exactly', () => {
    expect(statusRule(399)).toBeUndefined();
    expect(statusRule(400)).toEqual({ retryable: false, maxRetries: 0, baseDelayMs: 0 });
    expect(statusRule(599)).toEqual({ retryable: true, maxRetries: 2, baseDelayMs: 1000 });
    expect(statusRule(600)).toBeUndefined();
  });

  it('is frozen', () => {
    expect(Object.isFrozen(DEFAULT_STATUS_RULES)).toBe(true);
    expect(Object.isFrozen(DEFAULT_STATUS_RULES[429])).toBe(true);
  });
});

describe('isSpendCap', () => {
  it.each([
    [429, error(undefined, 'API key reached its daily spend limit'), true],
    [429, error(undefined, 'Daily spend cap reached for this key'), true],
    [429, error('budget_exceeded', 'Key budget exceeded'), true],
    [429, error('daily_spend_limit', undefined), true],
    [429, error('insufficient_quota', 'You exceeded your current quota'), true],
    [429, error(undefined, 'You exceeded your current quota, please check your plan'), true],
    [429, error('rate_limit_exceeded', 'Rate limit reached for requests per min'), false],
    [429, error(undefined, 'Too many requests'), false],
    [429, undefined, false],
    [402, error(undefined, 'daily spend limit'), false],
    [503, error('budget_exceeded', 'budget'), false],
  ])('%d %j → %s', (status, providerError, expected) => {
    expect(isSpendCap(status, providerError)).toBe(expected);
  });

  it('reads runs of "_" and "-" in codes as one space', () => {
    expect(isSpendCap(429, error('key_daily__cap', undefined))).toBe(true);
    expect(isSpendCap(429, error('daily-_quota', undefined))).toBe(true);
    expect(isSpendCap(429, error('INSUFFICIENT__QUOTA', undefined))).toBe(true);
  });

  it('never throws on a hostile error object', () => {
    const hostile = new Proxy({} as ProviderError, {
      get() {
        throw new Error('boom');
      },
    });
    expect(isSpendCap(429, hostile)).toBe(false);
    expect(isRetryableHttpError(429, hostile)).toBe(true);
  });

  it('makes a spend-cap 429 not retryable', () => {
    expect(isRetryableHttpError(429, error(undefined, 'daily spend limit reached'))).toBe(false);
    expect(isRetryableHttpError(429, error(undefined, 'slow down'))).toBe(true);
  });
});

describe('isRetryableStreamError', () => {
  it.each([
    ['rate_limit', true],
    ['server_error', true],
    ['RATE_LIMIT', true],
    ['overloaded_error', true],
    ['internal_error', true],
    ['503', true],
    ['context_length_exceeded', false],
    ['content_filter', false],
    ['invalid_request_error', false],
    ['', false],
  ])('%s → %s', (code, expected) => {
    expect(isRetryableStreamError(code)).toBe(expected);
  });

  it('lists lowercase codes only (lookups lowercase their input)', () => {
    for (const code of RETRYABLE_STREAM_ERROR_CODES) expect(code).toBe(code.toLowerCase());
  });

  it('never throws on non-strings', () => {
    expect(isRetryableStreamError(undefined as unknown as string)).toBe(false);
  });
});

describe('isRetryableNetworkError (constructed errors; real ones in error-type.test.ts)', () => {
  const withCode = (code: string, cause?: unknown): Error =>
    Object.assign(new Error(code, { cause }), { code });

  const RETRYABLE_NETWORK_CODES = [
    'ECONNRESET',
    'ECONNREFUSED',
    'ECONNABORTED',
    'EPIPE',
    'ETIMEDOUT',
    'ENETDOWN',
    'ENETUNREACH',
    'EHOSTDOWN',
    'EHOSTUNREACH',
    'EAI_AGAIN',
    'UND_ERR_SOCKET',
    'UND_ERR_CLOSED',
    'UND_ERR_CONNECT_TIMEOUT',
  ];
  it.each(RETRYABLE_NETWORK_CODES)("%s is retryable, alone and beneath fetch's TypeError", (code) => {
    expect(isRetryableNetworkError(withCode(code))).toBe(true);
    expect(isRetryableNetworkError(new TypeError('fetch failed', { cause: withCode(code) }))).toBe(true);
  });

  it('lists exactly the 13 retryable network codes', () => {
    expect([...RETRYABLE_NETWORK_ERROR_CODES].sort()).toEqual([...RETRYABLE_NETWORK_CODES].sort());
  });

  it.each(['ENOTFOUND', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'CERT_HAS_EXPIRED', 'EPROTO'])(
    '%s is not retryable',
    (code) => {
      expect(isRetryableNetworkError(withCode(code))).toBe(false);
    },
  );

  it.each([
    ['ECONNRESET', withCode('ECONNRESET'), true],
    [
      'UND_ERR_SOCKET in a fetch TypeError',
      new TypeError('fetch failed', { cause: withCode('UND_ERR_SOCKET') }),
      true,
    ],
    [
      'ECONNREFUSED under a retry wrapper code',
      withCode('UND_ERR_REQ_RETRY', withCode('ECONNREFUSED')),
      true,
    ],
    ['EAI_AGAIN', withCode('EAI_AGAIN'), true],
    ['ENOTFOUND', withCode('ENOTFOUND'), false],
    ['UND_ERR_HEADERS_TIMEOUT', withCode('UND_ERR_HEADERS_TIMEOUT'), false],
    ['AbortError', new DOMException('aborted', 'AbortError'), false],
    ['TimeoutError', new DOMException('timed out', 'TimeoutError'), false],
    ['UND_ERR_ABORTED over ECONNRESET', withCode('UND_ERR_ABORTED', withCode('ECONNRESET')), false],
    ['a plain Error', new Error('x'), false],
    ['a string', 'ECONNRESET', false],
    ['null', null, false],
  ])('%s → %s', (_name, err, expected) => {
    expect(isRetryableNetworkError(err)).toBe(expected);
  });
});
