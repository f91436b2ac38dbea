/**
 * Stream endings as real SDKs and servers produce them. Each wire format's terminal and error
 * events are sent every way test/support/stream-endings.ts knows (end in the same write, in its own
 * write 0/1/50 ms later, never, byte by byte) to the clients that speak that format: the real SDK,
 * which stops reading at the terminal or error event and cancels the body, Node's built-in fetch
 * and undici.request reading to the end. The outcome must be what passed on the wire, whoever
 * closed the body: a finished stream is never `aborted`, a mid-stream error is never lost, and an
 * SSE response that is not an LLM stream (MCP) is never an error. The application's result is the
 * same with and without the library.
 */

import { createOpenAI } from '@ai-sdk/openai';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { streamText } from 'ai';
import OpenAI from 'openai';
import { Agent, type Dispatcher, Dispatcher1Wrapper, request } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTelemetryDispatcher } from '../../src/index.ts';
import { summaryLine } from '../../src/register/console-summary.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import {
  DELIVERIES,
  type Delivery,
  ENDING_DELIVERIES,
  sendStream,
  sse,
  sseData,
} from '../support/stream-endings.ts';
import { childrenOf, createTestTelemetry, type TestTelemetry } from '../support/telemetry.ts';

// ---- the wire: one event sequence per scenario, as each provider documents it ----

const chatChunk = (delta: object, finish: string | null = null, extra: object = {}) => ({
  id: 'chatcmpl-end1',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'gpt-4o-mini',
  choices: [{ index: 0, delta, finish_reason: finish }],
  ...extra,
});
const usageChunk = {
  ...chatChunk({}),
  choices: [],
  usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 },
};
const responseObject = (status: string, extra: object = {}) => ({
  id: 'resp_end1',
  object: 'response',
  created_at: 1,
  model: 'gpt-4o-mini',
  status,
  output: [],
  usage: { input_tokens: 9, output_tokens: 2, total_tokens: 11 },
  ...extra,
});
const anthropicStart = {
  type: 'message_start',
  message: {
    id: 'msg_end1',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5',
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 25, output_tokens: 1 },
  },
};
const anthropicDelta = (text: string) => ({
  type: 'content_block_delta',
  index: 0,
  delta: { type: 'text_delta', text },
});
const geminiChunk = (text: string, finishReason?: string) => ({
  candidates: [
    { content: { parts: [{ text }], role: 'model' }, index: 0, ...(finishReason ? { finishReason } : {}) },
  ],
  modelVersion: 'gemini-2.0-flash',
  responseId: 'gem_end1',
  ...(finishReason
    ? { usageMetadata: { promptTokenCount: 7, candidatesTokenCount: 2, totalTokenCount: 9 } }
    : {}),
});

type Format = 'chat' | 'responses' | 'anthropic' | 'gemini' | 'mcp';

interface Scenario {
  readonly format: Format;
  readonly body: string;
  /** The error.type the wire says, or undefined for a call that completed. */
  readonly errorType: string | undefined;
}

const SCENARIOS: Record<string, Scenario> = {
  'chat [DONE]': {
    format: 'chat',
    body: sseData(
      [
        chatChunk({ role: 'assistant', content: 'Hel' }),
        chatChunk({ content: 'lo' }),
        chatChunk({}, 'stop'),
        usageChunk,
      ],
      true,
    ),
    errorType: undefined,
  },
  'chat error object': {
    format: 'chat',
    body: sseData([
      chatChunk({ role: 'assistant', content: 'Hel' }),
      { error: { message: 'Upstream provider failed', type: 'server_error', code: 'server_error' } },
    ]),
    errorType: 'server_error',
  },
  'chat finish_reason error (Cline)': {
    format: 'chat',
    body: sseData(
      [
        chatChunk({ role: 'assistant', content: 'Hel' }),
        {
          ...chatChunk({}, 'error'),
          choices: [
            {
              index: 0,
              delta: {},
              finish_reason: 'error',
              error: { code: 'context_length_exceeded', message: 'The input exceeds the context.' },
            },
          ],
        },
      ],
      true,
    ),
    errorType: 'context_length_exceeded',
  },
  'chat event: error': {
    format: 'chat',
    body:
      sseData([chatChunk({ role: 'assistant', content: 'Hel' })]) +
      sse([
        {
          event: 'error',
          data: { error: { message: 'Overloaded', type: 'server_error', code: 'overloaded' } },
        },
      ]),
    errorType: 'overloaded',
  },
  'responses completed': {
    format: 'responses',
    body: sse([
      {
        event: 'response.created',
        data: { type: 'response.created', response: responseObject('in_progress') },
      },
      { event: 'response.output_text.delta', data: { type: 'response.output_text.delta', delta: 'Hello' } },
      {
        event: 'response.completed',
        data: { type: 'response.completed', response: responseObject('completed') },
      },
    ]),
    errorType: undefined,
  },
  'responses failed': {
    format: 'responses',
    body: sse([
      {
        event: 'response.created',
        data: { type: 'response.created', response: responseObject('in_progress') },
      },
      { event: 'response.output_text.delta', data: { type: 'response.output_text.delta', delta: 'Hel' } },
      {
        event: 'response.failed',
        data: {
          type: 'response.failed',
          response: responseObject('failed', {
            error: { code: 'server_error', message: 'The model failed.' },
          }),
        },
      },
    ]),
    errorType: 'server_error',
  },
  'responses event: error': {
    format: 'responses',
    body: sse([
      {
        event: 'response.created',
        data: { type: 'response.created', response: responseObject('in_progress') },
      },
      { event: 'response.output_text.delta', data: { type: 'response.output_text.delta', delta: 'Hel' } },
      {
        event: 'error',
        data: { type: 'error', code: 'rate_limit_exceeded', message: 'Rate limit reached.', param: null },
      },
    ]),
    errorType: 'rate_limit_exceeded',
  },
  'anthropic message_stop': {
    format: 'anthropic',
    body: sse([
      { event: 'message_start', data: anthropicStart },
      {
        event: 'content_block_start',
        data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      },
      { event: 'ping', data: { type: 'ping' } },
      { event: 'content_block_delta', data: anthropicDelta('Hel') },
      { event: 'content_block_delta', data: anthropicDelta('lo') },
      { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
      {
        event: 'message_delta',
        data: {
          type: 'message_delta',
          delta: { stop_reason: 'end_turn', stop_sequence: null },
          usage: { output_tokens: 2 },
        },
      },
      { event: 'message_stop', data: { type: 'message_stop' } },
    ]),
    errorType: undefined,
  },
  'anthropic event: error': {
    format: 'anthropic',
    body: sse([
      { event: 'message_start', data: anthropicStart },
      {
        event: 'content_block_start',
        data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      },
      { event: 'content_block_delta', data: anthropicDelta('Hel') },
      { event: 'error', data: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } },
    ]),
    errorType: 'overloaded_error',
  },
  'gemini finishReason': {
    format: 'gemini',
    body: sseData([geminiChunk('Hel'), geminiChunk('lo', 'STOP')]),
    errorType: undefined,
  },
  'gemini error object': {
    format: 'gemini',
    body: sseData([
      geminiChunk('Hel'),
      { error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } },
    ]),
    errorType: 'UNAVAILABLE',
  },
  'mcp tool result': {
    format: 'mcp',
    body: sse([
      {
        event: 'message',
        data: { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: '42' }], isError: false } },
      },
    ]),
    errorType: undefined,
  },
};

const PATHS: Record<Format, string> = {
  chat: '/v1/chat/completions',
  responses: '/v1/responses',
  anthropic: '/v1/messages',
  gemini: '/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse',
  mcp: '/mcp',
};
/** Operation span name when the route is a recognised LLM call (undefined: named by the method). */
const OPERATION_NAMES: Record<Format, string | undefined> = {
  chat: 'chat gpt-4o-mini',
  responses: 'chat gpt-4o-mini',
  anthropic: 'chat claude-sonnet-4-5',
  gemini: 'generate_content gemini-2.0-flash',
  mcp: undefined,
};

// ---- the clients ----

interface Received {
  text: string;
  error: string | undefined;
}

type Client = (base: string, dispatcher: Dispatcher, headers: Record<string, string>) => Promise<Received>;

function describeError(error: unknown): string {
  return `${(error as Error)?.constructor?.name}: ${(error as Error)?.message ?? String(error)}`;
}

async function collect(run: (received: Received) => Promise<void>): Promise<Received> {
  const received: Received = { text: '', error: undefined };
  try {
    await run(received);
  } catch (error) {
    received.error = describeError(error);
  }
  return received;
}

/** Node's built-in fetch, body read to the end. */
const builtInFetch: Client = (base, dispatcher, headers) =>
  collect(async (received) => {
    const format = headers['x-test-format'] as Format;
    const response = await fetch(`${base}${PATHS[format]}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(requestBody(format)),
      dispatcher,
    } as RequestInit);
    received.text = await response.text();
  });

const undiciRequest: Client = (base, dispatcher, headers) =>
  collect(async (received) => {
    const format = headers['x-test-format'] as Format;
    const response = await request(`${base}${PATHS[format]}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(requestBody(format)),
      dispatcher,
    });
    received.text = await response.body.text();
  });

const openaiChat: Client = (base, dispatcher, headers) =>
  collect(async (received) => {
    const client = new OpenAI({
      apiKey: 'sk-test-stream-endings',
      baseURL: `${base}/v1`,
      maxRetries: 0,
      defaultHeaders: headers,
      fetchOptions: { dispatcher } as never,
    });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Say hello' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const chunk of stream) received.text += chunk.choices[0]?.delta?.content ?? '';
  });

const openaiResponses: Client = (base, dispatcher, headers) =>
  collect(async (received) => {
    const client = new OpenAI({
      apiKey: 'sk-test-stream-endings',
      baseURL: `${base}/v1`,
      maxRetries: 0,
      defaultHeaders: headers,
      fetchOptions: { dispatcher } as never,
    });
    const stream = await client.responses.create({ model: 'gpt-4o-mini', input: 'Say hello', stream: true });
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') received.text += event.delta;
      else received.text += `[${event.type}]`;
    }
  });

const aiSdk: Client = (base, dispatcher, headers) =>
  collect(async (received) => {
    const provider = createOpenAI({
      baseURL: `${base}/v1`,
      apiKey: 'sk-test-stream-endings',
      headers,
      fetch: ((url: string, init: RequestInit) =>
        fetch(url, { ...init, dispatcher } as RequestInit)) as never,
    });
    const result = streamText({ model: provider.chat('gpt-4o-mini'), prompt: 'Say hello', maxRetries: 0 });
    for await (const part of result.fullStream) {
      if (part.type === 'text-delta') received.text += part.text;
      if (part.type === 'error') received.error = describeError(part.error);
      if (part.type === 'finish') received.text += `[${part.finishReason}]`;
    }
  });

const anthropicSdk: Client = (base, dispatcher, headers) =>
  collect(async (received) => {
    const client = new Anthropic({
      apiKey: 'sk-ant-test-stream-endings',
      baseURL: base,
      maxRetries: 0,
      defaultHeaders: headers,
      fetchOptions: { dispatcher } as never,
    });
    const stream = await client.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Say hello' }],
      stream: true,
    });
    for await (const event of stream) {
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta')
        received.text += event.delta.text;
      else received.text += `[${event.type}]`;
    }
  });

/** @google/genai takes no dispatcher: it calls the global fetch, wrapped here for the duration of one call. */
const googleGenAi: Client = async (base, dispatcher, headers) => {
  const original = globalThis.fetch;
  globalThis.fetch = ((url: string, init: RequestInit) =>
    original(url, { ...init, dispatcher } as RequestInit)) as typeof fetch;
  try {
    return await collect(async (received) => {
      const ai = new GoogleGenAI({
        apiKey: 'AIzaTestStreamEndings0000',
        httpOptions: { baseUrl: base, headers },
      });
      const stream = await ai.models.generateContentStream({
        model: 'gemini-2.0-flash',
        contents: 'Say hello',
      });
      for await (const chunk of stream)
        received.text += `${chunk.text ?? ''}|${chunk.candidates?.[0]?.finishReason ?? ''}`;
    });
  } finally {
    globalThis.fetch = original;
  }
};

function requestBody(format: Format): object {
  switch (format) {
    case 'chat':
      return { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Say hello' }] };
    case 'responses':
      return { model: 'gpt-4o-mini', stream: true, input: 'Say hello' };
    case 'anthropic':
      return { model: 'claude-sonnet-4-5', stream: true, max_tokens: 64, messages: [] };
    case 'gemini':
      return { contents: [{ role: 'user', parts: [{ text: 'Say hello' }] }] };
    case 'mcp':
      return { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'answer', arguments: {} } };
  }
}

/** Clients that stop at the terminal or error event (SDKs) get every delivery; readers to the end do not wait forever. */
const CLIENTS: Record<Format, Record<string, { client: Client; deliveries: readonly Delivery[] }>> = {
  chat: {
    'openai SDK': { client: openaiChat, deliveries: DELIVERIES },
    'AI SDK streamText': { client: aiSdk, deliveries: DELIVERIES },
    'built-in fetch': { client: builtInFetch, deliveries: ENDING_DELIVERIES },
    'undici.request': { client: undiciRequest, deliveries: ENDING_DELIVERIES },
  },
  responses: {
    'openai SDK Responses': { client: openaiResponses, deliveries: DELIVERIES },
    'built-in fetch': { client: builtInFetch, deliveries: ENDING_DELIVERIES },
    'undici.request': { client: undiciRequest, deliveries: ENDING_DELIVERIES },
  },
  anthropic: {
    '@anthropic-ai/sdk': { client: anthropicSdk, deliveries: DELIVERIES },
    'built-in fetch': { client: builtInFetch, deliveries: ENDING_DELIVERIES },
    'undici.request': { client: undiciRequest, deliveries: ENDING_DELIVERIES },
  },
  gemini: {
    '@google/genai': { client: googleGenAi, deliveries: DELIVERIES },
    'built-in fetch': { client: builtInFetch, deliveries: ENDING_DELIVERIES },
  },
  mcp: {
    'built-in fetch': { client: builtInFetch, deliveries: ENDING_DELIVERIES },
    'undici.request': { client: undiciRequest, deliveries: ENDING_DELIVERIES },
  },
};

// ---- the test ----

let server: TestServer;
let bareAgent: Agent;
/** What an application passes to the built-in fetch without us. */
let bareForFetch: Dispatcher;
/** Fresh per test, so each test's metric points are its own. */
let telemetry: TestTelemetry;
let traced: Dispatcher;

beforeAll(async () => {
  server = await startTestServer(async (recorded, response) => {
    const scenario = SCENARIOS[String(recorded.headers['x-test-scenario'])];
    const delivery = recorded.headers['x-test-delivery'] as Delivery;
    if (!scenario) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'x-request-id': 'req_stream_endings',
    });
    await sendStream(response, scenario.body, delivery);
  });
  bareAgent = new Agent();
  bareForFetch = new Dispatcher1Wrapper(new Agent());
});
afterAll(async () => {
  await Promise.all([bareAgent.close(), bareForFetch.close()]);
  await server.close();
});
beforeEach(() => {
  telemetry = createTestTelemetry();
  traced = createTelemetryDispatcher({
    tracerProvider: telemetry.tracerProvider,
    meterProvider: telemetry.meterProvider,
  });
});
afterEach(async () => {
  expect(telemetry.balance.unbalanced()).toEqual([]);
  await traced.close();
  await telemetry.shutdown();
});

async function operationAndAttempt(): Promise<{ operation: ReadableSpan; attempt: ReadableSpan }> {
  const spans = await telemetry.waitForSpans(2);
  expect(spans).toHaveLength(2);
  const operation = spans.find((span) => span.parentSpanContext === undefined) as ReadableSpan;
  const children = childrenOf(spans, operation);
  expect(children).toHaveLength(1);
  return { operation, attempt: children[0] as ReadableSpan };
}

/**
 * @google/genai throws on an error frame but does not cancel the body: against a server that never
 * ends it, the call stays open (spans included) until the server closes, as it would without us.
 */
function applies(clientName: string, scenario: Scenario, delivery: Delivery): boolean {
  return !(clientName === '@google/genai' && scenario.errorType !== undefined && delivery === 'never-end');
}

const cases = Object.entries(SCENARIOS).flatMap(([name, scenario]) =>
  Object.entries(CLIENTS[scenario.format]).flatMap(([clientName, { client, deliveries }]) =>
    deliveries
      .filter((delivery) => applies(clientName, scenario, delivery))
      .map((delivery) => ({ name, scenario, clientName, client, delivery })),
  ),
);

describe('stream endings: the outcome is what passed on the wire, not who closed the body', () => {
  it.each(cases)(
    '$name, $clientName, $delivery',
    async ({ name, scenario, clientName, client, delivery }) => {
      const headers = {
        'x-test-scenario': name,
        'x-test-delivery': delivery,
        'x-test-format': scenario.format,
      };
      const bare = clientName === 'undici.request' ? bareAgent : bareForFetch;
      const plain = await client(server.url, bare, headers);
      const withTelemetry = await client(server.url, traced, headers);
      expect(withTelemetry).toEqual(plain);

      const { operation, attempt } = await operationAndAttempt();
      const operationName = OPERATION_NAMES[scenario.format];
      expect(operation.name).toBe(operationName ?? 'POST');
      for (const span of [operation, attempt]) {
        expect(span.attributes['llm.aborted']).toBeUndefined();
        expect(span.attributes['http.response.status_code']).toBe(200);
        expect(span.attributes['error.type']).toBe(scenario.errorType);
        if (scenario.errorType === undefined) {
          expect(span.status.code).toBe(SpanStatusCode.UNSET);
          expect(span.attributes['llm.error.phase']).toBeUndefined();
        } else {
          expect(span.status.code).toBe(SpanStatusCode.ERROR);
          expect(span.attributes['llm.error.phase']).toBe('mid_stream');
        }
      }
      expect(attempt.events.map((event) => event.name)).toEqual(
        scenario.errorType === undefined ? [] : ['llm.stream.error'],
      );

      const httpPoints = await telemetry.metricPoints('http.client.request.duration');
      expect(httpPoints).toHaveLength(1);
      expect(httpPoints[0]?.attributes['error.type']).toBe(scenario.errorType);
      if (operationName !== undefined) {
        expect(summaryLine(operation)).toContain(
          scenario.errorType === undefined ? ' 200 ok ' : ` 200 error=${scenario.errorType} `,
        );
        const points = await telemetry.metricPoints('gen_ai.client.operation.duration');
        expect(points).toHaveLength(1);
        expect(points[0]?.attributes['error.type']).toBe(scenario.errorType);
        expect(points[0]?.attributes['llm.error.phase']).toBe(
          scenario.errorType === undefined ? undefined : 'mid_stream',
        );
      }
    },
  );
});
