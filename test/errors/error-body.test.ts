import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  describeHttpError,
  type HttpErrorDescription,
  MAX_PARSED_BODY_CHARS,
  parseProviderError,
  readProviderError,
} from '../../src/errors/error-body.ts';
import { codeShaped } from '../../src/errors/error-code.ts';

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

describe('codeShaped: what may become error.type', () => {
  it.each([
    ['context_length_exceeded', 'context_length_exceeded'],
    ['RESOURCE_EXHAUSTED', 'RESOURCE_EXHAUSTED'],
    ['overloaded_error', 'overloaded_error'],
    ['insufficient_quota', 'insufficient_quota'],
    ['invalid_api_key', 'invalid_api_key'],
    ['429', '429'],
    [429, '429'],
    [3505, '3505'],
    ['  rate_limit  ', 'rate_limit'],
    ['litellm.RateLimitError', 'litellm.RateLimitError'],
    ['ThrottlingException', 'ThrottlingException'],
    ['HPE_INVALID_CHUNK_SIZE', 'HPE_INVALID_CHUNK_SIZE'],
    ['ERR_HTTP2_STREAM_ERROR', 'ERR_HTTP2_STREAM_ERROR'],
    ['x'.repeat(64), 'x'.repeat(64)],
  ])('%j → %j', (value, expected) => {
    expect(codeShaped(value)).toBe(expected);
  });

  it.each([
    ['a key after a code', 'invalid_api_key:sk-proj-abc123'],
    ['a key after a code, with a space', 'invalid_api_key: sk-proj-abc123'],
    ['a bare sk- key', 'sk-abcdef123456'],
    ['a short sk- key', 'sk-a'],
    ['a Groq key', 'gsk_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMN'],
    ['a Groq key prefix', 'gsk_1'],
    ['an xAI key', 'xai-AbCdEf0123456789'],
    ['a Google key', 'AIzaSyA-1234567890abcdefghij'],
    ['a JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig'],
    ['32 hex', '0123456789abcdef0123456789abcdef'],
    ['a random token', 'aB3dE5gH7jK9mN1pQ3sT'],
    ['a uuid', '550e8400-e29b-41d4-a716-446655440000'],
    ['a request id', 'req_7f3a9c21b4'],
    ['a timestamp', '1733558400000'],
    ['free text', 'Rate limit reached for gpt-4o in organization org-abc'],
    [
      'free text with a request id',
      'Rate limit reached. Request id req_3f2a9c1e-8b7d-4e6f-a5c4-1d2e3f4a5b6c',
    ],
    ['a tab', 'rate\tlimit'],
    ['65 characters', 'x'.repeat(65)],
    ['a leading separator', '_internal'],
    ['empty', ''],
    ['only spaces', '   '],
    ['non-ASCII', 'invalid_api_key:sk-proj-abc…'],
    ['a float', 1.5],
    ['NaN', Number.NaN],
    ['a negative number', -1],
    ['a boolean', true],
    ['null', null],
    ['an object', { code: 'x' }],
  ])('rejects %s', (_name, value) => {
    expect(codeShaped(value)).toBeUndefined();
  });

  it('a body whose code carries the key falls back to the status, and the key is not exported', () => {
    const body = JSON.stringify({ error: { code: 'invalid_api_key:sk-proj-abc123', message: 'bad key' } });
    expect(describeHttpError({ status: 401, body })).toEqual({
      errorType: '401',
      message: 'bad key',
      retryable: false,
      spendCap: false,
    });
  });
});

describe("describeHttpError: the request's own credentials", () => {
  const groqKey = 'gsk_r4nd0mGr0qK3yW1thN0Sk';
  const hexKey = '9f2c1e7ab44d0c3e';

  it('strips them from the message whatever their shape', () => {
    const body = JSON.stringify({
      error: {
        message: `Incorrect API key provided: ${hexKey}. Key ${hexKey} is revoked.`,
        code: 'invalid_api_key',
      },
    });
    expect(describeHttpError({ status: 401, body })).toEqual({
      errorType: 'invalid_api_key',
      message: `Incorrect API key provided: ${hexKey}. Key ${hexKey} is revoked.`,
      retryable: false,
      spendCap: false,
    });
    expect(describeHttpError({ status: 401, body, credentials: [hexKey] })).toEqual({
      errorType: 'invalid_api_key',
      message: 'Incorrect API key provided: REDACTED. Key REDACTED is revoked.',
      retryable: false,
      spendCap: false,
    });
  });

  it('strips them from the provider name and request id too', () => {
    const body = JSON.stringify({
      error: {
        code: 502,
        message: 'upstream',
        metadata: { provider_name: `p-${hexKey}`, request_id: `r-${hexKey}` },
      },
    });
    expect(describeHttpError({ status: 502, body, credentials: [hexKey] })).toEqual({
      errorType: '502',
      message: 'upstream',
      retryable: true,
      spendCap: false,
      provider: 'p-REDACTED',
      providerRequestId: 'r-REDACTED',
    });
  });

  it('parseProviderError and readProviderError take them as well', () => {
    const body = JSON.stringify({ error: { message: `bad ${hexKey}x`, type: 'authentication_error' } });
    expect(parseProviderError(body)?.message).toBe(`bad ${hexKey}x`);
    expect(parseProviderError(body, [hexKey])?.message).toBe('bad REDACTEDx');
    expect(readProviderError({ message: `bad ${hexKey}` }, [hexKey])?.message).toBe('bad REDACTED');
  });

  it('a Groq key is caught by its shape even without the credentials', () => {
    const body = JSON.stringify({ error: { message: `Incorrect API key provided: ${groqKey}.` } });
    expect(describeHttpError({ status: 401, body }).message).toBe('Incorrect API key provided: REDACTED.');
  });
});

describe('describeHttpError: messages keep their words', () => {
  it.each([
    'Error: {"code": "invalid_type", "param": "max_tokens"}',
    'litellm.AuthenticationError: AuthenticationError: OpenAIException - The api_key client option must be set',
    'Please include the request ID req_0a1b2c3d4e5f67890a1b2c3d4e5f6789 in your message.',
    'token: expired',
  ])('%s', (message) => {
    const body = JSON.stringify({ error: { message, type: 'invalid_request_error' } });
    expect(describeHttpError({ status: 400, body }).message).toBe(message);
  });
});

describe('describeHttpError: bounded work on huge adversarial messages', () => {
  it.each([
    ['-eyJ', 240 * 1024],
    ['a:', 240 * 1024],
    ['_eyJ', 64 * 1024],
  ])('%j × %d characters', (unit, size) => {
    const message = unit.repeat(size / unit.length);
    const body = JSON.stringify({ error: { message, type: 'invalid_request_error' } });
    expect(describeHttpError({ status: 400, body })).toEqual({
      errorType: 'invalid_request_error',
      message: message.slice(0, 1024),
      retryable: false,
      spendCap: false,
    });
    expect(readProviderError(JSON.parse(body))?.message).toBe(message.slice(0, 8192));
  });
});

describe('describeHttpError: Gemini names the error in status', () => {
  it.each([
    [
      { error: { code: 429, message: 'Resource has been exhausted', status: 'RESOURCE_EXHAUSTED' } },
      'RESOURCE_EXHAUSTED',
    ],
    [{ error: { code: '400', message: 'bad', status: 'INVALID_ARGUMENT' } }, 'INVALID_ARGUMENT'],
    [
      { error: { code: 'context_length_exceeded', message: 'm', status: 'INVALID_ARGUMENT' } },
      'context_length_exceeded',
    ],
    [{ error: { code: 429, message: 'm', status: 'error' } }, '429'],
    [{ error: { code: 429, message: 'm', status: 'Rate limited, try later' } }, '429'],
    [{ error: { code: 429, message: 'm', status: 'sk-proj-abc123' } }, '429'],
    [{ status: 'RESOURCE_EXHAUSTED', message: 'm' }, '429'],
  ])('%j → %s', (body, errorType) => {
    expect(describeHttpError({ status: 429, body: JSON.stringify(body) }).errorType).toBe(errorType);
  });
});

describe('a textual type wins over a numeric code', () => {
  it.each([
    [
      'LiteLLM proxy',
      429,
      '{"error":{"message":"litellm.RateLimitError: RateLimitError: OpenAIException - Rate limit","type":"throttling_error","param":null,"code":"429"}}',
      'throttling_error',
    ],
    [
      'Mistral',
      422,
      '{"object":"error","message":"Invalid model: mistral-huge","type":"invalid_model","param":null,"code":"1500"}',
      'invalid_model',
    ],
    [
      'Cline (a number only)',
      402,
      '{"error":{"code":402,"message":"Insufficient credits","metadata":{}}}',
      '402',
    ],
    [
      'OpenAI (a textual code beats the type)',
      400,
      '{"error":{"message":"too long","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}',
      'context_length_exceeded',
    ],
  ])('%s', (_name, status, body, errorType) => {
    expect(describeHttpError({ status, body }).errorType).toBe(errorType);
  });
});

describe('readProviderError: the value as given', () => {
  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'Bad Gateway'],
    ['a number', 502],
    ['an array', [{ error: { code: 'x', message: 'm' } }]],
  ])('%s is not an error object', (_name, value) => {
    expect(readProviderError(value)).toBeUndefined();
  });

  it('a code alone is enough; a message alone is enough', () => {
    expect(readProviderError({ error: { code: 'context_length_exceeded' } })).toEqual({
      code: 'context_length_exceeded',
      message: undefined,
      provider: undefined,
      providerRequestId: undefined,
    });
    expect(readProviderError({ detail: 'Not Found' })?.message).toBe('Not Found');
  });

  it('trims the message; a blank one gives way to the next spelling', () => {
    expect(readProviderError({ error: { message: '  Overloaded \n' } })?.message).toBe('Overloaded');
    expect(readProviderError({ error: { message: '   ' }, message: 'outer' })?.message).toBe('outer');
    expect(readProviderError({ error: { message: ' ' } })).toBeUndefined();
  });

  it('labels: numbers become strings, other values are not labels', () => {
    const read = (request_id: unknown) =>
      readProviderError({ error: { code: 'x', metadata: { request_id } } })?.providerRequestId;
    expect(read(42)).toBe('42');
    expect(read(' r-1 ')).toBe('r-1');
    expect(read(Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(read(Number.NaN)).toBeUndefined();
    expect(read(true)).toBeUndefined();
    expect(read({ id: 'r' })).toBeUndefined();
    expect(read(['r'])).toBeUndefined();
  });
});

describe('parseProviderError: shapes around the error object', () => {
  it('"error": null or an array is not the error object; the top level is read instead', () => {
    for (const error of [null, [], ['x']]) {
      expect(parseProviderError(JSON.stringify({ error, code: 'bad_gateway', message: 'm' }))).toEqual({
        code: 'bad_gateway',
        message: 'm',
        provider: undefined,
        providerRequestId: undefined,
      });
    }
  });

  it('a string "error" is the message; the code and metadata beside it are still read', () => {
    const body = '{"error":"Generation failed","code":"upstream_error","metadata":{"provider_name":"X"}}';
    expect(parseProviderError(body)).toEqual({
      code: 'upstream_error',
      message: 'Generation failed',
      provider: 'X',
      providerRequestId: undefined,
    });
  });

  it('"metadata": null or an array carries no labels and breaks nothing', () => {
    for (const metadata of [null, ['Anthropic'], 'Anthropic']) {
      expect(parseProviderError(JSON.stringify({ error: { code: 'x', message: 'm', metadata } }))).toEqual({
        code: 'x',
        message: 'm',
        provider: undefined,
        providerRequestId: undefined,
      });
    }
  });

  it('reads the request id from the error object or the top level when metadata has none', () => {
    expect(parseProviderError('{"error":{"code":"x","request_id":"req-in-error"}}')?.providerRequestId).toBe(
      'req-in-error',
    );
    expect(parseProviderError('{"error":{"code":"x"},"requestId":"req-top"}')?.providerRequestId).toBe(
      'req-top',
    );
    expect(parseProviderError('{"error":{"code":"x","metadata":{"provider":"Groq"}}}')?.provider).toBe(
      'Groq',
    );
  });

  it('leading whitespace before the JSON is fine', () => {
    expect(parseProviderError(' \n\t{"error":{"code":"x","message":"m"}}')?.code).toBe('x');
  });

  it('parses a body of exactly MAX_PARSED_BODY_CHARS, not one character more', () => {
    const head = '{"error":{"code":"too_big","message":"m"},"pad":"';
    const body = (length: number) => `${head}${'x'.repeat(length - head.length - 2)}"}`;
    expect(body(MAX_PARSED_BODY_CHARS)).toHaveLength(MAX_PARSED_BODY_CHARS);
    expect(parseProviderError(body(MAX_PARSED_BODY_CHARS))?.code).toBe('too_big');
    expect(parseProviderError(body(MAX_PARSED_BODY_CHARS + 1))).toBeUndefined();
  });

  it('a body that is not a string is no error (never throws)', () => {
    for (const body of [undefined, null, 42, { error: { code: 'x' } }]) {
      expect(parseProviderError(body as unknown as string)).toBeUndefined();
    }
  });
});

describe('the code: which field names the error', () => {
  it.each([
    [
      'a textual code with digits in it',
      { error: { code: 'err123', type: 'invalid_request_error' } },
      'err123',
    ],
    [
      'a code that starts with digits',
      { error: { code: '429_rate_limited', type: 'x_type' } },
      '429_rate_limited',
    ],
    ['a numeric code when nothing textual', { error: { code: 402, message: 'm' } }, '402'],
    ['a numeric code over a numeric type', { error: { code: 402, type: '500' } }, '402'],
    [
      'a type after a free-text status',
      { error: { status: 'Rate limited, try later', type: 'rate_limit_error' } },
      'rate_limit_error',
    ],
    [
      'a type after a numeric status',
      { error: { status: '429', type: 'throttling_error' } },
      'throttling_error',
    ],
    [
      'a type after status "error"',
      { error: { status: 'ERROR', type: 'overloaded_error' } },
      'overloaded_error',
    ],
    ['a numeric status is no code', { error: { status: 503, message: 'm' } }, undefined],
    ['Anthropic\'s "type":"error" envelope names nothing', { type: 'error', message: 'boom' }, undefined],
    [
      '"type":"error" inside the error object names nothing',
      { error: { type: 'error', message: 'boom' } },
      undefined,
    ],
    ['a top-level status is not read', { status: 'RESOURCE_EXHAUSTED', message: 'm' }, undefined],
  ])('%s', (_name, body, code) => {
    expect(parseProviderError(JSON.stringify(body))?.code).toBe(code);
    // a status that differs from the body's numbers shows where errorType came from
    expect(describeHttpError({ status: 418, body: JSON.stringify(body) }).errorType).toBe(code ?? '418');
  });
});

describe('describeHttpError: never throws', () => {
  it('a missing input gives the fallback', () => {
    expect(describeHttpError(null as unknown as { status: number; body: string })).toEqual({
      errorType: 'undefined',
      message: undefined,
      retryable: false,
      spendCap: false,
    });
  });

  it('a body that throws when read gives the status, not retryable', () => {
    const input = {
      status: 503,
      get body(): string {
        throw new Error('stream already read');
      },
    };
    expect(describeHttpError(input)).toEqual({
      errorType: '503',
      message: undefined,
      retryable: false,
      spendCap: false,
    });
  });

  it('maxMessageLength 0 keeps no message', () => {
    const body = JSON.stringify({ error: { code: 'x', message: 'm' } });
    expect(describeHttpError({ status: 400, body, maxMessageLength: 0 }).message).toBeUndefined();
  });
});
