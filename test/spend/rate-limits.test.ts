/**
 * Rate-limit headers: the OpenAI/Groq/LiteLLM family with Go durations, Anthropic's with RFC 3339
 * instants, precedence, and what must not parse. Property tests pin the duration and instant
 * parsers against independent oracles.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { goDurationMs, rateLimits, rfc3339 } from '../../src/spend/rate-limits.ts';

const runs = (count: number): number =>
  process.env.MUTATE_GROUP === undefined ? count : Math.ceil(count / 10);

const NOW = Date.UTC(2026, 11, 7, 10, 0, 0);

describe('rateLimits', () => {
  it('reads OpenAI headers: requests and tokens with their Go-duration resets', () => {
    const headers = {
      'x-ratelimit-limit-requests': '10000',
      'x-ratelimit-limit-tokens': '30000000',
      'x-ratelimit-remaining-requests': '9999',
      'x-ratelimit-remaining-tokens': '29999954',
      'x-ratelimit-reset-requests': '6ms',
      'x-ratelimit-reset-tokens': '6m0s',
    };
    expect(rateLimits(headers, NOW)).toEqual([
      { kind: 'requests', remaining: 9999, limit: 10000, resetAt: NOW + 6 },
      { kind: 'tokens', remaining: 29999954, limit: 30000000, resetAt: NOW + 360_000 },
    ]);
  });

  it("reads Groq's headers (per-day requests, fractional durations)", () => {
    const headers = {
      'x-ratelimit-limit-requests': '14400',
      'x-ratelimit-limit-tokens': '18000',
      'x-ratelimit-remaining-requests': '14370',
      'x-ratelimit-remaining-tokens': '17997',
      'x-ratelimit-reset-requests': '2m59.56s',
      'x-ratelimit-reset-tokens': '7.66s',
    };
    expect(rateLimits(headers, NOW)).toEqual([
      { kind: 'requests', remaining: 14370, limit: 14400, resetAt: NOW + 179_560 },
      { kind: 'tokens', remaining: 17997, limit: 18000, resetAt: NOW + 7660 },
    ]);
  });

  it('reads Anthropic headers: four kinds with RFC 3339 resets', () => {
    const headers = {
      'anthropic-ratelimit-requests-limit': '4000',
      'anthropic-ratelimit-requests-remaining': '3999',
      'anthropic-ratelimit-requests-reset': '2026-12-07T10:00:01Z',
      'anthropic-ratelimit-tokens-limit': '480000',
      'anthropic-ratelimit-tokens-remaining': '479000',
      'anthropic-ratelimit-tokens-reset': '2026-12-07T10:00:00.5Z',
      'anthropic-ratelimit-input-tokens-limit': '400000',
      'anthropic-ratelimit-input-tokens-remaining': '399000',
      'anthropic-ratelimit-input-tokens-reset': '2026-12-07T11:00:30+01:00',
      'anthropic-ratelimit-output-tokens-limit': '80000',
      'anthropic-ratelimit-output-tokens-remaining': '80000',
      'anthropic-ratelimit-output-tokens-reset': '2026-12-07T10:00:00Z',
    };
    expect(rateLimits(headers, NOW)).toEqual([
      { kind: 'requests', remaining: 3999, limit: 4000, resetAt: NOW + 1000 },
      { kind: 'tokens', remaining: 479000, limit: 480000, resetAt: NOW + 500 },
      { kind: 'input_tokens', remaining: 399000, limit: 400000, resetAt: NOW + 30_000 },
      { kind: 'output_tokens', remaining: 80000, limit: 80000, resetAt: NOW },
    ]);
  });

  it("prefers Anthropic's reading of a kind, keeps the other family's other kinds", () => {
    const headers = {
      'anthropic-ratelimit-requests-remaining': '5',
      'x-ratelimit-remaining-requests': '7',
      'x-ratelimit-remaining-tokens': '70',
    };
    expect(rateLimits(headers, NOW)).toEqual([
      { kind: 'requests', remaining: 5, limit: undefined, resetAt: undefined },
      { kind: 'tokens', remaining: 70, limit: undefined, resetAt: undefined },
    ]);
  });

  it('reads plain-number resets as seconds from now, or as epoch seconds/milliseconds when that large', () => {
    const reading = (reset: string) =>
      rateLimits({ 'x-ratelimit-remaining-requests': '1', 'x-ratelimit-reset-requests': reset }, NOW)[0]
        ?.resetAt;
    expect(reading('30')).toBe(NOW + 30_000);
    expect(reading('0.5')).toBe(NOW + 500);
    expect(reading('1796637600')).toBe(1_796_637_600_000);
    expect(reading('1796637600000')).toBe(1_796_637_600_000);
    expect(reading('2026-12-07T10:00:05Z')).toBe(NOW + 5000);
    expect(reading('soon')).toBeUndefined();
  });

  it('keeps a kind with only its limit or only its remaining; skips a kind with neither readable', () => {
    expect(rateLimits({ 'x-ratelimit-limit-tokens': '100', 'x-ratelimit-reset-tokens': '1s' }, NOW)).toEqual([
      { kind: 'tokens', remaining: undefined, limit: 100, resetAt: NOW + 1000 },
    ]);
    expect(
      rateLimits({ 'x-ratelimit-remaining-requests': 'lots', 'x-ratelimit-reset-requests': '1s' }, NOW),
    ).toEqual([]);
    expect(rateLimits({ 'x-ratelimit-remaining-requests': ['3', '9'] }, NOW)[0]?.remaining).toBe(3);
    expect(rateLimits({ 'x-ratelimit-remaining-requests': '-1' }, NOW)).toEqual([]);
    expect(rateLimits({}, NOW)).toEqual([]);
    // Suffixed variants (per-minute and per-day windows of some gateways) are not these headers.
    expect(rateLimits({ 'x-ratelimit-remaining-requests-day': '9' }, NOW)).toEqual([]);
  });

  it('ignores absurdly long values without reading them', () => {
    const long = '9'.repeat(1_000_000);
    expect(
      rateLimits({ 'x-ratelimit-remaining-requests': long, 'x-ratelimit-reset-requests': long }, NOW),
    ).toEqual([]);
    expect(
      rateLimits(
        { 'x-ratelimit-remaining-requests': '1', 'x-ratelimit-reset-requests': `${'1s'.repeat(40)}` },
        NOW,
      )[0]?.resetAt,
    ).toBeUndefined();
  });
});

describe('goDurationMs', () => {
  it('reads every Go unit and combinations', () => {
    const cases: [string, number][] = [
      ['0', 0],
      ['0s', 0],
      ['1s', 1000],
      ['6m0s', 360_000],
      ['59.5ms', 59.5],
      ['1h2m3.5s', 3_723_500],
      ['1.5h', 5_400_000],
      ['250us', 0.25],
      ['250µs', 0.25],
      ['1500ns', 0.0015],
      ['.5s', 500],
    ];
    for (const [text, ms] of cases) expect(goDurationMs(text), text).toBeCloseTo(ms, 9);
  });

  it('rejects what Go would not print', () => {
    for (const text of [
      '',
      's',
      '1',
      '1x',
      '-1s',
      '+1s',
      '1 s',
      's1',
      '1..5s',
      '.s',
      '1sm',
      'Infinitys',
      '1e3s',
    ])
      expect(goDurationMs(text), text).toBeUndefined();
  });

  it('matches the sum of its terms (property)', () => {
    const units = [
      ['h', 3_600_000],
      ['m', 60_000],
      ['s', 1000],
      ['ms', 1],
      ['us', 0.001],
      ['ns', 0.000001],
    ] as const;
    const term = fc.tuple(fc.integer({ min: 0, max: 99_999 }), fc.integer({ min: 0, max: units.length - 1 }));
    fc.assert(
      fc.property(fc.array(term, { minLength: 1, maxLength: 6 }), (terms) => {
        const text = terms.map(([n, u]) => `${n}${units[u]?.[0]}`).join('');
        const expected = terms.reduce((sum, [n, u]) => sum + n * (units[u]?.[1] ?? 0), 0);
        expect(goDurationMs(text)).toBeCloseTo(expected, 6);
      }),
      { numRuns: runs(2000) },
    );
  });
});

describe('rfc3339', () => {
  it('agrees with Date for every instant it prints (property)', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('1990-01-01T00:00:00Z'),
          max: new Date('2200-01-01T00:00:00Z'),
          noInvalidDate: true,
        }),
        fc.integer({ min: -14 * 60, max: 14 * 60 }),
        (date, offsetMinutes) => {
          expect(rfc3339(date.toISOString())).toBe(date.getTime());
          // The same instant written in another zone.
          const local = new Date(date.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 23);
          const sign = offsetMinutes < 0 ? '-' : '+';
          const abs = Math.abs(offsetMinutes);
          const zone = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          expect(rfc3339(`${local}${zone}`)).toBe(date.getTime());
        },
      ),
      { numRuns: runs(2000) },
    );
  });

  it('rejects malformed instants and dates that do not exist', () => {
    for (const text of [
      '2026-12-07',
      '2026-12-07T10:00:00',
      '2026-12-07T10:00:00+0100',
      '2026-13-07T10:00:00Z',
      '2026-02-30T10:00:00Z',
      '2026-12-07T24:00:00Z',
      '2026-12-07T10:00:00.Z',
      '2026-12-07T10:00:00Zjunk',
      'Mon, 07 Dec 2026 10:00:00 GMT',
      '2026/12/07T10:00:00Z',
    ])
      expect(rfc3339(text), text).toBeUndefined();
    expect(rfc3339('2026-12-07t10:00:00z')).toBe(NOW);
    expect(rfc3339('2026-12-07 10:00:00Z')).toBe(NOW);
  });
});
