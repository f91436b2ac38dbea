/**
 * Soak test (not part of CI): the mock gateway with random faults (failRate 0.3) and N concurrent
 * clients (Node's fetch, streaming and not, some aborting, and the openai SDK) calling through one
 * telemetry dispatcher for --minutes. Every 10 s it prints heap, RSS, open handles
 * (process.getActiveResourcesInfo()) and the span balance (started/ended); at the end, a verdict:
 * every span ended exactly once and no socket or timer outlived the run.
 *
 *   npm run soak -- [--minutes 1] [--clients 32] [--interval 10]
 *   node --expose-gc scripts/soak.ts ...   (collects garbage before each sample, steadier heap numbers)
 */
import { parseArgs } from 'node:util';
import { type Context, context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { type ReadableSpan, type Span, type SpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import OpenAI from 'openai';
import type { Dispatcher } from 'undici';
import { startGateway } from '../src/gateway/server.ts';
import { createTelemetryDispatcher } from '../src/index.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '1' },
    clients: { type: 'string', default: '32' },
    interval: { type: 'string', default: '10' },
  },
});
const minutes = Number(values.minutes);
const clients = Number(values.clients);
const intervalMs = Number(values.interval) * 1000;
if (!(minutes > 0) || !Number.isInteger(clients) || clients < 1 || !(intervalMs > 0)) {
  console.error('usage: node scripts/soak.ts [--minutes >0] [--clients >=1] [--interval seconds >0]');
  process.exit(2);
}

/** Counts span starts and ends with memory bounded by the spans open right now. */
class SpanCounter implements SpanProcessor {
  started = 0;
  ended = 0;
  /** end() for a span that was not open: ended twice, or never started here. */
  unexpectedEnds = 0;
  readonly open = new Set<string>();

  onStart(span: Span, _context: Context): void {
    this.started++;
    this.open.add(span.spanContext().spanId);
  }

  onEnd(span: ReadableSpan): void {
    this.ended++;
    if (!this.open.delete(span.spanContext().spanId)) this.unexpectedEnds++;
  }

  forceFlush = () => Promise.resolve();
  shutdown = () => Promise.resolve();
}

const gc = (globalThis as { gc?: () => void }).gc;
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

function handleSummary(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const handlesAtStart = handleSummary();
const counter = new SpanCounter();
const tracerProvider = new TracerProvider({ spanProcessors: [counter] });
const meterProvider = new MeterProvider();
const gateway = await startGateway({ failRate: 0.3, firstChunkDelayMs: 50 });
const dispatcher = createTelemetryDispatcher({
  tracerProvider,
  meterProvider,
  agent: { connections: Math.max(4, clients / 2), headersTimeout: 10_000, bodyTimeout: 10_000 },
});
const openai = new OpenAI({
  apiKey: 'sk-soak-not-a-real-key',
  baseURL: `${gateway.url}/v1`,
  maxRetries: 0,
  fetchOptions: { dispatcher } as never,
});

const outcomes = { ok: 0, httpError: 0, failed: 0, aborted: 0 };

async function oneCall(n: number): Promise<void> {
  const stream = n % 2 === 0;
  if (n % 5 === 0) {
    try {
      const request = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: `call ${n}` }] };
      if (stream) {
        for await (const _chunk of await openai.chat.completions.create({ ...request, stream: true })) {
          // read every chunk
        }
      } else {
        await openai.chat.completions.create(request);
      }
      outcomes.ok++;
    } catch (error) {
      if ((error as { status?: unknown }).status) outcomes.httpError++;
      else outcomes.failed++;
    }
    return;
  }
  const abort = new AbortController();
  const abortTimer = n % 17 === 0 ? setTimeout(() => abort.abort(), 5 + (n % 40)) : undefined;
  try {
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-soak-not-a-real-key' },
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        stream,
        messages: [{ role: 'user', content: `call ${n}` }],
      }),
      signal: abort.signal,
      // @ts-expect-error Node's fetch accepts an undici dispatcher
      dispatcher: dispatcher as Dispatcher,
    });
    await response.arrayBuffer();
    if (response.ok) outcomes.ok++;
    else outcomes.httpError++;
  } catch {
    if (abort.signal.aborted) outcomes.aborted++;
    else outcomes.failed++;
  } finally {
    clearTimeout(abortTimer);
  }
}

const started = performance.now();
const deadline = started + minutes * 60_000;
let calls = 0;
async function client(): Promise<void> {
  while (performance.now() < deadline) await oneCall(calls++);
}

function sample(label: string): { heapUsed: number; rss: number } {
  gc?.();
  const memory = process.memoryUsage();
  const seconds = ((performance.now() - started) / 1000).toFixed(0).padStart(4);
  const handles = Object.entries(handleSummary())
    .map(([kind, count]) => `${kind}=${count}`)
    .join(' ');
  console.log(
    `[${label}${seconds}s] calls=${calls} ok=${outcomes.ok} http_err=${outcomes.httpError} failed=${outcomes.failed} aborted=${outcomes.aborted}` +
      ` | heap=${mb(memory.heapUsed)}MB rss=${mb(memory.rss)}MB | spans started=${counter.started} ended=${counter.ended} open=${counter.open.size} unexpected_ends=${counter.unexpectedEnds}` +
      ` | handles: ${handles}`,
  );
  return { heapUsed: memory.heapUsed, rss: memory.rss };
}

console.log(
  `soak: ${clients} clients for ${minutes} min against ${gateway.url} (failRate 0.3)${gc ? '' : ' — run with --expose-gc for steadier heap numbers'}`,
);
const samples: Array<{ heapUsed: number; rss: number }> = [];
const ticker = setInterval(() => samples.push(sample('')), intervalMs);
await Promise.all(Array.from({ length: clients }, client));
clearInterval(ticker);

await dispatcher.close();
await gateway.close();
await new Promise((resolve) => setTimeout(resolve, 500));
const final = sample('end ');

const leakedHandles = Object.entries(handleSummary()).filter(
  ([kind, count]) =>
    ['TCPSocketWrap', 'TCPServerWrap', 'Timeout'].includes(kind) && count > (handlesAtStart[kind] ?? 0),
);
const firstHeap = samples[0]?.heapUsed;
const heapGrowth = firstHeap === undefined ? undefined : final.heapUsed - firstHeap;
const problems = [
  counter.open.size > 0 ? `${counter.open.size} spans never ended` : undefined,
  counter.unexpectedEnds > 0 ? `${counter.unexpectedEnds} spans ended twice (or unknown)` : undefined,
  leakedHandles.length > 0
    ? `handles left behind: ${leakedHandles.map(([kind, count]) => `${kind}=${count}`).join(' ')}`
    : undefined,
].filter((problem): problem is string => problem !== undefined);

console.log(
  `verdict: ${problems.length === 0 ? 'PASS' : 'FAIL'} — ${calls} calls, ${counter.started} spans started, ${counter.ended} ended` +
    (heapGrowth === undefined
      ? ''
      : `, heap ${heapGrowth >= 0 ? '+' : ''}${mb(heapGrowth)}MB since the first sample`) +
    (problems.length > 0 ? `; ${problems.join('; ')}` : ''),
);
await tracerProvider.shutdown();
await meterProvider.shutdown();
process.exitCode = problems.length === 0 ? 0 : 1;
