/**
 * The application of the alerts end-to-end test, run as its own Node process with
 * `--import <register entry>` (telemetry configured by OTEL_* variables only, no retry). It calls
 * the mock gateway at $GATEWAY_URL through the `openai` SDK as told on stdin: one JSON command per
 * line, `{"scenario":"503","calls":40,"spacingMs":150}`, answered with one JSON line counting the
 * HTTP statuses it got, `{"statuses":{"503":40}}`. The test paces the phases; this only obeys.
 */
import { createInterface } from 'node:readline';
import { OpenAI } from 'openai';
import { type LoadCommand, type LoadReply, MODEL } from './app-contract.ts';

async function statusOf(client: OpenAI, scenario: string): Promise<number> {
  try {
    await client.chat.completions.create(
      { model: MODEL, messages: [{ role: 'user', content: 'alerts e2e' }] },
      { headers: { 'x-mock-scenario': scenario } },
    );
    return 200;
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number') return status;
    throw error;
  }
}

async function run(client: OpenAI, command: LoadCommand): Promise<LoadReply> {
  const statuses: Record<string, number> = {};
  for (let call = 0; call < command.calls; call++) {
    if (call > 0) await new Promise((resolve) => setTimeout(resolve, command.spacingMs));
    const status = String(await statusOf(client, command.scenario));
    statuses[status] = (statuses[status] ?? 0) + 1;
  }
  return { statuses };
}

const gatewayUrl = process.env.GATEWAY_URL;
if (gatewayUrl === undefined) throw new Error('GATEWAY_URL is not set');
const client = new OpenAI({ baseURL: `${gatewayUrl}/v1`, apiKey: 'sk-e2e', maxRetries: 0 });
for await (const line of createInterface({ input: process.stdin })) {
  const reply = await run(client, JSON.parse(line) as LoadCommand);
  process.stdout.write(`${JSON.stringify(reply)}\n`);
}
