/**
 * Bounded readers for the values providers put in headers and usage objects: a header's first
 * value, a plain decimal number, an object's own property. Each looks at a bounded prefix of its
 * input at most once (no regular expressions), so hostile header values cost nothing extra.
 */

/** Header values longer than this are not numbers, durations or instants we know: ignored. */
export const MAX_VALUE_LENGTH = 64;

export type HeaderValue = string | readonly string[] | undefined;
/** Response headers as undici hands them over: lower-case names, a string or an array per name. */
export type ResponseHeaders = Readonly<Record<string, HeaderValue>>;

/** The first value of a header, trimmed; undefined when absent, empty or longer than MAX_VALUE_LENGTH. */
export function headerText(headers: ResponseHeaders, name: string): string | undefined {
  if (!Object.hasOwn(headers, name)) return undefined;
  const raw = headers[name];
  const value = typeof raw === 'string' ? raw : Array.isArray(raw) ? raw[0] : undefined;
  if (typeof value !== 'string' || value.length > MAX_VALUE_LENGTH * 2) return undefined;
  const trimmed = value.trim();
  return trimmed === '' || trimmed.length > MAX_VALUE_LENGTH ? undefined : trimmed;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/**
 * A non-negative decimal as text: digits, an optional fraction, an optional exponent
 * (`0.000415`, `1.5e-05`, `12`). No sign, no hex, no `Infinity`, no blanks. Else undefined.
 */
export function decimal(text: string | undefined): number | undefined {
  if (text === undefined || text === '' || text.length > MAX_VALUE_LENGTH) return undefined;
  let i = 0;
  let digits = 0;
  while (i < text.length && isDigit(text.charCodeAt(i))) {
    i++;
    digits++;
  }
  if (text[i] === '.') {
    i++;
    while (i < text.length && isDigit(text.charCodeAt(i))) {
      i++;
      digits++;
    }
  }
  if (digits === 0) return undefined;
  if (text[i] === 'e' || text[i] === 'E') {
    i++;
    if (text[i] === '+' || text[i] === '-') i++;
    const start = i;
    while (i < text.length && isDigit(text.charCodeAt(i))) i++;
    if (i === start) return undefined;
  }
  if (i !== text.length) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** A finite, non-negative JSON number, else undefined. */
export function nonNegative(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** A plain object (not an array, not null), else undefined. */
export function record(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** An own property of an object (never one inherited from Object.prototype). */
export function own(object: Readonly<Record<string, unknown>> | undefined, key: string): unknown {
  return object !== undefined && Object.hasOwn(object, key) ? object[key] : undefined;
}
