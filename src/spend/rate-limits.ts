/**
 * Rate-limit headroom from response headers: per limit kind, how much is left, of how much, and
 * when the window resets. Pure; linear in the (bounded) header values, no regular expressions.
 *
 * - OpenAI, Groq, LiteLLM and most OpenAI-compatible gateways: `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`;
 *   resets are Go-style durations (`1s`, `6m0s`, `59.5ms`, `2m59.56s`) from now, or plain seconds.
 * - Anthropic: `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}`;
 *   resets are RFC 3339 instants (`2026-12-07T10:00:30Z`).
 * When both families are present (a gateway passing Anthropic's headers through and adding its
 * own), Anthropic's reading of a kind wins.
 */
import { decimal, headerText, MAX_VALUE_LENGTH, type ResponseHeaders } from './text.ts';

export type RateLimitKind = 'requests' | 'tokens' | 'input_tokens' | 'output_tokens';

/** One limit's headroom as the last response told it. */
export interface RateLimitReading {
  readonly kind: RateLimitKind;
  /** Requests or tokens left in the current window. */
  readonly remaining: number | undefined;
  /** The window's allowance. */
  readonly limit: number | undefined;
  /** When the window resets, milliseconds since the epoch. */
  readonly resetAt: number | undefined;
}

interface Family {
  /** Header name of a kind and a field (`limit`, `remaining`, `reset`). */
  name(kind: string, field: string): string;
  readonly kinds: readonly (readonly [RateLimitKind, string])[];
  reset(text: string, now: number): number | undefined;
}

const ANTHROPIC: Family = {
  name: (kind, field) => `anthropic-ratelimit-${kind}-${field}`,
  kinds: [
    ['requests', 'requests'],
    ['tokens', 'tokens'],
    ['input_tokens', 'input-tokens'],
    ['output_tokens', 'output-tokens'],
  ],
  reset: (text, now) => rfc3339(text) ?? relativeReset(text, now),
};

const OPENAI: Family = {
  name: (kind, field) => `x-ratelimit-${field}-${kind}`,
  kinds: [
    ['requests', 'requests'],
    ['tokens', 'tokens'],
  ],
  reset: (text, now) => relativeReset(text, now) ?? rfc3339(text),
};

const FAMILIES = [ANTHROPIC, OPENAI] as const;

/** One kind of one family, its header names built once. */
interface KindHeaders {
  readonly kind: RateLimitKind;
  readonly family: Family;
  readonly remaining: string;
  readonly limit: string;
  readonly reset: string;
}

/** Every family's kinds, Anthropic's first (its reading of a kind wins). */
const KIND_HEADERS: readonly KindHeaders[] = FAMILIES.flatMap((family) =>
  family.kinds.map(([kind, wireKind]) => ({
    kind,
    family,
    remaining: family.name(wireKind, 'remaining'),
    limit: family.name(wireKind, 'limit'),
    reset: family.name(wireKind, 'reset'),
  })),
);
const KIND_ORDER: readonly RateLimitKind[] = ['requests', 'tokens', 'input_tokens', 'output_tokens'];
const NO_READINGS: readonly RateLimitReading[] = Object.freeze([]);

/** Every kind whose remaining or limit the headers give, in the order requests, tokens, input, output. */
export function rateLimits(headers: ResponseHeaders, now: number = Date.now()): readonly RateLimitReading[] {
  let readings: Map<RateLimitKind, RateLimitReading> | undefined;
  for (const names of KIND_HEADERS) {
    // Most responses carry none of these headers: two property checks per kind, no allocation.
    if (!Object.hasOwn(headers, names.remaining) && !Object.hasOwn(headers, names.limit)) continue;
    if (readings?.has(names.kind)) continue;
    const remaining = decimal(headerText(headers, names.remaining));
    const limit = decimal(headerText(headers, names.limit));
    if (remaining === undefined && limit === undefined) continue;
    const resetText = headerText(headers, names.reset);
    const resetAt = resetText === undefined ? undefined : names.family.reset(resetText, now);
    readings ??= new Map();
    readings.set(names.kind, { kind: names.kind, remaining, limit, resetAt });
  }
  if (readings === undefined) return NO_READINGS;
  const found = readings;
  return KIND_ORDER.flatMap((kind) => found.get(kind) ?? []);
}

/**
 * A reset given relative to now: a Go duration, or a bare number. A bare number is seconds from
 * now, unless it is large enough to be an instant: epoch seconds (>= 1e9) or epoch milliseconds (>= 1e12).
 */
function relativeReset(text: string, now: number): number | undefined {
  const number = decimal(text);
  if (number !== undefined) {
    if (number >= 1e12) return number;
    if (number >= 1e9) return number * 1000;
    return now + number * 1000;
  }
  const ms = goDurationMs(text);
  return ms === undefined ? undefined : now + ms;
}

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/**
 * A Go `time.Duration` string in milliseconds: one or more `<decimal><unit>` terms with units ns,
 * us (µs), ms, s, m, h (`6m0s` = 360000, `59.5ms` = 59.5, `1h2m` = 3720000); `0` is 0. Undefined
 * for anything else (signs, blanks, missing units, longer than MAX_VALUE_LENGTH).
 */
export function goDurationMs(text: string): number | undefined {
  if (text === '' || text.length > MAX_VALUE_LENGTH) return undefined;
  if (text === '0') return 0;
  let total = 0;
  let i = 0;
  while (i < text.length) {
    const start = i;
    while (i < text.length && isDigit(text.charCodeAt(i))) i++;
    let digits = i - start;
    if (text[i] === '.') {
      i++;
      const fraction = i;
      while (i < text.length && isDigit(text.charCodeAt(i))) i++;
      digits += i - fraction;
    }
    if (digits === 0) return undefined;
    const value = Number(text.slice(start, i));
    const unitStart = i;
    while (i < text.length && !isDigit(text.charCodeAt(i)) && text[i] !== '.') i++;
    const unit = UNIT_MS[text.slice(unitStart, i)];
    if (unit === undefined) return undefined;
    total += value * unit;
  }
  return total;
}

function digitsAt(text: string, at: number, count: number): number | undefined {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const code = text.charCodeAt(i);
    if (!isDigit(code)) return undefined;
    value = value * 10 + (code - 48);
  }
  return value;
}

/**
 * An RFC 3339 date-time (`2026-12-07T10:00:30Z`, `2026-12-07T10:00:30.5+01:00`; `t`/`z` and a
 * space for `T` accepted) in milliseconds since the epoch; undefined for anything else.
 */
export function rfc3339(text: string): number | undefined {
  if (text.length < 20 || text.length > MAX_VALUE_LENGTH) return undefined;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  const separator = text[10];
  if (
    year === undefined ||
    month === undefined ||
    day === undefined ||
    hour === undefined ||
    minute === undefined ||
    second === undefined ||
    text[4] !== '-' ||
    text[7] !== '-' ||
    (separator !== 'T' && separator !== 't' && separator !== ' ') ||
    text[13] !== ':' ||
    text[16] !== ':'
  )
    return undefined;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return undefined;
  let i = 19;
  let fractionMs = 0;
  if (text[i] === '.') {
    i++;
    const start = i;
    while (i < text.length && isDigit(text.charCodeAt(i))) i++;
    if (i === start) return undefined;
    fractionMs = Number(`0.${text.slice(start, i)}`) * 1000;
  }
  let offsetMinutes = 0;
  const zone = text[i];
  if (zone === 'Z' || zone === 'z') {
    i++;
  } else if (zone === '+' || zone === '-') {
    const offsetHours = digitsAt(text, i + 1, 2);
    const offsetMins = digitsAt(text, i + 4, 2);
    if (offsetHours === undefined || offsetMins === undefined || text[i + 3] !== ':') return undefined;
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = (zone === '+' ? 1 : -1) * (offsetHours * 60 + offsetMins);
    i += 6;
  } else {
    return undefined;
  }
  if (i !== text.length) return undefined;
  const utc = Date.UTC(year, month - 1, day, hour, minute, Math.min(second, 59));
  // Date.UTC rolls 2026-02-31 over into March: such a date does not exist.
  if (new Date(utc).getUTCDate() !== day) return undefined;
  return utc + fractionMs - offsetMinutes * 60_000;
}
