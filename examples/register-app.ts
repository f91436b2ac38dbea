/**
 * An application without a line of telemetry code, traced from the command line:
 * `--import llm-otel-dispatcher/register` starts the OpenTelemetry SDK before the application
 * runs and makes the telemetry dispatcher the global one, so the `openai` SDK's calls (and every
 * other `fetch`) become traces. Spans are flushed when the process exits.
 *
 * Run against the mock gateway (from a clone, after `npm install`):
 *   npm run gateway &                 # http://127.0.0.1:8787
 *   node --import llm-otel-dispatcher/register examples/register-app.ts
 * Against a real endpoint, exporting to the bundled collector (docker compose up):
 *   OPENAI_BASE_URL=https://api.openai.com/v1 OPENAI_API_KEY=sk-... \
 *   OTEL_SERVICE_NAME=my-app OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 \
 *   node --import llm-otel-dispatcher/register examples/register-app.ts
 * Without OTEL_EXPORTER_OTLP_ENDPOINT each call prints one summary line to stderr.
 */
import OpenAI from 'openai';

const client = new OpenAI({
  baseURL: process.env.OPENAI_BASE_URL ?? 'http://127.0.0.1:8787/v1',
  apiKey: process.env.OPENAI_API_KEY ?? 'mock-key',
});
const model = process.env.OPENAI_MODEL ?? 'gpt-4o-mini';

const completion = await client.chat.completions.create({
  model,
  messages: [{ role: 'user', content: 'Say hello.' }],
});
console.log(`app: ${completion.choices[0]?.message.content}`);
