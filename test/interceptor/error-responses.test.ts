/**
 * Immediate errors: each seed status in each provider body format, compressed and odd bodies, and
 * the application still receiving every byte.
 */
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { SpanStatusCode } from '@opentelemetry/api';
import { fetch as undiciFetch } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTelemetryDispatcher } from '../../src/index.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { createTestTelemetry, spanNamed } from '../support/telemetry.ts';

const telemetry = createTestTelemetry();
const dispatcher = createTelemetryDispatcher({
  tracerProvider: telemetry.tracerProvider,
  meterProvider: telemetry.meterProvider,
});

interface Reply {
  status: number;
  body: Buffer | string;
  headers?: Record<string, string>;
}
let reply: Reply;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer((_request, response) => {
    response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    response.end(reply.body);
  });
});
afterAll(async () => {
  await server.close();
  await dispatcher.close();
});
afterEach(() => {
  expect(telemetry.balance.unbalanced()).toEqual([]);
  telemetry.reset();
});

async function call(): Promise<{ status: number; bytes: Buffer }> {
  const response = await undiciFetch(`${server.url}/api/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test-key' },
    body: JSON.stringify({ model: 'anthropic/claude-sonnet-4', messages: [{ role: 'user', content: 'hi' }] }),
    dispatcher,
  });
  return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()) };
}

async function operationAndAttempt() {
  const spans = await telemetry.waitForSpans(2);
  return { operation: spanNamed(spans, 'chat anthropic/claude-sonnet-4'), attempt: spanNamed(spans, 'POST') };
}

const SEED_STATUSES: ReadonlyArray<[status: number, message: string, retryable: boolean]> = [
  [400, 'Malformed request body', false],
  [401, 'Invalid API key', false],
  [402, 'Insufficient credits', false],
  [403, 'Key does not have access to this resource', false],
  [404, 'Invalid endpoint or model ID', false],
  [429, 'Rate limit exceeded', true],
  [500, 'Server-side issue', true],
  [502, 'Upstream provider error', true],
  [503, 'Service temporarily down', true],
];

describe.each(SEED_STATUSES)('HTTP %i', (status, message, retryable) => {
  it('reads the Cline/OpenAI body {"error":{"code","message","metadata"}}', async () => {
    const body = JSON.stringify({
      error: { code: status, message, metadata: { provider_name: 'Anthropic', request_id: 'upstream_42' } },
    });
    reply = { status, body, headers: { 'x-request-id': `req_${status}` } };
    const received = await call();
    expect(received.status).toBe(status);
    expect(received.bytes.toString()).toBe(body);
    const { operation, attempt } = await operationAndAttempt();
    for (const span of [operation, attempt]) {
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes).toMatchObject({
        'http.response.status_code': status,
        'error.type': String(status),
        'llm.error.message': message,
        'llm.error.phase': 'immediate',
        'llm.error.retryable': retryable,
        'llm.error.provider': 'Anthropic',
        'llm.error.provider_request_id': 'upstream_42',
        'http.response.header.x-request-id': [`req_${status}`],
      });
    }
  });

  it('reads the CheapAI body {"success":false,"error":"..."}', async () => {
    reply = { status, body: JSON.stringify({ success: false, error: message }) };
    await call();
    const { attempt } = await operationAndAttempt();
    expect(attempt.attributes['error.type']).toBe(String(status));
    expect(attempt.attributes['llm.error.message']).toBe(message);
    expect(attempt.attributes['llm.error.retryable']).toBe(retryable);
  });

  it('reads the typed CheapAI body {"error":{"message","type"}}', async () => {
    reply = { status, body: JSON.stringify({ error: { message, type: `type_${status}` } }) };
    await call();
    const { operation } = await operationAndAttempt();
    expect(operation.attributes['error.type']).toBe(`type_${status}`);
    expect(operation.attributes['llm.error.message']).toBe(message);
  });
});

describe('odd error bodies', () => {
  it('tells a CheapAI daily spend cap 429 from a rate limit, and does not call it retryable', async () => {
    reply = {
      status: 429,
      body: JSON.stringify({ success: false, error: 'Daily spend limit reached for this API key' }),
    };
    await call();
    const { operation } = await operationAndAttempt();
    expect(operation.attributes).toMatchObject({
      'error.type': '429',
      'llm.error.spend_cap': true,
      'llm.error.retryable': false,
    });
  });

  it('uses a provider code string such as insufficient_quota as error.type', async () => {
    reply = {
      status: 429,
      body: JSON.stringify({
        error: {
          message: 'You exceeded your current quota',
          type: 'insufficient_quota',
          code: 'insufficient_quota',
        },
      }),
    };
    await call();
    const { attempt } = await operationAndAttempt();
    expect(attempt.attributes['error.type']).toBe('insufficient_quota');
  });

  it.each([
    ['gzip', gzipSync],
    ['br', brotliCompressSync],
  ] as const)(
    'decodes a %s-compressed error body from a copy and passes the compressed bytes through',
    async (encoding, compress) => {
      const body = JSON.stringify({ error: { code: 'server_error', message: 'Upstream failed' } });
      reply = { status: 500, body: compress(Buffer.from(body)), headers: { 'content-encoding': encoding } };
      const received = await call();
      expect(received.bytes.toString()).toBe(body); // fetch decodes for the application as usual
      const { attempt } = await operationAndAttempt();
      expect(attempt.attributes['error.type']).toBe('server_error');
      expect(attempt.attributes['llm.error.message']).toBe('Upstream failed');
    },
  );

  it('falls back to the status for an HTML error page', async () => {
    const page = '<html><body><h1>502 Bad Gateway</h1></body></html>';
    reply = { status: 502, body: page, headers: { 'content-type': 'text/html' } };
    const received = await call();
    expect(received.bytes.toString()).toBe(page);
    const { attempt } = await operationAndAttempt();
    expect(attempt.attributes['error.type']).toBe('502');
    expect(attempt.attributes['llm.error.retryable']).toBe(true);
  });

  it('reads only a bounded copy of a 10 MB error body and still delivers all of it', async () => {
    const huge = Buffer.alloc(10 * 1024 * 1024, 'x');
    reply = { status: 500, body: huge };
    const received = await call();
    expect(received.bytes.equals(huge)).toBe(true);
    const { attempt } = await operationAndAttempt();
    expect(attempt.attributes['error.type']).toBe('500');
  });

  it('redacts a key echoed in the provider message', async () => {
    reply = {
      status: 401,
      body: JSON.stringify({
        error: { code: 'invalid_api_key', message: 'Incorrect API key provided: sk-proj-abcdef1234567890' },
      }),
    };
    await call();
    const { attempt } = await operationAndAttempt();
    expect(attempt.attributes['error.type']).toBe('invalid_api_key');
    expect(String(attempt.attributes['llm.error.message'])).not.toContain('abcdef1234567890');
  });
});
