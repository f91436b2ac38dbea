import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { fetch as undiciFetch } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createTelemetryDispatcher } from '../../src/index.ts';
import { sendJson, traceparentsOf, useScriptedServer } from '../support/server.ts';
import { childrenOf, createTestTelemetry, exportedText, spanNamed } from '../support/telemetry.ts';

const telemetry = createTestTelemetry();
const options = { tracerProvider: telemetry.tracerProvider, meterProvider: telemetry.meterProvider };

const COMPLETION = {
  id: 'chatcmpl-123',
  object: 'chat.completion',
  model: 'gpt-4o-mini-2024-07-18',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hi' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
};

const scripted = useScriptedServer();
afterAll(async () => {
  await telemetry.shutdown();
});
afterEach(() => {
  expect(telemetry.balance.unbalanced()).toEqual([]);
  telemetry.reset();
  scripted.server.requests.length = 0;
});

function chatBody(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }], ...extra });
}

describe('a successful chat completion through undici fetch', () => {
  it('records an operation span with one attempt span beneath it, parented on the active span', async () => {
    scripted.respond = (_request, response) =>
      sendJson(response, 200, COMPLETION, { 'x-request-id': 'req_abc' });
    const dispatcher = createTelemetryDispatcher(options);
    const parent = telemetry.tracerProvider.getTracer('app').startSpan('app work');
    const text = await context.with(trace.setSpan(context.active(), parent), async () => {
      const response = await undiciFetch(
        `${scripted.server.url}/v1/chat/completions?api_key=sk-secret-in-query`,
        {
          method: 'POST',
          headers: { authorization: 'Bearer sk-secret-header', 'content-type': 'application/json' },
          body: chatBody(),
          dispatcher,
        },
      );
      return response.text();
    });
    parent.end();
    expect(JSON.parse(text)).toEqual(COMPLETION);

    const spans = await telemetry.waitForSpans(3);
    const operation = spanNamed(spans, 'chat gpt-4o-mini');
    const attempt = spanNamed(spans, 'POST');
    expect(operation.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(childrenOf(spans, operation)).toEqual([attempt]);
    expect(operation.kind).toBe(2 /* CLIENT */);
    expect(attempt.kind).toBe(2);
    expect(operation.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': '127.0.0.1',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.stream': false,
      'gen_ai.response.id': 'chatcmpl-123',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 3,
      'llm.retry.attempts': 1,
      'http.response.header.x-request-id': ['req_abc'],
    });
    expect(operation.attributes['error.type']).toBeUndefined();
    expect(attempt.attributes).toEqual({
      'http.request.method': 'POST',
      'url.full': `${scripted.server.url}/v1/chat/completions?api_key=REDACTED`,
      'server.address': '127.0.0.1',
      'server.port': scripted.server.port,
      'http.request.resend_count': 0,
      'http.response.status_code': 200,
      'http.response.header.x-request-id': ['req_abc'],
      'network.protocol.version': '1.1',
    });
    expect(attempt.status.code).toBe(SpanStatusCode.UNSET);

    const [received] = scripted.server.requests;
    expect(traceparentsOf(received!)).toEqual([
      `00-${attempt.spanContext().traceId}-${attempt.spanContext().spanId}-01`,
    ]);
    expect(exportedText(spans)).not.toContain('sk-secret');
  });

  it('replaces a traceparent the application set instead of sending two', async () => {
    scripted.respond = (_request, response) => sendJson(response, 200, COMPLETION);
    const dispatcher = createTelemetryDispatcher(options);
    const stale = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await (
      await undiciFetch(`${scripted.server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { traceparent: stale, 'content-type': 'application/json' },
        body: chatBody(),
        dispatcher,
      })
    ).arrayBuffer();
    const spans = await telemetry.waitForSpans(2);
    const attempt = spanNamed(spans, 'POST');
    expect(traceparentsOf(scripted.server.requests[0]!)).toEqual([
      `00-${attempt.spanContext().traceId}-${attempt.spanContext().spanId}-01`,
    ]);
  });
});
