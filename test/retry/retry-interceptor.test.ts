/**
 * The retry interceptor against a loopback server scripted per request: the seeds' table, the
 * server's Retry-After, replayed bodies, bounds, aborts, the deadline, and what telemetry records.
 */
import type { ServerResponse } from 'node:http';
import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import OpenAI from 'openai';
import { fetch as undiciFetch } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createTelemetryDispatcher,
  InvalidOptionError,
  type RetryOptions,
  retryInterceptor,
} from '../../src/index.ts';
import { sendJson, sendSse, startTestServer, type TestServer } from '../support/server.ts';
import { childrenOf, createTestTelemetry, spanNamed } from '../support/telemetry.ts';

const telemetry = createTestTelemetry();
type Step = (response: ServerResponse) => void | Promise<void>;
let script: Step[] = [];
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer(async (_request, response) => {
    const step =
      script.shift() ?? ((r: ServerResponse) => sendJson(r, 500, { error: { message: 'script exhausted' } }));
    await step(response);
  });
});
afterAll(() => server.close());
afterEach(() => {
  expect(telemetry.balance.unbalanced()).toEqual([]);
  telemetry.reset();
  server.requests.length = 0;
  script = [];
});

const OK = {
  id: 'chatcmpl-ok',
  model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { content: 'ok' }, finish_reason: 'stop' }],
};
const ok: Step = (response) => sendJson(response, 200, OK, { 'x-request-id': 'req_ok' });
const status =
  (
    code: number,
    body: unknown = { error: { code, message: `status ${code}` } },
    headers: Record<string, string> = {},
  ): Step =>
  (response) =>
    sendJson(response, code, body, { 'x-request-id': `req_${code}`, ...headers });
const times = (count: number, step: Step): Step[] => Array.from({ length: count }, () => step);

/** The cumulative `llm.client.retries` count for one reason. */
async function retriesCounted(reason: string): Promise<number> {
  const points = await telemetry.metricPoints('llm.client.retries');
  return Number(points.find((point) => point.attributes['llm.retry.reason'] === reason)?.value ?? 0);
}

const FAST: RetryOptions = { baseDelay: 1, random: () => 0.5 };
const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });

function dispatcherWith(retry: RetryOptions = FAST) {
  return createTelemetryDispatcher({
    tracerProvider: telemetry.tracerProvider,
    meterProvider: telemetry.meterProvider,
    retry,
  });
}

async function call(retry?: RetryOptions, init: Parameters<typeof undiciFetch>[1] = {}) {
  const dispatcher = dispatcherWith(retry);
  try {
    const response = await undiciFetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      dispatcher,
      ...init,
    });
    return { status: response.status, text: await response.text() };
  } finally {
    await dispatcher.close();
  }
}

async function trace(): Promise<{ operation: ReadableSpan; attempts: ReadableSpan[] }> {
  const spans = await telemetry.waitForSpans(1);
  const operation = spanNamed(await telemetry.waitForSpans(spans.length), 'chat gpt-4o-mini');
  return { operation, attempts: childrenOf(telemetry.spans(), operation) };
}

describe("the seeds' retry table", () => {
  it.each([
    [400, 1],
    [401, 1],
    [402, 1],
    [403, 1],
    [404, 1],
    [429, 4],
    [500, 2],
    [502, 4],
    [503, 4],
  ])('HTTP %i that keeps failing is tried %i time(s)', async (code, attempts) => {
    script = times(6, status(code));
    const received = await call();
    expect(received.status).toBe(code);
    expect(JSON.parse(received.text)).toEqual({ error: { code, message: `status ${code}` } });
    expect(server.requests).toHaveLength(attempts);
    const { operation, attempts: spans } = await trace();
    expect(spans.map((span) => span.attributes['http.request.resend_count'])).toEqual([
      ...Array(attempts).keys(),
    ]);
    expect(operation.attributes['llm.retry.attempts']).toBe(attempts);
    expect(operation.attributes['error.type']).toBe(String(code));
    expect(operation.status.code).toBe(SpanStatusCode.ERROR);
    const retries = operation.events.filter((event) => event.name === 'llm.retry');
    expect(retries.map((event) => event.attributes?.['http.request.resend_count'])).toEqual(
      [...Array(attempts - 1).keys()].map((index) => index + 1),
    );
    for (const event of retries) {
      expect(event.attributes).toMatchObject({
        'llm.retry.reason': String(code),
        'llm.retry.source': 'policy',
      });
    }
  });

  it('503, 503, then 200: the application sees only the 200, the trace shows all three attempts', async () => {
    script = [status(503), status(503), ok];
    const retriesBefore = await retriesCounted('503');
    const received = await call();
    expect(received.status).toBe(200);
    expect(JSON.parse(received.text)).toEqual(OK);
    const { operation, attempts } = await trace();
    expect(attempts.map((span) => span.attributes['http.response.status_code'])).toEqual([503, 503, 200]);
    expect(attempts.map((span) => span.status.code)).toEqual([
      SpanStatusCode.ERROR,
      SpanStatusCode.ERROR,
      SpanStatusCode.UNSET,
    ]);
    expect(operation.status.code).toBe(SpanStatusCode.UNSET);
    expect(operation.attributes['error.type']).toBeUndefined();
    expect(operation.attributes['http.response.header.x-request-id']).toEqual(['req_ok']);
    expect(operation.attributes['llm.retry.attempts']).toBe(3);
    expect((await retriesCounted('503')) - retriesBefore).toBe(2);
  });

  it('never resends a CheapAI daily spend cap 429', async () => {
    script = times(3, status(429, { success: false, error: 'Daily spend limit reached for this API key' }));
    const received = await call();
    expect(received.status).toBe(429);
    expect(server.requests).toHaveLength(1);
    const { operation } = await trace();
    expect(operation.attributes['llm.error.spend_cap']).toBe(true);
  });

  it('resends after a connection reset before headers', async () => {
    script = [(response) => void response.socket?.destroy(), ok];
    const received = await call();
    expect(received.status).toBe(200);
    const { attempts } = await trace();
    expect(attempts.map((span) => span.attributes['error.type'])).toEqual(['UND_ERR_SOCKET', undefined]);
  });
});

describe('timing of resends', () => {
  it('follows retry-after-ms and says so', async () => {
    script = [status(429, undefined, { 'retry-after-ms': '7' }), ok];
    await call({ baseDelay: 5_000 });
    const { operation } = await trace();
    const [retry] = operation.events.filter((event) => event.name === 'llm.retry');
    expect(retry?.attributes).toMatchObject({ 'llm.retry.delay_ms': 7, 'llm.retry.source': 'retry-after' });
  });

  it('does not resend when Retry-After asks for more than maxDelay', async () => {
    script = [status(503, undefined, { 'retry-after': '120' }), ok];
    const received = await call({ ...FAST, maxDelay: 1_000 });
    expect(received.status).toBe(503);
    expect(server.requests).toHaveLength(1);
  });

  it('does not start a resend past the deadline', async () => {
    script = [status(503), ok];
    const received = await call({ baseDelay: 1_000, random: () => 1, deadline: 50 });
    expect(received.status).toBe(503);
    expect(server.requests).toHaveLength(1);
  });

  it('an abort during the backoff wait ends the call at once, and the spans with it', async () => {
    script = [status(503), ok];
    const controller = new AbortController();
    const pending = call({ baseDelay: 60_000, random: () => 1 }, { signal: controller.signal });
    while (server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    await expect(pending).rejects.toThrow(/abort/i);
    const { operation } = await trace();
    expect(operation.attributes['llm.aborted']).toBe(true);
    expect(operation.status.code).toBe(SpanStatusCode.UNSET);
    expect(server.requests).toHaveLength(1);
  });
});

describe('request bodies', () => {
  it('replays a streamed request body byte for byte on every attempt', async () => {
    script = [status(502), status(502), ok];
    const payload = `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"${'é'.repeat(20_000)}"}]}`;
    const stream = new ReadableStream({
      start(controller) {
        const bytes = Buffer.from(payload);
        for (let i = 0; i < bytes.length; i += 1000) controller.enqueue(bytes.subarray(i, i + 1000));
        controller.close();
      },
    });
    const received = await call(FAST, { body: stream, duplex: 'half' } as never);
    expect(received.status).toBe(200);
    expect(server.requests.map((request) => request.body.toString())).toEqual([payload, payload, payload]);
    const { operation } = await trace();
    expect(operation.attributes['gen_ai.request.model']).toBe('gpt-4o-mini');
  });

  it('sends a body over the bound once, unchanged, and records why it was not retried', async () => {
    script = [status(503), ok];
    const payload = JSON.stringify({ model: 'gpt-4o-mini', input: 'x'.repeat(8_000) });
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(Buffer.from(payload));
        controller.close();
      },
    });
    const received = await call({ ...FAST, maxBufferedBodyBytes: 1024 }, {
      body: stream,
      duplex: 'half',
    } as never);
    expect(received.status).toBe(503);
    expect(server.requests.map((request) => request.body.toString())).toEqual([payload]);
    const { operation } = await trace();
    expect(operation.attributes['llm.retry.skipped']).toBe('body_too_large');
  });
});

describe('mid-stream errors', () => {
  const errorChunk = (code: string) =>
    `data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'error', error: { code, message: code } }] })}\n\n`;
  const content = `data: ${JSON.stringify({ id: 'c', model: 'm', choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }] })}\n\n`;
  const done = `data: ${JSON.stringify({ id: 'c', model: 'm', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`;

  it('resends when the first event is a transient error, before anything reached the application', async () => {
    script = [
      (response) => sendSse(response, [errorChunk('rate_limit'), 'data: [DONE]\n\n']),
      (response) => sendSse(response, [content, done]),
    ];
    const received = await call();
    expect(received.text).toBe(content + done);
    const { attempts } = await trace();
    expect(attempts.map((span) => span.attributes['error.type'])).toEqual(['rate_limit', undefined]);
  });

  it('reports, and does not hide, a transient error after content was delivered', async () => {
    const stream = [content, errorChunk('server_error'), 'data: [DONE]\n\n'];
    script = [(response) => sendSse(response, stream), ok];
    const received = await call();
    expect(received.text).toBe(stream.join(''));
    expect(server.requests).toHaveLength(1);
    const { operation } = await trace();
    expect(operation.attributes['error.type']).toBe('server_error');
    expect(operation.events.map((event) => event.name)).toEqual(['llm.stream.error']);
  });

  it('does not resend a context_length_exceeded first event', async () => {
    script = [
      (response) => sendSse(response, [errorChunk('context_length_exceeded'), 'data: [DONE]\n\n']),
      ok,
    ];
    await call();
    expect(server.requests).toHaveLength(1);
  });
});

describe("the application's SDK retrying on its own", () => {
  it('records x-stainless-retry-count as the resend count, with source sdk', async () => {
    script = [
      status(503, undefined, { 'retry-after-ms': '1' }),
      status(503, undefined, { 'retry-after-ms': '1' }),
      ok,
    ];
    const dispatcher = createTelemetryDispatcher({
      tracerProvider: telemetry.tracerProvider,
      meterProvider: telemetry.meterProvider,
    });
    const client = new OpenAI({
      apiKey: 'sk-x',
      baseURL: `${server.url}/v1`,
      maxRetries: 2,
      fetchOptions: { dispatcher } as never,
    });
    await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    await dispatcher.close();
    const spans = await telemetry.waitForSpans(6);
    const attempts = spans.filter((span) => span.name === 'POST');
    expect(attempts.map((span) => span.attributes['http.request.resend_count'])).toEqual([0, 1, 2]);
    const operations = spans.filter((span) => span.name === 'chat gpt-4o-mini');
    expect(operations.map((span) => span.attributes['llm.retry.source'])).toEqual([undefined, 'sdk', 'sdk']);
  });
});

describe('options', () => {
  it.each([
    [{ maxAttempts: 0 }, 'maxAttempts'],
    [{ baseDelay: -1 }, 'baseDelay'],
    [{ retryOn: [700] }, 'retryOn'],
    [{ methods: 'POST' }, 'methods'],
    [{ retryMidStream: 'yes' }, 'retryMidStream'],
  ])('%j fails at construction, naming the option', (options, name) => {
    expect(() => retryInterceptor(options as never)).toThrow(InvalidOptionError);
    expect(() => retryInterceptor(options as never)).toThrow(`"${name}"`);
  });
});
