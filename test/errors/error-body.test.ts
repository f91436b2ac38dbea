import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  describeHttpError,
  type HttpErrorDescription,
  parseProviderError,
  readProviderError,
} from '../../src/errors/error-body.ts';

/** The seeds' statuses with what each means, and the retry verdict from their retry tables. */
const SEED_STATUSES = [
  { status: 400, type: 'invalid_request_error', message: 'Malformed request body', retryable: false },
  { status: 401, type: 'authentication_error', message: 'Invalid API key', retryable: false },
  { status: 402, type: 'insufficient_balance', message: 'Insufficient credits', retryable: false },
  {
    status: 403,
    type: 'permission_denied',
    message: 'Key does not have access to this resource',
    retryable: false,
  },
  { status: 404, type: 'not_found', message: 'Invalid endpoint or model ID', retryable: false },
  { status: 429, type: 'rate_limit_exceeded', message: 'Rate limit exceeded', retryable: true },
  { status: 500, type: 'internal_error', message: 'Something went wrong on our end', retryable: true },
  { status: 502, type: 'processing_error', message: 'Upstream provider error', retryable: true },
  { status: 503, type: 'service_unavailable', message: 'Service temporarily down', retryable: true },
] as const;

type Seed = (typeof SEED_STATUSES)[number];

const FORMATS: { name: string; body: (s: Seed) => string; expected: (s: Seed) => HttpErrorDescription }[] = [
  {
    name: 'Cline {"error":{"code":<status>,"message","metadata":{}}}',
    body: (s) => JSON.stringify({ error: { code: s.status, message: s.message, metadata: {} } }),
    expected: (s) => ({
      errorType: String(s.status),
      message: s.message,
      retryable: s.retryable,
      spendCap: false,
    }),
  },
  {
    name: 'OpenAI {"error":{"message","type","param":null,"code":null}}',
    body: (s) => JSON.stringify({ error: { message: s.message, type: s.type, param: null, code: null } }),
    expected: (s) => ({ errorType: s.type, message: s.message, retryable: s.retryable, spendCap: false }),
  },
  {
    name: 'CheapAI {"success":false,"error":"..."}',
    body: (s) => JSON.stringify({ success: false, error: s.message }),
    expected: (s) => ({
      errorType: String(s.status),
      message: s.message,
      retryable: s.retryable,
      spendCap: false,
    }),
  },
  {
    name: 'CheapAI {"error":{"message","type"}}',
    body: (s) => JSON.stringify({ error: { message: s.message, type: s.type } }),
    expected: (s) => ({ errorType: s.type, message: s.message, retryable: s.retryable, spendCap: false }),
  },
  {
    name: 'plain {"message","code"}',
    body: (s) => JSON.stringify({ message: s.message, code: s.type }),
    expected: (s) => ({ errorType: s.type, message: s.message, retryable: s.retryable, spendCap: false }),
  },
  {
    name: 'FastAPI {"detail":"..."}',
    body: (s) => JSON.stringify({ detail: s.message }),
    expected: (s) => ({
      errorType: String(s.status),
      message: s.message,
      retryable: s.retryable,
      spendCap: false,
    }),
  },
  {
    name: 'no body',
    body: () => '',
    expected: (s) => ({
      errorType: String(s.status),
      message: undefined,
      retryable: s.retryable,
      spendCap: false,
    }),
  },
];

describe('describeHttpError: every seed status in every body format', () => {
  for (const format of FORMATS) {
    it.each(SEED_STATUSES)(`${format.name} $status`, (seed) => {
      expect(describeHttpError({ status: seed.status, body: format.body(seed) })).toEqual(
        format.expected(seed),
      );
    });
  }

  it('treats an absent body like an empty one', () => {
    expect(describeHttpError({ status: 503, body: undefined })).toEqual({
      errorType: '503',
      message: undefined,
      retryable: true,
      spendCap: false,
    });
  });
});

describe('describeHttpError: details', () => {
  it('takes string codes, provider name and provider request id from OpenRouter/Cline metadata', () => {
    const body = JSON.stringify({
      error: {
        code: 'context_length_exceeded',
        message: "The input exceeds the model's maximum context length.",
        metadata: { provider_name: 'Anthropic', request_id: 'req_upstream_1', raw: '{"x":1}' },
      },
    });
    expect(describeHttpError({ status: 400, body })).toEqual({
      errorType: 'context_length_exceeded',
      message: "The input exceeds the model's maximum context length.",
      retryable: false,
      spendCap: false,
      provider: 'Anthropic',
      providerRequestId: 'req_upstream_1',
    });
  });

  it.each([
    [{ provider_request_id: 'a1' }, 'a1'],
    [{ requestId: 'b2' }, 'b2'],
    [{ request_id: 42 }, '42'],
    [{ request_id: '' }, undefined],
  ])('reads the provider request id from metadata %j', (metadata, expected) => {
    const error = parseProviderError(JSON.stringify({ error: { code: 502, message: 'm', metadata } }));
    expect(error?.providerRequestId).toBe(expected);
  });

  it('prefers the code over the type, and the type over a null code', () => {
    expect(
      parseProviderError('{"error":{"message":"m","type":"invalid_request_error","code":"model_not_found"}}'),
    ).toEqual({
      code: 'model_not_found',
      message: 'm',
      provider: undefined,
      providerRequestId: undefined,
    });
    expect(
      parseProviderError('{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}')?.code,
    ).toBe('overloaded_error');
  });

  it('redacts secrets echoed in the message and truncates it on a code point boundary', () => {
    const body = JSON.stringify({
      error: {
        message: `Incorrect API key provided: sk-proj-abc123***wxyz. ${'😀'.repeat(600)}`,
        type: 'invalid_request_error',
        code: 'invalid_api_key',
      },
    });
    const description = describeHttpError({ status: 401, body, maxMessageLength: 40 });
    expect(description).toEqual({
      errorType: 'invalid_api_key',
      message: 'Incorrect API key provided: REDACTED. 😀',
      retryable: false,
      spendCap: false,
    });
    expect(describeHttpError({ status: 401, body, maxMessageLength: 39 }).message).toBe(
      'Incorrect API key provided: REDACTED. ',
    );
    expect(describeHttpError({ status: 401, body }).message).toHaveLength(1024);
  });

  it('ignores codes that cannot be an error.type (too long, free text, credentials)', () => {
    for (const code of ['x'.repeat(65), 'Rate limit exceeded, please wait', 'sk-abcdef123456', true, 1.5]) {
      expect(
        describeHttpError({ status: 429, body: JSON.stringify({ error: { code, message: 'm' } }) }).errorType,
      ).toBe('429');
    }
  });

  it('distinguishes a CheapAI spend-cap 429 from an ordinary rate limit', () => {
    expect(
      describeHttpError({
        status: 429,
        body: '{"success":false,"error":"API key reached its daily spend limit"}',
      }),
    ).toEqual({
      errorType: '429',
      message: 'API key reached its daily spend limit',
      retryable: false,
      spendCap: true,
    });
    expect(
      describeHttpError({
        status: 429,
        body: '{"error":{"message":"Daily spend cap reached","type":"spend_cap_reached"}}',
      }),
    ).toEqual({
      errorType: 'spend_cap_reached',
      message: 'Daily spend cap reached',
      retryable: false,
      spendCap: true,
    });
    expect(
      describeHttpError({ status: 429, body: '{"success":false,"error":"Too many requests, slow down"}' }),
    ).toEqual({
      errorType: '429',
      message: 'Too many requests, slow down',
      retryable: true,
      spendCap: false,
    });
  });

  it('treats OpenAI insufficient_quota as a spend cap, not retryable', () => {
    const body = JSON.stringify({
      error: {
        message: 'You exceeded your current quota, please check your plan and billing details.',
        type: 'insufficient_quota',
        param: null,
        code: 'insufficient_quota',
      },
    });
    expect(describeHttpError({ status: 429, body })).toEqual({
      errorType: 'insufficient_quota',
      message: 'You exceeded your current quota, please check your plan and billing details.',
      retryable: false,
      spendCap: true,
    });
  });

  it('reads a mid-stream error object (already parsed)', () => {
    expect(readProviderError({ code: 'server_error', message: 'Upstream provider failed' })).toEqual({
      code: 'server_error',
      message: 'Upstream provider failed',
      provider: undefined,
      providerRequestId: undefined,
    });
    expect(readProviderError({ finish_reason: 'error' })).toBeUndefined();
  });
});

describe('bodies that carry no usable error fall back to the status', () => {
  const nested = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
  const deepError = `{"error":${'['.repeat(50_000)}${']'.repeat(50_000)}}`;
  const huge = JSON.stringify({ error: { code: 'too_big', message: 'x'.repeat(10 * 1024 * 1024) } });
  it.each([
    ['non-JSON text', 'Bad Gateway'],
    ['HTML', '<html><body><h1>502 Bad Gateway</h1></body></html>'],
    ['truncated JSON', '{"error":{"code":"context_length_exceeded","message":"The inp'],
    ['binary', Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0xfe, 0x00, 0x7b]).toString('latin1')],
    ['an array', '[{"error":{"message":"m"}}]'],
    ['null', 'null'],
    ['a JSON string', '"error"'],
    ['an empty object', '{}'],
    ['success:false without error', '{"success":false}'],
    ['error without code or message', '{"error":{"metadata":{"provider_name":"x"}}}'],
    ['deeply nested JSON', nested],
    ['deeply nested error', deepError],
    ['a 10 MB error body', huge],
  ])('%s', (_name, body) => {
    expect(parseProviderError(body)).toBeUndefined();
    expect(describeHttpError({ status: 502, body })).toEqual({
      errorType: '502',
      message: undefined,
      retryable: true,
      spendCap: false,
    });
  });
});

describe('never throws, never leaks (property)', () => {
  const alnum = fc.constantFrom(...'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ0123456789');
  const token = fc.string({ unit: alnum, minLength: 20, maxLength: 40 });
  const secret = fc.tuple(fc.constantFrom('sk-', 'sk_', 'sk-or-v1-', 'Bearer ', 'api_key='), token);
  const status = fc.integer({ min: 100, max: 699 });

  it('arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), status, (body, s) => {
        parseProviderError(body);
        const d = describeHttpError({ status: s, body });
        expect(typeof d.errorType).toBe('string');
      }),
      { numRuns: 500 },
    );
  });

  it('arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), status, (value, s) => {
        const body = JSON.stringify(value) ?? '';
        parseProviderError(body);
        const d = describeHttpError({ status: s, body });
        if (d.message !== undefined) expect(d.message.length).toBeLessThanOrEqual(1024);
      }),
      { numRuns: 500 },
    );
  });

  it('error bodies with an embedded secret', () => {
    const shape = fc.constantFrom(
      (m: string, c: string) => ({
        error: { code: c, message: m, metadata: { provider_name: m, request_id: m } },
      }),
      (m: string, c: string) => ({ error: { message: m, type: c, param: null, code: null } }),
      (m: string) => ({ success: false, error: m }),
      (m: string, c: string) => ({ message: m, code: c }),
      (m: string) => ({ detail: m }),
    );
    fc.assert(
      fc.property(
        shape,
        fc.string(),
        secret,
        fc.string(),
        status,
        fc.integer({ min: 1, max: 2000 }),
        (make, before, [prefix, value], after, s, max) => {
          const text = `${before} ${prefix}${value} ${after}`;
          const body = JSON.stringify(make(text, `${prefix}${value}`));
          const parsed = parseProviderError(body);
          expect(JSON.stringify(parsed ?? {})).not.toContain(value);
          const d = describeHttpError({ status: s, body, maxMessageLength: max });
          expect(JSON.stringify(d)).not.toContain(value);
          expect(d.message).toBeDefined();
        },
      ),
      { numRuns: 1000 },
    );
  });
});
