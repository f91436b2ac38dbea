/**
 * The gateway's Anthropic and Gemini routes through the AI SDK's own providers (`@ai-sdk/anthropic`,
 * `@ai-sdk/google`), which parse the wire formats independently of the vendors' SDKs.
 */
import { createAnthropic } from '@ai-sdk/anthropic';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { APICallError, generateText, type LanguageModel, streamText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from '../../src/gateway/server.ts';

const TEXT = 'Hello from the mock gateway';

let gateway: Gateway;
let models: Record<string, LanguageModel>;
beforeAll(async () => {
  gateway = await startGateway();
  models = {
    anthropic: createAnthropic({ baseURL: `${gateway.url}/v1`, apiKey: 'x' })('claude-sonnet-4-5'),
    google: createGoogleGenerativeAI({ baseURL: `${gateway.url}/v1beta`, apiKey: 'x' })('gemini-2.5-flash'),
  };
});
afterAll(() => gateway.close());

// The providers send different request bodies, so the prompt estimates differ.
describe.each([
  ['anthropic', 15],
  ['google', 11],
])('AI SDK %s provider', (name, inputTokens) => {
  const model = () => models[name] as LanguageModel;

  it('reads text, finish reason and usage, whole and streamed', async () => {
    const whole = await generateText({ model: model(), prompt: 'hi', maxRetries: 0 });
    const streamed = streamText({ model: model(), prompt: 'hi', maxRetries: 0 });
    let text = '';
    for await (const part of streamed.textStream) text += part;
    for (const [result, usage] of [
      [{ text: whole.text, finishReason: whole.finishReason }, whole.usage],
      [{ text, finishReason: await streamed.finishReason }, await streamed.usage],
    ] as const) {
      expect(result).toEqual({ text: TEXT, finishReason: 'stop' });
      expect(usage).toMatchObject({ inputTokens, outputTokens: 5, totalTokens: inputTokens + 5 });
    }
  });

  it('throws APICallError with the status for an immediate error', async () => {
    const error = await generateText({
      model: model(),
      prompt: 'hi',
      maxRetries: 0,
      headers: { 'x-mock-scenario': '429' },
    }).catch((e: unknown) => e);
    expect(APICallError.isInstance(error)).toBe(true);
    expect((error as APICallError).statusCode).toBe(429);
  });
});
