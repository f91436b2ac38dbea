/**
 * `llm-otel demo`: the whole package in one command. Starts the mock gateway in-process, starts
 * telemetry with `startTelemetry()` (OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, else the
 * console summary), sends a mix of streaming and non-streaming chat completions through the
 * `openai` SDK (Node's fetch, so through the installed dispatcher, with its retry interceptor on),
 * a few of them asking for telling failures, an asynchronous image task, then native calls to the
 * gateway's Anthropic, Gemini, Ollama and Bedrock routes (demo-providers.ts), prints a table of
 * the recorded calls by outcome and what each native call returned, and flushes.
 */

import { parseArgs } from 'node:util';
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { type Gateway, startGateway } from '../gateway/server.ts';
import { durationSeconds, isLlmOperationSpan, outcomeOf } from '../register/console-summary.ts';
import { startTelemetry, type TelemetryHandle } from '../register/start-telemetry.ts';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_LLM_RETRY_ATTEMPTS } from '../semconv/names.ts';
import { INSTRUMENTATION_NAME } from '../version.ts';
import { NATIVE_DEMO_CALLS, type NativeDemoProvider, runNativeCall } from './demo-providers.ts';
import { DEMO_OPTIONS, DEMO_PROVIDERS, DEMO_USAGE } from './usage.ts';

/** Scenarios asked for explicitly (header `x-mock-scenario`), spread over the run. */
export const SHOWCASE_SCENARIOS = [
  '402',
  '429-spend-cap',
  'mid-stream-context_length_exceeded',
  '503',
  'truncate',
] as const;
/** Showcase scenarios that only show their point on a stream (a truncated SSE stream is detected). */
const STREAMED_SCENARIOS: ReadonlySet<string> = new Set(['mid-stream-context_length_exceeded', 'truncate']);
const MODELS = ['gpt-4o-mini', 'gpt-4.1-mini', 'claude-3-5-haiku'] as const;
const REQUEST_TIMEOUT_MS = 10_000;
const DEMO_RETRY = { baseDelay: 100, maxDelay: 1_000 } as const;
const SPAN_WAIT_MS = 3_000;
const CHUNK_DELAY_MS = 15;

export interface DemoRequest {
  readonly index: number;
  readonly model: string;
  readonly stream: boolean;
  /** The `x-mock-scenario` header, when this call asks for one. */
  readonly scenario: string | undefined;
}

/** The calls to make: showcase scenarios evenly spread, every other call streaming (or all). */
export function planRequests(count: number, streamAll: boolean): DemoRequest[] {
  const spacing = Math.max(1, Math.floor(count / SHOWCASE_SCENARIOS.length));
  return Array.from({ length: count }, (_, index) => {
    const scenario = index % spacing === 0 ? SHOWCASE_SCENARIOS[index / spacing] : undefined;
    return {
      index,
      model: MODELS[index % MODELS.length] as string,
      stream: streamAll || index % 2 === 1 || (scenario !== undefined && STREAMED_SCENARIOS.has(scenario)),
      scenario,
    };
  });
}

/** One finished call as its operation span recorded it. */
export interface CallRecord {
  /** `ok`, `aborted` or `error=<error.type>`, as in the console summary. */
  readonly outcome: string;
  readonly attempts: number;
  readonly seconds: number;
}

/**
 * An operation span of this package for a POST: an LLM operation, or a call whose route the
 * library does not recognise (named `POST`, a root span here since the demo has no active span).
 */
function isCallSpan(span: ReadableSpan): boolean {
  if (isLlmOperationSpan(span)) return true;
  return (
    span.instrumentationScope.name === INSTRUMENTATION_NAME &&
    span.parentSpanContext === undefined &&
    span.attributes[ATTR_HTTP_REQUEST_METHOD] === 'POST'
  );
}

/** Collects a CallRecord per operation span of this package for a POST call. */
class CallRecorder implements SpanProcessor {
  readonly records: CallRecord[] = [];

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (!isCallSpan(span)) return;
    const attempts = span.attributes[ATTR_LLM_RETRY_ATTEMPTS];
    this.records.push({
      outcome: outcomeOf(span),
      attempts: typeof attempts === 'number' ? attempts : 1,
      seconds: durationSeconds(span),
    });
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(sorted.length / 2) - 1] ?? 0;
}

/** The outcome table: one row per outcome (ok first, then by calls), then the total. */
export function outcomeTable(records: readonly CallRecord[]): string[] {
  const groups = new Map<string, CallRecord[]>();
  for (const record of records) groups.set(record.outcome, [...(groups.get(record.outcome) ?? []), record]);
  const rows = [...groups].sort(
    ([a, x], [b, y]) => Number(b === 'ok') - Number(a === 'ok') || y.length - x.length || a.localeCompare(b),
  );
  const width = Math.max(7, ...rows.map(([outcome]) => outcome.length));
  const line = (outcome: string, calls: string, attempts: string, p50: string) =>
    `${outcome.padEnd(width)}  ${calls.padStart(5)}  ${attempts.padStart(8)}  ${p50.padStart(7)}`;
  const sum = (list: readonly CallRecord[]) => String(list.reduce((total, r) => total + r.attempts, 0));
  return [
    line('outcome', 'calls', 'attempts', 'p50'),
    ...rows.map(([outcome, list]) =>
      line(outcome, String(list.length), sum(list), `${median(list.map((r) => r.seconds)).toFixed(3)}s`),
    ),
    line('total', String(records.length), sum(records), ''),
  ];
}

/** The live progress line on a TTY (`\r` updates); plain lines every quarter otherwise. */
class Progress {
  readonly #total: number;
  readonly #tty = process.stderr.isTTY === true;
  #current = '';

  constructor(total: number) {
    this.#total = total;
  }

  /** Prints a line above the progress line. */
  print(line: string): void {
    process.stderr.write(this.#tty ? `\r\x1b[K${line}\n${this.#current}` : `${line}\n`);
  }

  update(done: number, failed: number): void {
    const text = `llm-otel demo: ${done}/${this.#total} calls, ${failed} failed`;
    if (this.#tty) {
      this.#current = text;
      process.stderr.write(`\r\x1b[K${text}`);
    } else if (done === this.#total || done % Math.max(1, Math.ceil(this.#total / 4)) === 0) {
      process.stderr.write(`${text}\n`);
    }
  }

  finish(): void {
    if (this.#tty && this.#current !== '') process.stderr.write(`\r\x1b[K${this.#current}\n`);
    this.#current = '';
  }
}

class UsageError extends Error {}

interface DemoOptions {
  readonly requests: number;
  readonly concurrency: number;
  readonly failRate: number;
  readonly seed: number;
  readonly stream: boolean;
  readonly providers: ReadonlySet<(typeof DEMO_PROVIDERS)[number]>;
  readonly help: boolean;
}

function integer(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new UsageError(`--${flag} must be an integer from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

function optionsFrom(args: readonly string[]): DemoOptions {
  const { values } = parseArgs({
    args: [...args],
    strict: true,
    options: DEMO_OPTIONS,
  });
  const failRate = Number(values['fail-rate']);
  if (values['fail-rate'].trim() === '' || !(failRate >= 0 && failRate <= 1)) {
    throw new UsageError(`--fail-rate must be a number from 0 to 1, got "${values['fail-rate']}"`);
  }
  const providers = values.providers.split(',').map((p) => p.trim());
  const unknown = providers.find((p) => !(DEMO_PROVIDERS as readonly string[]).includes(p));
  if (unknown !== undefined)
    throw new UsageError(`--providers: unknown provider "${unknown}"; known: ${DEMO_PROVIDERS.join(', ')}`);
  return {
    requests: integer('requests', values.requests, 1, 10_000),
    concurrency: integer('concurrency', values.concurrency, 1, 64),
    failRate,
    seed: integer('seed', values.seed, 0, 2 ** 32 - 1),
    stream: values.stream,
    providers: new Set(providers as (typeof DEMO_PROVIDERS)[number][]),
    help: values.help,
  };
}

/** Makes one call through the openai SDK; true when it succeeded end to end. */
async function call(client: import('openai').OpenAI, request: DemoRequest): Promise<boolean> {
  const options = request.scenario ? { headers: { 'x-mock-scenario': request.scenario } } : {};
  const body = {
    model: request.model,
    messages: [{ role: 'user' as const, content: `llm-otel demo call ${request.index}` }],
  };
  try {
    if (request.stream) {
      const stream = await client.chat.completions.create(
        { ...body, stream: true, stream_options: { include_usage: true } },
        options,
      );
      for await (const _chunk of stream) {
        // Consume the stream to its end (or its error).
      }
    } else {
      await client.chat.completions.create(body, options);
    }
    return true;
  } catch {
    return false;
  }
}

async function sendTraffic(
  gateway: Gateway,
  plan: readonly DemoRequest[],
  options: DemoOptions,
  progress: Progress,
) {
  const { OpenAI } = await import('openai');
  const client = new OpenAI({
    baseURL: `${gateway.url}/v1`,
    apiKey: 'sk-llm-otel-demo',
    maxRetries: 0,
    timeout: REQUEST_TIMEOUT_MS,
  });
  let next = 0;
  let done = 0;
  let failed = 0;
  const worker = async () => {
    for (let request = plan[next++]; request !== undefined; request = plan[next++]) {
      if (!(await call(client, request))) failed++;
      progress.update(++done, failed);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, plan.length) }, worker));
}

const TASK_POLL_INTERVAL_MS = 50;

/**
 * One asynchronous task, the CheapAI way: an image generation created under `/v1i`, polled once on
 * the wrong route family (the seeds' common mistake: a 404 the trace flags `llm.task.unknown`), then
 * on the right one until it finishes. Each poll's span links to the creation span.
 */
async function demoTask(gateway: Gateway): Promise<string> {
  const started = performance.now();
  const created = await fetch(`${gateway.url}/v1i/images/generations`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: 'Bearer sk-llm-otel-demo',
      'x-mock-task-polls': '3',
    },
    body: JSON.stringify({ model: 'gpt-image-1', prompt: 'a lighthouse at dusk', async: true }),
  });
  const { id } = (await created.json()) as { id: string };
  const wrongRoute = await fetch(`${gateway.url}/v1/tasks/${id}`);
  await wrongRoute.arrayBuffer();
  let polls = 0;
  for (let status = 'queued'; polls < 20 && !['succeeded', 'failed'].includes(status); polls++) {
    await new Promise((resolve) => setTimeout(resolve, TASK_POLL_INTERVAL_MS));
    status = ((await (await fetch(`${gateway.url}/v1i/tasks/${id}`)).json()) as { status: string }).status;
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  return `Task ${id}: created under /v1i, polled once on /v1 (HTTP ${wrongRoute.status}, flagged llm.task.unknown), then ${polls} times on /v1i until done (${seconds}s); the poll spans link to the creation span.`;
}

async function waitForRecords(recorder: CallRecorder, count: number): Promise<void> {
  const deadline = Date.now() + SPAN_WAIT_MS;
  while (recorder.records.length < count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function destination(): string {
  const endpoint = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  return endpoint
    ? `Spans and metrics were exported to ${endpoint}.`
    : 'No OTEL_EXPORTER_OTLP_ENDPOINT set: nothing was exported (set it to send spans to a collector).';
}

/** The native calls: what each one returned to the application, and how many were sent. */
async function nativeTraffic(gateway: Gateway, providers: ReadonlySet<string>) {
  const lines: string[] = [];
  let sent = 0;
  for (const call of NATIVE_DEMO_CALLS.filter((c) => providers.has(c.provider))) {
    const result = await runNativeCall(gateway.url, call);
    lines.push(`  ${result.line}`);
    if (result.sent) sent++;
  }
  return { lines, sent };
}

async function demo(options: DemoOptions): Promise<number> {
  const gateway = await startGateway({
    host: '127.0.0.1',
    port: 0,
    failRate: options.failRate,
    seed: options.seed,
    chunkDelayMs: CHUNK_DELAY_MS,
  });
  const openai = options.providers.has('openai');
  const natives = [...options.providers].filter((p): p is NativeDemoProvider => p !== 'openai');
  // The native calls go to a gateway of their own: the providerName option sees only the origin,
  // and `mock-gateway` must name the OpenAI-compatible traffic only (the native routes keep the
  // provider the library infers). Every native call names its scenario, so no fail rate there.
  const nativeGateway =
    natives.length === 0
      ? undefined
      : await startGateway({ host: '127.0.0.1', port: 0, chunkDelayMs: CHUNK_DELAY_MS });
  const gatewayPort = String(gateway.port);
  const providerName = (url: URL) => (url.port === gatewayPort ? 'mock-gateway' : undefined);
  const progress = new Progress(options.requests);
  const recorder = new CallRecorder();
  let telemetry: TelemetryHandle;
  try {
    telemetry = await startTelemetry({
      serviceName: 'llm-otel-demo',
      writeSummaryLine: (line) => progress.print(line),
      // Short backoff keeps the demo quick; the SDK's own retries are off so each call is one operation.
      telemetry: { providerName, retry: DEMO_RETRY },
      sdk: { spanProcessors: [recorder] },
    });
  } catch (error) {
    await gateway.close();
    await nativeGateway?.close();
    process.stderr.write(`llm-otel demo: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  try {
    const nativeCount = NATIVE_DEMO_CALLS.filter((c) => options.providers.has(c.provider)).length;
    process.stderr.write(
      `llm-otel demo: ${openai ? options.requests : 0} chat completions to the mock gateway at ${gateway.url} (fail-rate ${options.failRate}, seed ${options.seed})${nativeGateway ? `, ${nativeCount} native calls (${natives.join(', ')}) to ${nativeGateway.url}` : ''}\n`,
    );
    const plan = openai ? planRequests(options.requests, options.stream) : [];
    let task: string | undefined;
    if (openai) {
      await sendTraffic(gateway, plan, options, progress);
      progress.finish();
      task = await demoTask(gateway);
    }
    const native = nativeGateway
      ? await nativeTraffic(nativeGateway, options.providers)
      : { lines: [], sent: 0 };
    if (telemetry.installation === undefined) {
      process.stdout.write('Telemetry is disabled (OTEL_SDK_DISABLED=true): no spans to tabulate.\n');
      return 0;
    }
    const sent = (openai ? plan.length + 1 : 0) + native.sent;
    await waitForRecords(recorder, sent);
    const lines = [
      '',
      ...outcomeTable(recorder.records),
      ...(task === undefined ? [] : ['', task]),
      ...(native.lines.length === 0
        ? []
        : ['', 'Native provider calls, as the application saw them:', ...native.lines]),
      '',
      `${sent} LLM calls sent, ${recorder.records.length} operation spans recorded. ${destination()}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } finally {
    await telemetry.shutdown();
    await gateway.close();
    await nativeGateway?.close();
  }
}

export async function run(args: readonly string[]): Promise<number> {
  let options: DemoOptions;
  try {
    options = optionsFrom(args);
  } catch (error) {
    const isArgError =
      error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    if (!isArgError) throw error;
    process.stderr.write(`llm-otel demo: ${(error as Error).message}\n(see llm-otel demo --help)\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(DEMO_USAGE);
    return 0;
  }
  return demo(options);
}
