/**
 * The name rules (secret-names.ts), the credentials collected from headers and query strings
 * (credentials.ts), the Authorization check (headers.ts) and URL redaction (url.ts) at their edges.
 */
import { describe, expect, it } from 'vitest';
import { addHeaderCredentials, queryCredentials } from '../../src/redact/credentials.ts';
import { authorizationSchemeMissing } from '../../src/redact/headers.ts';
import { isSecretName, isSecretTextName } from '../../src/redact/secret-names.ts';
import { redactUrl } from '../../src/redact/url.ts';

describe('isSecretName: every secret word and suffix', () => {
  it.each([
    'auth',
    'x-authn',
    'authz',
    'authorization',
    'x-authorisation',
    'authentication',
    'bearer',
    'cookie',
    'credential',
    'credentials',
    'x-jwt',
    'passphrase',
    'passwd',
    'password',
    'pwd',
    'secret',
    'session',
    'x-sessionid',
    'sig',
    'signature',
    // suffixes
    'monkey',
    'mytoken',
    'clientsecret',
    'dbpassword',
    'dbpasswd',
    'awssignature',
    // camelCase and upper case
    'jwtValue',
    'cookieName',
    'authType',
    'API_KEY',
    'CODE',
    'Code',
  ])('%s is secret', (name) => {
    expect(isSecretName(name)).toBe(true);
  });

  it.each([
    'keyword',
    'author',
    'authority',
    'tokens_used',
    'passage',
    'signal',
    'sessions',
    'codes',
    'country_code',
    'x-request-id',
    'jwtvalue',
    'cookiename',
  ])('%s is not secret', (name) => {
    expect(isSecretName(name)).toBe(false);
  });

  it('names of up to 256 characters are judged; longer ones and non-strings are not secret', () => {
    expect(isSecretName(`${'a'.repeat(252)}_key`)).toBe(true);
    expect(isSecretName(`${'a'.repeat(253)}_key`)).toBe(false);
    expect(isSecretName(42 as unknown as string)).toBe(false);
    expect(isSecretName(undefined as unknown as string)).toBe(false);
  });
});

describe('isSecretTextName: the last word decides, or id after a secret word', () => {
  it.each([
    ['APIKey', true],
    ['v2Token', true],
    ['sessionId', true],
    ['session_id', true],
    ['api_key_id', true],
    ['token.id', true],
    ['api_key_', true],
    ['api_key  ', true],
    ['Token', true],
    ['TOKEN', true],
    ['jwt', true],
    ['sig', true],
    ['tokenCount', false],
    ['user_id', false],
    ['id', false],
    ['_id', false],
    ['key2', false],
    ['__', false],
    // The separators and the edges of the letter and digit ranges.
    ['secret@id', true],
    ['secret[id', true],
    ['secret`id', true],
    ['secret{id', true],
    ['secret/id', true],
    ['secret:id', true],
    ['secret0id', false],
    ['secret9id', false],
    ['secretaid', false],
    ['secretzid', false],
    ['secretAid', false],
    ['secretZid', false],
    ['secretAId', false],
    ['xAKey', true],
    ['x9Key', true],
  ])('%j → %s', (name, expected) => {
    expect(isSecretTextName(name)).toBe(expected);
  });

  it('names of up to 256 characters are judged; longer ones and non-strings are not secret', () => {
    expect(isSecretTextName(`${'a'.repeat(252)}_key`)).toBe(true);
    expect(isSecretTextName(`${'a'.repeat(253)}_key`)).toBe(false);
    expect(isSecretTextName(7 as unknown as string)).toBe(false);
  });
});

describe('addHeaderCredentials: bounds and schemes', () => {
  it('keeps values of 8 to 4096 characters, once each', () => {
    const out: string[] = [];
    addHeaderCredentials('1234567', false, out);
    addHeaderCredentials('12345678', false, out);
    addHeaderCredentials(' 12345678 ', false, out);
    addHeaderCredentials('q'.repeat(4096), false, out);
    addHeaderCredentials('r'.repeat(4097), false, out);
    expect(out).toEqual(['12345678', 'q'.repeat(4096)]);
  });

  it('the credential after the scheme, whatever the spacing', () => {
    const out: string[] = [];
    addHeaderCredentials('  Bearer   abcdefgh12 ', true, out);
    expect(out).toEqual(['Bearer   abcdefgh12', 'abcdefgh12']);
    const nested: string[] = [];
    addHeaderCredentials([['Bearer abcdefgh12'], 'Token zyxwvuts98'], true, nested);
    expect(nested).toEqual(['Bearer abcdefgh12', 'abcdefgh12', 'Token zyxwvuts98', 'zyxwvuts98']);
  });
});

describe('queryCredentials: names decoded, values decoded and as written', () => {
  it.each([
    ['https://h/p?api%5Fkey=abcdefgh1', ['abcdefgh1']],
    ['https://h/p?api+key=abcdefgh1', ['abcdefgh1']],
    ['https://h/p?key=abc+defgh1', ['abc defgh1', 'abc+defgh1']],
    ['https://h/p?key=abc%20defgh1', ['abc defgh1', 'abc%20defgh1']],
    ['https://h/p?key=bad%E0%A4%Aabc', ['bad%E0%A4%Aabc']],
    ['https://h/p?bad%E0%A4%A_key=abcdefgh1', ['abcdefgh1']],
    ['https://h/p?=abcdefgh1&key', []],
    ['https://h/p?', []],
    ['https://h/p?k', []],
    ['https://h/p?x=1&token=abcdefgh1&y=2', ['abcdefgh1']],
  ])('%s → %j', (url, expected) => {
    expect(queryCredentials(new URL(url))).toEqual(expected);
  });

  it('a URL whose getters throw gives none', () => {
    const hostile = Object.create(URL.prototype, {
      search: {
        get() {
          throw new Error('boom');
        },
      },
    }) as URL;
    expect(queryCredentials(hostile)).toEqual([]);
  });
});

describe('authorizationSchemeMissing: every known scheme, any token-shaped scheme', () => {
  it.each([
    'Basic dXNlcg==',
    'Bearer abc',
    'Digest username="u"',
    'HOBA result="x"',
    'Mutual abc',
    'Negotiate YIIB',
    'NTLM TlRMTVNT',
    'token abc',
    'AWS4-HMAC-SHA256 Credential=x',
    "Custom!#$%&'*+.^_`|~-9 abc",
    'Custom abc',
  ])('%j has a scheme', (value) => {
    expect(authorizationSchemeMissing(value)).toBe(false);
  });

  it.each(['Basic', 'digest', 'HOBA', 'Mutual', 'negotiate', 'ntlm', 'Token', 'aws4-hmac-sha256'])(
    'the lone scheme %j is not the missing-scheme mistake',
    (value) => {
      expect(authorizationSchemeMissing(value)).toBe(false);
    },
  );

  it.each(['Cu@stom abc', '1abc def', 'sk-abc 123', 'gsk_abcdefgh1 x', '-x y', 'abc', 'x'])(
    '%j is a credential without a scheme',
    (value) => {
      expect(authorizationSchemeMissing(value)).toBe(true);
    },
  );
});

describe('redactUrl at its edges', () => {
  it.each([
    ['git+ssh://user@host/p', 'git+ssh://host/p'],
    ['1http://u@h/p', '1http://u@h/p'],
    ['//user:pw@host/p', '//host/p'],
    ['https://h/@x?y=1', 'https://h/@x?y=1'],
    ['https://h?q@x', 'https://h?q@x'],
    ['https://h#f@x', 'https://h#f@x'],
    ['https://u@h\\p@x', 'https://h\\p@x'],
    ['https://u@h', 'https://h'],
    ['https://h/p?a=1#x?token=y', 'https://h/p?a=1#x?token=y'],
    ['https://h/p?token=', 'https://h/p?token=REDACTED'],
    ['https://h/p?api+key=x&b=2', 'https://h/p?api+key=REDACTED&b=2'],
    ['https://h/p?bad%E0%A4%A=x', 'https://h/p?bad%E0%A4%A=x'],
    ['https://h/p?a=1&&token=x', 'https://h/p?a=1&&token=REDACTED'],
  ])('%s → %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});

describe('edges found by mutation testing', () => {
  it('camelCase splits words for the last-word rule (tokenId is id after token; myAuth ends in auth)', () => {
    expect(isSecretTextName('tokenId')).toBe(true);
    expect(isSecretTextName('keyId')).toBe(true);
    expect(isSecretTextName('myAuth')).toBe(true);
    expect(isSecretTextName('myauth')).toBe(false);
    expect(isSecretTextName('tokenid')).toBe(false);
  });

  it('a non-schemed header value is added whole only', () => {
    const out: string[] = [];
    addHeaderCredentials('theme=dark; session=abcdefgh12', false, out);
    expect(out).toEqual(['theme=dark; session=abcdefgh12']);
  });

  it.each([
    ['https://h/p?code=abcdefgh1', ['abcdefgh1']],
    ['https://h/p?x-api-key1', []],
    ['https://h/p?model=my-key-value1', []],
  ])('queryCredentials(%s) → %j', (url, expected) => {
    expect(queryCredentials(new URL(url))).toEqual(expected);
  });

  it.each([
    ['zzzzzzzzzz@http://h/p', 'zzzzzzzzzz@http://h/p'],
    ['https://@h/p', 'https://h/p'],
    ['https://h/p?%73ig=abc', 'https://h/p?%73ig=REDACTED'],
    ['https://h/p?my+sig=abc', 'https://h/p?my+sig=REDACTED'],
    ['https://h/p?mysig=abc', 'https://h/p?mysig=abc'],
    ['https://h/p?api_key%=abc', 'https://h/p?api_key%=REDACTED'],
    ['https://h/p?apikeys&x=1', 'https://h/p?apikeys&x=1'],
    ['https://h/p/token=abc', 'https://h/p/token=abc'],
    ['https://u@h/p/token=abc', 'https://h/p/token=abc'],
    ['https://h/a&token=x/y?a=1', 'https://h/a&token=x/y?a=1'],
  ])('redactUrl(%s) → %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});
