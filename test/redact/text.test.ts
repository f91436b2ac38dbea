import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  containsKeyPrefix,
  MIN_CREDENTIAL_LENGTH,
  REDACTION_MARGIN,
  redactMessage,
  redactSecrets,
  truncate,
} from '../../src/redact/text.ts';
import { ADVERSARIAL_SIZE, runs } from './runs.ts';

/** 1 MiB (64 KiB under mutation testing, see runs.ts). */
const MiB = ADVERSARIAL_SIZE;
const ALNUM = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ0123456789';

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
    ['token=abc; session: 12ab-cd', 'token=REDACTED; session: REDACTED'],
    ['a=api_key=abc', 'a=api_key=REDACTED'],
    ['proxy https://user:pw@proxy.local failed', 'proxy https://REDACTED@proxy.local failed'],
    ['Bearer Bearer abcdefghijklmnopqrstu', 'Bearer Bearer REDACTED'],
    // keys by prefix beyond sk-
    ['Incorrect API key provided: gsk_abcdefgh1234', 'Incorrect API key provided: REDACTED'],
    ['Incorrect API key provided: xai-abc***********xyz.', 'Incorrect API key provided: REDACTED.'],
    ['token ghp_0123456789abcdefghijABCDEFGHIJ012345 bad', 'token REDACTED bad'],
    ['pat github_pat_11ABCDEFG0123456789_abcdefghij', 'pat REDACTED'],
    ['hf hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567 bad', 'hf REDACTED bad'],
    ['r8 r8_0123456789abcdefABCDEF0123456789abcde bad', 'r8 REDACTED bad'],
    ['pplx pplx-0123456789abcdef0123456789abcdef bad', 'pplx REDACTED bad'],
    ['aws AKIAIOSFODNN7EXAMPLE bad', 'aws REDACTED bad'],
    ['anthropic sk-ant-api03-AbC-dEf_123 bad', 'anthropic REDACTED bad'],
    // opaque tokens
    ['hex 0123456789abcdef0123456789abcdef0 bad', 'hex REDACTED bad'],
    ['mistral aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3 bad', 'mistral REDACTED bad'],
    ['b64 aB3dE5gH7jK9-mN1pQ3sT5vW7_yZ9bC1dF3gH5jK7 bad', 'b64 REDACTED bad'],
    ['tail key-aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3 bad', 'tail REDACTED bad'],
    // survives
    ['max_tokens: 4096 exceeds the limit of 2048', 'max_tokens: 4096 exceeds the limit of 2048'],
    ['Bearer authentication required', 'Bearer authentication required'],
    ['Basic plan users cannot use gpt-4o', 'Basic plan users cannot use gpt-4o'],
    ['the task-1234 is at risk-free disk-usage', 'the task-1234 is at risk-free disk-usage'],
    ['Rate limit reached for requests', 'Rate limit reached for requests'],
    ['{"code": "invalid_type", "param": "x"}', '{"code": "invalid_type", "param": "x"}'],
    ['error code=invalid_api_key', 'error code=invalid_api_key'],
    ['token: expired', 'token: expired'],
    ['Invalid API key: Please check it', 'Invalid API key: Please check it'],
    ['litellm.AuthenticationError: OpenAIException', 'litellm.AuthenticationError: OpenAIException'],
    ['hf_transfer and hf_hub_download are fine', 'hf_transfer and hf_hub_download are fine'],
    [
      'request req_0123456789abcdef0123456789abcdef failed',
      'request req_0123456789abcdef0123456789abcdef failed',
    ],
    ['uuid 550e8400-e29b-41d4-a716-446655440000 ok', 'uuid 550e8400-e29b-41d4-a716-446655440000 ok'],
    [
      'model meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8 and DeepSeek-R1-Distill-Llama-70B-Instruct-Turbo',
      'model meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8 and DeepSeek-R1-Distill-Llama-70B-Instruct-Turbo',
    ],
    ['', ''],
  ])('%j', (input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });

  it('returns an empty string for non-strings', () => {
    expect(redactSecrets(null as unknown as string)).toBe('');
  });

  it('never leaves a generated secret in the text (property)', () => {
    const token = fc.string({ unit: fc.constantFrom(...ALNUM), minLength: 20, maxLength: 48 });
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
      { numRuns: runs(1000) },
    );
  });
});

describe('redactSecrets: the exact credentials the request carried', () => {
  it('removes every occurrence, whatever its shape', () => {
    const key = '9f2c1e7ab44d0c3e';
    expect(redactSecrets(`Incorrect API key provided: ${key}. Key ${key} is revoked.`, [key])).toBe(
      'Incorrect API key provided: REDACTED. Key REDACTED is revoked.',
    );
  });

  it('removes the whole Authorization value and the credential after the scheme', () => {
    const credentials = ['Token opaque-credential-1', 'opaque-credential-1'];
    expect(redactSecrets('got "Token opaque-credential-1" and opaque-credential-1x', credentials)).toBe(
      'got "REDACTED" and REDACTEDx',
    );
  });

  it('merges a credential with an overlapping shape match into one REDACTED', () => {
    expect(redactSecrets('bad key gsk_abcdefgh12345678 given', ['abcdefgh12345678 given'])).toBe(
      'bad key REDACTED',
    );
  });

  it(`ignores credentials shorter than ${MIN_CREDENTIAL_LENGTH} characters and non-strings`, () => {
    const text = 'a short key abc1234 is not searched for';
    expect(redactSecrets(text, ['a', 'abc1234', 42 as unknown as string, ''])).toBe(text);
    expect(redactSecrets('key abcd1234 found', ['abcd1234'])).toBe('key REDACTED found');
  });

  it('ignores a credentials argument that is not an array', () => {
    expect(redactSecrets('x abcdefgh1234', 'abcdefgh1234' as unknown as string[])).toBe('x abcdefgh1234');
  });
});

describe('containsKeyPrefix', () => {
  it.each([
    ['sk-a', true],
    ['invalid_api_key:sk-proj-abc', true],
    ['gsk_1', true],
    ['x:xai-1', true],
    ['AIza1', true],
    ['task-1234', false],
    ['invalid_api_key', false],
    ['rate_limit_exceeded', false],
    ['RESOURCE_EXHAUSTED', false],
    ['sk-', false],
  ])('%j → %s', (text, expected) => {
    expect(containsKeyPrefix(text)).toBe(expected);
  });
});

describe('redactMessage', () => {
  it('redacts, then cuts to maxLength', () => {
    expect(redactMessage('key sk-abcdef rejected, please retry', 16)).toBe('key REDACTED rej');
  });

  it('redacts a key that crosses the cut whole: no part of it stays visible', () => {
    const key = `gsk_${'Ab1'.repeat(20)}`;
    const text = `${'x'.repeat(95)} ${key} tail`;
    expect(redactMessage(text, 100)).toBe(`${'x'.repeat(95)} REDA`);
  });

  it('redacts a credential that reaches past the examined window', () => {
    // No shape rule catches this one: only the exact match does.
    const credential = `${'q'.repeat(10)}-${'x7'.repeat(1500)}`;
    const text = `${'w '.repeat(45)}${credential} more`;
    expect(redactSecrets(text)).toBe(text);
    expect(redactMessage(text, 100, [credential])).toBe(`${'w '.repeat(45)}REDACTED`);
  });

  it('redacts a word cut by the examined window whole, in case earlier redactions bring it into view', () => {
    // Each 35-character JWT becomes 8 characters, so text from the window's end would be visible.
    const text = `${'eyJabcdefgh.'.repeat(300)}${'Ab1'.repeat(200)}`;
    expect(redactMessage(text, 1024)).toBe(`${'REDACTED.'.repeat(28)}REDACTED`);
  });

  it('depends only on the first maxLength + REDACTION_MARGIN + 1 characters (property)', () => {
    const fragment = fc.constantFrom('-eyJ', 'a:', 'sk-', 'key=', 'Bearer ', '//', '@', 'Ab1', ' ', 'x');
    fc.assert(
      fc.property(
        fc.array(fragment, { minLength: 0, maxLength: 400 }),
        fc.string({ minLength: 1 }),
        fc.string(),
        fc.integer({ min: 0, max: 200 }),
        (parts, tailA, tailB, max) => {
          // The one character after the window says whether the cut splits a word.
          const head = `${parts.join('').padEnd(max + REDACTION_MARGIN, '.')}${tailA.slice(0, 1)}`;
          expect(redactMessage(head + tailA, max)).toBe(redactMessage(head + tailB, max));
          expect(redactMessage(head + tailA, max).length).toBeLessThanOrEqual(max);
        },
      ),
      { numRuns: runs(300) },
    );
  });

  it('treats non-strings and odd lengths like truncate does', () => {
    expect(redactMessage(undefined as unknown as string, 10)).toBe('');
    expect(redactMessage('hello sk-abcdef', -1)).toBe('');
    expect(redactMessage('hello sk-abcdef', Number.NaN)).toBe('');
    expect(redactMessage('hello sk-abcdef', Number.POSITIVE_INFINITY)).toBe('hello REDACTED');
  });
});

describe('linear time on adversarial input (1 MiB; a backtracking version takes minutes)', () => {
  const cases: [name: string, text: string, expected: string, message?: string][] = [
    ['repeated -eyJ', '-eyJ'.repeat(MiB / 4), '-eyJ'.repeat(MiB / 4)],
    ['repeated _eyJ', '_eyJ'.repeat(MiB / 4), '_eyJ'.repeat(MiB / 4)],
    ['repeated a:', 'a:'.repeat(MiB / 2), 'a:'.repeat(MiB / 2)],
    ['repeated a=', 'a='.repeat(MiB / 2), 'a='.repeat(MiB / 2)],
    ['repeated token=', 'token='.repeat(MiB / 6), 'token=REDACTED='.repeat(MiB / 12)],
    ['repeated key:', 'key:'.repeat(MiB / 4), 'key:REDACTED'],
    ['repeated sk-', 'sk-'.repeat(MiB / 3), 'REDACTED'],
    ['repeated " sk-"', ' sk-'.repeat(MiB / 4), ' sk-'.repeat(MiB / 4)],
    ['repeated Bearer', 'Bearer '.repeat(MiB / 7), 'Bearer '.repeat(MiB / 7)],
    ['repeated //', '//'.repeat(MiB / 2), '//'.repeat(MiB / 2)],
    ['repeated //a:', '//a:'.repeat(MiB / 4), '//a:'.repeat(MiB / 4)],
    ['repeated eyJ with a short first part', 'eyJabcdefg.'.repeat(MiB / 11), 'eyJabcdefg.'.repeat(MiB / 11)],
    [
      'repeated JWTs',
      'eyJabcdefgh.'.repeat(3 * (MiB / 64)),
      'REDACTED.'.repeat(MiB / 64),
      `${'REDACTED.'.repeat(28)}REDACTED`,
    ],
    ['one letter', 'x'.repeat(MiB), 'x'.repeat(MiB)],
    ['one long hex run', 'a'.repeat(MiB), 'REDACTED'],
    ['a long mixed run', 'Ab1'.repeat(MiB / 3), 'REDACTED'],
    ['dashes', '-'.repeat(MiB), '-'.repeat(MiB)],
    ['spaces after a secret name', `api_key:${' '.repeat(MiB)}`, `api_key:${' '.repeat(MiB)}`],
    [
      'a name at the 64-character limit',
      `${'n'.repeat(63)}_key=`.repeat(MiB / 69),
      `${'n'.repeat(63)}_key=`.repeat(MiB / 69),
    ],
  ];

  it.each(cases)('%s', (_name, text, expected, message) => {
    expect(redactSecrets(text)).toBe(expected);
    expect(redactMessage(text, 1024)).toBe(message ?? truncate(expected, 1024));
  });

  it('fuzz: adversarial fragments with planted keys (property)', () => {
    const fragment = fc.constantFrom(
      '-eyJ',
      '_eyJ',
      'eyJ',
      'a:',
      ':',
      '=',
      'sk',
      'sk-',
      '-',
      'key',
      'Bearer',
      ' ',
      '//',
      '@',
      '.',
      '"',
      'AIza',
      'Ab1',
      '0f',
    );
    const key = fc
      .tuple(
        fc.constantFrom('sk-', 'gsk_', 'xai-', 'ghp_', 'AIza'),
        fc.string({ unit: fc.constantFrom(...ALNUM), minLength: 24, maxLength: 40 }),
      )
      .map(([prefix, body]) => prefix + body);
    fc.assert(
      fc.property(
        fc.array(fragment, { maxLength: 3000 }),
        key,
        fc.array(fragment, { maxLength: 3000 }),
        (a, k, b) => {
          const out = redactSecrets(`${a.join('')} ${k} ${b.join('')}`);
          expect(out).not.toContain(k);
        },
      ),
      { numRuns: runs(200) },
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
      { numRuns: runs(100) },
    );
  });
});
