/**
 * LangChain (`@langchain/openai`): `ChatOpenAI.invoke` and `ChatOpenAI.stream`, each traced as a
 * `chat gpt-4o-mini` operation span.
 *
 * `ChatOpenAI` runs on the `openai` SDK, so the telemetry dispatcher goes in through
 * `configuration.fetchOptions`: only this model is traced (the way in for an application that
 * starts its own OpenTelemetry SDK). Here `startTelemetry()` is that SDK.
 *
 * Run against the mock gateway (from a clone, after `npm install`):
 *   npm run gateway &                 # http://127.0.0.1:8787
 *   node examples/langchain.ts
 * Against a real endpoint:
 *   OPENAI_BASE_URL=https://api.openai.com/v1 OPENAI_API_KEY=sk-... node examples/langchain.ts
 * Without OTEL_EXPORTER_OTLP_ENDPOINT each call prints one summary line to stderr.
 */
import { ChatOpenAI } from '@langchain/openai';
import { createTelemetryDispatcher, startTelemetry } from 'llm-otel-dispatcher';

const telemetry = await startTelemetry({ serviceName: 'example-langchain' });

const chat = new ChatOpenAI({
  model: process.env.OPENAI_MODEL ?? 'gpt-4o-mini',
  apiKey: process.env.OPENAI_API_KEY ?? 'mock-key',
  configuration: {
    baseURL: process.env.OPENAI_BASE_URL ?? 'http://127.0.0.1:8787/v1',
    fetchOptions: { dispatcher: createTelemetryDispatcher() },
  },
});

const message = await chat.invoke('Say hello.');
console.log(`invoke: ${message.text}`);

let streamed = '';
for await (const chunk of await chat.stream('Say hello.')) streamed += chunk.text;
console.log(`stream: ${streamed}`);

await telemetry.shutdown(); // flushes the spans
