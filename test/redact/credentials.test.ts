import { describe, expect, it } from 'vitest';
import { addHeaderCredentials, queryCredentials } from '../../src/redact/credentials.ts';
import { isSecretName, isSecretTextName } from '../../src/redact/secret-names.ts';

describe('queryCredentials', () => {
  it.each([
    [
      'https://g.example/v1beta/models/m:streamGenerateContent?alt=sse&key=AIzaSyExample123',
      ['AIzaSyExample123'],
    ],
    ['https://h/p?api_key=abc%2Fdef%3D12&model=gpt-4o', ['abc/def=12', 'abc%2Fdef%3D12']],
    [
      'https://h/p?token=opaque-token-1&sig=signature99&X-Amz-Signature=0f0f0f0f0f',
      ['opaque-token-1', 'signature99', '0f0f0f0f0f'],
    ],
    ['https://h/p?key=short&model=x', []],
    ['https://h/p?model=gpt-4o&max_tokens=12345678', []],
    ['https://h/p', []],
    ['https://h/p?key=abcdefgh1&key=abcdefgh1', ['abcdefgh1']],
  ])('%s', (url, expected) => {
    expect(queryCredentials(new URL(url))).toEqual(expected);
  });

  it('never throws', () => {
    expect(queryCredentials('https://h/p?key=abcdefghijk' as unknown as URL)).toEqual([]);
    expect(queryCredentials(null as unknown as URL)).toEqual([]);
  });
});

describe('addHeaderCredentials', () => {
  it.each([
    ['Bearer gsk_abcdefgh12345678', true, ['Bearer gsk_abcdefgh12345678', 'gsk_abcdefgh12345678']],
    ['Basic dXNlcjpwYXNzd29yZA==', true, ['Basic dXNlcjpwYXNzd29yZA==', 'dXNlcjpwYXNzd29yZA==']],
    ['sk-noscheme-1234', true, ['sk-noscheme-1234']],
    ['Bearer short', true, ['Bearer short']],
    ['Bearer a', true, ['Bearer a']],
    ['Bearer', true, []],
    ['9f2c1e7ab44d0c3e', false, ['9f2c1e7ab44d0c3e']],
    ['  padded-value-1  ', false, ['padded-value-1']],
    [['first-value-1', 'second-value-2'], false, ['first-value-1', 'second-value-2']],
    [42, false, []],
    [undefined, false, []],
  ])('%j (schemed: %s)', (value, schemed, expected) => {
    const out: string[] = [];
    addHeaderCredentials(value, schemed, out);
    expect(out).toEqual(expected);
  });
});

describe('isSecretTextName: names in free text', () => {
  it.each([
    'api_key',
    'apiKey',
    'x-api-key',
    'accessToken',
    'client_secret',
    'X-Amz-Signature',
    'session_id',
    'password',
    'Authorization',
    'key',
    'token',
  ])('%s is secret', (name) => {
    expect(isSecretTextName(name)).toBe(true);
  });

  it.each([
    'code',
    'litellm.AuthenticationError',
    'AuthenticationError',
    'token_count',
    'max_tokens',
    'auth_type',
    'keyword',
    'model',
    'param',
    '',
  ])('%s is not secret', (name) => {
    expect(isSecretTextName(name)).toBe(false);
  });

  it('is narrower than isSecretName, which URLs and headers use', () => {
    for (const name of ['code', 'AuthenticationError', 'auth_type']) expect(isSecretName(name)).toBe(true);
  });
});
