import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redactSecrets, truncate } from '../../src/redact/text.ts';

describe('redactSecrets', () => {
  it.each([
    [
      'Incorrect API key provided: sk-abc***xyz. You can find your API key at https://x',
      'Incorrect API key provided: REDACTED. You can find your API key at https://x',
    ],
    ['key sk-or-v1-0123456789abcdef0123 is invalid', 'key REDACTED is invalid'],
    ['key sk_live_51Habc is invalid', 'key REDACTED is invalid'],
    ['proj sk-proj-AbC_dEf-123', 'proj REDACTED'],
    ['header Authorization: Bearer abcdefghijklmnopqrstuvwxyz', 'header Authorization: Bearer REDACTED'],
    ['Basic dXNlcjpwYXNzd29yZA== rejected', 'Basic REDACTED rejected'],
    ['API key not valid: AIzaSyA-1234567890abcdefghij', 'API key not valid: REDACTED'],
    [
      'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpM expired',
      'jwt REDACTED expired',
    ],
    ['GET https://h/p?api_key=abc123&model=x failed', 'GET https://h/p?api_key=REDACTED&model=x failed'],
    ['{"api_key": "abc", "model": "m"}', '{"api_key": "REDACTED", "model": "m"}'],
    ['token=abc; session: xyz', 'token=REDACTED; session: REDACTED'],
    ['a=api_key=abc', 'a=api_key=REDACTED'],
    ['proxy https://user:pw@proxy.local failed', 'proxy https://REDACTED@proxy.local failed'],
    ['Bearer Bearer abcdefghijklmnopqrstu', 'Bearer Bearer REDACTED'],
    // survives
    ['max_tokens: 4096 exceeds the limit of 2048', 'max_tokens: 4096 exceeds the limit of 2048'],
    ['Bearer authentication required', 'Bearer authentication required'],
    ['Basic plan users cannot use gpt-4o', 'Basic plan users cannot use gpt-4o'],
    ['the task-1234 is at risk-free disk-usage', 'the task-1234 is at risk-free disk-usage'],
    ['Rate limit reached for requests', 'Rate limit reached for requests'],
    ['', ''],
  ])('%j', (input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });

  it('returns an empty string for non-strings', () => {
    expect(redactSecrets(null as unknown as string)).toBe('');
  });

  it('never leaves a generated secret in the text (property)', () => {
    const alnum = fc.constantFrom(...'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ0123456789');
    const token = fc.string({ unit: alnum, minLength: 20, maxLength: 48 });
    const secret = fc.oneof(
      fc.tuple(fc.constantFrom('sk-', 'sk_', 'sk-or-v1-', 'sk-proj-', 'sk-ant-api03-'), token),
      fc.tuple(fc.constantFrom('Bearer ', 'bearer ', 'Authorization: Bearer '), token),
      fc.tuple(fc.constantFrom('api_key=', 'token=', '"apiKey": "', 'password: '), token),
    );
    fc.assert(
      fc.property(fc.string(), secret, fc.string(), (before, [prefix, value], after) => {
        const out = redactSecrets(`${before} ${prefix}${value} ${after}`);
        expect(out).not.toContain(value);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('truncate', () => {
  it.each([
    ['hello', 10, 'hello'],
    ['hello', 5, 'hello'],
    ['hello', 3, 'hel'],
    ['hello', 0, ''],
    ['hello', -1, ''],
    ['hello', Number.NaN, ''],
    ['hello', Number.POSITIVE_INFINITY, 'hello'],
    ['a😀b', 2, 'a'],
    ['a😀b', 3, 'a😀'],
    ['😀😀', 1, ''],
  ])('%j to %d', (text, max, expected) => {
    expect(truncate(text, max)).toBe(expected);
  });

  it('never splits a surrogate pair (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.nat(64), (text, max) => {
        const out = truncate(text, max);
        expect(out.length).toBeLessThanOrEqual(max);
        expect(text.startsWith(out)).toBe(true);
        expect(/[\uD800-\uDBFF]$/.test(out)).toBe(false);
        // Only a pair that would be split is dropped: at most one unit short of the limit.
        expect(out.length).toBeGreaterThanOrEqual(Math.min(text.length, max) - 1);
      }),
    );
  });
});
