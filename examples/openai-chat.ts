/**
 * The `openai` SDK, chat completions: one plain call and one streamed call, each traced as an
 * operation span (`chat gpt-4o-mini`) with one attempt span per HTTP attempt.
 *
 * The telemetry dispatcher is passed to this client only (`fetchOptions.dispatcher`), the way in
 * for an application that starts its own OpenTelemetry SDK. Here `startTelemetry()` is that SDK.
 *
 * Run against the mock gateway (from a clone, after `npm install`):
 *   npm run gateway &                 # http://127.0.0.1:8787
 *   node examples/openai-chat.ts      # Node 24 runs .ts directly
 * Against a real endpoint:
 *   OPENAI_BASE_URL=https://api.openai.com/v1 OPENAI_API_KEY=sk-... node examples/openai-chat.ts
 * Without OTEL_EXPORTER_OTLP_ENDPOINT each call prints one summary line to stderr; with it
 * (e.g. http://127.0.0.1:4318, the bundled collector) the traces go to Jaeger.
 */
import { createTelemetryDispatcher, startTelemetry } from 'llm-otel-dispatcher';
import OpenAI from 'openai';

const telemetry = await startTelemetry({ serviceName: 'example-openai-chat' });

const client = new OpenAI({
  baseURL: process.env.OPENAI_BASE_URL ?? 'http://127.0.0.1:8787/v1',
  apiKey: process.env.OPENAI_API_KEY ?? 'mock-key',
  fetchOptions: { dispatcher: createTelemetryDispatcher() },
});
const model = process.env.OPENAI_MODEL ?? 'gpt-4o-mini';
const messages = [{ role: 'user' as const, content: 'Say hello.' }];

const completion = await client.chat.completions.create({ model, messages });
console.log(`chat: ${completion.choices[0]?.message.content}`);

const stream = await client.chat.completions.create({ model, messages, stream: true });
let streamed = '';
for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? '';
console.log(`stream: ${streamed}`);

await telemetry.shutdown(); // flushes the spans
