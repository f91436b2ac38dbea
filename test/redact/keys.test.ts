/**
 * Random keys of every known shape never survive redaction (issue 16 items 2 and 3), wherever they
 * sit in random text, and the exact credentials of a request go whatever they look like.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ID_PREFIXES, redactMessage, redactSecrets } from '../../src/redact/text.ts';
import { runs } from './runs.ts';

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const ALNUM = UPPER + LOWER + DIGITS;
const HEX = '0123456789abcdef';

function chars(alphabet: string, minLength: number, maxLength: number): fc.Arbitrary<string> {
  return fc.string({ unit: fc.constantFrom(...alphabet), minLength, maxLength });
}

/** One upper-case letter, one lower-case letter and one digit somewhere in `body`. */
function withAllClasses(body: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(body, fc.constantFrom(...UPPER), fc.constantFrom(...LOWER), fc.constantFrom(...DIGITS), fc.nat())
    .map(([text, u, l, d, at]) => {
      const i = text.length === 0 ? 0 : at % text.length;
      return `${text.slice(0, i)}${u}${l}${d}${text.slice(i)}`;
    });
}

/** Keys in each provider's format (prefix and a body of the provider's alphabet and length). */
const PREFIXED: Record<string, fc.Arbitrary<string>> = {
  'sk- (OpenAI legacy)': chars(ALNUM, 48, 48).map((b) => `sk-${b}`),
  'sk-proj-': chars(`${ALNUM}-_`, 40, 156).map((b) => `sk-proj-${b}`),
  'sk-or-v1-': chars(HEX, 64, 64).map((b) => `sk-or-v1-${b}`),
  'sk-ant-': chars(`${ALNUM}-_`, 80, 95).map((b) => `sk-ant-api03-${b}`),
  sk_live_: chars(ALNUM, 24, 99).map((b) => `sk_live_${b}`),
  'rk-': chars(ALNUM, 20, 60).map((b) => `rk-${b}`),
  'gsk_ (Groq)': chars(ALNUM, 52, 52).map((b) => `gsk_${b}`),
  'xai- (xAI)': chars(ALNUM, 80, 80).map((b) => `xai-${b}`),
  'ghp_ (GitHub)': chars(ALNUM, 36, 36).map((b) => `ghp_${b}`),
  github_pat_: chars(`${ALNUM}_`, 82, 82).map((b) => `github_pat_${b}`),
  'AIza (Google)': chars(`${ALNUM}-_`, 35, 35).map((b) => `AIza${b}`),
  'hf_ (Hugging Face)': chars(UPPER + LOWER, 34, 34).map((b) => `hf_${b}`),
  'r8_ (Replicate)': chars(ALNUM, 37, 37).map((b) => `r8_${b}`),
  'pplx- (Perplexity)': chars(ALNUM, 48, 48).map((b) => `pplx-${b}`),
  'AKIA (AWS access key id)': chars(UPPER + DIGITS, 16, 16).map((b) => `AKIA${b}`),
  'masked echo': fc
    .tuple(fc.constantFrom('sk-', 'sk-proj-', 'gsk_', 'xai-', 'ghp_'), chars(ALNUM, 3, 6), chars(ALNUM, 4, 4))
    .map(([prefix, head, tail]) => `${prefix}${head}${'*'.repeat(20)}${tail}`),
};

const base64url = `${ALNUM}-_`;
const jwtPart = chars(base64url, 10, 200);

/** Keys without a prefix. */
const OPAQUE: Record<string, fc.Arbitrary<string>> = {
  'JWT (header.payload.signature)': fc
    .tuple(jwtPart, jwtPart, chars(base64url, 0, 86))
    .map(([h, p, s]) => `eyJ${h}.eyJ${p}.${s}`),
  '32+ hex (Azure, Together)': chars(HEX, 32, 128),
  '32+ upper-case hex': chars('0123456789ABCDEF', 32, 64),
  'base62 of 32+ mixing cases and digits (Mistral, Cohere)': withAllClasses(chars(ALNUM, 29, 61)),
  'base64url of 40+, at most one - or _ per 8 characters': withAllClasses(chars(ALNUM, 37, 61)).chain(
    (body) =>
      fc
        .array(fc.tuple(fc.nat(body.length), fc.constantFrom('-', '_')), {
          maxLength: Math.floor((body.length + 1) / 8),
        })
        .map((seps) => {
          let out = body;
          for (const [at, sep] of seps) out = `${out.slice(0, at)}${sep}${out.slice(at)}`;
          return out;
        }),
  ),
};

/** Text around a key: random, or the words messages put before and after one. */
const surrounding = fc.oneof(
  fc.string({ maxLength: 40 }).map((text) => `${text} `),
  fc.constantFrom(
    'Incorrect API key provided: ',
    'Invalid key: "',
    'api_key=',
    '{"api_key":"',
    'Authorization: Bearer ',
    'token ',
    '(',
    '`',
    "'",
    'key=',
  ),
);
const after = fc.oneof(
  fc.string({ maxLength: 40 }).map((text) => ` ${text}`),
  fc.constantFrom('.', '. You can find your API key at https://x', '"', '")', '`', "'", '&x=1', ',', ' '),
);

describe('keys never survive (property)', () => {
  for (const [name, key] of Object.entries({ ...PREFIXED, ...OPAQUE })) {
    it(name, () => {
      // A random token that happens to begin like a provider id (`req-…`, `gen-…`) is an id by
      // design (text.ts ID_PREFIXES): not a key this property is about. Seen once in CI.
      const notAnId = key.filter((k) => !ID_PREFIXES.some((prefix) => k.startsWith(prefix)));
      fc.assert(
        fc.property(surrounding, notAnId, after, (before, k, rest) => {
          const text = `${before}${k}${rest}`;
          expect(redactSecrets(text)).not.toContain(k);
          expect(redactMessage(text, 1024)).not.toContain(k);
          // Nor any long piece of it.
          for (let i = 0; i + 16 <= k.length; i += 8)
            expect(redactSecrets(text)).not.toContain(k.slice(i, i + 16));
        }),
        { numRuns: runs(300) },
      );
    });
  }
});

describe('the exact credentials a request carried never survive (property)', () => {
  it('any printable credential of 8+ characters, anywhere, any number of times', () => {
    const credential = fc.string({
      unit: fc.constantFrom(...`${ALNUM}-_.~+/=:@!$%`),
      minLength: 8,
      maxLength: 80,
    });
    fc.assert(
      fc.property(
        credential,
        fc.array(fc.string({ maxLength: 30 }), { minLength: 1, maxLength: 4 }),
        (secret, parts) => {
          const text = parts.join(secret);
          const out = redactSecrets(`${text}${secret}`, [secret]);
          expect(out).not.toContain(secret);
          expect(redactMessage(`${text}${secret}`, 1024, [secret])).not.toContain(secret);
        },
      ),
      { numRuns: runs(500) },
    );
  });
});
