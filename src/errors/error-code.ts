/**
 * What may become `error.type`: a metric attribute, so a short code-shaped token from a bounded
 * set, never free text, an id or a secret. One function for every path that reads a provider's code
 * (HTTP error bodies, mid-stream SSE errors, task polls); anything else falls back to the status
 * string or `stream_error` at the caller.
 */

import { containsKeyPrefix, redactSecrets } from '../redact/text.ts';

export const MAX_CODE_LENGTH = 64;
/** Longer digit runs are ids or timestamps (`1733558400000`), not codes. */
const MAX_DIGIT_RUN = 8;
/** A segment at least this long that mixes letters and digits looks like an id or key (`a1b2c3d4`). */
const MIXED_SEGMENT = 8;

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** `_ . : / -` separate the segments of a code (`invalid_request_error`, `litellm.RateLimitError`). */
function isSeparator(c: number): boolean {
  return c === 0x5f || c === 0x2e || c === 0x3a || c === 0x2f || c === 0x2d;
}

/** Letters, digits and separators, starting with a letter or digit; no long ids inside. */
function hasCodeShape(text: string): boolean {
  if (text.length === 0 || text.length > MAX_CODE_LENGTH || !isAlnum(text.charCodeAt(0))) return false;
  let segment = 0;
  let letters = 0;
  let digits = 0;
  let digitRun = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x5f;
    if (isSeparator(c)) {
      if (segment >= MIXED_SEGMENT && letters > 0 && digits > 0) return false;
      segment = 0;
      letters = 0;
      digits = 0;
      digitRun = 0;
      continue;
    }
    if (!isAlnum(c)) return false;
    segment++;
    if (isDigit(c)) {
      digits++;
      if (++digitRun > MAX_DIGIT_RUN) return false;
    } else {
      letters++;
      digitRun = 0;
    }
  }
  return true;
}

/**
 * `value` as an `error.type`, or undefined so the caller falls back. Strings are trimmed; integers
 * become their decimal string (`429`); anything else is undefined. Accepted: at most 64 characters
 * of letters, digits and `_ . : / -`, starting with a letter or digit (`context_length_exceeded`,
 * `RESOURCE_EXHAUSTED`, `overloaded_error`, `insufficient_quota`, `429`, `litellm.RateLimitError`).
 * Rejected: whitespace (free text), digit runs over 8 and letter-digit segments of 8 or more
 * (ids: `550e8400`, `req7f3a9c21`), and anything secret-looking: a key prefix (`sk-…`, `gsk_…`), a
 * secret `name:value` (`invalid_api_key:sk-proj-abc`), a JWT or an opaque token.
 */
export function codeShaped(value: unknown): string | undefined {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) return undefined;
    text = String(value);
  } else if (typeof value === 'string') {
    if (value.length > MAX_CODE_LENGTH * 4) return undefined;
    text = value.trim();
  } else {
    return undefined;
  }
  if (!hasCodeShape(text) || containsKeyPrefix(text) || redactSecrets(text) !== text) return undefined;
  return text;
}
