/**
 * codeShaped at its edges: which characters a code may hold, where the id and length limits fall,
 * and that a secret is refused whichever check catches it. (The common cases are in error-body.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { codeShaped, MAX_CODE_LENGTH } from '../../src/errors/error-code.ts';

describe('codeShaped: characters', () => {
  it.each([
    [
      'each separator joins segments',
      ['rate-limit', 'quota/exceeded', 'bedrock:ThrottlingException', 'a.b', 'a_b'],
    ],
    ['the first and last letters and digits', ['a', 'z', 'A', 'Z', '0', '9', 'buzz', 'ZZ', 'x9', 'x0']],
  ])('%s', (_name, codes) => {
    for (const code of codes) expect(codeShaped(code)).toBe(code);
  });

  it.each([
    '@rate',
    'rate@limit',
    'rate[limit',
    'rate`limit',
    'rate{limit',
    'rate|limit',
    'rate}limit',
    'rate~limit',
    'rate limit',
    'rate!',
    'über_error',
  ])('rejects %j', (code) => {
    expect(codeShaped(code)).toBeUndefined();
  });
});

describe('codeShaped: ids are not codes', () => {
  it('a run of 8 digits is a code, 9 is an id, whatever the digits', () => {
    expect(codeShaped('12345678')).toBe('12345678');
    expect(codeShaped('error_20240101')).toBe('error_20240101');
    for (const id of ['123456789', '000000000', '999999999', 'err_900000000']) {
      expect(codeShaped(id)).toBeUndefined();
    }
  });

  it('a segment mixing letters and digits is an id from 8 characters on', () => {
    expect(codeShaped('abcdef1')).toBe('abcdef1');
    expect(codeShaped('v1_abcdef1')).toBe('v1_abcdef1');
    expect(codeShaped('abcdefg1')).toBeUndefined();
    expect(codeShaped('a1b2c3d4')).toBeUndefined();
    expect(codeShaped('quota_a1b2c3d4')).toBeUndefined();
    // only letters, or only digits (8 at most), is not mixed
    expect(codeShaped('invalid_authentication')).toBe('invalid_authentication');
  });
});

describe('codeShaped: length', () => {
  it('trims a string of up to four times the code length, and refuses a longer one unread', () => {
    const padded = (total: number) => {
      const code = 'rate_limit';
      const left = Math.floor((total - code.length) / 2);
      return ' '.repeat(left) + code + ' '.repeat(total - code.length - left);
    };
    expect(padded(MAX_CODE_LENGTH * 4)).toHaveLength(256);
    expect(codeShaped(padded(MAX_CODE_LENGTH * 4))).toBe('rate_limit');
    expect(codeShaped(padded(MAX_CODE_LENGTH * 4 + 1))).toBeUndefined();
  });

  it('accepts 64 characters and not 65', () => {
    expect(MAX_CODE_LENGTH).toBe(64);
    expect(codeShaped(`a${'_b'.repeat(31)}x`)).toHaveLength(64);
    expect(codeShaped(`a${'_b'.repeat(32)}`)).toBeUndefined();
  });
});

describe('codeShaped: secrets', () => {
  it('refuses a short key prefix that no redaction pattern would catch', () => {
    for (const key of ['sk-a', 'gsk_1', 'xai-1', 'AIza1']) expect(codeShaped(key)).toBeUndefined();
  });

  it('refuses a secret name:value that is otherwise code-shaped', () => {
    expect(codeShaped('token:abcdefghijklmnopqrstuvwxyz')).toBeUndefined();
    expect(codeShaped('token_expired')).toBe('token_expired');
  });

  it('integers only, as their decimal string', () => {
    expect(codeShaped(0)).toBe('0');
    expect(codeShaped(503)).toBe('503');
    expect(codeShaped(2 ** 53)).toBeUndefined();
    expect(codeShaped(Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(codeShaped(1_000_000_000)).toBeUndefined();
    expect(codeShaped(undefined)).toBeUndefined();
  });
});
