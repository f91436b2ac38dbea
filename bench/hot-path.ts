/**
 * The interceptor's own cost per call, without sockets: a scripted in-memory Dispatcher plays a
 * response (headers, body reads, end) into the handler chain, and each contender is driven with
 * `dispatch()` one call at a time. The difference to the bare scripted dispatcher is what
 * telemetry adds per call, free of network and server noise, so it is steadier than the loopback
 * rounds of `npm run bench` on a busy machine. Reports the best and the median round of process
 * CPU time.
 *
 * Also the per-request building blocks on their own, as throughput rows: redaction (MB/s on
 * ordinary and adversarial text, from bench/redaction.ts) and the provider lookup (one call per
 * request; the hook is bench/provider-lookup.ts).
 *
 * `npm run bench` runs it after its loopback rounds and stores the rows in bench/results.json
 * (`hotPath`). Alone: `npx node bench/hot-path.ts` (BENCH_QUICK=1 for fewer calls, BENCH_CASES=SSE
 * to run only the cases whose name contains that text). Profile it with
 * `npx node --cpu-prof --cpu-prof-dir=/tmp/prof bench/hot-path.ts`, then bench/profile-summary.ts.
 */
import { Dispatcher } from 'undici';
import {
  anthropicStreamFrames,
  obfuscatedStreamFrames,
  requestBody,
  responsesStreamFrames,
  STORM_ERRORS,
  streamFrames,
} from './payloads.ts';
import { benchProviderLookup } from './provider-lookup.ts';
import { benchRedaction } from './redaction.ts';
import { measureSdkFloor, type SdkFloor } from './sdk-floor.ts';
import { quantile } from './stats.ts';
import { countMetricPoints, createSdk, installOtelGlobals, ours } from './variants.ts';

type Handler = Dispatcher.DispatchHandler;
type Headers = Record<string, string | string[] | undefined>;

interface Script {
  readonly status: number;
  readonly headers: Headers;
  readonly reads: readonly Buffer[];
}

/** Answers every dispatch with its script, asynchronously, as a transport would. */
class ScriptedDispatcher extends Dispatcher {
  readonly #script: Script;
  constructor(script: Script) {
    super();
    this.#script = script;
  }
  override dispatch(_options: Dispatcher.DispatchOptions, handler: Handler): boolean {
    queueMicrotask(() => play(this.#script, handler));
    return true;
  }
  override async close(): Promise<void> {}
  override async destroy(): Promise<void> {}
}

function play(script: Script, handler: Handler): void {
  const controller = {
    aborted: false,
    paused: false,
    reason: null,
    abort() {},
    pause() {},
    resume() {},
  };
  handler.onRequestStart?.(controller, {});
  handler.onResponseStart?.(controller, script.status, script.headers, 'OK');
  for (const read of script.reads) handler.onResponseData?.(controller, read);
  handler.onResponseEnd?.(controller, {});
}

/** Splits `text` into reads of `eventsPerRead` SSE events each. */
function sseReads(frames: readonly string[], eventsPerRead: number): Buffer[] {
  const reads: Buffer[] = [];
  for (let i = 0; i < frames.length; i += eventsPerRead) {
    reads.push(Buffer.from(frames.slice(i, i + eventsPerRead).join('')));
  }
  return reads;
}

const JSON_HEADERS: Headers = { 'content-type': 'application/json', 'x-request-id': 'req_0123456789ab' };
const SSE_HEADERS: Headers = { 'content-type': 'text/event-stream', 'x-request-id': 'req_0123456789ab' };
const frames = streamFrames(500);
const obfuscatedFrames = obfuscatedStreamFrames(500);
const anthropicFrames = anthropicStreamFrames(500);
const responsesFrames = responsesStreamFrames(500);

interface Case {
  readonly name: string;
  readonly script: Script;
  readonly stream: boolean;
  readonly calls: number;
}

const completion = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1741570283,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hello!' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 27, completion_tokens: 9, total_tokens: 36 },
  }),
);
const serverError = STORM_ERRORS[0]!;

function cases(quick: boolean): Case[] {
  return [
    {
      name: 'small JSON 200',
      script: { status: 200, headers: JSON_HEADERS, reads: [completion] },
      stream: false,
      calls: quick ? 3000 : 10_000,
    },
    {
      name: 'JSON 500 error body',
      script: { status: serverError.status, headers: JSON_HEADERS, reads: [Buffer.from(serverError.body)] },
      stream: false,
      calls: quick ? 3000 : 10_000,
    },
    {
      name: `SSE ${frames.length} events, 4 per read`,
      script: { status: 200, headers: SSE_HEADERS, reads: sseReads(frames, 4) },
      stream: true,
      calls: quick ? 100 : 300,
    },
    {
      name: `SSE ${frames.length} events, 1 per read`,
      script: { status: 200, headers: SSE_HEADERS, reads: sseReads(frames, 1) },
      stream: true,
      calls: quick ? 100 : 300,
    },
    {
      name: `SSE ${frames.length} events with obfuscation (OpenAI's default), 4 per read`,
      script: { status: 200, headers: SSE_HEADERS, reads: sseReads(obfuscatedFrames, 4) },
      stream: true,
      calls: quick ? 100 : 300,
    },
    {
      name: `SSE ${anthropicFrames.length} events, Anthropic Messages, 4 per read`,
      script: { status: 200, headers: SSE_HEADERS, reads: sseReads(anthropicFrames, 4) },
      stream: true,
      calls: quick ? 100 : 300,
    },
    {
      name: `SSE ${responsesFrames.length} events, OpenAI Responses, 4 per read`,
      script: { status: 200, headers: SSE_HEADERS, reads: sseReads(responsesFrames, 4) },
      stream: true,
      calls: quick ? 100 : 300,
    },
    {
      name: `SSE ${frames.length} events, 64 KiB reads`,
      script: { status: 200, headers: SSE_HEADERS, reads: sseReads(frames, 356) },
      stream: true,
      calls: quick ? 100 : 300,
    },
  ];
}

const JSON_BODY = requestBody(false);
const STREAM_BODY = requestBody(true);
const REQUEST_HEADERS = { 'content-type': 'application/json', authorization: 'Bearer sk-bench-0000' };

function call(dispatcher: Dispatcher, stream: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    dispatcher.dispatch(
      {
        origin: 'http://127.0.0.1:9',
        path: '/v1/chat/completions',
        method: 'POST',
        headers: REQUEST_HEADERS,
        body: stream ? STREAM_BODY : JSON_BODY,
      },
      {
        // onRequestStart marks this as an undici-8 handler (without it, it would be adapted as a legacy one).
        onRequestStart: () => {},
        onResponseEnd: () => resolve(),
        onResponseError: (_controller, error) => reject(error),
      },
    );
  });
}

async function cpuMicrosPerCall(dispatcher: Dispatcher, test: Case, calls = test.calls): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < calls; i++) await call(dispatcher, test.stream);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / calls;
}

/** CPU µs per call: the best round and the median round. */
export interface CpuFigure {
  readonly best: number;
  readonly median: number;
}

export interface HotPathCase {
  readonly name: string;
  readonly calls: number;
  readonly bare: CpuFigure;
  readonly ours: CpuFigure;
  readonly oursRetry: CpuFigure;
  /** Spans and histogram points ours recorded per call (the case fails when either is below 1). */
  readonly oursSpansPerCall: number;
  readonly oursMetricPointsPerCall: number;
}

/** A building block's throughput on its own, one row per input. */
export interface RateRow {
  readonly group: 'redaction' | 'provider lookup';
  readonly name: string;
  readonly value: number;
  readonly unit: 'MB/s' | 'ns/call';
}

export interface HotPath {
  readonly rounds: number;
  readonly cases: HotPathCase[];
  readonly rates: RateRow[];
  /** The SDK's own cost for the spans and points of one small call, ours and the peer's (bench/sdk-floor.ts). */
  readonly sdkFloor: SdkFloor | undefined;
  /** Why a group has no rows yet. */
  readonly notes: string[];
}

function figure(samples: readonly number[]): CpuFigure {
  return { best: Math.min(...samples), median: quantile(samples, 0.5) };
}

async function runCase(test: Case, rounds: number): Promise<HotPathCase> {
  const base = new ScriptedDispatcher(test.script);
  const sdk = createSdk();
  const contenders = [
    base,
    ours(sdk, { dispatcher: base }),
    ours(createSdk(), { dispatcher: base, retry: { baseDelay: 0 } }),
  ];
  const samples: number[][] = contenders.map(() => []);
  for (const dispatcher of contenders) await cpuMicrosPerCall(dispatcher, test, test.calls / 4);
  const spansBefore = sdk.ends.ended;
  const pointsBefore = countMetricPoints((await sdk.reader.collect()).resourceMetrics);
  let pointsAfter = pointsBefore;
  for (let round = 0; round < rounds; round++) {
    for (const [index, dispatcher] of contenders.entries()) {
      samples[index]?.push(await cpuMicrosPerCall(dispatcher, test));
    }
    // Collected every round, as a periodic reader would, so the cumulative state stays realistic.
    pointsAfter = countMetricPoints((await sdk.reader.collect()).resourceMetrics);
  }
  const measuredCalls = test.calls * rounds;
  const [bare = [], oursSamples = [], retrySamples = []] = samples;
  return {
    name: test.name,
    calls: test.calls,
    bare: figure(bare),
    ours: figure(oursSamples),
    oursRetry: figure(retrySamples),
    oursSpansPerCall: (sdk.ends.ended - spansBefore) / measuredCalls,
    oursMetricPointsPerCall: (pointsAfter - pointsBefore) / measuredCalls,
  };
}

/** Redaction throughput from bench/redaction.ts (MB/s on ordinary and adversarial text). */
async function redactionRows(): Promise<RateRow[]> {
  const rows = await benchRedaction();
  return rows.map((row) => ({ group: 'redaction', name: row.name, value: row.mbPerSecond, unit: 'MB/s' }));
}

/** Provider lookup, one call per request: rows from the hook in bench/provider-lookup.ts. */
async function providerLookupRows(notes: string[]): Promise<RateRow[]> {
  const rows = await benchProviderLookup();
  if (rows.length === 0) notes.push('provider lookup: not measured yet (hook: bench/provider-lookup.ts)');
  return rows.map((row) => ({
    group: 'provider lookup',
    name: row.name,
    value: row.nsPerCall,
    unit: 'ns/call',
  }));
}

export interface HotPathOptions {
  readonly quick: boolean;
  /** Only the cases whose name contains this text. */
  readonly only?: string | undefined;
  /** Whether to measure the building blocks too (SDK floor, redaction, provider lookup); default true. */
  readonly blocks?: boolean;
}

/**
 * Runs every case (in-memory dispatch, bare vs ours vs ours + retry) and the building-block rows.
 * Expects the OTel globals (context manager, propagator) to be installed. Throws when ours
 * recorded less than one span or one metric point per call in a case.
 */
export async function runHotPath({ quick, only, blocks = true }: HotPathOptions): Promise<HotPath> {
  const rounds = quick ? 3 : 7;
  const results: HotPathCase[] = [];
  for (const test of cases(quick).filter((c) => !only || c.name.includes(only))) {
    const result = await runCase(test, rounds);
    if (result.oursSpansPerCall < 1 || result.oursMetricPointsPerCall < 1) {
      throw new Error(
        `hot path "${test.name}": ours recorded ${result.oursSpansPerCall} spans and ${result.oursMetricPointsPerCall} metric points per call`,
      );
    }
    results.push(result);
  }
  const sdkFloor = blocks ? await measureSdkFloor(rounds, quick ? 3000 : 10_000) : undefined;
  const notes: string[] = [];
  const rates = blocks ? [...(await redactionRows()), ...(await providerLookupRows(notes))] : [];
  return { rounds, cases: results, rates, sdkFloor, notes };
}

const trim = (value: number, digits = 1) => value.toFixed(digits);

/** The hot path as Markdown: CPU µs per call (best, median in brackets), then the throughput rows. */
export function renderHotPath(hot: HotPath): string {
  const cell = (f: CpuFigure) => `${trim(f.best)} (${trim(f.median)})`;
  const plus = (f: CpuFigure, bare: CpuFigure) => `+${trim(f.best - bare.best)}`;
  const lines = [
    `CPU µs per call, best of ${hot.rounds} rounds (median in brackets); spans / metric points ours recorded per call`,
    '',
    '| case | bare | ours | +µs | ours spans / points | ours + retry | +µs |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...hot.cases.map(
      (c) =>
        `| ${c.name} | ${cell(c.bare)} | ${cell(c.ours)} | ${plus(c.ours, c.bare)} | ${trim(c.oursSpansPerCall, 0)} / ${trim(c.oursMetricPointsPerCall, 0)} | ${cell(c.oursRetry)} | ${plus(c.oursRetry, c.bare)} |`,
    ),
    ...(hot.sdkFloor
      ? [
          '',
          `SDK floor, no interceptor (bench/sdk-floor.ts), CPU µs per call: our contract's 2 spans + 4 points ${cell(hot.sdkFloor.ours)}; the peer's 1 span + 1 point ${cell(hot.sdkFloor.peer)}`,
        ]
      : []),
    '',
    '| building block | input | throughput |',
    '|---|---|---:|',
    ...hot.rates.map(
      (r) => `| ${r.group} | ${r.name} | ${trim(r.value, r.unit === 'MB/s' ? 1 : 0)} ${r.unit} |`,
    ),
    ...hot.notes.map((note) => `| ${note.split(':')[0]} | ${note.slice(note.indexOf(':') + 2)} | – |`),
  ];
  return lines.join('\n');
}

if (import.meta.main) {
  installOtelGlobals();
  const quick = process.env.BENCH_QUICK === '1';
  console.log(`node ${process.version}`);
  const blocks = process.env.BENCH_BLOCKS !== '0';
  console.log(renderHotPath(await runHotPath({ quick, only: process.env.BENCH_CASES, blocks })));
}
