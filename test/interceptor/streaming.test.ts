/**
 * Streams through real clients — the openai SDK and the AI SDK — against the mock gateway: the
 * client receives exactly what it receives without the interceptor, and the trace says what
 * happened (mid-stream errors, truncation, resets, compression, keep-alives, early exits).
 */
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { streamText } from 'ai';
import OpenAI from 'openai';
import { Agent, type Dispatcher, Dispatcher1Wrapper, fetch as undiciFetch } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from '../../src/gateway/server.ts';
import { createTelemetryDispatcher } from '../../src/index.ts';
import { childrenOf, createTestTelemetry, spanNamed } from '../support/telemetry.ts';

const telemetry = createTestTelemetry();
let gateway: Gateway;
/** Streams one chunk every 25 ms, so the client can leave before the body has arrived. */
let slowGateway: Gateway;
/** The baseline: what an application needs without us to pass undici 8 to the built-in fetch. */
let bare: Dispatcher;
let traced: Dispatcher;

beforeAll(async () => {
  gateway = await startGateway({ port: 0 });
  slowGateway = await startGateway({ port: 0, chunkDelayMs: 25, streamChunks: 20 });
  bare = new Dispatcher1Wrapper(new Agent());
  traced = createTelemetryDispatcher({
    tracerProvider: telemetry.tracerProvider,
    meterProvider: telemetry.meterProvider,
  });
});
afterAll(async () => {
  await Promise.all([bare.close(), traced.close()]);
  await Promise.all([gateway.close(), slowGateway.close()]);
});
afterEach(() => {
  expect(telemetry.balance.unbalanced()).toEqual([]);
  telemetry.reset();
});

interface Received {
  text: string;
  chunks: number;
  error: string | undefined;
}

async function viaOpenAI(
  dispatcher: Dispatcher,
  scenario: string,
  stopAfter = Infinity,
  server = gateway,
): Promise<Received> {
  const client = new OpenAI({
    apiKey: 'sk-streaming-test-key',
    baseURL: `${server.url}/v1`,
    maxRetries: 0,
    fetchOptions: { dispatcher } as never,
  });
  const received: Received = { text: '', chunks: 0, error: undefined };
  try {
    const stream = await client.chat.completions.create(
      {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'Say hello' }],
        stream: true,
        stream_options: { include_usage: true },
      },
      { headers: { 'x-mock-scenario': scenario } },
    );
    for await (const chunk of stream) {
      received.chunks++;
      received.text += chunk.choices[0]?.delta?.content ?? '';
      if (received.chunks >= stopAfter) break;
    }
  } catch (error) {
    received.error = `${(error as Error).constructor.name}: ${(error as Error).message}`;
  }
  return received;
}

async function operationTrace(): Promise<{ operation: ReadableSpan; attempt: ReadableSpan }> {
  const spans = await telemetry.waitForSpans(2);
  const operation = spanNamed(spans, 'chat gpt-4o-mini');
  const [attempt] = childrenOf(spans, operation);
  return { operation, attempt: attempt as ReadableSpan };
}

describe('the openai SDK streaming through the interceptor', () => {
  it.each([
    'ok',
    'keepalive',
    'gzip',
    'usage',
    'truncate',
    'reset-mid-stream',
    'mid-stream-rate_limit',
    'mid-stream-error-event',
  ])('%s: the application receives exactly what it receives without the interceptor', async (scenario) => {
    const plain = await viaOpenAI(bare, scenario);
    telemetry.reset();
    const withTelemetry = await viaOpenAI(traced, scenario);
    expect(withTelemetry).toEqual(plain);
    await operationTrace();
  });

  it('a complete stream: response attributes, usage and time to first chunk', async () => {
    const received = await viaOpenAI(traced, 'ok');
    expect(received.error).toBeUndefined();
    const { operation, attempt } = await operationTrace();
    expect(operation.status.code).toBe(SpanStatusCode.UNSET);
    expect(operation.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.response.model': 'gpt-4o-mini',
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(operation.attributes['gen_ai.response.id']).toMatch(/^chatcmpl-/);
    expect(operation.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
    expect(operation.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    expect(operation.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
    expect(attempt.events).toEqual([]);
    const ttfc = await telemetry.metricPoints('gen_ai.client.operation.time_to_first_chunk');
    expect(ttfc.length).toBeGreaterThan(0);
  });

  it.each([
    ['context_length_exceeded', "The input exceeds the model's maximum context length.", false],
    ['content_filter', 'Content was blocked by a safety filter', false],
    ['rate_limit', 'Rate limit hit during generation', true],
    ['server_error', 'Upstream provider failed during generation', true],
  ])(
    'mid-stream %s: llm.stream.error on both spans, status ERROR, phase mid_stream',
    async (code, message, retryable) => {
      await viaOpenAI(traced, `mid-stream-${code}`);
      const { operation, attempt } = await operationTrace();
      for (const span of [operation, attempt]) {
        expect(span.status.code).toBe(SpanStatusCode.ERROR);
        expect(span.attributes).toMatchObject({
          'error.type': code,
          'llm.error.message': message,
          'llm.error.phase': 'mid_stream',
          'llm.error.retryable': retryable,
          'http.response.status_code': 200,
        });
        const events = span.events.filter((event) => event.name === 'llm.stream.error');
        expect(events).toHaveLength(1);
        expect(events[0]?.attributes).toMatchObject({
          'error.type': code,
          'llm.error.message': message,
          'llm.stream.chunk_index': 2,
        });
        expect(events[0]?.attributes?.['llm.stream.bytes_received']).toBeGreaterThan(0);
      }
      expect(operation.attributes['gen_ai.response.finish_reasons']).toEqual(['error']);
    },
  );

  it('an event: error frame and a top-level error object are mid-stream errors too', async () => {
    for (const scenario of ['mid-stream-error-event', 'mid-stream-top-level-error']) {
      await viaOpenAI(traced, scenario);
      const { attempt } = await operationTrace();
      expect(attempt.attributes['error.type']).toBe('server_error');
      expect(attempt.events.map((event) => event.name)).toEqual(['llm.stream.error']);
      telemetry.reset();
    }
  });

  it('a stream that ends without [DONE] or a finish reason is truncated', async () => {
    await viaOpenAI(traced, 'truncate');
    const { operation, attempt } = await operationTrace();
    expect(attempt.events.map((event) => event.name)).toEqual(['llm.stream.truncated']);
    expect(attempt.events[0]?.attributes?.['error.type']).toBe('stream_truncated');
    expect(operation.attributes).toMatchObject({
      'error.type': 'stream_truncated',
      'llm.error.phase': 'mid_stream',
    });
    expect(operation.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('a gzip-encoded stream is decoded from a copy for telemetry', async () => {
    const received = await viaOpenAI(traced, 'gzip');
    expect(received.text.length).toBeGreaterThan(0);
    const { operation } = await operationTrace();
    expect(operation.attributes['gen_ai.response.finish_reasons']).toEqual(['stop']);
    expect(operation.attributes['error.type']).toBeUndefined();
  });

  it('breaking out of the stream early ends both spans once, status unset, with partial counts', async () => {
    const received = await viaOpenAI(traced, 'ok', 2, slowGateway);
    expect(received.chunks).toBe(2);
    const { operation, attempt } = await operationTrace();
    for (const span of [operation, attempt]) {
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(span.attributes['llm.aborted']).toBe(true);
      expect(span.attributes['error.type']).toBeUndefined();
    }
    expect(operation.attributes['llm.stream.chunks']).toBeGreaterThanOrEqual(2);
  });
});

describe('the AI SDK streaming through the interceptor', () => {
  async function viaAiSdk(
    dispatcher: Dispatcher,
    scenario: string,
  ): Promise<{ text: string; error?: string }> {
    const provider = createOpenAICompatible({
      name: 'gateway',
      baseURL: `${gateway.url}/v1`,
      apiKey: 'sk-ai-sdk-test',
      headers: { 'x-mock-scenario': scenario },
      fetch: ((url: string, init: RequestInit) =>
        undiciFetch(url, { ...(init as object), dispatcher })) as never,
    });
    const result = streamText({
      model: provider.chatModel('gpt-4o-mini'),
      prompt: 'Say hello',
      maxRetries: 0,
    });
    let text = '';
    let error: string | undefined;
    for await (const part of result.fullStream) {
      if (part.type === 'text-delta') text += part.text;
      if (part.type === 'error') error = String((part.error as Error)?.message ?? part.error);
    }
    return { text, ...(error === undefined ? {} : { error }) };
  }

  it.each(['ok', 'mid-stream-context_length_exceeded', 'truncate'])(
    '%s: same text, spans end once',
    async (scenario) => {
      const plain = await viaAiSdk(bare, scenario);
      telemetry.reset();
      const withTelemetry = await viaAiSdk(traced, scenario);
      expect(withTelemetry).toEqual(plain);
      const { operation } = await operationTrace();
      if (scenario === 'ok') expect(operation.attributes['error.type']).toBeUndefined();
      else
        expect(operation.attributes['error.type']).toBe(
          scenario === 'truncate' ? 'stream_truncated' : 'context_length_exceeded',
        );
    },
  );
});
