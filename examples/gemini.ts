/**
 * Google's Gen AI SDK (`@google/genai`), Gemini API: `generateContent` and
 * `generateContentStream` (server-sent events), each traced as a
 * `generate_content gemini-2.5-flash` operation span with one attempt span per HTTP attempt.
 *
 * `@google/genai` takes no fetch or dispatcher of its own, so this example uses the global way in:
 * `startTelemetry()` starts the OpenTelemetry SDK and makes the telemetry dispatcher the global
 * one, which traces every `fetch` in the process (with your own SDK: `installFetchTelemetry()`).
 *
 * Run against the mock gateway (from a clone, after `npm install`):
 *   npm run gateway &                 # http://127.0.0.1:8787, which also speaks /v1beta/models/...
 *   node examples/gemini.ts
 * Against Gemini:
 *   GOOGLE_GEMINI_BASE_URL=https://generativelanguage.googleapis.com GEMINI_API_KEY=... node examples/gemini.ts
 * Without OTEL_EXPORTER_OTLP_ENDPOINT each call prints one summary line to stderr.
 */
import { GoogleGenAI } from '@google/genai';
import { startTelemetry } from 'llm-otel-dispatcher';

const telemetry = await startTelemetry({ serviceName: 'example-gemini' });

const ai = new GoogleGenAI({
  apiKey: process.env.GEMINI_API_KEY ?? 'mock-key',
  httpOptions: { baseUrl: process.env.GOOGLE_GEMINI_BASE_URL ?? 'http://127.0.0.1:8787' },
});
const model = process.env.GEMINI_MODEL ?? 'gemini-2.5-flash';

const response = await ai.models.generateContent({ model, contents: 'Say hello.' });
console.log(`generateContent: ${response.text}`);

let streamed = '';
for await (const chunk of await ai.models.generateContentStream({ model, contents: 'Say hello.' })) {
  streamed += chunk.text ?? '';
}
console.log(`stream: ${streamed}`);

await telemetry.shutdown(); // flushes the spans and puts the previous global dispatcher back
