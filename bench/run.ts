/**
 * `npm run bench`: the overhead of llm-otel-dispatcher against bare undici and against
 * `@opentelemetry/instrumentation-undici`, on a loopback LLM server in a separate process.
 *
 * Each round runs every workload once per variant, variants interleaved and rotated so that none
 * always goes first; figures are the median and min–max across rounds. Per round and variant it
 * records wall time, client CPU (`process.cpuUsage()`), the server's CPU, latency quantiles, spans
 * ended and exported, metric points recorded, and the heap after a forced GC. Prints Markdown
 * tables and writes bench/results.json (or a temp file for a quick run). Then runs the in-memory
 * hot-path bench (bench/hot-path.ts: interceptor alone, redaction, provider lookup) and stores its
 * rows too.
 *
 * Honest or failing: every telemetry variant must record at least one span and one metric point
 * per call in every round (warm-up included), and no undici diagnostics-channel subscriber may be
 * left listening outside the peer's own rounds; otherwise the run exits non-zero (after writing
 * what it measured, marked `"honest": false`).
 *
 * Environment: BENCH_QUICK=1 (a ~30 s smoke run), BENCH_ROUNDS=n, BENCH_VARIANTS=bare,ours,...,
 * BENCH_WORKLOADS=small,stream,..., BENCH_OUT=path, BENCH_HOT_PATH=0 (skip the hot path). Needs `--expose-gc`; without it, re-runs
 * itself with the flag. Profile: `npx node --expose-gc --cpu-prof --cpu-prof-dir=/tmp/prof
 * bench/run.ts` with BENCH_QUICK=1 BENCH_VARIANTS=ours, then `npx node bench/profile-summary.ts`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import diagnosticsChannel from 'node:diagnostics_channel';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { type HotPath, renderHotPath, runHotPath } from './hot-path.ts';
import {
  type RecordingRequirement,
  type RoundResult,
  recordingFailures,
  renderHeadline,
  renderTable,
  type Summary,
  summarize,
} from './report.ts';
import { quantile } from './stats.ts';
import {
  createVariants,
  installOtelGlobals,
  VARIANT_LABELS,
  type Variant,
  type VariantName,
} from './variants.ts';
import { createWorkloads, type Workload, type WorkloadName, type WorkloadSizes } from './workloads.ts';

const ALL_VARIANTS: readonly VariantName[] = ['bare', 'undici-instr', 'ours', 'ours-retry', 'ours-otlp'];
/** Opt-in through BENCH_VARIANTS only: diagnostics, not contenders. */
const EXTRA_VARIANTS: readonly VariantName[] = ['ours-api-only'];
const ALL_WORKLOADS: readonly WorkloadName[] = [
  'small',
  'smallFetch',
  'stream',
  'streamParsed',
  'storm',
  'long',
];
const WARM_UP_SCALE = 0.25;
const MB = 1024 * 1024;

const quick = process.env.BENCH_QUICK === '1';
const sizes: WorkloadSizes = quick
  ? {
      concurrency: 64,
      smallRequests: 300,
      smallFetchRequests: 200,
      streams: 32,
      streamChunks: 500,
      stormRequests: 300,
      longMegabytes: 10,
    }
  : {
      concurrency: 64,
      smallRequests: 2000,
      smallFetchRequests: 1000,
      streams: 64,
      streamChunks: 500,
      stormRequests: 2000,
      longMegabytes: 50,
    };
const rounds = Number(process.env.BENCH_ROUNDS ?? (quick ? 2 : 5));

function listFromEnv<T extends string>(name: string, all: readonly T[], extra: readonly T[] = []): T[] {
  const value = process.env[name];
  if (!value) return [...all];
  const picked = value.split(',').map((s) => s.trim());
  const unknown = picked.filter((p) => !all.includes(p as T) && !extra.includes(p as T));
  if (unknown.length > 0)
    throw new Error(`${name}: unknown ${unknown.join(', ')}; choose from ${[...all, ...extra].join(', ')}`);
  return picked as T[];
}

interface BenchServer {
  readonly origin: string;
  readonly otlpUrl: string;
  readonly child: ChildProcess;
}

async function startServer(): Promise<BenchServer> {
  const serverPath = fileURLToPath(new URL('./server.ts', import.meta.url));
  const args = ['--stream-chunks', String(sizes.streamChunks), '--long-mb', String(sizes.longMegabytes)];
  const child = spawn(process.execPath, [serverPath, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const stop = () => {
    if (child.exitCode === null) child.kill();
  };
  process.on('exit', stop);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      stop();
      process.exit(130);
    });
  }
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) =>
      reject(new Error(`bench server exited with ${code} before printing its port`)),
    );
  });
  const { port, otlpPort } = JSON.parse(first) as { port: number; otlpPort: number };
  return {
    origin: `http://127.0.0.1:${port}`,
    otlpUrl: `http://127.0.0.1:${otlpPort}/v1/traces`,
    child,
  };
}

interface ServerStats {
  readonly served: number;
  readonly connections: number;
  readonly otlp: { readonly requests: number; readonly bytes: number };
  readonly cpuMicros: number;
}

const statsAgent = new Agent();

async function serverStats(origin: string): Promise<ServerStats> {
  const response = await request(`${origin}/stats`, { dispatcher: statsAgent });
  return (await response.body.json()) as ServerStats;
}

function collectGarbage(): void {
  globalThis.gc?.();
}

/** The channels instrumentation-undici subscribes to; undici publishes on them only when someone listens. */
const UNDICI_CHANNELS = [
  'undici:request:create',
  'undici:client:sendHeaders',
  'undici:request:headers',
  'undici:request:trailers',
  'undici:request:error',
].map((name) => diagnosticsChannel.channel(name));

/** Throws when an undici diagnostics channel has a subscriber outside the peer's own window. */
function assertChannelsQuiet(when: string): void {
  const listening = UNDICI_CHANNELS.filter((channel) => channel.hasSubscribers).map((c) => String(c.name));
  if (listening.length > 0) {
    throw new Error(`${when}: undici diagnostics channels still have subscribers (${listening.join(', ')})`);
  }
}

function requirements(variants: readonly Variant[]): Map<VariantName, RecordingRequirement> {
  return new Map(
    variants.filter((v) => v.records.spans || v.records.metrics).map((v) => [v.name, v.records]),
  );
}

async function measure(
  variant: Variant,
  workload: Workload,
  origin: string,
  round: number,
): Promise<RoundResult> {
  collectGarbage();
  assertChannelsQuiet(`before ${variant.name} on ${workload.name}`);
  const serverBefore = await serverStats(origin);
  const spansBefore = variant.spansEnded();
  const exportedBefore = variant.spansExported();
  const pointsBefore = variant.metricPointsRecorded();
  variant.activate();
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const sample = await workload.run(variant.dispatcher, origin, 1);
  await variant.flush();
  const wallMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  variant.deactivate();
  const serverAfter = await serverStats(origin);
  collectGarbage();
  const memory = process.memoryUsage();
  const seconds = wallMs / 1000;
  const throughput =
    workload.name === 'long'
      ? sample.bytes / MB / seconds
      : workload.name === 'stream' || workload.name === 'streamParsed'
        ? sample.chunks / seconds
        : sample.calls / seconds;
  return {
    workload: workload.name,
    variant: variant.name,
    round,
    wallMs,
    cpuMicros: cpu.user + cpu.system,
    serverCpuMicros: serverAfter.cpuMicros - serverBefore.cpuMicros,
    calls: sample.calls,
    attempts: serverAfter.served - serverBefore.served,
    newConnections: serverAfter.connections - serverBefore.connections,
    chunks: sample.chunks,
    bytes: sample.bytes,
    reads: sample.reads,
    throughput,
    p50Ms: quantile(sample.latenciesMs, 0.5),
    p99Ms: quantile(sample.latenciesMs, 0.99),
    ttfcP50Ms: quantile(sample.ttfcMs, 0.5),
    heapAfterMB: memory.heapUsed / MB,
    rssAfterMB: memory.rss / MB,
    heapGrowthMB: sample.heapGrowth / MB,
    rssGrowthMB: sample.rssGrowth / MB,
    spansEnded: variant.spansEnded() - spansBefore,
    spansExported: variant.spansExported() - exportedBefore,
    metricPoints: variant.metricPointsRecorded() - pointsBefore,
    otlpBytes: serverAfter.otlp.bytes - serverBefore.otlp.bytes,
    statuses: sample.statuses,
  };
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

function machine() {
  // Read from node_modules directly: some packages do not export their package.json.
  const version = (name: string) =>
    (
      JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8')) as {
        version: string;
      }
    ).version;
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    undici: version('undici'),
    otel: {
      api: version('@opentelemetry/api'),
      sdkTrace: version('@opentelemetry/sdk-trace'),
      sdkMetrics: version('@opentelemetry/sdk-metrics'),
      instrumentationUndici: version('@opentelemetry/instrumentation-undici'),
      exporterTraceOtlpHttp: version('@opentelemetry/exporter-trace-otlp-http'),
    },
    date: new Date().toISOString(),
  };
}

async function main(): Promise<void> {
  const variantNames = listFromEnv('BENCH_VARIANTS', ALL_VARIANTS, EXTRA_VARIANTS);
  const workloadNames = listFromEnv('BENCH_WORKLOADS', ALL_WORKLOADS);
  const server = await startServer();
  installOtelGlobals();
  const { variants, skipped } = createVariants(variantNames, server.otlpUrl);
  for (const note of skipped) console.log(`note: ${note}`);
  const workloads = createWorkloads(sizes).filter((w) => workloadNames.includes(w.name));
  const info = machine();
  console.log(
    `${info.cpu}, ${info.cores} cores, node ${info.node}, undici ${info.undici}; ${rounds} rounds${quick ? ' (quick)' : ''}; ` +
      `variants: ${variants.map((v) => v.name).join(', ')}`,
  );

  const began = performance.now();
  const required = requirements(variants);
  // Warm-up, checked like a round: a variant that records nothing fails the run within seconds.
  for (const workload of workloads) {
    for (const variant of variants) {
      assertChannelsQuiet(`before the warm-up of ${variant.name}`);
      const spansBefore = variant.spansEnded();
      const pointsBefore = variant.metricPointsRecorded();
      variant.activate();
      const sample = await workload.run(variant.dispatcher, server.origin, WARM_UP_SCALE);
      await variant.flush();
      variant.deactivate();
      const failures = recordingFailures(
        [
          {
            workload: workload.name,
            variant: variant.name,
            round: -1,
            calls: sample.calls,
            spansEnded: variant.spansEnded() - spansBefore,
            metricPoints: variant.metricPointsRecorded() - pointsBefore,
          },
        ],
        required,
      );
      if (failures.length > 0) throw new Error(`warm-up: ${failures.join('; ')}`);
    }
  }
  assertChannelsQuiet('after the warm-up');
  const results: RoundResult[] = [];
  const loads: number[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const workload of workloads) {
      for (const variant of rotate(variants, round)) {
        const result = await measure(variant, workload, server.origin, round);
        results.push(result);
      }
    }
    const load = loadavg()[0] ?? Number.NaN;
    loads.push(load);
    console.log(
      `round ${round + 1}/${rounds} done at ${((performance.now() - began) / 1000).toFixed(0)} s, load average ${load.toFixed(2)}`,
    );
  }

  const failures = recordingFailures(results, required);
  const networkSeconds = (performance.now() - began) / 1000;

  let hotPath: HotPath | undefined;
  if (process.env.BENCH_HOT_PATH !== '0') {
    const hotBegan = performance.now();
    hotPath = await runHotPath({ quick });
    console.log(
      `hot path done in ${((performance.now() - hotBegan) / 1000).toFixed(0)} s\n\n${renderHotPath(hotPath)}`,
    );
  }

  const summaries = summarize(results);
  const tables = workloads.map((workload) =>
    renderTable(
      workload.name,
      workload.title,
      workload.client,
      variants.flatMap((v) => summaries.filter((s) => s.workload === workload.name && s.variant === v.name)),
    ),
  );
  console.log(`\n${tables.join('\n\n')}\n`);
  console.log(
    `### Headline: medians, ratios to bare in the same round\n\n${renderHeadline(workloads, summaries)}\n`,
  );
  const seconds = (performance.now() - began) / 1000;
  const out =
    process.env.BENCH_OUT ??
    (quick
      ? join(tmpdir(), 'llm-otel-bench-quick.json')
      : fileURLToPath(new URL('./results.json', import.meta.url)));
  writeFileSync(
    out,
    `${JSON.stringify(
      report({
        info: { ...info, loadAverageAfterEachRound: loads },
        durationSeconds: { network: networkSeconds, total: seconds },
        failures,
        variants,
        skipped,
        workloads,
        summaries,
        hotPath,
        results,
      }),
      null,
      2,
    )}\n`,
  );
  console.log(
    `wrote ${out} after ${seconds.toFixed(0)} s (loopback rounds ${networkSeconds.toFixed(0)} s, hot path ${(seconds - networkSeconds).toFixed(0)} s)`,
  );

  for (const variant of variants) await variant.close();
  await statsAgent.close();
  server.child.kill();
  if (failures.length > 0) {
    console.error(`\nNOT HONEST: a telemetry variant did not record every call:\n- ${failures.join('\n- ')}`);
    process.exitCode = 1;
  }
}

interface ReportInput {
  readonly info: ReturnType<typeof machine> & { loadAverageAfterEachRound: number[] };
  readonly durationSeconds: { readonly network: number; readonly total: number };
  readonly failures: readonly string[];
  readonly variants: readonly Variant[];
  readonly skipped: readonly string[];
  readonly workloads: readonly Workload[];
  readonly summaries: readonly Summary[];
  readonly hotPath: HotPath | undefined;
  readonly results: readonly RoundResult[];
}

function report(input: ReportInput) {
  return {
    machine: input.info,
    quick,
    rounds,
    sizes,
    durationSeconds: input.durationSeconds,
    honest: input.failures.length === 0,
    recordingFailures: input.failures,
    variants: input.variants.map((v) => ({
      name: v.name,
      label: VARIANT_LABELS[v.name],
      records: v.records,
    })),
    skipped: input.skipped,
    workloads: input.workloads.map((w) => ({ name: w.name, title: w.title, client: w.client })),
    summaries: input.summaries,
    hotPath: input.hotPath ?? null,
    roundResults: input.results,
  };
}

if (typeof globalThis.gc === 'function') {
  await main();
} else {
  // Heap figures need a forced GC: run again with --expose-gc, passing signals on.
  const script = fileURLToPath(import.meta.url);
  const child = spawn(
    process.execPath,
    ['--expose-gc', ...process.execArgv, script, ...process.argv.slice(2)],
    {
      stdio: 'inherit',
    },
  );
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
