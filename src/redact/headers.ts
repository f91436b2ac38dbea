/**
 * Header checks: which header names carry credentials (their values must never become attributes)
 * and whether an `Authorization` value forgot its scheme (`Authorization: sk-key` instead of
 * `Authorization: Bearer sk-key`, the CheapAI page's first "common mistake").
 */

import { isSecretName } from './secret-names.ts';
import { redactSecrets } from './text.ts';

/**
 * True for `authorization`, `proxy-authorization`, `api-key`, `x-api-key`, `x-goog-api-key`,
 * `cookie`, `set-cookie`, `x-auth-token`, `x-amz-security-token`, ... (word-based, see
 * secret-names.ts; `x-ratelimit-remaining-tokens` and `:authority` are not sensitive).
 */
export function isSensitiveHeaderName(name: string): boolean {
  return isSecretName(name);
}

/** RFC 9110 `token` characters: what an auth-scheme name may be made of. */
const AUTH_SCHEME = /^[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*$/;
const KNOWN_SCHEMES: ReadonlySet<string> = new Set([
  'basic',
  'bearer',
  'digest',
  'hoba',
  'mutual',
  'negotiate',
  'ntlm',
  'token',
  'aws4-hmac-sha256',
]);

/**
 * True when an `Authorization` value is a bare credential without a scheme (`sk-abc123`, also
 * `sk-abc123 trailing`), false
 * for `Bearer sk-abc123`, `Basic dXNlcg==`, any `<scheme> <credentials>` pair, an empty value or a
 * lone scheme name (`Bearer`, malformed but not this mistake). Never throws.
 */
export function authorizationSchemeMissing(value: string): boolean {
  if (typeof value !== 'string') return false;
  const trimmed = value.trim();
  if (trimmed.length === 0) return false;
  const space = trimmed.search(/\s/);
  if (space < 0) return !KNOWN_SCHEMES.has(trimmed.toLowerCase());
  const first = trimmed.slice(0, space);
  // The usual case, checked first: every request carries `Bearer ...`, and redaction is costly.
  if (KNOWN_SCHEMES.has(first.toLowerCase())) return false;
  // `sk-abc 123` has a first word, but it is a credential, not a scheme.
  return !AUTH_SCHEME.test(first) || redactSecrets(first) !== first;
}
