/**
 * The application of the Jaeger end-to-end test, run as its own Node process (by traffic.ts): it
 * starts llm-otel-dispatcher with `startTelemetry()` (retry on, short backoff; exports to
 * OTEL_EXPORTER_OTLP_ENDPOINT), makes the calls of CALLS against the mock gateway at
 * $GATEWAY_URL through the `openai` SDK and Node's built-in `fetch`, flushes, and prints one JSON
 * line: what the application saw of each call (status, `x-request-id`, error).
 */
import { OpenAI } from 'openai';
import { startTelemetry } from '../../../src/index.ts';
import {
  type AppResult,
  CALLS,
  type Call,
  type CallName,
  type CallSeen,
  MODEL,
  RETRY_BASE_DELAY_MS,
} from './app-contract.ts';

const MESSAGES = [{ role: 'user' as const, content: 'Say hello to the end-to-end test.' }];

async function viaOpenAi(
  client: OpenAI,
  headers: Record<string, string>,
  stream: boolean,
): Promise<CallSeen> {
  if (!stream) {
    const { response } = await client.chat.completions
      .create({ model: MODEL, messages: MESSAGES }, { headers })
      .withResponse();
    return { status: response.status, requestId: response.headers.get('x-request-id') };
  }
  const { data, response } = await client.chat.completions
    .create(
      { model: MODEL, messages: MESSAGES, stream: true, stream_options: { include_usage: true } },
      { headers },
    )
    .withResponse();
  const seen: CallSeen = { status: response.status, requestId: response.headers.get('x-request-id') };
  try {
    for await (const _chunk of data) {
      // Consume the stream to its end (or its error), as an application does.
    }
  } catch (error) {
    seen.error = describe(error);
  }
  return seen;
}

async function viaFetch(gatewayUrl: string, headers: Record<string, string>): Promise<CallSeen> {
  const response = await fetch(`${gatewayUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-e2e', ...headers },
    body: JSON.stringify({ model: MODEL, messages: MESSAGES }),
  });
  const body = await response.text();
  const seen: CallSeen = { status: response.status, requestId: response.headers.get('x-request-id') };
  if (!response.ok) seen.error = body;
  return seen;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error);
}

function headersOf(call: Call): Record<string, string> {
  return 'sequence' in call
    ? { 'x-mock-scenario-sequence': call.sequence, 'x-mock-sequence-id': call.sequenceId }
    : { 'x-mock-scenario': call.scenario };
}

const gatewayUrl = process.env.GATEWAY_URL;
if (gatewayUrl === undefined) throw new Error('GATEWAY_URL is not set');
const telemetry = await startTelemetry({ telemetry: { retry: { baseDelay: RETRY_BASE_DELAY_MS } } });
// The SDK's own retries are off: resends are ours, so each call is one operation span.
const client = new OpenAI({ baseURL: `${gatewayUrl}/v1`, apiKey: 'sk-e2e', maxRetries: 0 });
const result: Partial<AppResult> = {};
for (const [name, call] of Object.entries(CALLS) as [CallName, Call][]) {
  result[name] =
    call.client === 'fetch'
      ? await viaFetch(gatewayUrl, headersOf(call))
      : await viaOpenAi(client, headersOf(call), call.stream).catch(
          (error: unknown): CallSeen => ({
            status: (error as { status?: number }).status ?? 0,
            requestId: (error as { requestID?: string | null }).requestID ?? null,
            error: describe(error),
          }),
        );
}
await telemetry.shutdown();
process.stdout.write(`${JSON.stringify(result)}\n`);
