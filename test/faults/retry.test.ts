/**
 * Fault matrix, the retry layer (`createTelemetryDispatcher({ retry: true })`) against real loopback
 * servers, with Node's built-in fetch and undici.request:
 * - a call whose last attempt fails on a socket error or a headers timeout is recorded as that
 *   failure, not as the application's abort (fetch aborts its controller when it gets the error);
 * - a genuine application abort (during a backoff wait, or mid-body) stays `llm.aborted=true`;
 * - the planned delay of each resend, read from the `llm.retry` events (never the wall clock);
 * - a 5xx whose error body exceeds the hold-back limit is still resent, and says so.
 */
import type { ServerResponse } from 'node:http';
import { type Attributes, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { type Dispatcher, request as undiciRequest } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTelemetryDispatcher, type RetryOptions } from '../../src/index.ts';
import { type TestHandler, useScriptedServer } from '../support/server.ts';
import { childrenOf, createTestTelemetry, spanNamed, type TestTelemetry } from '../support/telemetry.ts';
import { settledBalance } from './support/invariants.ts';

const scripted = useScriptedServer();
let telemetry: TestTelemetry;
let dispatcher: Dispatcher | undefined;

beforeEach(() => {
  // A fresh SDK per test, so the metric points are this call's alone.
  telemetry = createTestTelemetry();
  scripted.server.requests.length = 0;
});
afterEach(async () => {
  await dispatcher?.destroy();
  dispatcher = undefined;
  expect(await settledBalance(telemetry)).toEqual([]);
  await telemetry.shutdown();
});

const FAST: RetryOptions = { baseDelay: 1, random: () => 0.5 };
const BODY = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
const OK = {
  id: 'chatcmpl-ok',
  model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { content: 'ok' }, finish_reason: 'stop' }],
};

function retrying(retry: RetryOptions = FAST, agent?: Dispatcher.DispatchOptions | object): Dispatcher {
  dispatcher = createTelemetryDispatcher({
    tracerProvider: telemetry.tracerProvider,
    meterProvider: telemetry.meterProvider,
    retry,
    agent: agent as never,
  });
  return dispatcher;
}

/** Answers the n-th request (0-based) with steps[n], the last step for every later one. */
function script(...steps: Array<(response: ServerResponse) => void | Promise<void>>): void {
  let index = 0;
  scripted.respond = ((_request, response) => {
    const step = steps[Math.min(index++, steps.length - 1)];
    return step?.(response);
  }) as TestHandler;
}

const destroySocket = (response: ServerResponse) => void response.socket?.destroy();
const neverAnswer = () => undefined;
const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  (response: ServerResponse) => {
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    response.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(payload),
      ...headers,
    });
    response.end(payload);
  };

type Client = 'fetch' | 'undici.request';

/** One chat call; resolves with what the application saw: a status and body, or the error's cause code. */
async function callWith(
  client: Client,
  target: Dispatcher,
  signal?: AbortSignal,
): Promise<{ status?: number; text?: string; errorCode?: string }> {
  const url = `${scripted.server.url}/v1/chat/completions`;
  try {
    if (client === 'fetch') {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: BODY,
        signal,
        dispatcher: target,
      } as RequestInit);
      return { status: response.status, text: await response.text() };
    }
    const response = await undiciRequest(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: BODY,
      signal,
      dispatcher: target,
    });
    return { status: response.statusCode, text: await response.body.text() };
  } catch (error) {
    const failure = error as { code?: string; name?: string; cause?: { code?: string } };
    if (failure.name === 'AbortError') return { errorCode: 'AbortError' };
    return { errorCode: failure.cause?.code ?? failure.code ?? failure.name };
  }
}

async function operationTrace(): Promise<{ operation: ReadableSpan; attempts: ReadableSpan[] }> {
  await settledBalance(telemetry);
  const operation = spanNamed(telemetry.spans(), 'chat gpt-4o-mini');
  return { operation, attempts: childrenOf(telemetry.spans(), operation) };
}

/** The attributes of the single `gen_ai.client.operation.duration` point of this test's call. */
async function operationMetric(): Promise<Attributes> {
  const points = await telemetry.metricPoints('gen_ai.client.operation.duration');
  expect(points).toHaveLength(1);
  return points[0]?.attributes as Attributes;
}

function retryEvents(operation: ReadableSpan): Attributes[] {
  return operation.events
    .filter((event) => event.name === 'llm.retry')
    .map((event) => event.attributes as Attributes);
}

describe.each<Client>(['fetch', 'undici.request'])(
  'the final failure is recorded as that failure, not as an abort (%s)',
  (client) => {
    it('a socket error on every attempt: UND_ERR_SOCKET after 4 attempts', async () => {
      script(destroySocket);
      const seen = await callWith(client, retrying());
      expect(seen).toEqual({ errorCode: 'UND_ERR_SOCKET' });
      expect(scripted.server.requests).toHaveLength(4);
      const { operation, attempts } = await operationTrace();
      expect(attempts).toHaveLength(4);
      for (const attempt of [...attempts, operation]) {
        expect(attempt.attributes).toMatchObject({
          'error.type': 'UND_ERR_SOCKET',
          'llm.error.phase': 'immediate',
          'llm.error.retryable': true,
        });
        expect(attempt.attributes['llm.aborted']).toBeUndefined();
        expect(attempt.status.code).toBe(SpanStatusCode.ERROR);
      }
      expect(operation.attributes['llm.retry.attempts']).toBe(4);
      expect(await operationMetric()).toEqual({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': '127.0.0.1',
        'gen_ai.request.model': 'gpt-4o-mini',
        'error.type': 'UND_ERR_SOCKET',
        'llm.error.phase': 'immediate',
      });
    });

    it('a headers timeout: UND_ERR_HEADERS_TIMEOUT, not resent', async () => {
      script(neverAnswer);
      const seen = await callWith(client, retrying(FAST, { headersTimeout: 100 }));
      expect(seen).toEqual({ errorCode: 'UND_ERR_HEADERS_TIMEOUT' });
      expect(scripted.server.requests).toHaveLength(1);
      const { operation, attempts } = await operationTrace();
      expect(attempts).toHaveLength(1);
      for (const span of [...attempts, operation]) {
        expect(span.attributes).toMatchObject({
          'error.type': 'UND_ERR_HEADERS_TIMEOUT',
          'llm.error.phase': 'immediate',
          'llm.error.retryable': false,
        });
        expect(span.attributes['llm.aborted']).toBeUndefined();
        expect(span.status.code).toBe(SpanStatusCode.ERROR);
      }
      expect(await operationMetric()).toMatchObject({
        'error.type': 'UND_ERR_HEADERS_TIMEOUT',
        'llm.error.phase': 'immediate',
      });
    });

    it('a socket error after a 503: the last failure wins', async () => {
      script(json(503, { error: { code: 503, message: 'overloaded' } }), destroySocket);
      const seen = await callWith(client, retrying({ ...FAST, maxAttempts: 2 }));
      expect(seen).toEqual({ errorCode: 'UND_ERR_SOCKET' });
      const { operation, attempts } = await operationTrace();
      expect(attempts.map((span) => span.attributes['error.type'])).toEqual(['503', 'UND_ERR_SOCKET']);
      expect(operation.attributes['error.type']).toBe('UND_ERR_SOCKET');
      expect(operation.attributes['llm.aborted']).toBeUndefined();
      expect(operation.status.code).toBe(SpanStatusCode.ERROR);
      expect((await operationMetric())['error.type']).toBe('UND_ERR_SOCKET');
    });

    it('a socket error mid-body, after the response reached the application: mid_stream', async () => {
      script(async (response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write('{"id":"chatcmpl-1",');
        await new Promise((resolve) => setTimeout(resolve, 20));
        response.socket?.destroy();
      });
      const seen = await callWith(client, retrying());
      expect(seen.errorCode).toMatch(/^(UND_ERR_SOCKET|ECONNRESET)$/);
      expect(scripted.server.requests).toHaveLength(1);
      const { operation, attempts } = await operationTrace();
      for (const span of [...attempts, operation]) {
        expect(span.attributes['error.type']).toMatch(/^(UND_ERR_SOCKET|ECONNRESET)$/);
        expect(span.attributes['llm.error.phase']).toBe('mid_stream');
        expect(span.attributes['llm.aborted']).toBeUndefined();
        expect(span.status.code).toBe(SpanStatusCode.ERROR);
      }
      expect((await operationMetric())['llm.error.phase']).toBe('mid_stream');
    });

    it("the application's abort during a backoff wait stays an abort", async () => {
      script(json(503, { error: { code: 503, message: 'overloaded' } }));
      const abort = new AbortController();
      const pending = callWith(client, retrying({ baseDelay: 60_000 }), abort.signal);
      while (scripted.server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 2));
      await new Promise((resolve) => setTimeout(resolve, 20));
      abort.abort();
      expect((await pending).errorCode).toBe('AbortError');
      expect(scripted.server.requests).toHaveLength(1);
      const { operation } = await operationTrace();
      expect(operation.attributes['llm.aborted']).toBe(true);
      expect(operation.attributes['error.type']).toBeUndefined();
      expect(operation.status.code).toBe(SpanStatusCode.UNSET);
      expect((await operationMetric())['error.type']).toBeUndefined();
    });
  },
);

describe("the application's abort mid-body", () => {
  it('stays an abort on both spans and the metric point', async () => {
    scripted.respond = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"id":"chatcmpl-1",');
    };
    const abort = new AbortController();
    const response = await fetch(`${scripted.server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: BODY,
      signal: abort.signal,
      dispatcher: retrying(),
    } as RequestInit);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    abort.abort();
    await expect(reader.read()).rejects.toThrow(/abort/i);
    const { operation, attempts } = await operationTrace();
    for (const span of [...attempts, operation]) {
      expect(span.attributes['llm.aborted']).toBe(true);
      expect(span.attributes['error.type']).toBeUndefined();
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
    }
    expect((await operationMetric())['error.type']).toBeUndefined();
  });
});

describe('the planned wait of each resend, as the llm.retry events record it', () => {
  const overloaded = json(503, { error: { code: 503, message: 'overloaded' } });

  it('never below base * 2^(n-1), even when the random source draws 0', async () => {
    script(overloaded, overloaded, overloaded, json(200, OK));
    const seen = await callWith('fetch', retrying({ baseDelay: 5, random: () => 0 }));
    expect(seen.status).toBe(200);
    const { operation } = await operationTrace();
    expect(retryEvents(operation)).toEqual(
      [5, 10, 20].map((delay, index) => ({
        'http.request.resend_count': index + 1,
        'llm.retry.delay_ms': delay,
        'llm.retry.reason': '503',
        'llm.retry.source': 'policy',
      })),
    );
  });

  it('jitter adds up to one more step', async () => {
    script(overloaded, overloaded, json(200, OK));
    await callWith('undici.request', retrying({ baseDelay: 4, random: () => 0.75 }));
    const { operation } = await operationTrace();
    expect(retryEvents(operation).map((event) => event['llm.retry.delay_ms'])).toEqual([7, 14]);
  });

  it("the server's retry-after-ms wins, even below the policy's floor", async () => {
    script(
      json(429, { error: { code: 'rate_limit_exceeded', message: 'slow down' } }, { 'retry-after-ms': '2' }),
      json(200, OK),
    );
    await callWith('fetch', retrying({ baseDelay: 50, random: () => 0 }));
    const { operation } = await operationTrace();
    expect(retryEvents(operation)).toEqual([
      {
        'http.request.resend_count': 1,
        'llm.retry.delay_ms': 2,
        'llm.retry.reason': '429',
        'llm.retry.source': 'retry-after',
      },
    ]);
  });
});

describe('an error body over the 64 KiB hold-back limit', () => {
  /** A provider error whose message pads the body past the limit (an HTML error page does the same). */
  const huge = (status: number, headers: Record<string, string> = {}) =>
    json(status, { error: { code: status, message: `upstream failed ${'x'.repeat(100 * 1024)}` } }, headers);

  it.each([502, 503, 504])('HTTP %i is still resent, and its span says it was retryable', async (status) => {
    script(huge(status), json(200, OK));
    const seen = await callWith('fetch', retrying());
    expect(seen).toEqual({ status: 200, text: JSON.stringify(OK) });
    expect(scripted.server.requests).toHaveLength(2);
    const { operation, attempts } = await operationTrace();
    expect(attempts).toHaveLength(2);
    expect(attempts[0]?.attributes).toMatchObject({
      'http.response.status_code': status,
      'error.type': String(status),
      'llm.error.retryable': true,
    });
    expect(attempts[0]?.attributes['llm.aborted']).toBeUndefined();
    expect(attempts[0]?.status.code).toBe(SpanStatusCode.ERROR);
    expect(attempts[1]?.attributes['http.response.status_code']).toBe(200);
    expect(retryEvents(operation).map((event) => event['llm.retry.reason'])).toEqual([String(status)]);
    expect(operation.attributes['error.type']).toBeUndefined();
    expect(operation.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('with undici.request too, honouring Retry-After', async () => {
    script(huge(503, { 'retry-after-ms': '3' }), json(200, OK));
    const seen = await callWith('undici.request', retrying());
    expect(seen.status).toBe(200);
    const { operation } = await operationTrace();
    expect(retryEvents(operation)).toEqual([
      {
        'http.request.resend_count': 1,
        'llm.retry.delay_ms': 3,
        'llm.retry.reason': '503',
        'llm.retry.source': 'retry-after',
      },
    ]);
  });

  it('the last attempt delivers the whole body, byte for byte', async () => {
    const last = { error: { code: 503, message: `still down ${'y'.repeat(100 * 1024)}` } };
    script(huge(503), json(503, last));
    const seen = await callWith('fetch', retrying({ ...FAST, maxAttempts: 2 }));
    expect(seen).toEqual({ status: 503, text: JSON.stringify(last) });
    expect(scripted.server.requests).toHaveLength(2);
  });

  it('a 429 is judged by its status too (a spend cap would not be readable either) and resent', async () => {
    script(huge(429), json(200, OK));
    const seen = await callWith('fetch', retrying());
    expect(seen.status).toBe(200);
    const { attempts } = await operationTrace();
    expect(attempts[0]?.attributes).toMatchObject({
      'error.type': '429',
      'llm.error.retryable': true,
    });
    expect(attempts[0]?.attributes['llm.error.spend_cap']).toBeUndefined();
  });

  it('a 400 is not resent: the application gets the whole body', async () => {
    const bad = { error: { code: 'invalid_request_error', message: 'z'.repeat(100 * 1024) } };
    script(json(400, bad), json(200, OK));
    const seen = await callWith('fetch', retrying());
    expect(seen).toEqual({ status: 400, text: JSON.stringify(bad) });
    expect(scripted.server.requests).toHaveLength(1);
    const { attempts } = await operationTrace();
    expect(attempts[0]?.attributes['llm.error.retryable']).toBe(false);
  });
});
