/**
 * The retry policy as data: which HTTP statuses, mid-stream error codes and network errors are
 * worth a resend, and which 429s are spend caps rather than rate limits. Shared by the retry
 * interceptor (what to do) and telemetry (`llm.error.retryable`, `llm.error.spend_cap`).
 *
 * Source: the seeds' retry tables. Cline: 401/402 no; 429 exponential backoff from 1 s; 500 once
 * after 1 s; 502/503 up to 3 times with backoff. CheapAI: 429/500/502/503 back off, 429 can also
 * be the key's daily spend cap (not retryable: waiting seconds does not lift a daily cap).
 */

import type { ProviderError } from './error-body.ts';
import { errorCodesOf, errorTypeOf, isUserAbort } from './error-type.ts';

export interface StatusRule {
  retryable: boolean;
  /** Resends after the first attempt. */
  maxRetries: number;
  /** First backoff delay; the retry interceptor grows it exponentially. */
  baseDelayMs: number;
}

const NEVER: StatusRule = Object.freeze({ retryable: false, maxRetries: 0, baseDelayMs: 0 });
const BACKOFF_3: StatusRule = Object.freeze({ retryable: true, maxRetries: 3, baseDelayMs: 1000 });

/** Any 5xx without its own rule (504, 520-530 from CDNs, ...). */
export const DEFAULT_5XX_RULE: StatusRule = Object.freeze({
  retryable: true,
  maxRetries: 2,
  baseDelayMs: 1000,
});
/** Any 4xx without its own rule: the request itself is wrong, resending it cannot help. */
export const DEFAULT_4XX_RULE: StatusRule = NEVER;

export const DEFAULT_STATUS_RULES: Readonly<Record<number, StatusRule>> = Object.freeze({
  400: NEVER,
  401: NEVER,
  402: NEVER,
  403: NEVER,
  404: NEVER,
  408: Object.freeze({ retryable: true, maxRetries: 2, baseDelayMs: 1000 }),
  429: BACKOFF_3,
  500: Object.freeze({ retryable: true, maxRetries: 1, baseDelayMs: 1000 }),
  /** Not Implemented: the server does not support the method; it will not start to. */
  501: NEVER,
  502: BACKOFF_3,
  503: BACKOFF_3,
  504: BACKOFF_3,
  /** HTTP Version Not Supported: permanent. */
  505: NEVER,
});

/** The rule for a status; `undefined` outside 400..599 (not an HTTP error). */
export function statusRule(status: number): StatusRule | undefined {
  if (!Number.isInteger(status) || status < 400 || status > 599) return undefined;
  return DEFAULT_STATUS_RULES[status] ?? (status >= 500 ? DEFAULT_5XX_RULE : DEFAULT_4XX_RULE);
}

export function isRetryableStatus(status: number): boolean {
  return statusRule(status)?.retryable ?? false;
}

const SPEND_WORDS = /\b(?:spend|spending|spent|budget)\b|\bdaily (?:cap|quota)\b/;
const QUOTA_EXHAUSTED = /\binsufficient quota\b|\bexceeded your current quota\b/;

/**
 * True for a 429 that is a money limit, not a request rate: CheapAI's "daily spend limit/cap"
 * (any code or message mentioning spend/spending/budget, or a daily cap/quota) and OpenAI's
 * `insufficient_quota` ("You exceeded your current quota, please check your plan and billing
 * details"). The latter counts as a spend cap too: like a spend cap it is a billing state that no
 * backoff lifts, it must not be retried, and operators want the same page as for 402 credits; its
 * `error.type` (`insufficient_quota`) still tells the two apart. Never throws.
 */
export function isSpendCap(status: number, error: ProviderError | undefined): boolean {
  if (status !== 429 || error === undefined) return false;
  try {
    const text = `${error.code ?? ''} ${error.message ?? ''}`.toLowerCase().replace(/[_-]+/g, ' ');
    return SPEND_WORDS.test(text) || QUOTA_EXHAUSTED.test(text);
  } catch {
    return false;
  }
}

/** The verdict for an HTTP error response: the status rule, except that spend caps never retry. */
export function isRetryableHttpError(status: number, error: ProviderError | undefined): boolean {
  return isRetryableStatus(status) && !isSpendCap(status, error);
}

/**
 * Mid-stream error codes (`finish_reason: "error"` chunks, `event: error` frames) worth resending
 * the whole request for: rate limits and upstream failures, under the spellings gateways use.
 * `context_length_exceeded`, `content_filter`, `invalid_request_error` are not: the same request
 * fails the same way.
 */
export const RETRYABLE_STREAM_ERROR_CODES: ReadonlySet<string> = new Set([
  'rate_limit',
  'rate_limit_exceeded',
  'rate_limit_error',
  'too_many_requests',
  'server_error',
  'internal_error',
  'internal_server_error',
  'api_error',
  'upstream_error',
  'overloaded',
  'overloaded_error',
  'service_unavailable',
  'bad_gateway',
  'gateway_timeout',
  'timeout',
  '408',
  '429',
  '500',
  '502',
  '503',
  '504',
]);

export function isRetryableStreamError(code: string): boolean {
  return typeof code === 'string' && RETRYABLE_STREAM_ERROR_CODES.has(code.toLowerCase());
}

/**
 * Connection-level failures where the request most likely did not reach the model or the
 * connection broke: worth a resend. Not included: `ENOTFOUND` (a wrong host stays wrong),
 * `UND_ERR_HEADERS_TIMEOUT` / `UND_ERR_BODY_TIMEOUT` (the server may still be generating and
 * billing; a resend doubles the cost and usually times out again), TLS certificate errors.
 */
export const RETRYABLE_NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
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
]);

/** True for a transient connection error (code anywhere in the cause chain); never for an abort. */
export function isRetryableNetworkError(err: unknown): boolean {
  if (isUserAbort(err)) return false;
  const type = errorTypeOf(err);
  // Stryker disable next-line all: equivalent, error.type is a name only when the chain has no code, and then no code below can match.
  if (type === 'TimeoutError' || type === 'AbortError') return false;
  return errorCodesOf(err).some((code) => RETRYABLE_NETWORK_ERROR_CODES.has(code));
}
