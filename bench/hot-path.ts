/**
 * The interceptor's own cost per call, without sockets: a scripted in-memory Dispatcher plays a
 * response (headers, body reads, end) into the handler chain, and each contender is driven with
 * `dispatch()` one call at a time. The difference to the bare scripted dispatcher is what
 * telemetry adds per call, free of network and server noise, so it is steadier than `npm run
 * bench` on a busy machine. Reports the best and the median round of process CPU time.
 *
 * Run: `npx node bench/hot-path.ts` (BENCH_QUICK=1 for fewer calls, BENCH_CASES=SSE to run only the
 * cases whose name contains that text). Profile it with
 * `npx node --cpu-prof --cpu-prof-dir=/tmp/prof bench/hot-path.ts`, then bench/profile-summary.ts.
 */
import { Dispatcher } from 'undici';
import { requestBody, STORM_ERRORS, streamFrames } from './payloads.ts';
import { quantile } from './stats.ts';
import { createSdk, installOtelGlobals, ours } from './variants.ts';

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
const quick = process.env.BENCH_QUICK === '1';

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

const cases: Case[] = [
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
    name: `SSE ${frames.length} events, 64 KiB reads`,
    script: { status: 200, headers: SSE_HEADERS, reads: sseReads(frames, 356) },
    stream: true,
    calls: quick ? 100 : 300,
  },
];

const ROUNDS = quick ? 3 : 7;
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

async function cpuMicrosPerCall(dispatcher: Dispatcher, test: Case): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < test.calls; i++) await call(dispatcher, test.stream);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / test.calls;
}

installOtelGlobals();
console.log(`node ${process.version}; ${ROUNDS} rounds; CPU µs per call: best (median)`);
console.log('| case | bare | ours | +µs | ours + retry | +µs |');
console.log('|---|---:|---:|---:|---:|---:|');
const only = process.env.BENCH_CASES;
for (const test of cases.filter((c) => !only || c.name.includes(only))) {
  const base = new ScriptedDispatcher(test.script);
  const sdk = createSdk();
  const contenders = [
    base,
    ours(sdk, { dispatcher: base }),
    ours(createSdk(), { dispatcher: base, retry: { baseDelay: 0 } }),
  ];
  const samples: number[][] = contenders.map(() => []);
  for (const dispatcher of contenders) await cpuMicrosPerCall(dispatcher, { ...test, calls: test.calls / 4 });
  for (let round = 0; round < ROUNDS; round++) {
    for (const [index, dispatcher] of contenders.entries()) {
      samples[index]?.push(await cpuMicrosPerCall(dispatcher, test));
    }
    await sdk.reader.collect();
  }
  const best = samples.map((s) => Math.min(...s));
  const median = samples.map((s) => quantile(s, 0.5));
  const cell = (i: number) => `${best[i]!.toFixed(1)} (${median[i]!.toFixed(1)})`;
  const plus = (i: number) => `+${(best[i]! - best[0]!).toFixed(1)}`;
  console.log(`| ${test.name} | ${cell(0)} | ${cell(1)} | ${plus(1)} | ${cell(2)} | ${plus(2)} |`);
}
