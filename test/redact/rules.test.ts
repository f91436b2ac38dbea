/**
 * Each rule of the text scanner (src/redact/text.ts) at its edges: the exact threshold where a
 * shape becomes a secret, the characters that end it, what it may be glued to. One exact expected
 * string per case, so a changed bound or character class shows as a changed string.
 */
import { describe, expect, it } from 'vitest';
import { containsKeyPrefix, redactMessage, redactSecrets, truncate } from '../../src/redact/text.ts';

const R = 'REDACTED';

describe('keys by prefix: every prefix, at its minimum body length', () => {
  // Lower-case letter bodies: no opaque-token rule can catch them, only the prefix.
  it.each([
    ['sk-', 3],
    ['sk_', 3],
    ['rk-', 3],
    ['rk_', 3],
    ['gsk_', 8],
    ['xai-', 8],
    ['ghp_', 8],
    ['gho_', 8],
    ['ghu_', 8],
    ['ghs_', 8],
    ['ghr_', 8],
    ['github_pat_', 8],
    ['glpat-', 8],
    ['pplx-', 8],
    ['nvapi-', 16],
    ['csk-', 16],
    ['xoxb-', 8],
    ['xoxp-', 8],
    ['xoxa-', 8],
    ['hf_', 16],
    ['r8_', 16],
    ['fw_', 16],
  ])('%s with %d body characters is a key, one fewer is not', (prefix, minBody) => {
    const body = 'abcdefghijklmnopqrstuvwxyz'.slice(0, minBody);
    expect(redactSecrets(`key ${prefix}${body} bad`)).toBe(`key ${R} bad`);
    expect(redactSecrets(`key ${prefix}${body.slice(1)} bad`)).toBe(`key ${prefix}${body.slice(1)} bad`);
  });

  it.each([
    ['AIza', 'SyAbcdefgh', 'SyAbcdefg'],
    ['AKIA', 'ABCDEFGHIJKLMNOP', 'ABCDEFGHIJKLMNO'],
    ['ASIA', 'ABCDEFGHIJKLMNO7', 'ABCDEFGHIJKLMN7'],
  ])('%s: a body of %s is a key, %s is not', (prefix, body, short) => {
    expect(redactSecrets(`id ${prefix}${body}.`)).toBe(`id ${R}.`);
    expect(redactSecrets(`id ${prefix}${short}.`)).toBe(`id ${prefix}${short}.`);
  });

  it('each prefix has its own body alphabet', () => {
    // Dashes, underscores and masks belong to most bodies.
    expect(redactSecrets('k sk-ab_c-d**e. x')).toBe(`k ${R}. x`);
    expect(redactSecrets('k gsk_abcd-efgh_ij. x')).toBe(`k ${R}. x`);
    // hf_, r8_ and fw_ bodies are letters and digits (and masks) only.
    expect(redactSecrets('k hf_abcdefghijklmnop-tail')).toBe(`k ${R}-tail`);
    expect(redactSecrets('k fw_abcdefghijklmno**_tail')).toBe(`k ${R}_tail`);
    // AWS ids are upper case and digits.
    expect(redactSecrets('k AKIAabcdefghijklmnop')).toBe('k AKIAabcdefghijklmnop');
    expect(redactSecrets('k AKIAABCDEFGHIJKLMNOPqrs')).toBe(`k ${R}qrs`);
    expect(redactSecrets('k AKIA0123456789ABCDEF-x')).toBe(`k ${R}-x`);
  });

  it('a prefix glued to a letter is part of a word; after a digit, dot or underscore it starts a key', () => {
    expect(redactSecrets('the ask-abcdef and xgsk_abcdefgh')).toBe('the ask-abcdef and xgsk_abcdefgh');
    expect(redactSecrets('1sk-abcdef')).toBe(`1${R}`);
    expect(redactSecrets('x.sk-abcdef')).toBe(`x.${R}`);
    expect(redactSecrets('(sk-abcdef)')).toBe(`(${R})`);
  });

  it('a masked echo: stars are part of the body', () => {
    expect(redactSecrets('sk-ab*****yz')).toBe(R);
    expect(redactSecrets('sk-***')).toBe(R);
  });
});

describe('containsKeyPrefix', () => {
  it.each([
    ['rk_x', true],
    ['AKIA1', true],
    ['hf_a', true],
    ['ASIAZ', true],
    ['AKIAz', false],
    ['hf_-', false],
    ['ask-x', false],
    ['error: sk-', false],
    ['', false],
  ])('%j → %s', (text, expected) => {
    expect(containsKeyPrefix(text)).toBe(expected);
  });

  it('is false for a non-string', () => {
    expect(containsKeyPrefix(undefined as unknown as string)).toBe(false);
    expect(containsKeyPrefix(42 as unknown as string)).toBe(false);
  });
});

describe('opaque tokens: hex runs, long mixed stretches, random-looking runs', () => {
  const hex32 = '0123456789abcdef0123456789ABCDEF';

  it('32 hex digits in a row are a token, 31 are not', () => {
    expect(redactSecrets(`x ${hex32} y`)).toBe(`x ${R} y`);
    expect(redactSecrets(`x ${hex32.slice(1)} y`)).toBe(`x ${hex32.slice(1)} y`);
    for (const digit of ['0', '9', 'a', 'f', 'A', 'F']) {
      expect(redactSecrets(`x ${digit.repeat(32)} y`)).toBe(`x ${R} y`);
    }
    // g and G are not hex: 32 of them are only letters.
    expect(redactSecrets(`x ${'g'.repeat(32)} ${'G'.repeat(32)} y`)).toBe(
      `x ${'g'.repeat(32)} ${'G'.repeat(32)} y`,
    );
  });

  it('a hex streak of 32 inside a longer run takes the whole run; the streak restarts at a non-hex', () => {
    expect(redactSecrets(`x zz-${hex32}-zz y`)).toBe(`x ${R} y`);
    // Lower case only, so the mixed-classes rule does not apply.
    const broken = '0123456789abcdefg0123456789abcde';
    expect(redactSecrets(`x ${broken} y`)).toBe(`x ${broken} y`);
  });

  it('32 letters and digits mixing all three classes without a separator are a token, 31 are not', () => {
    // Not hex: q, x, z, Q; each class boundary character in turn.
    for (const [upper, lower, digit] of [
      ['A', 'x', '7'],
      ['Z', 'x', '7'],
      ['Q', 'a', '7'],
      ['Q', 'z', '7'],
      ['Q', 'x', '0'],
      ['Q', 'x', '9'],
    ] as const) {
      const token = `${upper}${lower.repeat(20)}${digit.repeat(11)}`;
      expect(redactSecrets(`k ${token} k`)).toBe(`k ${R} k`);
    }
    const short = `Q${'x'.repeat(20)}${'7'.repeat(10)}`;
    expect(redactSecrets(`k ${short} k`)).toBe(`k ${short} k`);
    // Two classes only: not a token however long.
    expect(redactSecrets(`k ${'x7'.repeat(30)} k`)).toBe(`k ${'x7'.repeat(30)} k`);
    expect(redactSecrets(`k ${'XY'.repeat(30)} k`)).toBe(`k ${'XY'.repeat(30)} k`);
  });

  it('40+ characters with at most one separator per 8 are a token; 39, or one more separator, are not', () => {
    const forty = 'Abcdef1-'.repeat(5);
    expect(redactSecrets(`x ${forty} y`)).toBe(`x ${R} y`);
    expect(redactSecrets(`x ${forty.slice(0, 39)} y`)).toBe(`x ${forty.slice(0, 39)} y`);
    const crowded = 'Abcde1-'.repeat(6);
    expect(redactSecrets(`x ${crowded} y`)).toBe(`x ${crowded} y`);
    // Without the upper case, no class mix: not a token.
    expect(redactSecrets(`x ${'abcdeg1-'.repeat(5)} y`)).toBe(`x ${'abcdeg1-'.repeat(5)} y`);
  });

  it('a fragmented run (a class change every two or three characters) is a token despite its separators', () => {
    // 42 pieces in 50 letters and digits, 10 separators in 60 characters.
    const random = 'a1B2c-3D4e5-F6g7H-8i9J0-k1L2m-3N4o5-P6q7R-8s9T0-u1V2w-3X4y5-';
    expect(redactSecrets(`x ${random} y`)).toBe(`x ${R} y`);
  });

  it('model names and ids stay: few pieces, many separators, or an id prefix', () => {
    const text =
      'Qwen/Qwen2.5-Coder-32B-Instruct-AWQ-Int4-GPTQ-v2 gpt-4o-mini-2024-07-18-preview-alpha-beta-x run_0123456789abcdef0123456789abcdef0';
    expect(redactSecrets(text)).toBe(text);
  });
});

describe('Bearer and Basic credentials', () => {
  it.each([
    ['Bearer abcdefghijklmnop', `Bearer ${R}`],
    ['Bearer abcdefghijklmno', 'Bearer abcdefghijklmno'],
    ['Bearer abcde1', `Bearer ${R}`],
    ['Bearer abcd1', 'Bearer abcd1'],
    ['Bearer abcdef', 'Bearer abcdef'],
    ['Bearer abc-de', `Bearer ${R}`],
    ['bearer   abcde1 x', `bearer   ${R} x`],
    ['BASIC abcde1', `BASIC ${R}`],
    ['Bearer abcdefgh~ijklmnop+qrstuv/wxyz.z*z== end', `Bearer ${R} end`],
    ['Basic dXNlcjpw=== end', `Basic ${R} end`],
    ['Bearer Basically-secret-value1', `Bearer ${R}`],
    ['Bearer Basic dXNlcjpwYXNzd29yZA==', `Bearer Basic ${R}`],
    ['Bearer REDACTED', 'Bearer REDACTED'],
    ['"Bearer abcde1"', `"Bearer ${R}"`],
  ])('%j → %j', (text, expected) => {
    expect(redactSecrets(text)).toBe(expected);
  });

  it('a scheme glued to a word or without a space is not a scheme', () => {
    for (const text of [
      'xBearer abcdefghij1',
      '_Bearer abcdefghij1',
      '1Bearer abcdefghij1',
      'Bearerx abcdefghij1',
    ]) {
      expect(redactSecrets(text)).toBe(text);
    }
  });

  it('any whitespace JavaScript knows separates the scheme from the credential', () => {
    const spaces = [
      '\t',
      '\n',
      '\v',
      '\f',
      '\r',
      '\u00a0',
      '\u1680',
      '\u2000',
      '\u2005',
      '\u200a',
      '\u2028',
      '\u2029',
      '\u202f',
      '\u205f',
      '\u3000',
      '\ufeff',
    ];
    for (const space of spaces) {
      expect(redactSecrets(`Bearer${space}abcde1 x`)).toBe(`Bearer${space}${R} x`);
    }
    for (const other of [
      '\u0008',
      '\u000e',
      '\u001f',
      '\u1fff',
      '\u200b',
      '\u2027',
      '\u2030',
      '\u205e',
      '\u3001',
      '\ufefe',
    ]) {
      expect(redactSecrets(`Bearer${other}abcde1 x`)).toBe(`Bearer${other}abcde1 x`);
    }
  });
});

describe('JWTs', () => {
  it.each([
    ['t eyJabcdefgh.abcd.sig x', `t ${R} x`],
    ['t eyJabcdefgh.abcd. x', `t ${R} x`],
    ['t eyJab-_defgh.a-_d.s-_g x', `t ${R} x`],
    ['t eyJabcdefg.abcd.sig x', 't eyJabcdefg.abcd.sig x'],
    ['t eyJabcdefgh.abc.sig x', 't eyJabcdefgh.abc.sig x'],
    ['t eyJabcdefgh x', 't eyJabcdefgh x'],
    ['t eyJabcdefgh.abcd x', 't eyJabcdefgh.abcd x'],
    ['t 1eyJabcdefgh.abcd.sig x', 't 1eyJabcdefgh.abcd.sig x'],
    ['t -eyJabcdefgh.abcd.sig x', `t -${R} x`],
    ['t eyjabcdefgh.abcd.sig x', 't eyjabcdefgh.abcd.sig x'],
  ])('%j → %j', (text, expected) => {
    expect(redactSecrets(text)).toBe(expected);
  });

  it('a failed JWT start does not hide a later one', () => {
    expect(redactSecrets('eyJshort.eyJabcdefgh.abcd.sig')).toBe(`eyJshort.${R}`);
    expect(redactSecrets('eyJabcdefgh.ab eyJabcdefgh.abcd.s')).toBe(`eyJabcdefgh.ab ${R}`);
  });
});

describe('user:pass@ in URLs', () => {
  it.each([
    ['see https://user:pass@host/p', `see https://${R}@host/p`],
    ['//u@h', `//${R}@h`],
    ['//@host', '//@host'],
    ['https://host/path@x', 'https://host/path@x'],
    ['https://host?q@x', 'https://host?q@x'],
    ['https://host#f@x', 'https://host#f@x'],
    ['https://host x@y', 'https://host x@y'],
    ['https://host', 'https://host'],
    ['a / b // c', 'a / b // c'],
  ])('%j → %j', (text, expected) => {
    expect(redactSecrets(text)).toBe(expected);
  });
});

describe('name=value pairs', () => {
  it.each([
    ['api_key=abc', `api_key=${R}`],
    ['API_KEY=abc', `API_KEY=${R}`],
    ['X-Api-Key: abc1', `X-Api-Key: ${R}`],
    ['"api_key"=abc', `"api_key"=${R}`],
    ["api_key='abc'", `api_key='${R}'`],
    ['-api_key=abc', `-api_key=${R}`],
    ['1api_key=abc', '1api_key=abc'],
    ['my.api_key=abc', `my.api_key=${R}`],
    ['session_id=abc', `session_id=${R}`],
    ['user_id=abc', 'user_id=abc'],
    ['max_tokens=10', 'max_tokens=10'],
    ['token=', 'token='],
    ['token= ', 'token= '],
  ])('%j → %j', (text, expected) => {
    expect(redactSecrets(text)).toBe(expected);
  });

  it.each(['"', "'", '&', ',', ';', '?', '=', '#', '<', '>', ')', '}', ']', ' ', '\t'])(
    'the value stops at %j',
    (stop) => {
      expect(redactSecrets(`token=abc${stop}rest`)).toBe(`token=${R}${stop}rest`);
    },
  );

  it('the value runs over characters that do not stop it', () => {
    expect(redactSecrets('token=a:b/c.d(e{f[g!h x')).toBe(`token=${R} x`);
  });

  it('up to 16 spaces on each side of the separator', () => {
    const s16 = ' '.repeat(16);
    const s17 = ' '.repeat(17);
    expect(redactSecrets(`api_key=${s16}abc1`)).toBe(`api_key=${s16}${R}`);
    expect(redactSecrets(`api_key=${s17}abc1`)).toBe(`api_key=${s17}abc1`);
    expect(redactSecrets(`api_key${s16}=abc1`)).toBe(`api_key${s16}=${R}`);
    expect(redactSecrets(`api_key${s17}=abc1`)).toBe(`api_key${s17}=abc1`);
    expect(redactSecrets(`"api_key"${s16}:${s16}"abc1"`)).toBe(`"api_key"${s16}:${s16}"${R}"`);
  });

  it('after an unquoted colon a plain word of up to 24 letters is prose', () => {
    expect(redactSecrets('token: expired')).toBe('token: expired');
    expect(redactSecrets('token: Expired')).toBe('token: Expired');
    expect(redactSecrets('token: EXPIRED')).toBe('token: EXPIRED');
    expect(redactSecrets('token: eXpired')).toBe(`token: ${R}`);
    expect(redactSecrets('token: ExPired')).toBe(`token: ${R}`);
    expect(redactSecrets('token: expired1')).toBe(`token: ${R}`);
    expect(redactSecrets(`token: ${'a'.repeat(24)}`)).toBe(`token: ${'a'.repeat(24)}`);
    expect(redactSecrets(`token: ${'a'.repeat(25)}`)).toBe(`token: ${R}`);
    // Not after `=`, nor quoted.
    expect(redactSecrets('token=expired')).toBe(`token=${R}`);
    expect(redactSecrets('token: "expired"')).toBe(`token: "${R}"`);
  });

  it('a lone scheme as the value stays (the Bearer rule judges what follows)', () => {
    expect(redactSecrets('Authorization: Bearer')).toBe('Authorization: Bearer');
    expect(redactSecrets('authorization=Basic')).toBe('authorization=Basic');
    expect(redactSecrets('Authorization: Bearer abcde1')).toBe(`Authorization: Bearer ${R}`);
    expect(redactSecrets('auth=Bearerx')).toBe(`auth=${R}`);
  });

  it('a name ends in one of the last letters of secret words', () => {
    for (const name of [
      'auth',
      'authn',
      'authz',
      'password',
      'cookie',
      'credentials',
      'jwt',
      'sig',
      'key',
      'secret_id',
      'pwd',
      'passphrase',
    ]) {
      expect(redactSecrets(`${name}=abc1`)).toBe(`${name}=${R}`);
    }
    for (const name of ['model', 'param', 'type', 'count']) {
      expect(redactSecrets(`${name}=abc1`)).toBe(`${name}=abc1`);
    }
  });

  it('a colon or equals right after a redaction does not read the redacted text as a name', () => {
    expect(redactSecrets('api_key=abc1 key:x1')).toBe(`api_key=${R} key:${R}`);
    expect(redactSecrets('sk-abcdef:value1')).toBe(`${R}:value1`);
  });
});

describe('credentials the request carried, next to shapes', () => {
  it('a credential before a shape match: both go, in order', () => {
    expect(redactSecrets('cred-12345678 then sk-abcdef', ['cred-12345678'])).toBe(`${R} then ${R}`);
  });

  it('a credential touching a shape match merges into one REDACTED', () => {
    expect(redactSecrets('Bearer abcdefghijklmnop1!!!!!!!! end', ['!!!!!!!!'])).toBe(`Bearer ${R} end`);
  });

  it('a credential inside a shape match does not shorten it', () => {
    expect(redactSecrets('k gsk_abcdefgh12345678 x', ['abcdefgh'])).toBe(`k ${R} x`);
  });

  it('credentials of exactly 8 and 4096 characters are searched for; 4097 are not', () => {
    const long = 'q'.repeat(4096);
    expect(redactSecrets(`a ${long} b`, [long])).toBe(`a ${R} b`);
    const longer = 'q'.repeat(4097);
    expect(redactSecrets(`a ${longer} b`, [longer])).toBe(`a ${longer} b`);
    expect(redactSecrets('a qqqqqqqq b', ['qqqqqqqq'])).toBe(`a ${R} b`);
  });

  it('overlapping occurrences of one credential: each non-overlapping one goes', () => {
    expect(redactSecrets('abababababab', ['abababab'])).toBe(`${R}abab`);
  });
});

describe('redactMessage at the cut', () => {
  it('floors a fractional length; -Infinity is 0', () => {
    expect(redactMessage('abcdef', 3.7)).toBe('abc');
    expect(redactMessage('abcdef', Number.NEGATIVE_INFINITY)).toBe('');
  });

  it('a credential that starts before the examined window ends is redacted, one that starts after is cut off', () => {
    const credential = 'qwertyuiop';
    const head = 'w '.repeat(600);
    // The window is 10 + 1024 characters: the credential starts inside it.
    expect(redactMessage(`${head.slice(0, 1030)}${credential} tail`, 10, [credential])).toBe('w w w w w ');
    expect(redactMessage(`${'w '.repeat(10)}${credential}`, 1000, [credential])).toBe(
      `${'w '.repeat(10)}${R}`,
    );
  });

  it('a token cut by the window is redacted back at most 1024 characters: from the limit on, never before it', () => {
    // Without redactions before it nothing visible changes; one character further back would.
    expect(redactMessage('x'.repeat(2000), 10)).toBe('x'.repeat(10));
    expect(redactMessage(`ab ${'x'.repeat(2000)}`, 5)).toBe('ab xx');
    // Cut right after a space: nothing is split.
    const words = `${'word '.repeat(205)}tail`;
    expect(redactMessage(words, 1)).toBe('w');
    expect(redactMessage(`${'x'.repeat(1030)} y`, 1)).toBe('x');
  });

  it('keeps a text shorter than the window as it is', () => {
    expect(redactMessage('plain words only', 100)).toBe('plain words only');
  });
});

describe('truncate at surrogates', () => {
  it.each([
    ['\ud800\udc00x', 1, ''],
    ['\udbff\udfffx', 1, ''],
    ['\udc00x', 1, '\udc00'],
    ['\ud7ffx', 1, '\ud7ff'],
    ['\ue000x', 1, '\ue000'],
    ['ab', 2.9, 'ab'],
    ['abc', 2.9, 'ab'],
  ])('%j to %d → %j', (text, max, expected) => {
    expect(truncate(text, max)).toBe(expected);
  });

  it('returns an empty string for a non-string', () => {
    expect(truncate(7 as unknown as string, 3)).toBe('');
  });
});

describe('edges found by mutation testing', () => {
  it('the fragmented-run rule counts a piece at every class change except upper to lower case', () => {
    // 21 pieces in 50 letters and digits (42%: the threshold), 8 separators in 58 characters.
    const random = '3323Bb-XXx-330C-200bcacb-aaxxbB3-Cb0-12XBbb-b1BAA-BB222bc2';
    expect(redactSecrets(`x ${random} y`)).toBe(`x ${R} y`);
    // One piece fewer (Cb0 → Cbb): below the threshold.
    const calmer = random.replace('Cb0', 'Cbb');
    expect(redactSecrets(`x ${calmer} y`)).toBe(`x ${calmer} y`);
  });

  it('a key body stops at characters outside its alphabet', () => {
    expect(redactSecrets('sk-abc~def')).toBe(`${R}~def`);
    expect(redactSecrets('sk-abc{def')).toBe(`${R}{def`);
    expect(redactSecrets('sk-abc|def')).toBe(`${R}|def`);
  });

  it('a JWT needs a dot right after its first part', () => {
    expect(redactSecrets('eyJabcdefgh abcd.sig x')).toBe('eyJabcdefgh abcd.sig x');
  });

  it('padding after Bearer is not a credential by itself', () => {
    expect(redactSecrets('Bearer ====== x')).toBe('Bearer ====== x');
    expect(redactSecrets('Bearer abcde1== x')).toBe(`Bearer ${R} x`);
  });

  it('credentials that are not strings are skipped, not stringified', () => {
    expect(
      redactSecrets('error 42 and 4242424242', [42 as unknown as string, 4242424242 as unknown as string]),
    ).toBe('error 42 and 4242424242');
  });

  it('never throws: a credentials list that throws when read gives an empty string', () => {
    const hostile = new Proxy([] as string[], {
      get(target, key) {
        if (key === Symbol.iterator) throw new Error('boom');
        return Reflect.get(target, key);
      },
    });
    expect(redactSecrets('text sk-abcdef', hostile)).toBe('');
    expect(redactMessage('text sk-abcdef', 100, hostile)).toBe('');
  });

  it('truncate keeps a text of exactly the limit, even one ending in a lone high surrogate', () => {
    expect(truncate('a\ud83d', 2)).toBe('a\ud83d');
    expect(truncate('ab', 2)).toBe('ab');
  });

  describe('a token cut by the window goes whole once earlier redactions bring it into view', () => {
    // 25 keys of 40 characters shrink to 9 each: the 300 visible characters reach past the cut
    // (300 + 1024 = 1324) of the original text.
    const keys = `sk-${'a'.repeat(36)} `.repeat(25);
    const shown = 'REDACTED '.repeat(25);
    const at = (inner: string) => `${keys}${'q'.repeat(100)}${inner}${'q'.repeat(400)}`;

    it.each(['q', '=', '!', '~', '*', '/', '+', '.', ':', '@', '$'])(
      'token character %j: the whole token from its start',
      (inner) => {
        expect(redactMessage(at(inner), 300)).toBe(`${shown}${R}`);
      },
    );

    it.each([' ', '\u007f', '&', '"', "'", ',', ';', '?', '#', '<', '>', ')', '}', ']', '\u00e9'])(
      'non-token character %j: from after it',
      (inner) => {
        expect(redactMessage(at(inner), 300)).toBe(truncate(`${shown}${'q'.repeat(100)}${inner}${R}`, 300));
      },
    );

    it('a cut right after or right before a token splits nothing', () => {
      const endsAtCut = `${keys}${'q'.repeat(324)} tail${'x'.repeat(500)}`;
      expect(redactMessage(endsAtCut, 300)).toBe(truncate(`${shown}${'q'.repeat(324)} tail`, 300));
      const startsAtCut = `${keys}${'q'.repeat(323)} ${'x'.repeat(500)}`;
      expect(redactMessage(startsAtCut, 300)).toBe(truncate(`${shown}${'q'.repeat(323)} `, 300));
    });
  });
});

describe('redactMessage: a credential beyond the examined window', () => {
  it('is not searched for, so text past the window never shows even when redactions left room', () => {
    // One key fills the window (20 + 1024): its REDACTED leaves the message far below the limit.
    const text = `sk-${'a'.repeat(1037)} abc ${'z'.repeat(55)}SECRETCRED123 tail`;
    expect(redactMessage(text, 20, ['SECRETCRED123'])).toBe(`${R} abc`);
    expect(redactMessage(text, 20)).toBe(`${R} abc`);
  });
});

describe('a credential that begins with a scheme name', () => {
  it.each([
    ['Bearer Basic-abcdefgh1', `Bearer ${R}`],
    ['Authorization: Bearer bearer.abcdefghij123', `Authorization: Bearer ${R}`],
    ['Bearer Bearer-Xy7abc9Qw2 x', `Bearer ${R} x`],
    // A scheme followed by whitespace is a nested scheme, judged on its own.
    ['Bearer Basic dXNlcjpwYXNzd29yZA==', `Bearer Basic ${R}`],
    ['Bearer Basic, Digest', 'Bearer Basic, Digest'],
  ])('%j → %j', (text, expected) => {
    expect(redactSecrets(text)).toBe(expected);
  });
});
