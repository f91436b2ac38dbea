/**
 * Re-measures issue 15's table: the real openai SDK streaming through createTelemetryDispatcher()
 * against a loopback server that ends the body in the same write as the last event or in its own
 * write 0 ms / 1 ms later; N calls per row. Prints how each row was recorded.
 * Run: npm exec -- node scripts/measure-stream-endings.ts [calls=30]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import OpenAI from 'openai';
import { createTelemetryDispatcher } from '../src/index.ts';

const calls = Number(process.argv[2] ?? 30);
const chunk = (delta: object, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const bodies = {
  done: `${chunk({ content: 'Hi' }) + chunk({}, 'stop')}data: [DONE]\n\n`,
  error:
    chunk({ content: 'Hi' }) +
    `data: ${JSON.stringify({ error: { message: 'Upstream failed', type: 'server_error', code: 'server_error' } })}\n\n`,
};
const server = createServer(async (req, res) => {
  for await (const _ of req);
  const [body, mode] = String(req.headers['x-case']).split(':') as [keyof typeof bodies, string];
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  if (mode === 'same') return void res.end(bodies[body]);
  res.write(bodies[body]);
  await sleep(Number(mode));
  res.end();
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as AddressInfo).port;
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const exporter = new InMemorySpanExporter();
const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
const dispatcher = createTelemetryDispatcher({ tracerProvider });
const client = new OpenAI({
  apiKey: 'sk-x',
  baseURL: `http://127.0.0.1:${port}/v1`,
  maxRetries: 0,
  fetchOptions: { dispatcher } as never,
});

for (const [label, key] of [
  ['[DONE] + end in one write', 'done:same'],
  ['[DONE], end 0 ms later', 'done:0'],
  ['[DONE], end 1 ms later', 'done:1'],
  ['error frame + end in one write', 'error:same'],
  ['error frame, end 0 ms later', 'error:0'],
  ['error frame, end 1 ms later', 'error:1'],
] as const) {
  const tally = new Map<string, number>();
  for (let i = 0; i < calls; i++) {
    exporter.reset();
    try {
      const stream = await client.chat.completions.create(
        { model: 'm', messages: [], stream: true },
        { headers: { 'x-case': key } },
      );
      for await (const _ of stream);
    } catch {}
    for (let wait = 0; wait < 200 && exporter.getFinishedSpans().length < 2; wait++) await sleep(5);
    const op = exporter.getFinishedSpans().find((s) => s.parentSpanContext === undefined);
    const a = op?.attributes ?? {};
    const verdict = a['llm.aborted']
      ? 'aborted'
      : a['error.type']
        ? `ERROR ${a['error.type']} ${a['llm.error.phase']}`
        : 'ok';
    tally.set(verdict, (tally.get(verdict) ?? 0) + 1);
  }
  console.log(`| ${label} | ${[...tally].map(([v, n]) => `${n}/${calls} ${v}`).join(', ')} |`);
}
await dispatcher.close();
server.close();
