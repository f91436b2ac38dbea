/**
 * Plain `fetch` with the application's own OpenTelemetry SDK: `installFetchTelemetry()` makes
 * the telemetry dispatcher the global one, so every `fetch` (and every SDK built on it) is traced.
 * The call runs inside an application span; its `chat gpt-4o-mini` operation span is a child of
 * it, in the same trace.
 *
 * The SDK here is a `NodeSDK` that exports spans over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is
 * set (protocol and the rest from the standard `OTEL_*` variables) and prints them otherwise.
 *
 * Run against the mock gateway (from a clone, after `npm install`):
 *   npm run gateway &                 # http://127.0.0.1:8787
 *   node examples/fetch.ts            # prints its spans: "say hello", the operation, the attempt
 * Against a real endpoint, exporting to the bundled collector:
 *   OPENAI_BASE_URL=https://api.openai.com/v1 OPENAI_API_KEY=sk-... \
 *   OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 node examples/fetch.ts
 */
import { trace } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { ConsoleSpanExporter } from '@opentelemetry/sdk-trace';
import { installFetchTelemetry } from 'llm-otel-dispatcher';

const sdk = new NodeSDK({
  serviceName: 'example-fetch',
  instrumentations: [],
  metricReaders: [],
  logRecordProcessors: [],
  ...(process.env.OTEL_EXPORTER_OTLP_ENDPOINT === undefined && { traceExporter: new ConsoleSpanExporter() }),
});
sdk.start();
const telemetry = installFetchTelemetry();

const baseURL = process.env.OPENAI_BASE_URL ?? 'http://127.0.0.1:8787/v1';
const apiKey = process.env.OPENAI_API_KEY ?? 'mock-key';
const model = process.env.OPENAI_MODEL ?? 'gpt-4o-mini';

await trace.getTracer('example-fetch').startActiveSpan('say hello', async (span) => {
  const response = await fetch(`${baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Say hello.' }] }),
  });
  const body = (await response.json()) as { choices?: { message?: { content?: string } }[] };
  console.log(`fetch: ${response.status} ${body.choices?.[0]?.message?.content}`);
  console.log(`trace id: ${span.spanContext().traceId}`);
  span.end();
});

await telemetry.uninstall(); // puts the previous global dispatcher back
await sdk.shutdown(); // flushes the spans
