/**
 * Fault matrix, secrets and hostile messages (issue 16 items 1, 2 and 4), through the real
 * interceptor, a real undici Agent and a loopback server:
 *  - a 401 that echoes the request's own credential (`gsk_…`, `xai-…`, an opaque hex key in
 *    `Authorization`, an opaque `x-api-key`, a Gemini-style `?key=`): the credential appears in no
 *    exported span, event, status or metric point;
 *  - mid-stream errors whose `code`/`type` carries a key or free text: `error.type` is code-shaped
 *    (falls back to `stream_error`) on both spans, the `llm.stream.error` event and both duration
 *    metrics;
 *  - a 60 KB HTTP 400 message and a 1 MiB SSE error line made of `-eyJ` repeats: the call completes
 *    and records exactly the first 1,024 characters.
 */
import { SpanStatusCode } from '@opentelemetry/api';
import { fetch as undiciFetch } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTelemetryDispatcher } from '../../src/index.ts';
import { ATTR_ERROR_TYPE, ATTR_LLM_ERROR_MESSAGE, EVENT_LLM_STREAM_ERROR } from '../../src/semconv/names.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { createTestTelemetry, exportedText } from '../support/telemetry.ts';
import { callTrace } from './support/trace.ts';

const telemetry = createTestTelemetry();
const dispatcher = createTelemetryDispatcher({
  tracerProvider: telemetry.tracerProvider,
  meterProvider: telemetry.meterProvider,
});

interface Reply {
  status: number;
  contentType: string;
  /** The body, given what the request carried. */
  body: (echo: { authorization: string; apiKey: string; queryKey: string }) => string;
}
let reply: Reply;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer((request, response) => {
    const authorization = String(request.headers.authorization ?? '').replace(/^Bearer /, '');
    const apiKey = String(request.headers['x-api-key'] ?? '');
    const queryKey = new URL(request.url, 'http://x').searchParams.get('key') ?? '';
    response.writeHead(reply.status, { 'content-type': reply.contentType });
    response.end(reply.body({ authorization, apiKey, queryKey }));
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

async function call(headers: Record<string, string>, query = '', stream = false): Promise<string> {
  const response = await undiciFetch(`${server.url}/v1/chat/completions${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'gpt-4o', stream, messages: [{ role: 'user', content: 'hi' }] }),
    dispatcher,
  });
  return response.text();
}

const DURATIONS = ['gen_ai.client.operation.duration', 'http.client.request.duration'];

/** Attribute sets of the duration metrics with their counts (the reader is cumulative). */
async function durationPoints(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const name of DURATIONS) {
    for (const point of await telemetry.metricPoints(name)) {
      counts.set(JSON.stringify([name, point.attributes]), (point.value as { count: number }).count);
    }
  }
  return counts;
}

/** The attribute sets recorded since `before`. */
async function newPoints(before: Map<string, number>): Promise<Record<string, unknown>[]> {
  const recorded: Record<string, unknown>[] = [];
  for (const [key, count] of await durationPoints()) {
    if (count > (before.get(key) ?? 0))
      recorded.push((JSON.parse(key) as [string, Record<string, unknown>])[1]);
  }
  return recorded;
}

/** Every exported span and the duration metrics' points recorded since `before`, as text. */
async function everythingExported(before: Map<string, number>): Promise<string> {
  const spans = await telemetry.waitForSpans(2);
  return exportedText(spans) + JSON.stringify(await newPoints(before));
}

async function errorTypes(before: Map<string, number>): Promise<unknown[]> {
  const spans = await telemetry.waitForSpans(2);
  const { operation, attempt } = callTrace(spans);
  const event = operation.events.find((e) => e.name === EVENT_LLM_STREAM_ERROR);
  const points = await newPoints(before);
  expect(points).toHaveLength(2);
  return [
    operation.attributes[ATTR_ERROR_TYPE],
    attempt.attributes[ATTR_ERROR_TYPE],
    event?.attributes?.[ATTR_ERROR_TYPE],
    ...points.map((attributes) => attributes[ATTR_ERROR_TYPE]),
  ];
}

const echo401 = (
  key: (echo: { authorization: string; apiKey: string; queryKey: string }) => string,
): Reply => ({
  status: 401,
  contentType: 'application/json',
  body: (echo) =>
    JSON.stringify({
      error: {
        message: `Incorrect API key provided: ${key(echo)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_api_key',
      },
    }),
});
const REDACTED_401 =
  'Incorrect API key provided: REDACTED. You can find your API key at https://platform.openai.com/account/api-keys.';

describe("a 401 echoing the request's own credential", () => {
  const cases: [name: string, headers: Record<string, string>, query: string, reply: Reply][] = [
    [
      'Groq gsk_ key in Authorization',
      { authorization: `Bearer gsk_${'Gq7'.repeat(17)}x` },
      '',
      echo401((e) => e.authorization),
    ],
    [
      'xAI key in Authorization',
      { authorization: `Bearer xai-${'Xa9'.repeat(26)}xy` },
      '',
      echo401((e) => e.authorization),
    ],
    // needs attempt.ts wiring: only the exact credential from the request can catch an opaque key.
    [
      'opaque hex key in Authorization',
      { authorization: 'Bearer c0ffee1234abcd99' },
      '',
      echo401((e) => e.authorization),
    ],
    // needs attempt.ts wiring
    ['opaque x-api-key', { 'x-api-key': 'opaque.Key-for~tests' }, '', echo401((e) => e.apiKey)],
    // needs attempt.ts wiring (queryCredentials(url))
    ['Gemini-style ?key=', {}, '?key=opaque.query~key-77', echo401((e) => e.queryKey)],
  ];

  it.each(cases)('%s', async (_name, headers, query, r) => {
    reply = r;
    const secret = headers.authorization?.replace('Bearer ', '') ?? headers['x-api-key'] ?? query.slice(5);
    const before = await durationPoints();
    const body = await call(headers, query);
    expect(body).toContain(secret);
    const { operation, attempt } = callTrace(await telemetry.waitForSpans(2));
    for (const span of [operation, attempt]) {
      expect(span.attributes[ATTR_ERROR_TYPE]).toBe('invalid_api_key');
      expect(span.attributes[ATTR_LLM_ERROR_MESSAGE]).toBe(REDACTED_401);
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: REDACTED_401 });
    }
    expect(await everythingExported(before)).not.toContain(secret);
  });
});

const sse = (...frames: string[]): Reply => ({
  status: 200,
  contentType: 'text/event-stream',
  body: () => frames.join(''),
});
const chunk = `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model: 'gpt-4o', choices: [{ index: 0, delta: { content: 'Hi' } }] })}\n\n`;
const streamKey = 'sk-proj-AbCdEf0123456789_ghIJkl';

// needs stream-observer.ts wiring (codeShaped on every stream code): these fail until then.
describe('mid-stream error codes are code-shaped, whatever the stream says', () => {
  const cases: [name: string, reply: Reply, expectedType: string][] = [
    [
      'a data: error whose code carries a key',
      sse(
        chunk,
        `data: ${JSON.stringify({ error: { code: `invalid_api_key: ${streamKey}`, message: 'Incorrect API key' } })}\n\n`,
      ),
      'stream_error',
    ],
    [
      'an event: error frame whose code is a key',
      sse(
        chunk,
        `event: error\ndata: ${JSON.stringify({ type: 'error', code: streamKey, message: 'bad key' })}\n\n`,
      ),
      'stream_error',
    ],
    [
      'a free-text type with a request id',
      sse(
        chunk,
        `data: ${JSON.stringify({ error: { type: 'Rate limit reached for gpt-4o. Request id req_3f2a9c1e-8b7d-4e6f-a5c4-1d2e3f4a5b6c', message: 'Rate limit' } })}\n\n`,
      ),
      'stream_error',
    ],
    [
      'a provider status string is a code (Gemini)',
      sse(
        chunk,
        `data: ${JSON.stringify({ error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'quota' } })}\n\n`,
      ),
      'RESOURCE_EXHAUSTED',
    ],
  ];

  it.each(cases)('%s', async (_name, r, expectedType) => {
    reply = r;
    const before = await durationPoints();
    await call({}, '', true);
    const types = await errorTypes(before);
    expect(types).toEqual([expectedType, expectedType, expectedType, expectedType, expectedType]);
    const text = await everythingExported(before);
    expect(text).not.toContain('sk-proj');
    expect(text).not.toContain('req_3f2a9c1e');
  });
});

describe('hostile messages cost a bounded amount of work and record the first 1,024 characters', () => {
  it('a 60 KB HTTP 400 message of repeated -eyJ (the body fits the 64 KiB bounded copy)', async () => {
    const message = '-eyJ'.repeat(15 * 1024);
    reply = {
      status: 400,
      contentType: 'application/json',
      body: () => JSON.stringify({ error: { message, type: 'invalid_request_error' } }),
    };
    await call({});
    const { operation, attempt } = callTrace(await telemetry.waitForSpans(2));
    for (const span of [operation, attempt]) {
      expect(span.attributes[ATTR_ERROR_TYPE]).toBe('invalid_request_error');
      expect(span.attributes[ATTR_LLM_ERROR_MESSAGE]).toBe(message.slice(0, 1024));
    }
  });

  it('a mid-stream error line of almost 1 MiB of repeated _eyJ', async () => {
    const message = '_eyJ'.repeat(256 * 1024 - 64);
    reply = sse(chunk, `data: ${JSON.stringify({ error: { code: 'server_error', message } })}\n\n`);
    await call({}, '', true);
    const { operation, attempt } = callTrace(await telemetry.waitForSpans(2));
    for (const span of [operation, attempt]) {
      expect(span.attributes[ATTR_ERROR_TYPE]).toBe('server_error');
      expect(span.attributes[ATTR_LLM_ERROR_MESSAGE]).toBe(message.slice(0, 1024));
    }
  });
});
