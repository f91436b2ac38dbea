/**
 * The AI SDK (`ai`: generateText, streamText) with its OpenAI, Anthropic and Google providers
 * (`@ai-sdk/openai`, `@ai-sdk/anthropic`, `@ai-sdk/google`), each given a `fetch` that sends
 * through the dispatcher, against the gateway's OpenAI, Anthropic and Gemini routes:
 * test/support/sdk-clients.ts runs the matrix. The AI SDK retries without a header (2 s before the
 * first resend, not configurable; the bare and traced runs wait at once), so its retries can only
 * be linked by inference (`llm.retry.source=inferred`). It hands the application a normalised
 * finish reason (`stop`), not the provider's, and its own usage sums. Breaking out of `fullStream`
 * does not cancel the HTTP body (the SDK reads it to the end), so an early break completes on the
 * wire. `@ai-sdk/openai`'s Responses model is not in the matrix: it rejects the gateway's Responses
 * stream events (no `item_id`, `output_index`, `content_index`), a gateway limitation.
 */
import { createAnthropic } from '@ai-sdk/anthropic';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, type LanguageModel, streamText } from 'ai';
import type { Dispatcher } from 'undici';
import { describe, expect, it } from 'vitest';
import {
  bothWays,
  type CallOptions,
  collect,
  describeSdk,
  expectCall,
  fetchThrough,
  type Received,
  type RecordedCall,
  recordedCalls,
  type SdkSpec,
  useHarness,
} from '../support/sdk-clients.ts';

type ModelFor = (options: CallOptions) => LanguageModel;

function call(modelFor: ModelFor) {
  return (options: CallOptions): Promise<Received> =>
    collect(async (received) => {
      const request = {
        model: modelFor(options),
        prompt: 'Say hello',
        maxRetries: options.maxRetries,
        headers: options.headers,
      };
      if (!options.stream) {
        const result = await generateText(request);
        received.text = result.text;
        received.finishReason = result.finishReason;
        received.usage = { input: result.usage.inputTokens, output: result.usage.outputTokens };
        received.id = result.response.id;
        return;
      }
      const result = streamText(request);
      for await (const part of result.fullStream) {
        if (part.type === 'text-delta') {
          received.chunks++;
          received.text += part.text;
          if (received.chunks === options.breakAfter) break;
        }
        if (part.type === 'error') received.error = describeStreamError(part.error);
        if (part.type === 'finish') {
          received.finishReason = part.finishReason;
          received.usage = { input: part.totalUsage.inputTokens, output: part.totalUsage.outputTokens };
        }
      }
    });
}

function describeStreamError(error: unknown): string {
  const e = error as { constructor?: { name?: string }; message?: unknown };
  return `${e?.constructor?.name}: ${typeof e?.message === 'string' ? e.message : JSON.stringify(error)}`;
}

const OPENAI_CHAT: SdkSpec = {
  name: 'AI SDK: @ai-sdk/openai (chat)',
  operationName: 'chat',
  model: 'gpt-4o-mini',
  provider: '127.0.0.1',
  call: call((options) =>
    createOpenAI({
      baseURL: `${options.url}/v1`,
      apiKey: 'sk-test-sdks',
      fetch: fetchThrough(options.dispatcher),
    }).chat('gpt-4o-mini'),
  ),
  finishReason: 'stop',
  sdkReportsRawFinishReason: false,
  immediateError: { scenario: '429', status: 429, errorType: '429' },
  midStreamError: { scenario: 'mid-stream-top-level-error', errorType: 'server_error' },
  retries: { source: 'inferred', errorType: '503' },
  breakWithoutCancel: { inputTokens: 10 },
};

describeSdk(OPENAI_CHAT);

describeSdk({
  name: 'AI SDK: @ai-sdk/anthropic',
  operationName: 'chat',
  model: 'claude-sonnet-4-5',
  provider: 'anthropic',
  call: call((options) =>
    createAnthropic({
      baseURL: `${options.url}/v1`,
      apiKey: 'sk-ant-test-sdks',
      fetch: fetchThrough(options.dispatcher),
    })('claude-sonnet-4-5'),
  ),
  finishReason: 'end_turn',
  sdkReportsRawFinishReason: false,
  immediateError: { scenario: '429', status: 429, errorType: 'rate_limit_error' },
  midStreamError: { scenario: 'mid-stream-error-event', errorType: 'overloaded_error' },
  retries: { source: 'inferred', errorType: 'api_error' },
  breakWithoutCancel: { inputTokens: 16 },
  // message_start's usage; the AI SDK reports none to the application after an error.
  midStreamUsage: { inputTokens: 16, outputTokens: 1 },
});

describeSdk({
  name: 'AI SDK: @ai-sdk/google',
  operationName: 'generate_content',
  model: 'gemini-2.5-flash',
  provider: 'gcp.gemini',
  call: call((options) =>
    createGoogleGenerativeAI({
      baseURL: `${options.url}/v1beta`,
      apiKey: 'AIzaTestSdks000000000000000000000000000',
      fetch: fetchThrough(options.dispatcher),
    })('gemini-2.5-flash'),
  ),
  finishReason: 'STOP',
  sdkReportsRawFinishReason: false,
  immediateError: { scenario: '429', status: 429, errorType: 'RESOURCE_EXHAUSTED' },
  midStreamError: { scenario: 'mid-stream-rate_limit', errorType: 'RESOURCE_EXHAUSTED' },
  retries: { source: 'inferred', errorType: 'UNAVAILABLE' },
  breakWithoutCancel: { inputTokens: 12 },
  // Every chunk's usageMetadata has the prompt count only; the AI SDK reports output 0 after an error.
  midStreamUsage: { inputTokens: 12 },
});

describe('AI SDK: streamText stopped with abortSignal', () => {
  const harness = useHarness();

  it('the documented way to stop a stream: the call is llm.aborted, not an error', async () => {
    const stop = (dispatcher: Dispatcher, headers: Record<string, string>) =>
      collect(async (received) => {
        const abort = new AbortController();
        const provider = createOpenAI({
          baseURL: `${harness.slowGateway.url}/v1`,
          apiKey: 'sk-test-sdks',
          fetch: fetchThrough(dispatcher),
        });
        const result = streamText({
          model: provider.chat('gpt-4o-mini'),
          prompt: 'Say hello',
          maxRetries: 0,
          headers,
          abortSignal: abort.signal,
        });
        for await (const part of result.fullStream) {
          if (part.type === 'text-delta') {
            received.chunks++;
            received.text += part.text;
            abort.abort();
          }
          if (part.type === 'abort') received.finishReason = 'abort';
        }
      });
    const received = await bothWays(harness, stop, {});
    expect(received).toEqual({ text: 'Hello', chunks: 1, finishReason: 'abort' });
    const [recorded] = await recordedCalls(harness, 1);
    expectCall(OPENAI_CHAT, recorded as RecordedCall, { stream: true, statusCode: 200, aborted: true });
  });
});
