import { createOpenAI } from '@ai-sdk/openai';
import type { SpanContext } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { generateText } from 'ai';
import type { Dispatcher } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from '../../src/gateway/server.ts';
import { createTelemetryDispatcher } from '../../src/index.ts';
import { callKey, InferredRetries } from '../../src/inferred-retries/inferred-retries.ts';
import { createTestTelemetry } from '../support/telemetry.ts';

const span = (id: string): SpanContext => ({
  traceId: 'a'.repeat(32),
  spanId: id.padStart(16, '0'),
  traceFlags: 1,
});

describe('InferredRetries: bounded bookkeeping', () => {
  it('a failure is linked once, within the window only', () => {
    const tracker = new InferredRetries({ windowMs: 1000 });
    tracker.failed('k', { span: span('1'), resendCount: 0, reason: '503' }, 0);
    expect(tracker.resending('other', 10)).toBeUndefined();
    expect(tracker.resending('k', 1000)).toEqual({ span: span('1'), resendCount: 0, reason: '503', at: 0 });
    expect(tracker.resending('k', 1001)).toBeUndefined();
    tracker.failed('k', { span: span('2'), resendCount: 1, reason: '429' }, 0);
    expect(tracker.resending('k', 1001)).toBeUndefined();
    expect(tracker.size).toBe(0);
  });

  it('remembers at most maxTracked failures, forgetting the oldest', () => {
    const tracker = new InferredRetries({ maxTracked: 3 });
    for (let i = 0; i < 10; i++)
      tracker.failed(`k${i}`, { span: span(String(i)), resendCount: 0, reason: '503' }, 0);
    expect(tracker.size).toBe(3);
    expect(tracker.resending('k6', 1)).toBeUndefined();
    expect(tracker.resending('k9', 1)?.span.spanId).toBe(span('9').spanId);
  });

  it('the key depends on endpoint and every byte of the body', () => {
    const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x'.repeat(10_000) }] });
    expect(callKey('http://h', '/v1/chat/completions', body)).toBe(
      callKey('http://h', '/v1/chat/completions', body),
    );
    expect(callKey('http://h', '/v1/chat/completions', body)).not.toBe(
      callKey('http://h', '/v1/chat/completions', `${body.slice(0, -3)}y"}]}`),
    );
    expect(callKey('http://h', '/v1/chat/completions', body)).not.toBe(
      callKey('http://h2', '/v1/chat/completions', body),
    );
    expect(callKey('http://h', '/v1/chat/completions', body)).not.toContain('xxxx');
  });
});

describe('an SDK that retries without saying so', () => {
  const telemetry = createTestTelemetry();
  let gateway: Gateway;
  let traced: Dispatcher;
  let off: Dispatcher;
  beforeAll(async () => {
    gateway = await startGateway({ port: 0 });
    traced = createTelemetryDispatcher({
      tracerProvider: telemetry.tracerProvider,
      meterProvider: telemetry.meterProvider,
    });
    off = createTelemetryDispatcher({
      tracerProvider: telemetry.tracerProvider,
      meterProvider: telemetry.meterProvider,
      inferRetries: false,
    });
  });
  afterAll(async () => {
    await Promise.all([traced.close(), off.close()]);
    await gateway.close();
  });
  afterEach(() => {
    expect(telemetry.balance.unbalanced()).toEqual([]);
    telemetry.reset();
  });

  const operations = (spans: readonly ReadableSpan[]) =>
    spans
      .filter((s) => s.parentSpanContext === undefined)
      .sort((a, b) => a.startTime[1] - b.startTime[1] + (a.startTime[0] - b.startTime[0]) * 1e9);

  async function resendByHand(dispatcher: Dispatcher, sequenceId: string, body: string[]): Promise<number[]> {
    const statuses: number[] = [];
    for (const text of body) {
      const response = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-mock-scenario-sequence': '503,429,ok',
          'x-mock-sequence-id': sequenceId,
        },
        body: text,
        dispatcher,
      } as RequestInit);
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    return statuses;
  }

  it('an identical resend after a 503 and a 429 is resend 1, then 2, linked to the call it repeats', async () => {
    const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(await resendByHand(traced, 'hand-1', [body, body, body])).toEqual([503, 429, 200]);
    const spans = await telemetry.waitForSpans(6);
    const [first, second, third] = operations(spans) as [ReadableSpan, ReadableSpan, ReadableSpan];
    expect(first.attributes['http.request.resend_count']).toBeUndefined();
    expect(first.links).toEqual([]);
    expect(second.attributes).toMatchObject({
      'http.request.resend_count': 1,
      'llm.retry.source': 'inferred',
    });
    expect(second.links.map((link) => link.context.spanId)).toEqual([first.spanContext().spanId]);
    expect(third.attributes).toMatchObject({
      'http.request.resend_count': 2,
      'llm.retry.source': 'inferred',
    });
    expect(third.links.map((link) => link.context.spanId)).toEqual([second.spanContext().spanId]);
    const attempts = spans.filter((s) => s.parentSpanContext?.spanId === third.spanContext().spanId);
    expect(attempts.map((a) => a.attributes['http.request.resend_count'])).toEqual([2]);
    const retries = await telemetry.metricPoints('llm.client.retries');
    expect(retries.map((p) => [p.attributes['llm.retry.reason'], p.value]).sort()).toEqual([
      ['429', 1],
      ['503', 1],
    ]);
  });

  it('a different body, or inference turned off, is a new call', async () => {
    const a = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'a' }] });
    const b = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'b' }] });
    await resendByHand(traced, 'hand-2', [a, b]);
    await resendByHand(off, 'hand-3', [a, a]);
    const spans = await telemetry.waitForSpans(8);
    for (const operation of operations(spans)) {
      expect(operation.attributes['llm.retry.source']).toBeUndefined();
      expect(operation.links).toEqual([]);
    }
  });

  it('the AI SDK (no retry header): its resend after a 503 is linked as inferred', async () => {
    const provider = createOpenAI({
      baseURL: `${gateway.url}/v1`,
      apiKey: 'sk-test-inferred',
      headers: { 'x-mock-scenario-sequence': '503,ok', 'x-mock-sequence-id': 'ai-sdk-1' },
      fetch: ((url: string, init: RequestInit) =>
        fetch(url, { ...init, dispatcher: traced } as RequestInit)) as never,
    });
    const result = await generateText({
      model: provider.chat('gpt-4o-mini'),
      prompt: 'Say hello',
      maxRetries: 1,
    });
    expect(result.text.length).toBeGreaterThan(0);
    const spans = await telemetry.waitForSpans(4);
    const [first, second] = operations(spans) as [ReadableSpan, ReadableSpan];
    expect(first.attributes['http.response.status_code']).toBe(503);
    expect(second.attributes).toMatchObject({
      'http.response.status_code': 200,
      'http.request.resend_count': 1,
      'llm.retry.source': 'inferred',
    });
    expect(second.links.map((link) => link.context.spanId)).toEqual([first.spanContext().spanId]);
  }, 15_000);
});
