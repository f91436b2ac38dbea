/**
 * Network failures and the application walking away: every span still ends exactly once, with the
 * right error.type, and a user abort is not an error.
 */
import { createServer, type Server } from 'node:net';
import { SpanStatusCode } from '@opentelemetry/api';
import { fetch as undiciFetch, request as undiciRequest } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createTelemetryDispatcher } from '../../src/index.ts';
import { sendSse, useScriptedServer } from '../support/server.ts';
import { createTestTelemetry, spanNamed } from '../support/telemetry.ts';

const telemetry = createTestTelemetry();
const dispatcher = createTelemetryDispatcher({
  tracerProvider: telemetry.tracerProvider,
  meterProvider: telemetry.meterProvider,
});

const scripted = useScriptedServer();
afterAll(async () => {
  await dispatcher.close();
});
afterEach(() => {
  expect(telemetry.balance.unbalanced()).toEqual([]);
  telemetry.reset();
});

const body = JSON.stringify({
  model: 'gpt-4o-mini',
  stream: true,
  messages: [{ role: 'user', content: 'hi' }],
});
const chunk = (content: string) =>
  `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;

function post(url: string, signal?: AbortSignal) {
  return undiciFetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    dispatcher,
    signal,
  });
}

async function closedPort(): Promise<number> {
  const probe: Server = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('connection failures', () => {
  it('connection refused: both spans end with error.type ECONNREFUSED, phase immediate, retryable', async () => {
    const port = await closedPort();
    await expect(post(`http://127.0.0.1:${port}/v1/chat/completions`)).rejects.toThrow(TypeError);
    const spans = await telemetry.waitForSpans(2);
    // fetch streams its body and the connection failed before any of it was read: the model is
    // unknown to the telemetry layer alone (the retry layer buffers bodies and knows it).
    for (const span of [spanNamed(spans, 'chat'), spanNamed(spans, 'POST')]) {
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes).toMatchObject({
        'error.type': 'ECONNREFUSED',
        'llm.error.phase': 'immediate',
        'llm.error.retryable': true,
      });
      expect(span.attributes['http.response.status_code']).toBeUndefined();
    }
  });

  it('reset before headers: error.type from the socket error', async () => {
    scripted.respond = (_request, response) => {
      response.socket?.destroy();
    };
    await expect(post(`${scripted.server.url}/v1/chat/completions`)).rejects.toThrow();
    const spans = await telemetry.waitForSpans(2);
    const attempt = spanNamed(spans, 'POST');
    expect(attempt.status.code).toBe(SpanStatusCode.ERROR);
    expect(attempt.attributes['error.type']).toBe('UND_ERR_SOCKET');
    expect(attempt.attributes['llm.error.phase']).toBe('immediate');
  });

  it('reset mid-stream: llm.stream.truncated with the socket error, phase mid_stream', async () => {
    scripted.respond = async (_request, response) => {
      await sendSse(response, [chunk('Hel'), chunk('lo')], { end: false });
      setTimeout(() => response.socket?.destroy(), 20);
    };
    const response = await post(`${scripted.server.url}/v1/chat/completions`);
    await expect(response.text()).rejects.toThrow();
    const spans = await telemetry.waitForSpans(2);
    const attempt = spanNamed(spans, 'POST');
    const operation = spanNamed(spans, 'chat gpt-4o-mini');
    expect(attempt.attributes).toMatchObject({
      'http.response.status_code': 200,
      'error.type': 'UND_ERR_SOCKET',
      'llm.error.phase': 'mid_stream',
      'llm.stream.chunks': 2,
    });
    expect(attempt.events.map((event) => event.name)).toEqual(['llm.stream.truncated']);
    expect(attempt.events[0]?.attributes?.['error.type']).toBe('UND_ERR_SOCKET');
    expect(operation.status.code).toBe(SpanStatusCode.ERROR);
    expect(operation.attributes['error.type']).toBe('UND_ERR_SOCKET');
  });
});

describe('a broken 200 body', () => {
  it('a JSON completion cut in half is an error (the SDK fails to parse it too)', async () => {
    scripted.respond = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"id":"chatcmpl-1","choices":[{"mess');
    };
    const response = await undiciFetch(`${scripted.server.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [] }),
      dispatcher,
    });
    await expect(response.json()).rejects.toThrow(SyntaxError);
    const spans = await telemetry.waitForSpans(2);
    expect(spanNamed(spans, 'chat gpt-4o-mini').attributes).toMatchObject({
      'http.response.status_code': 200,
      'error.type': 'invalid_response_body',
      'llm.error.phase': 'mid_stream',
    });
  });
});

describe('the application walks away', () => {
  it('abort before headers: llm.aborted, status unset, no error.type', async () => {
    scripted.respond = () => undefined; // never answers
    const controller = new AbortController();
    const pending = post(`${scripted.server.url}/v1/chat/completions`, controller.signal);
    setTimeout(() => controller.abort(), 30);
    await expect(pending).rejects.toThrow(/abort/i);
    const spans = await telemetry.waitForSpans(2);
    for (const span of [spanNamed(spans, 'chat gpt-4o-mini'), spanNamed(spans, 'POST')]) {
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(span.attributes['llm.aborted']).toBe(true);
      expect(span.attributes['error.type']).toBeUndefined();
    }
  });

  it('abort mid-stream: partial counts recorded, status unset', async () => {
    scripted.respond = async (_request, response) => {
      await sendSse(response, [chunk('a'), chunk('b'), chunk('c')], { end: false });
    };
    const controller = new AbortController();
    const response = await post(`${scripted.server.url}/v1/chat/completions`, controller.signal);
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes('"c"')) text += Buffer.from((await reader.read()).value!).toString();
    controller.abort();
    const spans = await telemetry.waitForSpans(2);
    const operation = spanNamed(spans, 'chat gpt-4o-mini');
    expect(operation.status.code).toBe(SpanStatusCode.UNSET);
    expect(operation.attributes).toMatchObject({
      'llm.aborted': true,
      'llm.stream.chunks': 3,
      'gen_ai.response.id': 'c1',
    });
    expect(operation.attributes['error.type']).toBeUndefined();
  });

  it('early cancel of the body stream ends both spans once', async () => {
    scripted.respond = async (_request, response) => {
      await sendSse(response, [chunk('a'), chunk('b')], { end: false });
    };
    const response = await post(`${scripted.server.url}/v1/chat/completions`);
    await response.body!.cancel();
    const spans = await telemetry.waitForSpans(2);
    expect(spanNamed(spans, 'POST').attributes['llm.aborted']).toBe(true);
  });

  it('undici.request with a body that is dumped ends both spans', async () => {
    scripted.respond = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"id":"x","choices":[]}');
    };
    const response = await undiciRequest(`${scripted.server.url}/v1/chat/completions`, {
      method: 'POST',
      body,
      dispatcher,
    });
    await response.body.dump();
    const spans = await telemetry.waitForSpans(2);
    expect(spans).toHaveLength(2);
  });
});
