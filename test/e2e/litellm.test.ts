/**
 * A real LiteLLM proxy (Python, scripts/install-litellm.sh) in front of the mock gateway; the
 * application calls LiteLLM with the real `openai` SDK through `createTelemetryDispatcher()` and a
 * real OTel SDK. Each case makes the call once without and once with the library (the application
 * must receive the same both ways, test/support/sdk-clients.ts) and asserts the telemetry exactly.
 *
 * What LiteLLM 1.108.5 does with each case, as seen here (docs/e2e.md, "LiteLLM"):
 * - every answer carries `x-litellm-call-id` (a UUID) and the upstream's `request-id`, but no
 *   `x-request-id`;
 * - a JSON answer carries `x-litellm-response-cost` (its own price for the upstream's token counts,
 *   from the cost map bundled with the pinned version); a stream does not, but its usage chunk
 *   carries `usage.cost` with the same number;
 * - an upstream 429 becomes `{"error":{"type":"throttling_error","code":"429",...}}` with
 *   `x-litellm-response-cost: 0`;
 * - an upstream `finish_reason: "error"` chunk (or error event) becomes a top-level
 *   `{"error":{"type":null,"code":"500",...}}` frame inside the 200 stream, with no `[DONE]`; the
 *   upstream's code (`context_length_exceeded`) survives only inside the message text;
 * - the upstream's `x-ratelimit-*` headers are passed through.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import OpenAI, { APIError } from 'openai';
import type { Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import {
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_HTTP_RESPONSE_HEADER_PREFIX,
  ATTR_LLM_ERROR_MESSAGE,
  ATTR_LLM_ERROR_RETRYABLE,
  ATTR_LLM_RATE_LIMIT_KIND,
  ATTR_LLM_STREAM_BYTES_RECEIVED,
  ATTR_LLM_STREAM_CHUNK_INDEX,
  ATTR_LLM_STREAM_CHUNKS,
  ATTR_LLM_USAGE_COST,
  ATTR_LLM_USAGE_COST_SOURCE,
  COST_SOURCE_PROVIDER,
  ERROR_PHASE_IMMEDIATE,
  ERROR_PHASE_MID_STREAM,
  EVENT_LLM_STREAM_ERROR,
  METRIC_LLM_CLIENT_RATE_LIMIT_REMAINING,
} from '../../src/semconv/names.ts';
import {
  bothWays,
  collect,
  expectCall,
  GATEWAY_TEXT,
  normalise,
  type Received,
  type RecordedCall,
  recordedCalls,
  type SdkSpec,
  useHarness,
} from '../support/sdk-clients.ts';
import { installLitellm, type LitellmInstall, type LitellmProxy, startLitellm } from './support/litellm.ts';

const MODEL = 'gpt-4o-mini';
/** expectCall() reads only the span name's parts from the spec. */
const SPEC = { operationName: 'chat', model: MODEL } as SdkSpec;
/** The loopback proxy's host: LiteLLM is not a provider the library names, so the host is. */
const PROVIDER = '127.0.0.1';
const CALL_ID = `${ATTR_HTTP_RESPONSE_HEADER_PREFIX}x-litellm-call-id`;
const REQUEST_ID = `${ATTR_HTTP_RESPONSE_HEADER_PREFIX}request-id`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The gateway's token estimate for the request LiteLLM sends upstream, and its canned answer. */
const USAGE = { inputTokens: 10, outputTokens: 5 };
/** LiteLLM's price for USAGE from its bundled cost map (gpt-4o-mini: $0.15 / $0.60 per million). */
const LITELLM_COST_USD = 4.5e-6;
const THROTTLED_MESSAGE =
  "litellm.RateLimitError: RateLimitError: OpenAIException - Rate limit exceeded\n\nLiteLLM: model group 'gpt-4o-mini' failed with the error above. No fallback was attempted.";

const harness = useHarness();
let install: LitellmInstall | undefined;
let proxy: LitellmProxy | undefined;
let skipReason: string | undefined;

// Registered after useHarness(): runs after the gateway started; its afterAll runs before the
// gateway closes (hooks stack).
beforeAll(async () => {
  install = await installLitellm();
  if (install.executable === undefined) {
    skipReason = `scripts/install-litellm.sh failed, so LiteLLM is not installed (${install.report})`;
    if (process.env.CI) throw new Error(`CI must not skip the LiteLLM test: ${skipReason}`);
    console.warn(`test/e2e/litellm.test.ts: skipping: ${skipReason}`);
    return;
  }
  proxy = await startLitellm({
    executable: install.executable,
    upstreamUrl: harness.gateway.url,
    models: [MODEL],
  });
});

afterAll(async () => {
  const stopping = performance.now();
  await proxy?.stop();
  if (install !== undefined && proxy !== undefined) {
    console.log(
      `litellm: install script ${Math.round(install.durationMs)} ms (${install.report}); ` +
        `start-up ${Math.round(proxy.startupMs)} ms; stop ${Math.round(performance.now() - stopping)} ms`,
    );
  }
});

/** What the application saw of the traced call that the two runs cannot share (ids, raw text). */
interface Seen {
  headers?: Headers | undefined;
  /** The error's message before normalisation. */
  errorMessage?: string | undefined;
}
let seen: Seen = {};

function header(name: string): string | undefined {
  return seen.headers?.get(name) ?? undefined;
}

/**
 * An error as the two runs can compare it: hex ids replaced (normalise), and the upstream chunk's
 * `created` (Unix seconds), which LiteLLM prints into its message, too.
 */
function comparable(text: string): string {
  return normalise(text).replace(/created=\d+/g, 'created=<time>');
}

/** A chat completion through LiteLLM with the `openai` SDK (no SDK retries). */
function chat(stream: boolean) {
  return async (dispatcher: Dispatcher, headers: Record<string, string>): Promise<Received> => {
    const traced = dispatcher === harness.traced;
    if (traced) seen = {};
    const note = (fields: Seen) => {
      if (traced) Object.assign(seen, fields);
    };
    const received = await collect(async (received) => {
      const openai = new OpenAI({
        apiKey: proxy?.masterKey,
        baseURL: `${proxy?.url}/v1`,
        maxRetries: 0,
        fetchOptions: { dispatcher } as never,
      });
      const body = { model: MODEL, messages: [{ role: 'user' as const, content: 'Say hello' }] };
      try {
        if (!stream) {
          const { data, response } = await openai.chat.completions.create(body, { headers }).withResponse();
          note({ headers: response.headers });
          received.text = data.choices[0]?.message.content ?? '';
          received.finishReason = data.choices[0]?.finish_reason;
          received.usage = { input: data.usage?.prompt_tokens, output: data.usage?.completion_tokens };
          received.id = data.id;
          return;
        }
        const { data: chunks, response } = await openai.chat.completions
          .create({ ...body, stream: true, stream_options: { include_usage: true } }, { headers })
          .withResponse();
        note({ headers: response.headers });
        for await (const chunk of chunks) {
          received.chunks++;
          received.text += chunk.choices[0]?.delta?.content ?? '';
          received.finishReason = chunk.choices[0]?.finish_reason ?? received.finishReason;
          if (chunk.usage)
            received.usage = { input: chunk.usage.prompt_tokens, output: chunk.usage.completion_tokens };
          received.id = chunk.id;
        }
      } catch (error) {
        if (error instanceof APIError) {
          note({ errorMessage: error.message });
          if (error.headers !== undefined) note({ headers: error.headers });
        }
        throw error;
      }
    });
    return received.error === undefined ? received : { ...received, error: comparable(received.error) };
  };
}

/** `it`, skipped with the reason when LiteLLM could not be installed (never under CI). */
function litellmIt(name: string, body: () => Promise<void>): void {
  it(name, async (context: TestContext) => {
    if (proxy === undefined) context.skip(skipReason ?? 'LiteLLM did not start');
    await body();
  });
}

/** The call id and the upstream's request id the application saw, on both spans. */
function expectIds(call: RecordedCall): void {
  const callId = header('x-litellm-call-id');
  expect(callId).toMatch(UUID);
  expect(header('request-id')).toMatch(/^req_[0-9a-f]{16}$/);
  expect(header('x-request-id')).toBeUndefined();
  for (const span of [call.operation, call.attempt]) {
    expect(span.attributes[CALL_ID], span.name).toEqual([callId]);
    expect(span.attributes[REQUEST_ID], span.name).toEqual([header('request-id')]);
  }
  expect(call.operation.attributes[ATTR_GEN_AI_PROVIDER_NAME]).toBe(PROVIDER);
}

function costOf(span: ReadableSpan): { usd: unknown; source: unknown } {
  return { usd: span.attributes[ATTR_LLM_USAGE_COST], source: span.attributes[ATTR_LLM_USAGE_COST_SOURCE] };
}

describe('LiteLLM proxy in front of the mock gateway (openai SDK → LiteLLM → gateway)', () => {
  litellmIt('success: call id on both spans, usage, finish reason, LiteLLM’s cost header', async () => {
    const received = await bothWays(harness, chat(false), {});
    expect(received).toEqual({
      text: GATEWAY_TEXT,
      chunks: 0,
      finishReason: 'stop',
      usage: { input: USAGE.inputTokens, output: USAGE.outputTokens },
      id: 'chatcmpl-<hex>',
    });
    const [call] = (await recordedCalls(harness, 1)) as [RecordedCall];
    expectCall(SPEC, call, { stream: false, statusCode: 200, finishReasons: ['stop'], ...USAGE });
    expectIds(call);
    expect(call.operation.attributes[ATTR_GEN_AI_RESPONSE_MODEL]).toBe(MODEL);
    expect(call.operation.attributes[ATTR_GEN_AI_RESPONSE_ID]).toMatch(/^chatcmpl-[0-9a-f]{16}$/);
    // LiteLLM sends its own price as a header on a JSON answer; the library records it as reported.
    expect(header('x-litellm-response-cost')).toBe('4.5e-06');
    expect(costOf(call.operation)).toEqual({ usd: LITELLM_COST_USD, source: COST_SOURCE_PROVIDER });
  });

  litellmIt('stream with usage: complete, not aborted, usage and cost from the usage chunk', async () => {
    const received = await bothWays(harness, chat(true), {});
    // 5 content chunks, the finish-reason chunk, the usage chunk.
    expect(received).toEqual({
      text: GATEWAY_TEXT,
      chunks: 7,
      finishReason: 'stop',
      usage: { input: USAGE.inputTokens, output: USAGE.outputTokens },
      id: 'chatcmpl-<hex>',
    });
    const [call] = (await recordedCalls(harness, 1)) as [RecordedCall];
    expectCall(SPEC, call, { stream: true, statusCode: 200, finishReasons: ['stop'], ...USAGE });
    expectIds(call);
    expect(call.operation.attributes[ATTR_LLM_STREAM_CHUNKS]).toBe(7);
    expect(call.attempt.events).toEqual([]);
    expect(call.operation.events).toEqual([]);
    // No cost header on a stream; LiteLLM puts `usage.cost` into the usage chunk instead.
    expect(header('x-litellm-response-cost')).toBeUndefined();
    expect(costOf(call.operation)).toEqual({ usd: LITELLM_COST_USD, source: COST_SOURCE_PROVIDER });
  });

  for (const stream of [false, true]) {
    litellmIt(
      `upstream 429${stream ? ' (stream requested)' : ''}: error.type is LiteLLM’s textual type`,
      async () => {
        const received = await bothWays(harness, chat(stream), { 'x-mock-scenario': '429' });
        expect(received).toEqual({
          text: '',
          chunks: 0,
          error: `RateLimitError 429: 429 ${THROTTLED_MESSAGE}`,
        });
        const [call] = (await recordedCalls(harness, 1)) as [RecordedCall];
        // LiteLLM's body: {"error":{"message":…,"type":"throttling_error","param":null,"code":"429"}}.
        expectCall(SPEC, call, {
          stream,
          statusCode: 429,
          errorType: 'throttling_error',
          phase: ERROR_PHASE_IMMEDIATE,
        });
        expectIds(call);
        for (const span of [call.operation, call.attempt]) {
          expect(span.attributes[ATTR_LLM_ERROR_MESSAGE], span.name).toBe(THROTTLED_MESSAGE);
          expect(span.attributes[ATTR_LLM_ERROR_RETRYABLE], span.name).toBe(true);
          expect(span.status.message, span.name).toBe(THROTTLED_MESSAGE);
        }
        expect(seen.errorMessage).toBe(`429 ${THROTTLED_MESSAGE}`);
        // LiteLLM reports the failed call's cost as 0, and the library records it as reported.
        expect(header('x-litellm-response-cost')).toBe('0');
        expect(costOf(call.operation)).toEqual({ usd: 0, source: COST_SOURCE_PROVIDER });
      },
    );
  }

  for (const [scenario, upstreamText] of [
    ['mid-stream-context_length_exceeded', "error={'code': 'context_length_exceeded'"],
    ['mid-stream-error-event', 'OpenAIException - Upstream provider failed during generation'],
  ] as const) {
    litellmIt(
      `mid-stream error (${scenario}): LiteLLM's error frame, the app's result is the telemetry's story`,
      async () => {
        const received = await bothWays(harness, chat(true), { 'x-mock-scenario': scenario });
        // The application read two content chunks, then the SDK threw on LiteLLM's error frame.
        expect({ text: received.text, chunks: received.chunks, finishReason: received.finishReason }).toEqual(
          {
            text: 'Hello from',
            chunks: 2,
            finishReason: undefined,
          },
        );
        expect(received.usage).toBeUndefined();
        const message = seen.errorMessage as string;
        expect(message).toMatch(/^litellm\.APIConnectionError: APIConnectionError: OpenAIException - /);
        expect(message).toContain(upstreamText);
        expect(received.error).toBe(comparable(`APIError: ${message}`));

        const [call] = (await recordedCalls(harness, 1)) as [RecordedCall];
        // LiteLLM's frame: {"error":{"message":…,"type":null,"param":null,"code":"500"}}; no type, so
        // the numeric-string code is all there is (the upstream's code is only inside the message).
        expectCall(SPEC, call, {
          stream: true,
          statusCode: 200,
          errorType: '500',
          phase: ERROR_PHASE_MID_STREAM,
        });
        expectIds(call);
        // Two chunks reached the application; the third piece was the error.
        expect(call.operation.attributes[ATTR_LLM_STREAM_CHUNKS]).toBe(3);
        for (const span of [call.operation, call.attempt]) {
          expect(span.attributes[ATTR_LLM_ERROR_MESSAGE], span.name).toBe(message);
          expect(span.attributes[ATTR_LLM_ERROR_RETRYABLE], span.name).toBe(true);
          expect(span.status.message, span.name).toBe(message);
          expect(
            span.events.map((event) => ({ name: event.name, ...event.attributes })),
            span.name,
          ).toEqual([
            {
              name: EVENT_LLM_STREAM_ERROR,
              'error.type': '500',
              [ATTR_LLM_ERROR_MESSAGE]: message,
              [ATTR_LLM_STREAM_CHUNK_INDEX]: 2,
              [ATTR_LLM_STREAM_BYTES_RECEIVED]: call.attempt.attributes[ATTR_LLM_STREAM_BYTES_RECEIVED],
            },
          ]);
        }
        expect(call.operation.attributes[ATTR_GEN_AI_RESPONSE_ID]).toMatch(/^chatcmpl-[0-9a-f]{16}$/);
        expect(costOf(call.operation)).toEqual({ usd: undefined, source: undefined });
      },
    );
  }

  litellmIt('rate-limit headroom: the upstream’s x-ratelimit-* headers pass through LiteLLM', async () => {
    await bothWays(harness, chat(false), { 'x-mock-scenario': 'headroom' });
    const [call] = (await recordedCalls(harness, 1)) as [RecordedCall];
    expectCall(SPEC, call, { stream: false, statusCode: 200, finishReasons: ['stop'], ...USAGE });
    expectIds(call);
    const remaining = await harness.telemetry.metricPoints(METRIC_LLM_CLIENT_RATE_LIMIT_REMAINING);
    const byKind = Object.fromEntries(
      remaining.map((point) => [point.attributes[ATTR_LLM_RATE_LIMIT_KIND], point.value]),
    );
    // The gateway's allowance (100 requests, 10,000 tokens a minute) after the bare and the traced call.
    expect(byKind).toEqual({
      requests: Number(header('x-ratelimit-remaining-requests')),
      tokens: Number(header('x-ratelimit-remaining-tokens')),
    });
    expect(byKind).toEqual({ requests: 98, tokens: 10_000 - 2 * (USAGE.inputTokens + USAGE.outputTokens) });
  });
});
