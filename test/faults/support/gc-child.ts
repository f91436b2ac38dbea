/**
 * Child process for the "body never read" case (run with `node --expose-gc`): makes one streaming
 * call whose Response (fetch) or Stream (openai SDK) the application drops unread, forces garbage
 * collection until undici's FinalizationRegistry cancels the body, and prints what the trace shows
 * as one JSON line. Usage: node --expose-gc gc-child.ts fetch|openai
 */
import OpenAI from 'openai';
import { createTelemetryDispatcher } from '../../../src/index.ts';
import { sendSse, startTestServer } from '../../support/server.ts';
import { createTestTelemetry } from '../../support/telemetry.ts';
import { sseFrame } from './servers.ts';

const mode = process.argv[2] === 'openai' ? 'openai' : 'fetch';
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const telemetry = createTestTelemetry();
const server = await startTestServer((_request, response) =>
  sendSse(response, [sseFrame('a')], { end: false }),
);
const dispatcher = createTelemetryDispatcher({
  tracerProvider: telemetry.tracerProvider,
  meterProvider: telemetry.meterProvider,
});

/** Starts the call and returns only the status, so nothing keeps the body reachable. */
async function callAndDrop(): Promise<number> {
  if (mode === 'fetch') {
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [] }),
      // @ts-expect-error Node's fetch accepts an undici dispatcher
      dispatcher,
    });
    return response.status;
  }
  const client = new OpenAI({
    apiKey: 'sk-gc-child',
    baseURL: `${server.url}/v1`,
    maxRetries: 0,
    fetchOptions: { dispatcher } as never,
  });
  const { response } = await client.chat.completions
    .create({ model: 'gpt-4o-mini', messages: [], stream: true })
    .withResponse();
  return response.status;
}

const status = await callAndDrop();
const started = Date.now();
let rounds = 0;
while (Date.now() - started < 5_000) {
  rounds++;
  gc();
  await new Promise((resolve) => setTimeout(resolve, 20));
  if (telemetry.balance.started.size > 0 && telemetry.balance.unbalanced().length === 0) break;
}
const result = {
  status,
  gcRounds: rounds,
  started: telemetry.balance.started.size,
  unbalanced: telemetry.balance.unbalanced().length,
  spans: telemetry.spans().map((span) => ({
    name: span.name,
    status: span.status.code,
    attributes: span.attributes,
  })),
};
await dispatcher.destroy();
await server.close();
process.stdout.write(`${JSON.stringify(result)}\n`);
