/**
 * The exact credentials a request carried, so that a provider message echoing one ("Incorrect API
 * key provided: gsk_…") loses it whatever its shape (text.ts `redactSecrets(text, credentials)`).
 * Header values are collected by interceptor/request-headers.ts in its single pass over the headers
 * (with {@link addHeaderCredentials}); query parameters here. Pure, never throw.
 */

import { isSecretName } from './secret-names.ts';
import { MAX_CREDENTIAL_LENGTH, MIN_CREDENTIAL_LENGTH } from './text.ts';

function push(out: string[], value: string): void {
  const trimmed = value.trim();
  if (
    trimmed.length >= MIN_CREDENTIAL_LENGTH &&
    trimmed.length <= MAX_CREDENTIAL_LENGTH &&
    !out.includes(trimmed)
  ) {
    out.push(trimmed);
  }
}

/**
 * Adds the value of a secret header (`x-api-key`, `api-key`, `x-goog-api-key`, `cookie`, ...) to
 * `out`. With `schemed` (`Authorization`, `Proxy-Authorization`) the credential after the scheme
 * (`Bearer gsk_…` → `gsk_…`) is added as well as the whole value. Values shorter than
 * `MIN_CREDENTIAL_LENGTH` are skipped.
 */
export function addHeaderCredentials(value: unknown, schemed: boolean, out: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) addHeaderCredentials(item, schemed, out);
    return;
  }
  if (typeof value !== 'string') return;
  push(out, value);
  if (!schemed) return;
  const trimmed = value.trim();
  const space = trimmed.indexOf(' ');
  if (space > 0) push(out, trimmed.slice(space + 1));
}

function decoded(raw: string): string {
  if (!raw.includes('%') && !raw.includes('+')) return raw;
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return raw;
  }
}

/**
 * The values of key-like query parameters (`key`, `api_key`, `token`, `sig`, `X-Amz-Signature`, ...
 * as secret-names.ts decides), decoded and, when different, as written. Never throws.
 */
export function queryCredentials(url: URL): string[] {
  const out: string[] = [];
  try {
    // Stryker disable next-line StringLiteral: any other string without `=` yields no credential either
    const search = url instanceof URL ? url.search : '';
    if (search.length < 2) return out;
    for (const part of search.slice(1).split('&')) {
      const eq = part.indexOf('=');
      if (eq <= 0 || !isSecretName(decoded(part.slice(0, eq)))) continue;
      const raw = part.slice(eq + 1);
      push(out, decoded(raw));
      push(out, raw);
    }
  } catch {
    // A URL-like object whose getters throw: no credentials rather than an exception.
  }
  return out;
}
