import { describe, expect, it } from 'vitest';
import { retryAfterMs } from '../../src/retry/retry-after.ts';

/** A fixed "now": the HTTP-date form is relative to it. */
const NOW = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT');

describe('retry-after-ms (OpenAI, milliseconds)', () => {
  it.each([
    ['7', 7],
    ['0', 0],
    ['1.5', 1.5],
    ['30000', 30_000],
  ])('%j → %d ms', (value, expected) => {
    expect(retryAfterMs({ 'retry-after-ms': value }, NOW)).toBe(expected);
  });

  it('wins over Retry-After when both are sent', () => {
    expect(retryAfterMs({ 'retry-after-ms': '250', 'retry-after': '1' }, NOW)).toBe(250);
  });

  it.each(['-1', 'soon', 'Infinity'])('an unreadable value %j falls back to Retry-After', (value) => {
    expect(retryAfterMs({ 'retry-after-ms': value, 'retry-after': '3' }, NOW)).toBe(3000);
    expect(retryAfterMs({ 'retry-after-ms': value }, NOW)).toBeUndefined();
  });

  it('takes the first of repeated headers', () => {
    expect(retryAfterMs({ 'retry-after-ms': ['20', '90'] }, NOW)).toBe(20);
  });
});

describe('Retry-After: delay-seconds', () => {
  it.each([
    ['120', 120_000],
    ['0', 0],
    ['1', 1000],
    ['1.25', 1250],
    [' 2 ', 2000],
    ['30\t', 30_000],
  ])('%j → %d ms', (value, expected) => {
    expect(retryAfterMs({ 'retry-after': value }, NOW)).toBe(expected);
  });

  it('takes the first of repeated headers', () => {
    expect(retryAfterMs({ 'retry-after': ['5', '60'] }, NOW)).toBe(5000);
  });
});

describe('Retry-After: HTTP-date (RFC 9110)', () => {
  it('is the time from now until the date', () => {
    expect(retryAfterMs({ 'retry-after': 'Wed, 21 Oct 2026 07:28:30 GMT' }, NOW)).toBe(30_000);
    expect(retryAfterMs({ 'retry-after': 'Wed, 21 Oct 2026 08:28:00 GMT' }, NOW)).toBe(3_600_000);
  });

  it('is 0 for a date already past (retry now), never negative', () => {
    expect(retryAfterMs({ 'retry-after': 'Wed, 21 Oct 2026 07:27:00 GMT' }, NOW)).toBe(0);
    expect(retryAfterMs({ 'retry-after': 'Wed, 21 Oct 2026 07:28:00 GMT' }, NOW)).toBe(0);
  });

  it('measures from the clock when no "now" is given', () => {
    const inAnHour = new Date(Date.now() + 3_600_000).toUTCString();
    const wait = retryAfterMs({ 'retry-after': inAnHour });
    // toUTCString drops the milliseconds; the rest is the time this line takes.
    expect(wait).toBeGreaterThan(3_500_000);
    expect(wait).toBeLessThanOrEqual(3_600_000);
  });
});

describe('absent or unreadable', () => {
  it.each([
    ['no headers', {}],
    ['an empty value', { 'retry-after': '' }],
    ['only spaces', { 'retry-after': '   ' }],
    ['a word', { 'retry-after': 'later' }],
    ['letters before seconds', { 'retry-after': 'x5' }],
    ['seconds then letters', { 'retry-after': '5x' }],
    ['an empty list', { 'retry-after': [] }],
  ])('%s → undefined', (_label, headers) => {
    expect(retryAfterMs(headers, NOW)).toBeUndefined();
  });
});
