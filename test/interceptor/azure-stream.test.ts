/**
 * Azure OpenAI streams through the openai SDK's AzureOpenAI client: Azure sends content-filter
 * results first, in a chunk whose id and model are empty strings (and may send more such chunks
 * mid-stream). The trace must name the real response id and model, and the SDK must receive the
 * same text as without us.
 */
import { AzureOpenAI } from 'openai';
import { Agent, type Dispatcher, Dispatcher1Wrapper } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTelemetryDispatcher } from '../../src/index.ts';
import { sendSse, useScriptedServer } from '../support/server.ts';
import { childrenOf, createTestTelemetry } from '../support/telemetry.ts';

const telemetry = createTestTelemetry();
const scripted = useScriptedServer();
let bare: Dispatcher;
let traced: Dispatcher;

beforeAll(() => {
  bare = new Dispatcher1Wrapper(new Agent());
  traced = createTelemetryDispatcher({
    tracerProvider: telemetry.tracerProvider,
    meterProvider: telemetry.meterProvider,
  });
});
afterAll(async () => {
  await Promise.all([bare.close(), traced.close()]);
});
afterEach(() => {
  expect(telemetry.balance.unbalanced()).toEqual([]);
  telemetry.reset();
});

const filter = {
  hate: { filtered: false, severity: 'safe' },
  violence: { filtered: false, severity: 'safe' },
};
const annotation = (extra: object) => ({ choices: [], created: 0, id: '', model: '', object: '', ...extra });
const chunk = (delta: object, finish: string | null = null) => ({
  id: 'chatcmpl-AzUre1',
  object: 'chat.completion.chunk',
  created: 1756938296,
  model: 'gpt-4o-2024-08-06',
  system_fingerprint: 'fp_1',
  choices: [{ index: 0, delta, finish_reason: finish, logprobs: null, content_filter_results: filter }],
});
const frame = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;
const WORDS = ['Hello', ' from', ' Azure', '.'];
const FRAMES = [
  frame(annotation({ prompt_filter_results: [{ prompt_index: 0, content_filter_results: filter }] })),
  frame(chunk({ role: 'assistant', content: '' })),
  ...WORDS.map((word) => frame(chunk({ content: word }))),
  // A mid-stream annotation (asynchronous filtering), again with an empty id and model.
  frame(
    annotation({
      choices: [
        { index: 0, finish_reason: null, content_filter_results: filter, content_filter_offsets: {} },
      ],
    }),
  ),
  frame(chunk({}, 'stop')),
  'data: [DONE]\n\n',
];

async function chat(dispatcher: Dispatcher): Promise<string> {
  const client = new AzureOpenAI({
    apiKey: 'azure-test-key-0000000000',
    endpoint: scripted.server.url,
    apiVersion: '2024-10-21',
    deployment: 'gpt-4o',
    maxRetries: 0,
    fetchOptions: { dispatcher } as never,
  });
  const stream = await client.chat.completions.create({
    model: 'gpt-4o',
    messages: [{ role: 'user', content: 'Hi' }],
    stream: true,
  });
  let text = '';
  for await (const part of stream) text += part.choices[0]?.delta?.content ?? '';
  return text;
}

describe('Azure OpenAI streams', () => {
  it.each([
    ['one event per write', 0],
    ['events spread over time', 2],
  ])(
    '%s: the response id and model come from the content chunks, not the empty placeholders',
    async (_name, delayMs) => {
      scripted.respond = (_request, response) => sendSse(response, FRAMES, { delayMs });
      const plain = await chat(bare);
      telemetry.reset();
      expect(await chat(traced)).toBe(plain);
      expect(plain).toBe(WORDS.join(''));

      const spans = await telemetry.waitForSpans(2);
      const operation = spans.find((span) => span.parentSpanContext === undefined);
      expect(operation).toBeDefined();
      expect(childrenOf(spans, operation as never)).toHaveLength(1);
      expect(operation?.attributes).toMatchObject({
        'gen_ai.provider.name': 'azure.ai.openai',
        'gen_ai.response.id': 'chatcmpl-AzUre1',
        'gen_ai.response.model': 'gpt-4o-2024-08-06',
        'gen_ai.response.finish_reasons': ['stop'],
      });
    },
  );
});
