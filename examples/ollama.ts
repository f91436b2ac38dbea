/**
 * The `ollama` package, `/api/chat`: one plain answer and one streamed answer (newline-delimited
 * JSON ending with `"done": true`), each traced as a `chat llama3.2` operation span with one
 * attempt span per HTTP attempt.
 *
 * `ollama` takes a `fetch`; this one sends every request through the telemetry dispatcher, so only
 * this client is traced (the way in for an application that starts its own OpenTelemetry SDK).
 * Here `startTelemetry()` is that SDK.
 *
 * Run against the mock gateway (from a clone, after `npm install`):
 *   npm run gateway &                 # http://127.0.0.1:8787, which also speaks /api/chat
 *   node examples/ollama.ts
 * Against a local Ollama:
 *   OLLAMA_HOST=http://127.0.0.1:11434 OLLAMA_MODEL=llama3.2 node examples/ollama.ts
 * Without OTEL_EXPORTER_OTLP_ENDPOINT each call prints one summary line to stderr.
 */
import { createTelemetryDispatcher, startTelemetry } from 'llm-otel-dispatcher';
import { Ollama } from 'ollama';

const telemetry = await startTelemetry({ serviceName: 'example-ollama' });

const dispatcher = createTelemetryDispatcher();
const ollama = new Ollama({
  host: process.env.OLLAMA_HOST ?? 'http://127.0.0.1:8787',
  fetch: (url, init) => fetch(url, { ...init, dispatcher } as RequestInit),
});
const model = process.env.OLLAMA_MODEL ?? 'llama3.2';
const messages = [{ role: 'user', content: 'Say hello.' }];

const answer = await ollama.chat({ model, messages });
console.log(`chat: ${answer.message.content}`);

let streamed = '';
for await (const part of await ollama.chat({ model, messages, stream: true }))
  streamed += part.message.content;
console.log(`stream: ${streamed}`);

await telemetry.shutdown(); // flushes the spans
