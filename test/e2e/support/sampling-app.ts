/**
 * The application of the tail sampling end-to-end test, run as its own Node process: it starts
 * llm-otel-dispatcher with `startTelemetry()` (OTLP to OTEL_EXPORTER_OTLP_ENDPOINT, no retry),
 * makes SAMPLING_CALLS calls through the `openai` SDK against the mock gateway at $GATEWAY_URL
 * as plannedCall() says, each inside a span of its own as a request handler would, a few at a
 * time, flushes, and prints one JSON line: every call with its trace ID and what it saw.
 *
 * The application's span stays UNSET when a call fails (the handler degrades gracefully), so a
 * trace is kept only because of what our spans record.
 */
import { trace } from '@opentelemetry/api';
import { OpenAI } from 'openai';
import { startTelemetry } from '../../../src/index.ts';
import { MODEL, plannedCall, SAMPLING_CALLS, type SampledCall } from './app-contract.ts';

const CONCURRENCY = 8;
const MESSAGES = [{ role: 'user' as const, content: 'Say hello to the sampling test.' }];

async function callOnce(client: OpenAI, index: number): Promise<SampledCall> {
  const plan = plannedCall(index);
  const tracer = trace.getTracer('sampling-e2e-app');
  return tracer.startActiveSpan('handle request', async (span) => {
    const seen: SampledCall = { ...plan, traceId: span.spanContext().traceId, status: 0, threw: false };
    const headers = { 'x-mock-scenario': plan.scenario };
    try {
      if (plan.stream) {
        const { data, response } = await client.chat.completions
          .create({ model: MODEL, messages: MESSAGES, stream: true }, { headers })
          .withResponse();
        seen.status = response.status;
        for await (const _chunk of data) {
          // Consume to the end or the error, as an application does.
        }
      } else {
        const { response } = await client.chat.completions
          .create({ model: MODEL, messages: MESSAGES }, { headers })
          .withResponse();
        seen.status = response.status;
      }
    } catch (error) {
      seen.threw = true;
      const status = (error as { status?: unknown }).status;
      if (typeof status === 'number') seen.status = status;
    } finally {
      span.end();
    }
    return seen;
  });
}

const gatewayUrl = process.env.GATEWAY_URL;
if (gatewayUrl === undefined) throw new Error('GATEWAY_URL is not set');
const telemetry = await startTelemetry();
const client = new OpenAI({ baseURL: `${gatewayUrl}/v1`, apiKey: 'sk-e2e', maxRetries: 0 });
const calls: SampledCall[] = new Array(SAMPLING_CALLS);
let next = 0;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < SAMPLING_CALLS) {
      const index = next++;
      calls[index] = await callOnce(client, index);
    }
  }),
);
await telemetry.shutdown();
process.stdout.write(`${JSON.stringify(calls)}\n`);
