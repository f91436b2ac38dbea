/**
 * The ways an application's requests reach the interceptor: Node's built-in fetch through the
 * global dispatcher, the built-in fetch and the openai SDK with a per-call dispatcher, undici's
 * request — and alongside @opentelemetry/instrumentation-undici without a second traceparent.
 */
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import OpenAI from 'openai';
import { request as undiciRequest } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTelemetryDispatcher, installFetchTelemetry } from '../../src/index.ts';
import { sendJson, startTestServer, type TestServer, traceparentsOf } from '../support/server.ts';
import { createTestTelemetry, spanNamed } from '../support/telemetry.ts';

const telemetry = createTestTelemetry();
const options = { tracerProvider: telemetry.tracerProvider, meterProvider: telemetry.meterProvider };
const COMPLETION = {
  id: 'chatcmpl-9',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hi there' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
};

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer((_request, response) =>
    sendJson(response, 200, COMPLETION, { 'x-request-id': 'req_c' }),
  );
});
afterAll(() => server.close());
afterEach(() => {
  expect(telemetry.balance.unbalanced()).toEqual([]);
  telemetry.reset();
  server.requests.length = 0;
});

const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });

function expectOneTracedCall(): void {
  const spans = telemetry.spans();
  const attempt = spanNamed(spans, 'POST');
  expect(spanNamed(spans, 'chat gpt-4o-mini').attributes['http.response.header.x-request-id']).toEqual([
    'req_c',
  ]);
  expect(traceparentsOf(server.requests.at(-1)!)).toEqual([
    `00-${attempt.spanContext().traceId}-${attempt.spanContext().spanId}-01`,
  ]);
}

describe('clients', () => {
  it("Node's built-in fetch through installFetchTelemetry, and uninstall restores the previous dispatcher", async () => {
    const installation = installFetchTelemetry(options);
    try {
      const response = await fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(await response.json()).toEqual(COMPLETION);
      await telemetry.waitForSpans(2);
      expectOneTracedCall();
    } finally {
      await installation.uninstall();
    }
    telemetry.reset();
    await (await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', body })).arrayBuffer();
    expect(telemetry.spans()).toEqual([]);
  });

  it("Node's built-in fetch with a per-call dispatcher (legacy handler API)", async () => {
    const dispatcher = createTelemetryDispatcher(options);
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
      body,
      // @ts-expect-error Node's fetch accepts an undici dispatcher; its types do not say so
      dispatcher,
    });
    expect(await response.json()).toEqual(COMPLETION);
    await telemetry.waitForSpans(2);
    expectOneTracedCall();
    await dispatcher.close();
  });

  it("undici's request()", async () => {
    const dispatcher = createTelemetryDispatcher(options);
    const response = await undiciRequest(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      body,
      dispatcher,
    });
    expect(await response.body.json()).toEqual(COMPLETION);
    await telemetry.waitForSpans(2);
    expectOneTracedCall();
    await dispatcher.close();
  });

  it('the openai SDK through fetchOptions.dispatcher', async () => {
    const dispatcher = createTelemetryDispatcher(options);
    const client = new OpenAI({
      apiKey: 'sk-openai-test-key',
      baseURL: `${server.url}/v1`,
      maxRetries: 0,
      fetchOptions: { dispatcher } as never,
    });
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(completion.choices[0]?.message.content).toBe('Hi there');
    const spans = await telemetry.waitForSpans(2);
    expectOneTracedCall();
    expect(JSON.stringify(spans.map((span) => span.attributes))).not.toContain('sk-openai-test-key');
    await dispatcher.close();
  });

  it('with @opentelemetry/instrumentation-undici also active, the server sees exactly one traceparent', async () => {
    const instrumentation = new UndiciInstrumentation();
    instrumentation.setTracerProvider(telemetry.tracerProvider);
    instrumentation.enable();
    const dispatcher = createTelemetryDispatcher(options);
    try {
      const response = await undiciRequest(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        body,
        dispatcher,
      });
      await response.body.arrayBuffer();
      const spans = await telemetry.waitForSpans(3);
      const ours = spans.filter((span) => span.instrumentationScope.name === 'llm-otel-dispatcher');
      const theirs = spans.filter((span) => span.instrumentationScope.name !== 'llm-otel-dispatcher');
      const attempt = spanNamed(ours, 'POST');
      expect(theirs.map((span) => span.name)).toEqual(['POST']);
      // Their span nests under our attempt; the server's parent is our attempt span.
      expect(theirs[0]?.parentSpanContext?.spanId).toBe(attempt.spanContext().spanId);
      const sent = traceparentsOf(server.requests.at(-1)!);
      expect(sent).toEqual([`00-${attempt.spanContext().traceId}-${attempt.spanContext().spanId}-01`]);
    } finally {
      instrumentation.disable();
      await dispatcher.close();
    }
  });
});

describe('handlers', () => {
  it('a new-API handler with only some callbacks is not mistaken for a legacy one', async () => {
    const dispatcher = createTelemetryDispatcher(options);
    const outcome = await new Promise<string>((resolve) => {
      dispatcher.dispatch(
        { origin: server.url, path: '/v1/chat/completions', method: 'POST', body },
        {
          onResponseEnd: () => resolve('end'),
          onResponseError: (_controller, error) => resolve(`error: ${error.message}`),
        },
      );
    });
    expect(outcome).toBe('end');
    await telemetry.waitForSpans(2);
    expectOneTracedCall();
    await dispatcher.close();
  });
});
