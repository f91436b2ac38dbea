import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REDACTED, redactUrl } from '../../src/redact/url.ts';
import { runs } from './runs.ts';

describe('redactUrl', () => {
  it.each([
    ['https://api.openai.com/v1/chat/completions', 'https://api.openai.com/v1/chat/completions'],
    [
      'https://generativelanguage.googleapis.com/v1beta/models/x:generate?key=AIzaSyXXXX&alt=sse',
      'https://generativelanguage.googleapis.com/v1beta/models/x:generate?key=REDACTED&alt=sse',
    ],
    ['https://user:p%40ss@api.example.com:8443/v1?a=1', 'https://api.example.com:8443/v1?a=1'],
    ['https://token@api.example.com/v1', 'https://api.example.com/v1'],
    [
      'http://h/p?api_key=1&apiKey=2&api-key=3&APIKEY=4',
      'http://h/p?api_key=REDACTED&apiKey=REDACTED&api-key=REDACTED&APIKEY=REDACTED',
    ],
    [
      'http://h/p?access_token=a&sig=b&signature=c&secret=d',
      'http://h/p?access_token=REDACTED&sig=REDACTED&signature=REDACTED&secret=REDACTED',
    ],
    [
      'http://h/p?password=a&passwd=b&session=c&credential=d&auth=e',
      'http://h/p?password=REDACTED&passwd=REDACTED&session=REDACTED&credential=REDACTED&auth=REDACTED',
    ],
    [
      'http://h/p?X-Amz-Signature=a&X-Amz-Credential=b&AWSAccessKeyId=c&code=d',
      'http://h/p?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED&AWSAccessKeyId=REDACTED&code=REDACTED',
    ],
    // not secrets: byte-identical, percent-encoding and case untouched
    [
      'http://h/p?max_tokens=5&keyword=a%20b&author=Me&country_code=DE&q=%7E',
      'http://h/p?max_tokens=5&keyword=a%20b&author=Me&country_code=DE&q=%7E',
    ],
    ['http://h/p?api%5Fkey=x&flag&=v', 'http://h/p?api%5Fkey=REDACTED&flag&=v'],
    ['http://h/p?token=x#token=frag', 'http://h/p?token=REDACTED#token=frag'],
    ['/v1/models?key=abc', '/v1/models?key=REDACTED'],
    ['mailto:someone@example.com', 'mailto:someone@example.com'],
    ['https://h/path/with@sign?x=1', 'https://h/path/with@sign?x=1'],
    ['https://a:b@c@h/p', 'https://h/p'],
  ])('%s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });

  it('accepts URL objects', () => {
    expect(redactUrl(new URL('https://u:p@h.example/p?token=t&x=1'))).toBe(
      'https://h.example/p?token=REDACTED&x=1',
    );
  });

  it('returns the very same string when there is nothing to redact', () => {
    const url = 'https://api.example.com/v1/chat/completions';
    expect(redactUrl(url)).toBe(url);
  });

  it('falls back to an empty string instead of throwing', () => {
    const hostile = {
      get href(): string {
        throw new Error('boom');
      },
    } as unknown as URL;
    expect(redactUrl(hostile)).toBe('');
    expect(redactUrl(42 as unknown as string)).toBe('');
  });

  it('never leaks a secret query value or userinfo (property)', () => {
    const secret = fc.string({
      unit: fc.constantFrom(...'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789'),
      minLength: 20,
      maxLength: 40,
    });
    const name = fc.constantFrom(
      'api_key',
      'key',
      'token',
      'access_token',
      'apiKey',
      'X-Amz-Signature',
      'sig',
      'password',
      'client_secret',
      'Authorization',
      'x-goog-api-key',
    );
    fc.assert(
      fc.property(
        fc.webUrl({ withQueryParameters: true, withFragments: false }),
        fc.array(fc.tuple(name, secret), { minLength: 1, maxLength: 3 }),
        secret,
        (base, params, password) => {
          const withUser = base.replace('://', `://user:${password}@`);
          const query = params.map(([n, s]) => `${n}=${s}`).join('&');
          const url = `${withUser}${withUser.includes('?') ? '&' : '?'}${query}`;
          const out = redactUrl(url);
          expect(out).not.toContain(password);
          for (const [, s] of params) expect(out).not.toContain(s);
          expect(out.split(REDACTED).length - 1).toBeGreaterThanOrEqual(params.length);
        },
      ),
      { numRuns: runs(300) },
    );
  });
});
