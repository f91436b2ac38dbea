/**
 * The Anthropic SDK (`@anthropic-ai/sdk`), Messages API: one plain message and one streamed
 * message (the stream ends at `message_stop`), each traced as a `chat claude-haiku-4-5` operation
 * span with one attempt span per HTTP attempt.
 *
 * The telemetry dispatcher is passed to this client only (`fetchOptions.dispatcher`), the way in
 * for an application that starts its own OpenTelemetry SDK. Here `startTelemetry()` is that SDK.
 *
 * Run against the mock gateway (from a clone, after `npm install`):
 *   npm run gateway &                 # http://127.0.0.1:8787, which also speaks /v1/messages
 *   node examples/anthropic.ts
 * Against Anthropic:
 *   ANTHROPIC_BASE_URL=https://api.anthropic.com ANTHROPIC_API_KEY=sk-ant-... node examples/anthropic.ts
 * Without OTEL_EXPORTER_OTLP_ENDPOINT each call prints one summary line to stderr.
 */
import Anthropic from '@anthropic-ai/sdk';
import { createTelemetryDispatcher, startTelemetry } from 'llm-otel-dispatcher';

const telemetry = await startTelemetry({ serviceName: 'example-anthropic' });

const client = new Anthropic({
  baseURL: process.env.ANTHROPIC_BASE_URL ?? 'http://127.0.0.1:8787',
  apiKey: process.env.ANTHROPIC_API_KEY ?? 'mock-key',
  fetchOptions: { dispatcher: createTelemetryDispatcher() },
});
const model = process.env.ANTHROPIC_MODEL ?? 'claude-haiku-4-5';
const request = { model, max_tokens: 256, messages: [{ role: 'user' as const, content: 'Say hello.' }] };

const message = await client.messages.create(request);
const text = message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
console.log(`message: ${text}`);

let streamed = '';
for await (const event of await client.messages.create({ ...request, stream: true })) {
  if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') streamed += event.delta.text;
}
console.log(`stream: ${streamed}`);

await telemetry.shutdown(); // flushes the spans
