/**
 * The AI SDK (`ai` with `@ai-sdk/openai`): `generateText` and `streamText` through the chat
 * completions API, each traced as a `chat gpt-4o-mini` operation span.
 *
 * AI SDK providers take a `fetch`; this one sends every request through the telemetry
 * dispatcher, so only this provider is traced (the way in for an application that starts its own
 * OpenTelemetry SDK). Here `startTelemetry()` is that SDK.
 *
 * Run against the mock gateway (from a clone, after `npm install`):
 *   npm run gateway &                 # http://127.0.0.1:8787
 *   node examples/ai-sdk.ts
 * Against a real endpoint:
 *   OPENAI_BASE_URL=https://api.openai.com/v1 OPENAI_API_KEY=sk-... node examples/ai-sdk.ts
 * Without OTEL_EXPORTER_OTLP_ENDPOINT each call prints one summary line to stderr.
 */
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, streamText } from 'ai';
import { createTelemetryDispatcher, startTelemetry } from 'llm-otel-dispatcher';

const telemetry = await startTelemetry({ serviceName: 'example-ai-sdk' });

const dispatcher = createTelemetryDispatcher();
const openai = createOpenAI({
  baseURL: process.env.OPENAI_BASE_URL ?? 'http://127.0.0.1:8787/v1',
  apiKey: process.env.OPENAI_API_KEY ?? 'mock-key',
  fetch: (url, init) => fetch(url, { ...init, dispatcher } as RequestInit),
});
const model = openai.chat(process.env.OPENAI_MODEL ?? 'gpt-4o-mini');

const generated = await generateText({ model, prompt: 'Say hello.' });
console.log(`generateText: ${generated.text}`);

const streamed = streamText({ model, prompt: 'Say hello.' });
let text = '';
for await (const delta of streamed.textStream) text += delta;
console.log(`streamText: ${text}`);

await telemetry.shutdown(); // flushes the spans
