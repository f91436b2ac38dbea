/**
 * Native wire formats through their real SDKs against the mock gateway: Anthropic Messages
 * (@anthropic-ai/sdk), Gemini (@google/genai) and Ollama (ollama). The call is recognised from its
 * route (operation, model from the path, provider), the response is read in its own format (finish
 * reason, usage, id, model), and the telemetry's usage equals what the SDK itself reports.
 */
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { Ollama } from 'ollama';
import type { Dispatcher } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from '../../src/gateway/server.ts';
import { createTelemetryDispatcher } from '../../src/index.ts';
import { childrenOf, createTestTelemetry } from '../support/telemetry.ts';

const telemetry = createTestTelemetry();
let gateway: Gateway;
let traced: Dispatcher;

beforeAll(async () => {
  gateway = await startGateway({ port: 0 });
  traced = createTelemetryDispatcher({
    tracerProvider: telemetry.tracerProvider,
    meterProvider: telemetry.meterProvider,
  });
});
afterAll(async () => {
  await traced.close();
  await gateway.close();
});
afterEach(() => {
  expect(telemetry.balance.unbalanced()).toEqual([]);
  telemetry.reset();
});

const fetchVia = ((url: string, init: RequestInit) =>
  fetch(url, { ...init, dispatcher: traced } as RequestInit)) as typeof fetch;

async function operation(): Promise<{ operation: ReadableSpan; attempt: ReadableSpan }> {
  const spans = await telemetry.waitForSpans(2);
  expect(spans).toHaveLength(2);
  const op = spans.find((span) => span.parentSpanContext === undefined) as ReadableSpan;
  const [attempt] = childrenOf(spans, op);
  return { operation: op, attempt: attempt as ReadableSpan };
}

describe('Anthropic Messages through @anthropic-ai/sdk', () => {
  const client = () =>
    new Anthropic({ apiKey: 'sk-ant-test', baseURL: gateway.url, maxRetries: 0, fetch: fetchVia });

  it('a message: stop reason, usage with cache tokens as input, id, model', async () => {
    const message = await client().messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Say hello' }],
    });
    const { operation: op } = await operation();
    expect(op.name).toBe('chat claude-sonnet-4-5');
    const usage = message.usage;
    expect(op.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-4-5',
      'gen_ai.request.stream': false,
      'gen_ai.response.id': message.id,
      'gen_ai.response.model': message.model,
      'gen_ai.response.finish_reasons': [message.stop_reason],
      'gen_ai.usage.input_tokens':
        usage.input_tokens + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0),
      'gen_ai.usage.output_tokens': usage.output_tokens,
    });
  });

  it('a stream: message_start identity and input usage, message_delta stop reason and output usage', async () => {
    const stream = await client().messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Say hello' }],
      stream: true,
    });
    let id = '';
    let input = 0;
    let output = 0;
    let stop: string | null = null;
    for await (const event of stream) {
      if (event.type === 'message_start') {
        id = event.message.id;
        const usage = event.message.usage;
        input =
          usage.input_tokens +
          (usage.cache_creation_input_tokens ?? 0) +
          (usage.cache_read_input_tokens ?? 0);
      }
      if (event.type === 'message_delta') {
        stop = event.delta.stop_reason;
        output = event.usage.output_tokens;
      }
    }
    const { operation: op, attempt } = await operation();
    expect(op.status.code).toBe(SpanStatusCode.UNSET);
    expect(op.attributes['llm.aborted']).toBeUndefined();
    expect(attempt.events).toEqual([]);
    expect(op.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.response.id': id,
      'gen_ai.response.model': 'claude-sonnet-4-5',
      'gen_ai.response.finish_reasons': [stop],
      'gen_ai.usage.input_tokens': input,
      'gen_ai.usage.output_tokens': output,
    });
    expect(op.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
  });

  it('a mid-stream overloaded_error: ERROR on both spans, the provider type as error.type', async () => {
    const stream = await client().messages.create(
      {
        model: 'claude-sonnet-4-5',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'x' }],
        stream: true,
      },
      { headers: { 'x-mock-scenario': 'mid-stream-error-event' } },
    );
    await expect(async () => {
      for await (const _ of stream);
    }).rejects.toThrow(/Overloaded/);
    const { operation: op, attempt } = await operation();
    for (const span of [op, attempt]) {
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes).toMatchObject({
        'error.type': 'overloaded_error',
        'llm.error.phase': 'mid_stream',
      });
      expect(span.attributes['llm.aborted']).toBeUndefined();
    }
  });
});

describe('Gemini through @google/genai', () => {
  async function withTracedFetch<T>(run: () => Promise<T>): Promise<T> {
    const original = globalThis.fetch;
    globalThis.fetch = ((url: string, init: RequestInit) =>
      original(url, { ...init, dispatcher: traced } as RequestInit)) as typeof fetch;
    try {
      return await run();
    } finally {
      globalThis.fetch = original;
    }
  }
  const client = () =>
    new GoogleGenAI({ apiKey: 'AIzaTestKey000000000000', httpOptions: { baseUrl: gateway.url } });

  it('generateContent: model from the path, gcp.gemini, finishReason, usageMetadata', async () => {
    const response = await withTracedFetch(() =>
      client().models.generateContent({ model: 'gemini-2.0-flash', contents: 'Say hello' }),
    );
    const { operation: op } = await operation();
    expect(op.name).toBe('generate_content gemini-2.0-flash');
    expect(op.attributes).toMatchObject({
      'gen_ai.operation.name': 'generate_content',
      'gen_ai.provider.name': 'gcp.gemini',
      'gen_ai.request.model': 'gemini-2.0-flash',
      'gen_ai.request.stream': false,
      'gen_ai.response.id': response.responseId,
      'gen_ai.response.model': response.modelVersion,
      'gen_ai.response.finish_reasons': [response.candidates?.[0]?.finishReason],
      'gen_ai.usage.input_tokens': response.usageMetadata?.promptTokenCount,
      'gen_ai.usage.output_tokens': response.usageMetadata?.candidatesTokenCount,
    });
  });

  it('streamGenerateContent: a stream by its route, complete at the finishReason chunk', async () => {
    let last: { finishReason?: string; prompt?: number; candidates?: number } = {};
    await withTracedFetch(async () => {
      const stream = await client().models.generateContentStream({
        model: 'gemini-2.0-flash',
        contents: 'Hi',
      });
      for await (const chunk of stream) {
        last = {
          finishReason: chunk.candidates?.[0]?.finishReason ?? last.finishReason,
          prompt: chunk.usageMetadata?.promptTokenCount,
          candidates: chunk.usageMetadata?.candidatesTokenCount ?? last.candidates,
        };
      }
    });
    const { operation: op, attempt } = await operation();
    expect(op.status.code).toBe(SpanStatusCode.UNSET);
    expect(attempt.events).toEqual([]);
    expect(op.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.response.finish_reasons': [last.finishReason],
      'gen_ai.usage.input_tokens': last.prompt,
      'gen_ai.usage.output_tokens': last.candidates,
    });
  });

  it('a 429 RESOURCE_EXHAUSTED: the provider status is error.type', async () => {
    await expect(
      withTracedFetch(() =>
        client().models.generateContent({
          model: 'gemini-2.0-flash',
          contents: 'x',
          config: { httpOptions: { headers: { 'x-mock-scenario': '429' } } },
        }),
      ),
    ).rejects.toThrow();
    const { operation: op } = await operation();
    expect(op.attributes['http.response.status_code']).toBe(429);
    expect(op.attributes['error.type']).toBe('RESOURCE_EXHAUSTED');
  });
});

describe('Ollama through the ollama package', () => {
  const client = (headers: Record<string, string> = {}) =>
    new Ollama({ host: gateway.url, fetch: fetchVia, headers });

  it('a streamed chat (the default): NDJSON read to done, counts as usage', async () => {
    let final: { done_reason?: string; prompt_eval_count?: number; eval_count?: number; model?: string } = {};
    const stream = await client().chat({
      model: 'llama3.2',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    for await (const part of stream) if (part.done) final = part;
    const { operation: op, attempt } = await operation();
    expect(op.name).toBe('chat llama3.2');
    expect(op.status.code).toBe(SpanStatusCode.UNSET);
    expect(attempt.events).toEqual([]);
    expect(op.attributes).toMatchObject({
      'gen_ai.provider.name': 'ollama',
      'gen_ai.request.stream': true,
      'gen_ai.response.model': final.model,
      'gen_ai.response.finish_reasons': [final.done_reason],
      'gen_ai.usage.input_tokens': final.prompt_eval_count,
      'gen_ai.usage.output_tokens': final.eval_count,
    });
  });

  it('"stream": false: one JSON answer', async () => {
    const response = await client().generate({ model: 'llama3.2', prompt: 'Hi', stream: false });
    const { operation: op } = await operation();
    expect(op.attributes).toMatchObject({
      'gen_ai.operation.name': 'text_completion',
      'gen_ai.request.stream': false,
      'gen_ai.usage.input_tokens': response.prompt_eval_count,
      'gen_ai.usage.output_tokens': response.eval_count,
      'gen_ai.response.finish_reasons': [response.done_reason],
    });
  });

  it('an error line inside a 200 stream is a mid-stream error', async () => {
    const stream = await client({ 'x-mock-scenario': 'mid-stream-server_error' }).chat({
      model: 'llama3.2',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    await expect(async () => {
      for await (const _ of stream);
    }).rejects.toThrow(/unexpected EOF/);
    const { operation: op, attempt } = await operation();
    for (const span of [op, attempt]) {
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes).toMatchObject({
        'error.type': 'stream_error',
        'llm.error.phase': 'mid_stream',
      });
      expect(String(span.attributes['llm.error.message'])).toContain('unexpected EOF');
    }
  });
});

describe('the providerName option', () => {
  it('a function receives the request URL, path included', async () => {
    const seen: string[] = [];
    const dispatcher = createTelemetryDispatcher({
      tracerProvider: telemetry.tracerProvider,
      meterProvider: telemetry.meterProvider,
      providerName: (url) => {
        seen.push(url.pathname);
        return url.pathname.startsWith('/api/') ? 'ollama-fleet' : undefined;
      },
    });
    try {
      const ollama = new Ollama({
        host: gateway.url,
        fetch: ((url: string, init: RequestInit) =>
          fetch(url, { ...init, dispatcher } as RequestInit)) as typeof fetch,
      });
      await ollama.generate({ model: 'llama3.2', prompt: 'Hi', stream: false });
      const { operation: op } = await operation();
      expect(seen).toEqual(['/api/generate']);
      expect(op.attributes['gen_ai.provider.name']).toBe('ollama-fleet');
    } finally {
      await dispatcher.close();
    }
  });
});

describe('Gemini streamGenerateContent without alt=sse', () => {
  it('a JSON array streamed as application/json: complete, with finish reason and usage, not an error', async () => {
    const response = await fetch(`${gateway.url}/v1beta/models/gemini-2.0-flash:streamGenerateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': 'AIzaTestKey000000000000' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] }),
      dispatcher: traced,
    } as RequestInit);
    expect(response.headers.get('content-type')).toContain('application/json');
    const chunks = (await response.json()) as Array<{ usageMetadata?: { candidatesTokenCount?: number } }>;
    const { operation: op } = await operation();
    expect(op.status.code).toBe(SpanStatusCode.UNSET);
    expect(op.attributes['error.type']).toBeUndefined();
    expect(op.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.response.finish_reasons': ['STOP'],
      'gen_ai.usage.output_tokens': chunks.at(-1)?.usageMetadata?.candidatesTokenCount,
    });
  });
});

describe('Bedrock converse-stream through fetch (application/vnd.amazon.eventstream)', () => {
  async function converseStream(scenario: string): Promise<number> {
    const response = await fetch(
      `${gateway.url}/model/${encodeURIComponent('anthropic.claude-3-5-haiku-20241022-v1:0')}/converse-stream`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-mock-scenario': scenario },
        body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Hi' }] }] }),
        dispatcher: traced,
      } as RequestInit,
    );
    return (await response.arrayBuffer()).byteLength;
  }

  it('model from the path, aws.bedrock, stop reason and usage from the event stream', async () => {
    expect(await converseStream('ok')).toBeGreaterThan(0);
    const { operation: op, attempt } = await operation();
    expect(op.name).toBe('chat anthropic.claude-3-5-haiku-20241022-v1:0');
    expect(op.status.code).toBe(SpanStatusCode.UNSET);
    expect(attempt.events).toEqual([]);
    expect(op.attributes).toMatchObject({
      'gen_ai.provider.name': 'aws.bedrock',
      'gen_ai.request.stream': true,
      'gen_ai.response.finish_reasons': ['end_turn'],
    });
    expect(op.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
    expect(op.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
  });

  it('an exception message mid-stream: ERROR, the exception type as error.type', async () => {
    await converseStream('mid-stream-rate_limit');
    const { operation: op, attempt } = await operation();
    for (const span of [op, attempt]) {
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes).toMatchObject({
        'error.type': 'throttlingException',
        'llm.error.phase': 'mid_stream',
      });
    }
  });
});

describe('Bedrock HTTP errors', () => {
  it('the x-amzn-errortype header names the error when the body does not', async () => {
    const response = await fetch(`${gateway.url}/model/amazon.nova-lite-v1:0/converse`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-mock-scenario': '429' },
      body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Hi' }] }] }),
      dispatcher: traced,
    } as RequestInit);
    expect(response.status).toBe(429);
    expect(response.headers.get('x-amzn-errortype')).toMatch(/^ThrottlingException/);
    await response.arrayBuffer();
    const { operation: op } = await operation();
    expect(op.attributes).toMatchObject({
      'error.type': 'ThrottlingException',
      'http.response.status_code': 429,
      'gen_ai.provider.name': 'aws.bedrock',
    });
    expect(op.attributes['http.response.header.x-amzn-requestid']).toHaveLength(1);
  });
});
