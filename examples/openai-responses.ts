/**
 * The `openai` SDK, Responses API (`client.responses.create`): one plain call and one streamed
 * call, each traced as a `chat gpt-4o-mini` operation span (the GenAI conventions call a
 * Responses call `chat`); the stream ends at `response.completed`.
 *
 * The telemetry dispatcher is passed to this client only (`fetchOptions.dispatcher`); here
 * `startTelemetry()` is the application's OpenTelemetry SDK.
 *
 * Run against the mock gateway (from a clone, after `npm install`):
 *   npm run gateway &                 # http://127.0.0.1:8787
 *   node examples/openai-responses.ts
 * Against a real endpoint:
 *   OPENAI_BASE_URL=https://api.openai.com/v1 OPENAI_API_KEY=sk-... node examples/openai-responses.ts
 * Without OTEL_EXPORTER_OTLP_ENDPOINT each call prints one summary line to stderr.
 */
import { createTelemetryDispatcher, startTelemetry } from 'llm-otel-dispatcher';
import OpenAI from 'openai';

const telemetry = await startTelemetry({ serviceName: 'example-openai-responses' });

const client = new OpenAI({
  baseURL: process.env.OPENAI_BASE_URL ?? 'http://127.0.0.1:8787/v1',
  apiKey: process.env.OPENAI_API_KEY ?? 'mock-key',
  fetchOptions: { dispatcher: createTelemetryDispatcher() },
});
const model = process.env.OPENAI_MODEL ?? 'gpt-4o-mini';

const response = await client.responses.create({ model, input: 'Say hello.' });
console.log(`responses: ${response.output_text}`);

const stream = await client.responses.create({ model, input: 'Say hello.', stream: true });
let streamed = '';
for await (const event of stream) {
  if (event.type === 'response.output_text.delta') streamed += event.delta;
}
console.log(`responses stream: ${streamed}`);

await telemetry.shutdown(); // flushes the spans
