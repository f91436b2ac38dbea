/**
 * Redaction (src/redact/) owns every decision about what must not leave the process in clear:
 * secret-looking names (this file), URLs (url.ts), header names and values (headers.ts) and free
 * text such as provider error messages (text.ts). Pure string functions, no I/O, never throw.
 *
 * A name is split into words (`x-api-key` → x, api, key; `accessToken` → access, token;
 * `AWSAccessKeyId` → awsaccess, key, id) and is secret-looking when one word is a secret word or
 * ends with a secret suffix. Words rather than substrings keep the usual false positives out:
 * `max_tokens`, `x-ratelimit-remaining-tokens`, `keyword`, `author`, `:authority` are not secrets,
 * while `apikey`, `x-auth-token`, `client_secret`, `X-Amz-Signature` are. Accepted false positives:
 * words ending in `key` (`monkey`, `hotkey`) lose their value, which costs telemetry detail only.
 * `code` (an OAuth authorization code) counts only as the whole name, so `country_code` survives.
 *
 * Free text (text.ts) uses the narrower {@link isSecretTextName}: there the name is usually a noun
 * phrase whose last word says what it is (`api_key`, `x-auth-token`), and a secret word earlier in
 * it does not make it a secret (`litellm.AuthenticationError: ...`, `auth_method: oauth`).
 */

const SECRET_WORDS: ReadonlySet<string> = new Set([
  'auth',
  'authn',
  'authz',
  'authorization',
  'authorisation',
  'authentication',
  'bearer',
  'cookie',
  'credential',
  'credentials',
  'jwt',
  'passphrase',
  // Stryker disable next-line StringLiteral: also a secret suffix, so isSecretWord finds it without the set
  'passwd',
  // Stryker disable next-line StringLiteral: also a secret suffix, so isSecretWord finds it without the set
  'password',
  'pwd',
  // Stryker disable next-line StringLiteral: also a secret suffix, so isSecretWord finds it without the set
  'secret',
  'session',
  'sessionid',
  'sig',
  // Stryker disable next-line StringLiteral: also a secret suffix, so isSecretWord finds it without the set
  'signature',
]);

const SECRET_SUFFIXES: readonly string[] = ['key', 'token', 'secret', 'password', 'passwd', 'signature'];

const SECRET_WHOLE_NAMES: ReadonlySet<string> = new Set(['code']);

const CAMEL_BOUNDARY = /([a-z0-9])([A-Z])/g;
const WORD_SEPARATORS = /[^A-Za-z0-9]+/;

function isSecretWord(word: string): boolean {
  if (SECRET_WORDS.has(word)) return true;
  for (const suffix of SECRET_SUFFIXES) {
    if (word.endsWith(suffix)) return true;
  }
  return false;
}

/** Every secret word and suffix contains one of these: most names are rejected without splitting. */
const CANDIDATE = /key|token|secret|auth|sig|pass|pwd|session|cookie|credential|jwt|bearer|code/i;

/** True when a query-parameter, header or `name=value` name looks like it carries a secret. */
export function isSecretName(name: string): boolean {
  if (typeof name !== 'string' || name.length === 0 || name.length > 256) return false;
  if (!CANDIDATE.test(name)) return false;
  if (SECRET_WHOLE_NAMES.has(name.toLowerCase())) return true;
  const words = name.replace(CAMEL_BOUNDARY, '$1 $2').split(WORD_SEPARATORS);
  for (const word of words) {
    if (word.length > 0 && isSecretWord(word.toLowerCase())) return true;
  }
  return false;
}

function isAlnumCode(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function isUpperCode(c: number): boolean {
  return c >= 0x41 && c <= 0x5a;
}

/** Start of the word that ends at `end` (exclusive), split as in isSecretName: separators and camelCase. */
function wordStart(name: string, end: number): number {
  let start = end;
  while (start > 0 && isAlnumCode(name.charCodeAt(start - 1))) {
    // `accessToken`: a capital after a lower-case letter or digit starts a word.
    if (isUpperCode(name.charCodeAt(start - 1)) && start - 1 > 0) {
      const before = name.charCodeAt(start - 2);
      if (isAlnumCode(before) && !isUpperCode(before)) return start - 1;
    }
    start--;
  }
  return start;
}

/** End of the last word that ends at or before `end`, skipping separators. */
function wordEnd(name: string, end: number): number {
  let i = end;
  while (i > 0 && !isAlnumCode(name.charCodeAt(i - 1))) i--;
  return i;
}

/**
 * True when the name in a `name: value` / `name=value` pair inside free text looks like it carries
 * a secret: its last word is a secret word or ends with a secret suffix (`api_key`, `accessToken`,
 * `X-Amz-Signature`, `client_secret`), or it is `id` after one (`session_id`). `code` alone is not
 * secret here (`"code": "invalid_type"` is an error code in provider messages), nor is a name whose
 * secret word is not the last one (`AuthenticationError`, `token_count`, `auth_type`). Reads the last
 * two words in place: the redactor asks at every `=` and `:` of untrusted text.
 */
export function isSecretTextName(name: string): boolean {
  if (typeof name !== 'string' || name.length === 0 || name.length > 256) return false;
  const lastEnd = wordEnd(name, name.length);
  const lastStart = wordStart(name, lastEnd);
  if (lastEnd === lastStart) return false;
  const last = name.slice(lastStart, lastEnd).toLowerCase();
  if (isSecretWord(last)) return true;
  if (last !== 'id') return false;
  const previousEnd = wordEnd(name, lastStart);
  const previousStart = wordStart(name, previousEnd);
  return previousEnd > previousStart && isSecretWord(name.slice(previousStart, previousEnd).toLowerCase());
}
