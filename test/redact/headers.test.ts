import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { authorizationSchemeMissing, isSensitiveHeaderName } from '../../src/redact/headers.ts';

describe('isSensitiveHeaderName', () => {
  it.each([
    'authorization',
    'Proxy-Authorization',
    'api-key',
    'x-api-key',
    'X-Goog-Api-Key',
    'cookie',
    'set-cookie',
    'x-auth-token',
    'x-amz-security-token',
    'x-client-secret',
    'openai-session',
    'apikey',
    'x-authentication',
  ])('%s is sensitive', (name) => {
    expect(isSensitiveHeaderName(name)).toBe(true);
  });

  it.each([
    'content-type',
    'x-request-id',
    'x-ratelimit-remaining-tokens',
    'x-ratelimit-limit-tokens',
    'openai-organization',
    ':authority',
    'x-author',
    'retry-after',
    '',
  ])('%s is not sensitive', (name) => {
    expect(isSensitiveHeaderName(name)).toBe(false);
  });

  it('flags any name with a key/token/secret word (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('x', 'my', 'anthropic', 'x-custom'),
        fc.constantFrom('key', 'token', 'secret', 'auth', 'cookie', 'password', 'api-key', 'access-token'),
        fc.constantFrom('', '-v2', '-id'),
        (prefix, word, suffix) => {
          expect(isSensitiveHeaderName(`${prefix}-${word}${suffix}`)).toBe(true);
        },
      ),
    );
  });
});

describe('authorizationSchemeMissing', () => {
  it.each([
    ['sk-abc123', true],
    ['sk_live_abc', true],
    ['  sk-or-v1-abc  ', true],
    ['eyJhbGciOiJIUzI1NiJ9.e30.sig', true],
    ['Bearer sk-abc123', false],
    ['bearer sk-abc123', false],
    ['Basic dXNlcjpwYXNz', false],
    ['Token abc', false],
    ['AWS4-HMAC-SHA256 Credential=x', false],
    ['Bearer', false],
    ['', false],
    ['   ', false],
    ['sk-abc\tBearer', true],
  ])('%j → %s', (value, expected) => {
    expect(authorizationSchemeMissing(value)).toBe(expected);
  });

  it('never throws on non-strings', () => {
    expect(authorizationSchemeMissing(undefined as unknown as string)).toBe(false);
  });
});
