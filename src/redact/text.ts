/**
 * Secrets inside free text. Provider error messages often echo the credential ("Incorrect API key
 * provided: sk-abc***"); they are redacted before they become `llm.error.message`.
 *
 * One left-to-right pass, no regular expressions: every rule looks at a bounded neighbourhood or
 * scans a stretch of text that no later attempt of the same rule scans again, so the work is linear
 * in the input, whatever the input (provider text is untrusted: a backtracking pattern on repeated
 * `-eyJ` or `a:a:a:` blocked the event loop for seconds). Replaced with `REDACTED`:
 *  - the exact credentials the request carried (`credentials`, at least
 *    {@link MIN_CREDENTIAL_LENGTH} characters; shorter ones would erase ordinary words);
 *  - keys by prefix: `sk-`/`sk_`/`rk-`/`rk_` (`sk-proj-`, `sk-or-v1-`, `sk-ant-`, masked echoes like
 *    `sk-abc***`), `gsk_`, `xai-`, `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_`, `github_pat_`, `glpat-`,
 *    `pplx-`, `hf_`, `r8_`, `fw_`, `nvapi-`, `csk-`, `xox?-`, `AIza`, AWS `AKIA`/`ASIA` ids; a prefix
 *    glued to a preceding letter (`task-1234`, `disk-usage`) is not a key;
 *  - JWTs (`eyJ….….…`);
 *  - `Bearer`/`Basic` credentials (not short dictionary-like words: "Bearer authentication");
 *  - `user:pass@` in URLs;
 *  - the value of a `name=value` / `name: value` / `"name": "value"` pair whose name's last word is
 *    secret (secret-names.ts `isSecretTextName`: `api_key`, `x-auth-token`; not `max_tokens`, not
 *    `AuthenticationError`, not `code`). After an unquoted `:` a plain word (`token: expired`) is
 *    prose and stays;
 *  - opaque tokens: a run of `[A-Za-z0-9_-]` that holds 32+ hex digits in a row, or 32+ letters and
 *    digits without a separator mixing upper case, lower case and digits, or 40+ characters mixing
 *    all three with at most one `-`/`_` per 8 characters or with the fragmented look of random text
 *    (model names such as `Llama-4-Maverick-17B-128E-Instruct-FP8` are neither). Runs that start
 *    with an id prefix (`req_`, `chatcmpl-`, `msg_`, ...) are ids, not secrets, and stay.
 */

import { isSecretTextName } from './secret-names.ts';
import { REDACTED } from './url.ts';

/** Exact credentials shorter than this are not searched for: `Bearer a` must not erase every "a". */
export const MIN_CREDENTIAL_LENGTH = 8;
/** Longer credentials are not searched for either (nothing echoes a 4 KiB token). */
export const MAX_CREDENTIAL_LENGTH = 4096;
/** How far past the cut {@link redactMessage} still redacts, so a secret across the cut goes whole. */
export const REDACTION_MARGIN = 1024;

const UPPER = 1;
const LOWER = 2;
const DIGIT = 4;
/** `-` and `_`: inside base64url runs, key bodies and names. */
const DASH = 8;
/** `.`: inside names and credentials. */
const DOT = 16;
/** `~ + / *` and `.`, `-`, `_`: the rest of a Bearer/Basic credential (RFC 6750 b64token). */
const CRED_EXTRA = 32;
/** Where a `name=value` value stops: `" ' & , ; ? = # < > ) } ]` (and whitespace). */
const VALUE_STOP = 64;
const SPACE = 128;
const STAR = 256;
const HEX = 512;
const QUOTE = 1024;

const LETTER = UPPER | LOWER;
const ALNUM = LETTER | DIGIT;

const TABLE = new Uint16Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  let flags = 0;
  if (ch >= 'A' && ch <= 'Z') flags |= UPPER;
  if (ch >= 'a' && ch <= 'z') flags |= LOWER;
  if (ch >= '0' && ch <= '9') flags |= DIGIT;
  if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F')) flags |= HEX;
  if (ch === '-' || ch === '_') flags |= DASH | CRED_EXTRA;
  if (ch === '.') flags |= DOT | CRED_EXTRA;
  if ('~+/*'.includes(ch)) flags |= CRED_EXTRA;
  if (ch === '*') flags |= STAR;
  if ('"\'&,;?=#<>)}]'.includes(ch)) flags |= VALUE_STOP;
  if (ch === '"' || ch === "'") flags |= QUOTE;
  if (ch === ' ' || (c >= 0x09 && c <= 0x0d)) flags |= SPACE;
  TABLE[c] = flags;
}

function flagsOf(c: number): number {
  if (c < 128) return TABLE[c] as number;
  // The other characters JavaScript's `\s` matches.
  return c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
    ? SPACE
    : 0;
}

function has(text: string, i: number, mask: number): boolean {
  return i >= 0 && i < text.length && (flagsOf(text.charCodeAt(i)) & mask) !== 0;
}

/** The first index at or after `i` (before `end`) whose character is in `stop`, else `end`. */
function skipUntil(text: string, i: number, end: number, stop: number): number {
  let j = i;
  while (j < end && (flagsOf(text.charCodeAt(j)) & stop) === 0) j++;
  return j;
}

/** The first index at or after `i` (before `end`) whose character is not in `mask`. */
function skip(text: string, i: number, end: number, mask: number): number {
  let j = i;
  while (j < end && (flagsOf(text.charCodeAt(j)) & mask) !== 0) j++;
  return j;
}

// ---------------------------------------------------------------------------------------------
// Keys recognised by their prefix.

interface KeyPrefix {
  readonly prefix: string;
  /** Characters the key's body may contain after the prefix. */
  readonly body: number;
  /** Fewer body characters than this is a word (`hf_transfer`), not a key. */
  readonly minBody: number;
}

/** Key bodies: letters, digits, `-`, `_`, and `*` for masked echoes (`sk-abc***xyz`). */
const KEY_BODY = ALNUM | DASH | STAR;
const ALNUM_BODY = ALNUM | STAR;
const AWS_BODY = UPPER | DIGIT;

const KEY_PREFIXES: readonly KeyPrefix[] = [
  { prefix: 'sk-', body: KEY_BODY, minBody: 3 },
  { prefix: 'sk_', body: KEY_BODY, minBody: 3 },
  { prefix: 'rk-', body: KEY_BODY, minBody: 3 },
  { prefix: 'rk_', body: KEY_BODY, minBody: 3 },
  { prefix: 'gsk_', body: KEY_BODY, minBody: 8 },
  { prefix: 'xai-', body: KEY_BODY, minBody: 8 },
  { prefix: 'ghp_', body: KEY_BODY, minBody: 8 },
  { prefix: 'gho_', body: KEY_BODY, minBody: 8 },
  { prefix: 'ghu_', body: KEY_BODY, minBody: 8 },
  { prefix: 'ghs_', body: KEY_BODY, minBody: 8 },
  { prefix: 'ghr_', body: KEY_BODY, minBody: 8 },
  { prefix: 'github_pat_', body: KEY_BODY, minBody: 8 },
  { prefix: 'glpat-', body: KEY_BODY, minBody: 8 },
  { prefix: 'pplx-', body: KEY_BODY, minBody: 8 },
  { prefix: 'nvapi-', body: KEY_BODY, minBody: 16 },
  { prefix: 'csk-', body: KEY_BODY, minBody: 16 },
  { prefix: 'xoxb-', body: KEY_BODY, minBody: 8 },
  { prefix: 'xoxp-', body: KEY_BODY, minBody: 8 },
  { prefix: 'xoxa-', body: KEY_BODY, minBody: 8 },
  { prefix: 'hf_', body: ALNUM_BODY, minBody: 16 },
  { prefix: 'r8_', body: ALNUM_BODY, minBody: 16 },
  { prefix: 'fw_', body: ALNUM_BODY, minBody: 16 },
  { prefix: 'AIza', body: KEY_BODY, minBody: 10 },
  { prefix: 'AKIA', body: AWS_BODY, minBody: 16 },
  { prefix: 'ASIA', body: AWS_BODY, minBody: 16 },
];

/** Prefixes by their first character, so most positions cost one array lookup. */
// Stryker disable next-line ArrayDeclaration: an element at index 0 is never looked up (no prefix starts with NUL)
const PREFIXES_BY_FIRST: (readonly KeyPrefix[] | undefined)[] = [];
for (const key of KEY_PREFIXES) {
  const first = key.prefix.charCodeAt(0);
  PREFIXES_BY_FIRST[first] = [...(PREFIXES_BY_FIRST[first] ?? []), key];
}

/** End of the key starting at `i`, or -1. `minBody` overrides the prefix's own minimum. */
function keyEnd(text: string, i: number, end: number, minBody?: number): number {
  const candidates = PREFIXES_BY_FIRST[text.charCodeAt(i)];
  if (candidates === undefined || has(text, i - 1, LETTER)) return -1;
  for (const key of candidates) {
    if (!text.startsWith(key.prefix, i)) continue;
    const bodyStart = i + key.prefix.length;
    const bodyEnd = skip(text, bodyStart, end, key.body);
    if (bodyEnd - bodyStart >= (minBody ?? key.minBody)) return bodyEnd;
  }
  return -1;
}

/**
 * True when `text` contains a known key prefix followed by at least one body character, at a place
 * where a key can start (`sk-a`, `x:gsk_1`): such a string is never an error code.
 */
export function containsKeyPrefix(text: string): boolean {
  if (typeof text !== 'string') return false;
  for (let i = 0; i < text.length; i++) {
    if (keyEnd(text, i, text.length, 1) >= 0) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Opaque tokens: hex and high-entropy base64url runs.

/** Runs starting with these are provider ids (`req_<32 hex>`), useful in messages and not secret. */
export const ID_PREFIXES: readonly string[] = [
  'req_',
  'req-',
  'request_',
  'request-',
  'chatcmpl-',
  'cmpl-',
  'gen-',
  'msg_',
  'resp_',
  'run_',
  'call_',
  'batch_',
  'file-',
  'file_',
  'org-',
  'proj_',
  'asst_',
  'thread_',
  'toolu_',
  'srvtoolu_',
  'ftjob-',
];

const MIN_HEX_RUN = 32;
const MIN_ALNUM_STRETCH = 32;
const MIN_MIXED_RUN = 40;

function startsWithIdPrefix(text: string, i: number): boolean {
  for (const prefix of ID_PREFIXES) if (text.startsWith(prefix, i)) return true;
  return false;
}

/**
 * Whether the base64url run `[start, end)` is an opaque token. One pass over the run: the longest
 * hex streak, each separator-free stretch's length and character classes, the run's separators and
 * "pieces" (a new piece starts wherever the character class changes, except upper to lower case:
 * `DeepSeek-R1` has 4 pieces in 10 letters and digits, random text about one per two).
 */
function isOpaqueToken(text: string, start: number, end: number): boolean {
  if (end - start < MIN_HEX_RUN || startsWithIdPrefix(text, start)) return false;
  let hexRun = 0;
  let stretch = 0;
  let stretchClasses = 0;
  let classes = 0;
  let separators = 0;
  let alnum = 0;
  let pieces = 0;
  let previous = 0;
  for (let i = start; i < end; i++) {
    const flags = flagsOf(text.charCodeAt(i));
    hexRun = flags & HEX ? hexRun + 1 : 0;
    if (hexRun >= MIN_HEX_RUN) return true;
    const cls = flags & ALNUM;
    if (cls === 0) {
      separators++;
      stretch = 0;
      stretchClasses = 0;
      previous = 0;
      continue;
    }
    alnum++;
    classes |= cls;
    stretch++;
    stretchClasses |= cls;
    if (stretch >= MIN_ALNUM_STRETCH && stretchClasses === ALNUM) return true;
    if (previous === 0 || (cls !== previous && !(previous === UPPER && cls === LOWER))) pieces++;
    previous = cls;
  }
  const length = end - start;
  if (length < MIN_MIXED_RUN || classes !== ALNUM) return false;
  return separators * 8 <= length || pieces * 100 >= alnum * 42;
}

// ---------------------------------------------------------------------------------------------
// Bearer/Basic credentials.

function matchesWordAt(text: string, i: number, lowerWord: string): boolean {
  if (i + lowerWord.length > text.length) return false;
  for (let k = 0; k < lowerWord.length; k++) {
    const c = text.charCodeAt(i + k);
    // ASCII letters only: `| 0x20` lowercases them.
    if (!(flagsOf(c) & LETTER) || (c | 0x20) !== lowerWord.charCodeAt(k)) return false;
  }
  return true;
}

/** Length of `Bearer`/`Basic` (any case) at `i`, or 0. */
function schemeAt(text: string, i: number): number {
  if (matchesWordAt(text, i, 'bearer')) return 6;
  if (matchesWordAt(text, i, 'basic')) return 5;
  return 0;
}

function isWordChar(text: string, i: number): boolean {
  return i >= 0 && i < text.length && (text.charCodeAt(i) === 0x5f || has(text, i, ALNUM));
}

function looksLikeCredential(text: string, start: number, end: number): boolean {
  const length = end - start;
  if (length >= 16) return true;
  if (length < 6) return false;
  for (let i = start; i < end; i++) if (!has(text, i, LETTER)) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------
// name=value pairs.

const MAX_NAME_CHARS = 64;
const MAX_PADDING = 16;
const MAX_WORD_VALUE = 24;
const NAME_CHAR = ALNUM | DASH | DOT;

/** `expired`, `Invalid`, `EXPIRED`: prose after `name:`, not a credential. */
function isPlainWord(text: string, start: number, end: number): boolean {
  const length = end - start;
  if (length === 0 || length > MAX_WORD_VALUE) return false;
  let upper = 0;
  for (let i = start; i < end; i++) {
    const flags = flagsOf(text.charCodeAt(i));
    if (!(flags & LETTER)) return false;
    if (flags & UPPER) upper++;
  }
  return upper === 0 || upper === length || (upper === 1 && has(text, start, UPPER));
}

/**
 * Last letters of the secret words and suffixes of secret-names.ts (`key`, `token`, `auth`, `id`,
 * ...): a name ending in anything else is not secret, decided without slicing it out.
 */
const SECRET_NAME_LAST_LETTERS = new Set([...'hnzrelstdgy'].map((letter) => letter.charCodeAt(0)));

/** The secret-looking name ending just before `nameEnd`, or undefined. */
function nameBefore(text: string, nameEnd: number, floor: number): string | undefined {
  if (nameEnd <= floor || !SECRET_NAME_LAST_LETTERS.has(text.charCodeAt(nameEnd - 1) | 0x20))
    return undefined;
  let start = nameEnd;
  while (start > floor && nameEnd - start < MAX_NAME_CHARS && has(text, start - 1, NAME_CHAR)) start--;
  // A name starts with a letter at a word boundary (`\b[A-Za-z]`).
  while (
    start < nameEnd &&
    !(has(text, start, LETTER) && (start === floor || !isWordChar(text, start - 1)))
  ) {
    start++;
  }
  if (start >= nameEnd) return undefined;
  const name = text.slice(start, nameEnd);
  return isSecretTextName(name) ? name : undefined;
}

// ---------------------------------------------------------------------------------------------
// The scanner.

/** Appends `[start, end)` pairs of text to redact, in order, to `spans`. */
function findShapes(text: string, end: number, spans: number[]): void {
  let floor = 0;
  let jwtBlockedUntil = 0;
  let i = 0;
  while (i < end) {
    const c = text.charCodeAt(i);
    const flags = flagsOf(c);
    // Inside a word (a letter or digit after a letter) no rule can start: the common case.
    if (flags & ALNUM && has(text, i - 1, LETTER)) {
      i++;
      continue;
    }

    // `//user:pass@`
    if (c === 0x2f && text.charCodeAt(i + 1) === 0x2f) {
      let j = i + 2;
      while (j < end) {
        const d = text.charCodeAt(j);
        if (d === 0x2f || d === 0x3f || d === 0x23 || d === 0x40 || flagsOf(d) & SPACE) break;
        j++;
      }
      if (j > i + 2 && text.charCodeAt(j) === 0x40) {
        spans.push(i + 2, j);
        floor = j;
        i = j;
        continue;
      }
      i += 2;
      continue;
    }

    if (flags & ALNUM) {
      // Bearer/Basic <credential>
      if ((c | 0x20) === 0x62 && !isWordChar(text, i - 1)) {
        const scheme = schemeAt(text, i);
        if (scheme > 0 && has(text, i + scheme, SPACE)) {
          const credStart = skip(text, i + scheme, end, SPACE);
          const nested = schemeAt(text, credStart);
          // A scheme word followed by more credential characters (`Basic-abc1…`) is the credential.
          const nestedScheme = nested > 0 && !has(text, credStart + nested, ALNUM | CRED_EXTRA);
          if (!nestedScheme) {
            let credEnd = skip(text, credStart, end, ALNUM | CRED_EXTRA);
            if (credEnd > credStart) while (credEnd < end && text.charCodeAt(credEnd) === 0x3d) credEnd++;
            if (
              credEnd > credStart &&
              text.slice(credStart, credEnd) !== REDACTED &&
              looksLikeCredential(text, credStart, credEnd)
            ) {
              spans.push(credStart, credEnd);
              floor = credEnd;
              i = credEnd;
              continue;
            }
          }
        }
      }

      // eyJ….….…
      if (c === 0x65 && i >= jwtBlockedUntil && text.startsWith('eyJ', i) && !has(text, i - 1, ALNUM)) {
        const b1 = skip(text, i + 3, end, ALNUM | DASH);
        if (b1 - (i + 3) >= 8 && text.charCodeAt(b1) === 0x2e) {
          const b2 = skip(text, b1 + 1, end, ALNUM | DASH);
          if (b2 - (b1 + 1) >= 4 && text.charCodeAt(b2) === 0x2e) {
            const stop = skip(text, b2 + 1, end, ALNUM | DASH);
            spans.push(i, stop);
            floor = stop;
            i = stop;
            continue;
          }
          jwtBlockedUntil = b2;
        } else {
          jwtBlockedUntil = b1;
        }
      }
    }

    // The start of a base64url run: hex and high-entropy tokens (before key prefixes, so a run
    // that is opaque goes whole even where a prefix's body would stop early: `hf_abc-…`).
    if (flags & (ALNUM | DASH) && !has(text, i - 1, ALNUM | DASH)) {
      const runEnd = skip(text, i, end, ALNUM | DASH);
      if (isOpaqueToken(text, i, runEnd)) {
        spans.push(i, runEnd);
        floor = runEnd;
        i = runEnd;
        continue;
      }
    }

    // sk-…, gsk_…, AIza…
    if (flags & ALNUM) {
      const key = keyEnd(text, i, end);
      if (key >= 0) {
        spans.push(i, key);
        floor = key;
        i = key;
        continue;
      }
    }

    // name=value, name: value, "name": "value"
    if ((c === 0x3d || c === 0x3a) && i > floor) {
      let nameEnd = i;
      let padding = 0;
      while (nameEnd > floor && padding < MAX_PADDING && has(text, nameEnd - 1, SPACE)) {
        nameEnd--;
        padding++;
      }
      if (nameEnd > floor && has(text, nameEnd - 1, QUOTE)) nameEnd--;
      if (nameBefore(text, nameEnd, floor) !== undefined) {
        let valueStart = i + 1;
        padding = 0;
        while (valueStart < end && padding < MAX_PADDING && has(text, valueStart, SPACE)) {
          valueStart++;
          padding++;
        }
        const quoted = has(text, valueStart, QUOTE);
        if (quoted) valueStart++;
        const valueEnd = skipUntil(text, valueStart, end, VALUE_STOP | SPACE);
        const prose = c === 0x3a && !quoted && isPlainWord(text, valueStart, valueEnd);
        const scheme = schemeAt(text, valueStart);
        const isScheme = scheme > 0 && scheme === valueEnd - valueStart;
        if (valueEnd > valueStart && !prose && !isScheme) {
          spans.push(valueStart, valueEnd);
          floor = valueEnd;
          i = valueEnd;
          continue;
        }
      }
    }
    i++;
  }
}

/** Appends the `[start, end)` pairs where a credential occurs and starts before `end`. */
function findCredentials(
  text: string,
  end: number,
  credentials: readonly string[] | undefined,
  spans: number[],
): void {
  if (credentials === undefined || !Array.isArray(credentials)) return;
  for (const credential of credentials) {
    if (
      typeof credential !== 'string' ||
      credential.length < MIN_CREDENTIAL_LENGTH ||
      credential.length > MAX_CREDENTIAL_LENGTH
    ) {
      continue;
    }
    // Only occurrences that start before `end` matter; the text beyond is cut off.
    const area = text.length > end + credential.length ? text.slice(0, end + credential.length - 1) : text;
    for (let at = area.indexOf(credential); at >= 0; at = area.indexOf(credential, at + credential.length)) {
      spans.push(at, Math.min(at + credential.length, end));
    }
  }
}

/** What a secret can be made of: visible ASCII except the quotes and delimiters that end a value. */
function isTokenChar(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c === 0x3d || (c > 0x20 && c < 0x7f && (flagsOf(c) & VALUE_STOP) === 0);
}

/** Redacts `text[0, end)`; `text` beyond `end` is only read to find credentials across the cut. */
function redactPrefix(text: string, end: number, credentials: readonly string[] | undefined): string {
  const shapes: number[] = [];
  findShapes(end < text.length ? text.slice(0, end) : text, end, shapes);
  const found: number[] = [];
  findCredentials(text, end, credentials, found);
  if (end < text.length && isTokenChar(text, end - 1) && isTokenChar(text, end)) {
    // The cut splits a token: judged by its first part only, it could pass for harmless and show
    // once redactions before it have shortened the text. It goes whole.
    let start = end;
    while (start > 0 && end - start < REDACTION_MARGIN && isTokenChar(text, start - 1)) start--;
    found.push(start, end);
  }
  let spans = shapes;
  if (found.length > 0) {
    const pairs: [number, number][] = [];
    for (let k = 0; k < shapes.length; k += 2) pairs.push([shapes[k] as number, shapes[k + 1] as number]);
    for (let k = 0; k < found.length; k += 2) pairs.push([found[k] as number, found[k + 1] as number]);
    pairs.sort((a, b) => a[0] - b[0]);
    spans = pairs.flat();
  }
  if (spans.length === 0) return end < text.length ? text.slice(0, end) : text;
  let out = '';
  let copied = 0;
  for (let k = 0; k < spans.length; k += 2) {
    const start = spans[k] as number;
    let stop = spans[k + 1] as number;
    // Overlapping or touching spans become one REDACTED.
    while (k + 2 < spans.length && (spans[k + 2] as number) <= stop) {
      stop = Math.max(stop, spans[k + 3] as number);
      k += 2;
    }
    out += text.slice(copied, start) + REDACTED;
    copied = stop;
  }
  return out + text.slice(copied, end);
}

/**
 * Replaces secrets inside free text with `REDACTED`, including every occurrence of the exact
 * `credentials` the request carried. Linear time. Returns '' for a non-string, never throws.
 */
export function redactSecrets(text: string, credentials?: readonly string[]): string {
  if (typeof text !== 'string') return '';
  try {
    return redactPrefix(text, text.length, credentials);
  } catch {
    return '';
  }
}

/**
 * What an attribute may hold of a message: at most `maxLength` characters, redacted. Only the first
 * `maxLength` + {@link REDACTION_MARGIN} characters are examined (the rest is cut off anyway), so the
 * cost does not grow with the message; a secret that crosses the cut is redacted whole before the
 * cut, never left half visible. Returns '' for a non-string, never throws.
 */
export function redactMessage(text: string, maxLength: number, credentials?: readonly string[]): string {
  if (typeof text !== 'string') return '';
  try {
    const limit = Number.isFinite(maxLength)
      ? Math.max(0, Math.floor(maxLength))
      : maxLength > 0
        ? Infinity
        : 0;
    const window = limit + REDACTION_MARGIN;
    return truncate(redactPrefix(text, Math.min(text.length, window), credentials), limit);
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
