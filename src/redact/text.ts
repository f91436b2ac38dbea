/**
 * Secrets inside free text. Provider error messages often echo the credential ("Incorrect API key
 * provided: sk-abc***"); they are redacted before they become `llm.error.message`.
 *
 * Replaced with `REDACTED`: `Bearer`/`Basic` credentials, `sk-`/`sk_`/`rk-` keys (`sk-or-v1-...`,
 * `sk-proj-...`, masked echoes like `sk-abc***`), Google `AIza...` keys, JWTs, `user:pass@` in
 * URLs, and the values of `name=value` / `name: value` / `"name": "value"` pairs whose name looks
 * secret (secret-names.ts, so `max_tokens: 4096` survives). A key glued to a preceding letter
 * (`disk-usage`, `task-1234`) is deliberately not treated as a key.
 */

import { isSecretName } from './secret-names.ts';
import { REDACTED } from './url.ts';

/** The value stops at `?`, `=`, `#` so a URL's own query (`https://h/p?key=x`) is examined too. */
const NAMED_VALUE = /\b([A-Za-z][A-Za-z0-9_.-]{0,63})(["']?\s*[=:]\s*["']?)([^\s"'&,;?=#<>)}\]]+)/g;
/** Scheme + credential. Short dictionary-like words ("Bearer authentication") are not credentials. */
const SCHEME_CREDENTIAL = /\b(Bearer|Basic)(\s+)(?!(?:Bearer|Basic)\b)([A-Za-z0-9\-._~+/*]+=*)/gi;
const API_KEY = /(?<![A-Za-z])(?:sk|rk)[-_][A-Za-z0-9_*-]{3,}/g;
const GOOGLE_KEY = /(?<![A-Za-z])AIza[0-9A-Za-z_-]{10,}/g;
const JWT = /(?<![A-Za-z0-9])eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const URL_USERINFO = /(\/\/)[^\s/?#@]+@/g;
const SCHEME_WORD = /^(?:bearer|basic)$/i;
const HAS_DIGIT_OR_SYMBOL = /[0-9\-._~+/*=]/;

function looksLikeCredential(value: string): boolean {
  return value.length >= 16 || (value.length >= 6 && HAS_DIGIT_OR_SYMBOL.test(value));
}

/** `name=value` pairs with a secret-looking name; a non-secret pair's value is rescanned as a name. */
function redactNamedValues(text: string): string {
  const pattern = new RegExp(NAMED_VALUE);
  let out = '';
  let copied = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const [whole, name = '', separator = '', value = ''] = match;
    if (isSecretName(name) && !SCHEME_WORD.test(value)) {
      out += `${text.slice(copied, match.index)}${name}${separator}${REDACTED}`;
      copied = match.index + whole.length;
    } else {
      pattern.lastIndex = match.index + name.length + separator.length;
    }
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** Replaces secrets inside free text with `REDACTED`; returns '' for a non-string, never throws. */
export function redactSecrets(text: string): string {
  if (typeof text !== 'string') return '';
  try {
    return redactNamedValues(text)
      .replace(SCHEME_CREDENTIAL, (match, scheme: string, space: string, credential: string) =>
        credential !== REDACTED && looksLikeCredential(credential) ? `${scheme}${space}${REDACTED}` : match,
      )
      .replace(API_KEY, REDACTED)
      .replace(GOOGLE_KEY, REDACTED)
      .replace(JWT, REDACTED)
      .replace(URL_USERINFO, `$1${REDACTED}@`);
  } catch {
    return '';
  }
}

/** At most `max` UTF-16 units, never splitting a surrogate pair; `max` < 0 counts as 0. */
export function truncate(text: string, max: number): string {
  if (typeof text !== 'string') return '';
  const limit = Number.isFinite(max) ? Math.max(0, Math.floor(max)) : max > 0 ? text.length : 0;
  if (text.length <= limit) return text;
  const last = text.charCodeAt(limit - 1);
  const splitsPair = last >= 0xd800 && last <= 0xdbff;
  return text.slice(0, splitsPair ? limit - 1 : limit);
}
