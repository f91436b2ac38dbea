/**
 * Collector capacity (not part of CI): on this machine, how many spans/s ONE collector process (the
 * Jaeger v2 binary running collector/otelcol.yaml, only its environment changed) handles before it
 * drops or refuses spans, its CPU cost per 1,000 spans, and the memory the tail sampler needs per
 * 1,000 spans it holds while waiting to decide.
 *
 * - Traffic: traces shaped like ours (app root span; `chat gpt-4o-mini` operation span, 15
 *   attributes; `POST` attempt span, 12 attributes; every 20th trace in ERROR) over OTLP/HTTP
 *   protobuf, 200 traces per request, encoded once; each request gets fresh random trace IDs
 *   (patched in). Sent on a fixed schedule over 16 keep-alive connections.
 * - Capacity: stepped rates of 20 s each, the collector's own metrics scraped before and after. A
 *   step is handled when nothing was refused (HTTP status or receiver metric), no trace was decided
 *   early (num_traces full), the exporter did not fail and the sender achieved >= 95% of the target.
 *   Two series: the config's defaults, then num_traces raised so that only CPU limits.
 * - Memory: decision_wait 120 s, so every trace sent is held; heap after forced GCs (pprof
 *   extension added with an extra --config, `?gc=1`) and RSS at 0, 10k, 30k, 60k traces; least squares.
 * - Downstream of the otlp/jaeger exporter is a second Jaeger binary with otlp -> nop (no storage).
 * - With 2+ CPUs the collector runs on CPU 1, this process and the sink on CPU 0 (taskset), so the
 *   figures are per collector core (Go then runs with GOMAXPROCS=1).
 *
 *   node scripts/collector-capacity.ts [--reset]    About 4 minutes. Adds the run to
 *   docs/collector-capacity.json (keeps the last 5, with min/max across them; --reset drops them).
 */
import { randomFillSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { COLLECTOR_CONFIG, ensureJaegerBinary, REPO_ROOT } from '../test/e2e/support/jaeger.ts';
import {
  freePorts,
  type GroupProcess,
  runCommand,
  spawnGroup,
  waitUntilServing,
} from '../test/e2e/support/processes.ts';
import { parsePrometheusText, type Sample } from '../test/e2e/support/prometheus-text.ts';

const TRACES_PER_REQUEST = 200;
const SPANS_PER_REQUEST = TRACES_PER_REQUEST * 3;
const ERROR_EVERY = 20;
const CONNECTIONS = 16; // like 16 app instances exporting at once: short stalls do not cap the rate
const STEP_SECONDS = 20;
const KEEP_UP_RATIO = 0.95;
const DEFAULT_STEPS = [2_000, 5_000, 10_000, 15_000, 20_000, 30_000, 40_000];
const CPU_STEPS = [10_000, 20_000, 25_000, 30_000, 35_000, 40_000, 50_000, 60_000];
const CPU_SERIES_ENV = { TAIL_SAMPLING_NUM_TRACES: '2000000' };
const CPU_COST_RATE = 5_000;
const MEMORY_ENV = { TAIL_SAMPLING_DECISION_WAIT: '120s', TAIL_SAMPLING_NUM_TRACES: '500000' };
const MEMORY_POINTS = [10_000, 30_000, 60_000];
const MEMORY_SEND_RATE = 10_000;
const MEMORY_READINGS = 3;
const START_TIMEOUT_MS = 30_000;
const CLOCK_TICKS = 100; // USER_HZ: /proc/PID/stat counts CPU time in 1/100 s
const [GENERATOR_CPU, COLLECTOR_CPU] = ['0', '1'];
const RESULTS = `${REPO_ROOT}docs/collector-capacity.json`;
const KEPT_RUNS = 5;

// --- OTLP protobuf, hand-encoded (opentelemetry/proto/trace/v1): (field number, content) ---
type Value = string | number | boolean | string[];
type Attributes = Record<string, Value>;
const EMPTY = Buffer.alloc(0);
function varint(n: number): Buffer {
  const out: number[] = [];
  for (; n > 127; n = Math.floor(n / 128)) out.push((n & 127) | 128);
  return Buffer.from([...out, n]);
}
const key = (no: number, wire: number) => varint(no * 8 + wire);
const num = (no: number, n: number) => Buffer.concat([key(no, 0), varint(n)]);
const bytes = (no: number, data: Buffer) => Buffer.concat([key(no, 2), varint(data.length), data]);
const message = (no: number, ...parts: Buffer[]) => bytes(no, Buffer.concat(parts));
const text = (no: number, value: string) => bytes(no, Buffer.from(value));
const u64 = (write: (b: Buffer) => void) => {
  const b = Buffer.alloc(8);
  write(b);
  return b;
};
const fixed = (no: number, write: (b: Buffer) => void) => Buffer.concat([key(no, 1), u64(write)]);
const id = (n: number) => u64((b) => b.writeBigUInt64BE(BigInt(n)));
function anyValue(value: Value): Buffer {
  if (Array.isArray(value)) return message(5, ...value.map((item) => message(1, anyValue(item))));
  if (typeof value === 'string') return text(1, value);
  if (typeof value === 'boolean') return num(2, value ? 1 : 0);
  if (Number.isInteger(value)) return num(3, value);
  return fixed(4, (b) => b.writeDoubleLE(value));
}
const attributes = (no: number, attrs: Attributes) =>
  Object.entries(attrs).map(([name, value]) => message(no, text(1, name), message(2, anyValue(value))));
const NOW_NS = BigInt(Date.now()) * 1_000_000n;
const time = (no: number, ms = 0) => fixed(no, (b) => b.writeBigUInt64LE(NOW_NS + BigInt(ms) * 1_000_000n));

/** A Span (ScopeSpans field 2): roots are server spans, the rest client spans; `error` sets status ERROR. */
function span(trace: Buffer, ids: number[], name: string, ms: number[], attrs: Attributes, error = '') {
  const [spanId = 0, parentId = 0] = ids;
  const head = [
    bytes(1, trace),
    bytes(2, id(spanId)),
    parentId ? bytes(4, id(parentId)) : EMPTY,
    text(5, name),
  ];
  const times = [num(6, parentId ? 3 : 2), time(7, ms[0]), time(8, ms[1])];
  const status = error === '' ? EMPTY : message(15, text(2, error), num(3, 2));
  return message(2, ...head, ...times, ...attributes(9, attrs), status);
}

// biome-ignore format: attribute tables
const RESOURCE = {
  'service.name': 'answer-api', 'service.version': '1.4.2', 'deployment.environment.name': 'production',
  'telemetry.sdk.name': 'opentelemetry', 'telemetry.sdk.language': 'nodejs', 'telemetry.sdk.version': '2.1.0',
  'host.name': 'ip-10-0-12-34', 'process.pid': 4242, 'process.runtime.name': 'nodejs', 'process.runtime.version': '24.21.0',
};
// biome-ignore format: attribute tables
const ROOT = {
  'http.request.method': 'POST', 'http.route': '/api/answer', 'url.path': '/api/answer', 'url.scheme': 'https',
  'server.address': 'answer.example.com', 'network.protocol.version': '1.1', 'user_agent.original': 'Mozilla/5.0',
};
const PEER = {
  'server.address': 'api.openai.com',
  'server.port': 443,
  'gen_ai.request.model': 'gpt-4o-mini',
};
const STREAM = { 'llm.stream.chunks': 87, 'llm.stream.bytes_received': 14_211 };
// biome-ignore format: attribute tables
const OPERATION = {
  ...PEER, ...STREAM, 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.stream': true,
  'gen_ai.response.model': 'gpt-4o-mini-2024-07-18', 'gen_ai.response.finish_reasons': ['stop'],
  'gen_ai.usage.input_tokens': 412, 'gen_ai.usage.output_tokens': 96, 'gen_ai.response.time_to_first_chunk': 0.348,
  'llm.retry.attempts': 1,
};
// biome-ignore format: attribute tables
const ATTEMPT = {
  ...PEER, ...STREAM, 'http.request.method': 'POST', 'url.full': 'https://api.openai.com/v1/chat/completions',
  'http.request.resend_count': 0, 'network.protocol.version': '1.1', 'http.response.header.content-type': ['text/event-stream'],
};
const TRACE_MARK = Buffer.from('TRACEID!');

/** One request body of TRACES_PER_REQUEST traces; `traceIds` lists where each span's trace ID is, and whose. */
function buildRequest() {
  const roots: Buffer[] = [];
  const ours: Buffer[] = [];
  for (let i = 0; i < TRACES_PER_REQUEST; i++) {
    const trace = Buffer.concat([TRACE_MARK, id(i)]);
    const failed = i % ERROR_EVERY === 0;
    const outcome = {
      'http.response.status_code': failed ? 500 : 200,
      ...(failed ? { 'error.type': '500' } : {}),
    };
    const requestId = `req_5b97d5a3da13${i.toString(16).padStart(4, '0')}`;
    const [root, operation, attempt] = [i * 4 + 1, i * 4 + 2, i * 4 + 3];
    const opAttrs = { ...OPERATION, 'gen_ai.response.id': `chatcmpl-${requestId}`, ...outcome };
    const attemptAttrs = { ...ATTEMPT, 'http.response.header.x-request-id': [requestId], ...outcome };
    roots.push(span(trace, [root, 0], 'POST /api/answer', [0, 1300], { ...ROOT, ...outcome }));
    ours.push(
      span(
        trace,
        [operation, root],
        'chat gpt-4o-mini',
        [50, 1250],
        opAttrs,
        failed ? 'HTTP 500' : undefined,
      ),
    );
    ours.push(
      span(trace, [attempt, operation], 'POST', [60, 1240], attemptAttrs, failed ? '500' : undefined),
    );
  }
  const scope = (name: string, spans: Buffer[]) =>
    message(2, message(1, text(1, name), text(2, '0.1.0')), ...spans);
  const resource = message(1, ...attributes(1, RESOURCE));
  const body = message(1, resource, scope('answer-api', roots), scope('llm-otel-dispatcher', ours));
  const traceIds: { offset: number; trace: number }[] = [];
  for (let at = body.indexOf(TRACE_MARK); at !== -1; at = body.indexOf(TRACE_MARK, at + 1)) {
    traceIds.push({ offset: at, trace: Number(body.readBigUInt64BE(at + 8)) });
  }
  if (traceIds.length !== SPANS_PER_REQUEST) throw new Error(`${traceIds.length} trace IDs found`);
  return { body, traceIds };
}
const TEMPLATE = buildRequest();

// --- processes ---
interface Setup {
  binary: string;
  pin: boolean;
  sinkEndpoint: string;
}

/** Spawns `command` (on `cpu` when pinning) as its own process group; resolves once `healthUrl` answers. */
async function spawnServing(command: string[], cpu: string | undefined, env: object, healthUrl: string) {
  const [file = '', ...args] = cpu === undefined ? command : ['taskset', '-c', cpu, ...command];
  const proc = spawnGroup(file, args, { env: { ...process.env, ...env } });
  await waitUntilServing(healthUrl, proc, command.join(' '), START_TIMEOUT_MS).catch(async (error) => {
    await proc.stop();
    throw error;
  });
  return proc;
}

/**
 * The exporter's downstream: a Jaeger binary receiving OTLP/gRPC into a nop exporter. It accepts
 * messages up to 64 MiB: with the default 4 MiB (Jaeger's too), batches above ~7,500 of our spans are
 * refused, which limits the pipeline's batch sizes, not the collector's CPU (see `largestBatch`).
 */
async function startSink(binary: string, dir: string, cpu: string | undefined) {
  const [grpc, health] = await freePorts(2);
  const config = join(dir, 'sink.yaml');
  const yaml = `receivers: {otlp: {protocols: {grpc: {endpoint: "127.0.0.1:${grpc}", max_recv_msg_size_mib: 64}}}}
exporters: {nop: {}}
extensions: {healthcheckv2: {endpoint: "127.0.0.1:${health}", path: /}}
service: {extensions: [healthcheckv2], pipelines: {traces: {receivers: [otlp], exporters: [nop]}},
  telemetry: {metrics: {level: none}}}\n`;
  await writeFile(config, yaml);
  const proc = await spawnServing([binary, '--config', config], cpu, {}, `http://127.0.0.1:${health}/`);
  return { proc, endpoint: `127.0.0.1:${grpc}` };
}

/** collector/otelcol.yaml on free ports, `env` on top, plus the pprof extension (for forced GCs). */
async function startCollector(setup: Setup, env: object) {
  const ports = await freePorts(6);
  const [grpc, http, health, prometheus, pprof] = ports.map((port) => `127.0.0.1:${port}`);
  const pprofConfig = `yaml:extensions::pprof::endpoint: ${pprof}`;
  const extensions = [
    '--config',
    pprofConfig,
    '--config',
    'yaml:service::extensions: [healthcheckv2, pprof]',
  ];
  const listen = { OTLP_GRPC_ENDPOINT: grpc, OTLP_HTTP_ENDPOINT: http, HEALTH_ENDPOINT: health };
  const telemetry = { TELEMETRY_METRICS_HOST: '127.0.0.1', TELEMETRY_METRICS_PORT: String(ports[5]) };
  const exporters = { PROMETHEUS_EXPORTER_ENDPOINT: prometheus, JAEGER_OTLP_ENDPOINT: setup.sinkEndpoint };
  const command = [setup.binary, '--config', COLLECTOR_CONFIG, ...extensions];
  const allEnv = { ...listen, ...telemetry, ...exporters, ...env };
  const proc = await spawnServing(
    command,
    setup.pin ? COLLECTOR_CPU : undefined,
    allEnv,
    `http://${health}/`,
  );
  const pool = new Pool(`http://${http}`, { connections: CONNECTIONS });
  const metricsUrl = `http://127.0.0.1:${ports[5]}/metrics`;
  const cpu = setup.pin ? COLLECTOR_CPU : undefined;
  return { proc, pool, metricsUrl, gcUrl: `http://${pprof}/debug/pprof/heap?gc=1`, cpu };
}
type Collector = Awaited<ReturnType<typeof startCollector>>;

async function withCollector<T>(setup: Setup, env: object, use: (collector: Collector) => Promise<T>) {
  const collector = await startCollector(setup, env);
  try {
    return await use(collector);
  } finally {
    await collector.pool.close();
    await collector.proc.stop();
  }
}

/** CPU time the hypervisor gave to other guests (steal) on `cpu`, or on all CPUs when undefined. */
async function stealSeconds(cpu: string | undefined): Promise<number> {
  const lines = (await readFile('/proc/stat', 'utf8')).split('\n');
  const line = lines.find((l) => l.startsWith(cpu === undefined ? 'cpu ' : `cpu${cpu} `)) ?? '';
  return Number(line.trim().split(/\s+/)[8]) / CLOCK_TICKS; // cpuN user nice system idle iowait irq softirq steal
}

async function cpuSeconds(proc: GroupProcess): Promise<number> {
  const stat = await readFile(`/proc/${proc.child.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // [11], [12]: utime, stime
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

// --- the collector's own metrics ---
function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const matches = (s: Sample) =>
    s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v);
  return samples.filter(matches).reduce((sum, s) => sum + s.value, 0);
}

async function readCollector(collector: Collector) {
  const response = await fetch(collector.metricsUrl, { signal: AbortSignal.timeout(5_000) });
  const s = parsePrometheusText(await response.text());
  const [receiver, exporter] = [{ receiver: 'otlp' }, { exporter: 'otlp/jaeger' }];
  const [sampling, exporting] = ['otelcol_processor_tail_sampling_sampling_', 'otelcol_exporter_'];
  return {
    accepted: total(s, 'otelcol_receiver_accepted_spans_total', receiver),
    refused: total(s, 'otelcol_receiver_refused_spans_total', receiver),
    droppedEarly: total(s, `${sampling}trace_dropped_too_early_total`),
    tracesHeld: total(s, `${sampling}traces_on_memory`),
    decided: total(s, 'otelcol_processor_tail_sampling_global_count_traces_sampled_total'),
    kept: total(s, 'otelcol_processor_tail_sampling_global_count_traces_sampled_total', { sampled: 'true' }),
    exported: total(s, `${exporting}sent_spans_total`, exporter),
    exportFailed: total(s, `${exporting}send_failed_spans_total`, exporter),
    enqueueFailed: total(s, `${exporting}enqueue_failed_spans_total`, exporter),
    rssBytes: total(s, 'otelcol_process_memory_rss_bytes'),
    heapBytes: total(s, 'otelcol_process_runtime_heap_alloc_bytes'),
    samples: s,
  };
}
type Reading = Awaited<ReturnType<typeof readCollector>>;
type Counter = Exclude<keyof Reading, 'samples'>;

/** Upper bound of the batch processor's histogram bucket that holds the largest batch sent in between. */
function largestBatch(before: Reading, after: Reading): number {
  const name = 'otelcol_processor_batch_batch_send_size_bucket';
  const bounds = [...new Set(after.samples.filter((s) => s.name === name).map((s) => s.labels.le ?? ''))];
  const delta = (le: string) => total(after.samples, name, { le }) - total(before.samples, name, { le });
  return Number(bounds.find((le) => delta(le) === delta('+Inf')));
}

// --- load ---
/** Sends `requests` requests at `spansPerSec` on a fixed schedule; schedules none after `deadlineMs`. */
async function send(pool: Pool, spansPerSec: number, requests: number, deadlineMs: number) {
  const intervalMs = (1000 * SPANS_PER_REQUEST) / spansPerSec;
  const start = performance.now();
  const fresh = Buffer.alloc(16 * TRACES_PER_REQUEST);
  const tally = { next: 0, ok: 0, failed: 0, latencySumMs: 0, latencyMaxMs: 0 };
  const headers = { 'content-type': 'application/x-protobuf' };
  const post = async (body: Buffer) => {
    const response = await pool.request({ path: '/v1/traces', method: 'POST', headers, body });
    await response.body.dump();
    return response.statusCode;
  };
  const worker = async (body: Buffer) => {
    while (tally.next < requests && performance.now() - start < deadlineMs) {
      const wait = start + tally.next++ * intervalMs - performance.now();
      if (wait > 0) await sleep(wait);
      // All 16 bytes random, as W3C trace IDs are: the sampler's decision caches key on the right half.
      randomFillSync(fresh);
      for (const { offset, trace } of TEMPLATE.traceIds)
        fresh.copy(body, offset, trace * 16, trace * 16 + 16);
      const sentAt = performance.now();
      const status = await post(body).catch(() => 0);
      tally[status >= 200 && status < 300 ? 'ok' : 'failed']++;
      tally.latencySumMs += performance.now() - sentAt;
      tally.latencyMaxMs = Math.max(tally.latencyMaxMs, performance.now() - sentAt);
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, () => worker(Buffer.from(TEMPLATE.body))));
  const seconds = Math.max(performance.now() - start, requests * intervalMs) / 1000;
  const spans = tally.ok * SPANS_PER_REQUEST;
  const meanLatencyMs = round(tally.latencySumMs / Math.max(1, tally.ok + tally.failed), 1);
  return {
    spans,
    failed: tally.failed,
    achieved: spans / seconds,
    meanLatencyMs,
    maxLatencyMs: tally.latencyMaxMs,
  };
}

// --- measurements ---
/** One rate for STEP_SECONDS: what the sender achieved, what the collector counted, what it cost. */
async function step(collector: Collector, sink: GroupProcess, target: number) {
  const before = await readCollector(collector);
  const [cpu0, sink0, gen0, t0] = [
    await cpuSeconds(collector.proc),
    await cpuSeconds(sink),
    process.cpuUsage(),
    performance.now(),
  ];
  const steal0 = await stealSeconds(collector.cpu);
  const requests = Math.round((target * STEP_SECONDS) / SPANS_PER_REQUEST);
  const sent = await send(collector.pool, target, requests, STEP_SECONDS * 1000);
  const after = await readCollector(collector);
  const wall = (performance.now() - t0) / 1000;
  const cores = async (proc: GroupProcess, from: number) =>
    round(((await cpuSeconds(proc)) - from) / wall, 2);
  const d = (k: Counter) => after[k] - before[k];
  const failed = {
    refused: d('refused') + sent.failed > 0,
    'decided early': d('droppedEarly') > 0,
    'export failed': d('exportFailed') + d('enqueueFailed') > 0,
    'sender behind': sent.achieved < KEEP_UP_RATIO * target,
  };
  const reasons = Object.keys(failed).filter((reason) => failed[reason as keyof typeof failed]);
  const collectorCores = await cores(collector.proc, cpu0);
  const stolenShare = round(((await stealSeconds(collector.cpu)) - steal0) / wall, 2);
  const generator = process.cpuUsage(gen0);
  return {
    target,
    achieved: Math.round(sent.achieved),
    collectorCores,
    stolenShare,
    cpuSecondsPer1kSpans: round((collectorCores * wall) / (d('accepted') / 1000), 4),
    accepted: d('accepted'),
    refused: d('refused'),
    failedRequests: sent.failed,
    droppedEarly: d('droppedEarly'),
    tracesHeld: after.tracesHeld,
    keptShare: round(d('kept') / Math.max(1, d('decided')), 3),
    exported: d('exported'),
    exportFailed: d('exportFailed') + d('enqueueFailed'),
    largestBatch: largestBatch(before, after),
    rssMiB: mib(after.rssBytes),
    heapMiB: mib(after.heapBytes),
    generatorCores: round((generator.user + generator.system) / 1e6 / wall, 2),
    sinkCores: await cores(sink, sink0),
    meanLatencyMs: sent.meanLatencyMs,
    maxLatencyMs: Math.round(sent.maxLatencyMs),
    handled: reasons.length === 0,
    reasons,
  };
}
type Step = Awaited<ReturnType<typeof step>>;

/** A fresh collector with `env`, stepped up through `rates` until a step is not handled. */
function series(setup: Setup, sink: GroupProcess, env: object, rates: number[]) {
  return withCollector(setup, env, async (collector) => {
    const steps: Step[] = [];
    for (const rate of rates) {
      const result = await step(collector, sink, rate);
      steps.push(result);
      const cells = COLUMNS.map((column) => String(result[column]).padStart(column.length));
      console.log(cells.join(' '), result.reasons.join(', '));
      if (!result.handled) break;
    }
    return steps;
  });
}

/** Heap and RSS once two forced GCs settled: the least of a few readings. */
async function settledMemory(collector: Collector, traces: number) {
  for (let gc = 0; gc < 2; gc++) await (await fetch(collector.gcUrl)).arrayBuffer();
  const readings: Reading[] = [];
  for (let i = 0; i < MEMORY_READINGS; i++) {
    await sleep(1_100); // the collector re-reads Go's memory statistics at most once a second
    readings.push(await readCollector(collector));
  }
  const { tracesHeld, droppedEarly } = readings.at(-1)!;
  const [heapBytes, rssBytes] = [
    Math.min(...readings.map((r) => r.heapBytes)),
    Math.min(...readings.map((r) => r.rssBytes)),
  ];
  console.log(
    `${tracesHeld} traces held (${traces} sent): heap ${mib(heapBytes)} MiB, RSS ${mib(rssBytes)} MiB`,
  );
  return { traces, spans: traces * 3, tracesHeld, droppedEarly, heapBytes, rssBytes };
}

/** A collector that holds every trace (decision_wait 120 s): its memory at MEMORY_POINTS traces held. */
function memory(setup: Setup) {
  return withCollector(setup, MEMORY_ENV, async (collector) => {
    const points = [await settledMemory(collector, 0)];
    for (const traces of MEMORY_POINTS) {
      const requests = (traces - points.at(-1)!.traces) / TRACES_PER_REQUEST;
      const deadlineMs = (4_000 * requests * SPANS_PER_REQUEST) / MEMORY_SEND_RATE;
      const sent = await send(collector.pool, MEMORY_SEND_RATE, requests, deadlineMs);
      if (sent.spans !== requests * SPANS_PER_REQUEST)
        throw new Error(`memory: ${sent.failed} requests failed`);
      points.push(await settledMemory(collector, traces));
    }
    const per1k = (k: 'heapBytes' | 'rssBytes') => linearFit(points.map((p) => [p.spans / 1000, p[k]]));
    return {
      env: MEMORY_ENV,
      points,
      heapBytesPer1kSpans: per1k('heapBytes'),
      rssBytesPer1kSpans: per1k('rssBytes'),
    };
  });
}

/** Least squares: the slope (rounded) and R². */
function linearFit(points: [number, number][]) {
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const [mx, my] = [mean(points.map(([x]) => x)), mean(points.map(([, y]) => y))];
  const sum = (f: (x: number, y: number) => number) => points.reduce((s, [x, y]) => s + f(x, y), 0);
  const slope = sum((x, y) => (x - mx) * (y - my)) / sum((x) => (x - mx) ** 2);
  const r2 = 1 - sum((x, y) => (y - my - slope * (x - mx)) ** 2) / sum((_, y) => (y - my) ** 2);
  return { slope: Math.round(slope), r2: round(r2, 4) };
}

// --- output ---
const round = (n: number, digits: number) => Number(n.toFixed(digits));
const mib = (bytes: number) => round(bytes / 2 ** 20, 1);
const COLUMNS = (
  'target achieved collectorCores stolenShare cpuSecondsPer1kSpans refused droppedEarly tracesHeld keptShare largestBatch ' +
  'rssMiB heapMiB generatorCores meanLatencyMs handled'
).split(' ') as (keyof Step)[];
const lastHandled = (steps: Step[]) => steps.filter((s) => s.handled).at(-1);
/** RSS above an idle collector's per 1,000 spans held, while traffic flows (garbage and GC headroom included). */
const underLoad = (s: Step | undefined, idleRss: number) =>
  s && Math.round((s.rssMiB * 2 ** 20 - idleRss) / ((s.tracesHeld * 3) / 1000));

async function machine(binary: string, pinned: boolean) {
  const version = await runCommand(binary, ['version'], {}, 30_000);
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  const jaeger = /"gitVersion":"([^"]+)"/.exec(version.stdout)?.[1] ?? 'unknown';
  const pinning = pinned
    ? `collector on CPU ${COLLECTOR_CPU}, generator and sink on CPU ${GENERATOR_CPU}`
    : 'none';
  const date = new Date().toISOString();
  return { cpu, cores: cpus().length, kernel: release(), node: process.version, jaeger, date, pinning };
}

type Figures = Record<string, number | undefined>;
/** Adds `run` to RESULTS (the last KEPT_RUNS runs) with each figure's min and max across them. */
async function save(run: { figures: Figures; [more: string]: unknown }, reset: boolean) {
  const earlier = !reset && existsSync(RESULTS) ? JSON.parse(await readFile(RESULTS, 'utf8')).runs : [];
  const runs: (typeof run)[] = [...earlier, run].slice(-KEPT_RUNS);
  const across = (k: string) => runs.flatMap((r) => r.figures[k] ?? []);
  const range = (k: string) => [k, { min: Math.min(...across(k)), max: Math.max(...across(k)) }];
  const spread = Object.fromEntries(Object.keys(run.figures).map(range));
  const about =
    'Written by scripts/collector-capacity.ts (its header says how); spread: min and max of the runs.';
  await writeFile(RESULTS, `${JSON.stringify({ about, spread, runs }, null, 2)}\n`);
  // In the repository's JSON style, so `npm run lint` passes (best effort).
  await runCommand(`${REPO_ROOT}node_modules/.bin/biome`, ['format', '--write', RESULTS], {}, 30_000).catch(
    () => {},
  );
}

async function main() {
  const { values } = parseArgs({ options: { reset: { type: 'boolean', default: false } } });
  const binary = await ensureJaegerBinary();
  const taskset = runCommand('taskset', ['-a', '-p', '-c', GENERATOR_CPU, String(process.pid)], {}, 5_000);
  const pin = availableParallelism() >= 2 && (await taskset.catch(() => null))?.code === 0;
  const dir = await mkdtemp(join(tmpdir(), 'collector-capacity-'));
  let sink: Awaited<ReturnType<typeof startSink>> | undefined;
  try {
    sink = await startSink(binary, dir, pin ? GENERATOR_CPU : undefined);
    const setup = { binary, pin, sinkEndpoint: sink.endpoint };
    console.log(
      `${COLUMNS.join(' ')}\n-- collector/otelcol.yaml as is (num_traces 50000, decision_wait 10s)`,
    );
    const defaults = await series(setup, sink.proc, {}, DEFAULT_STEPS);
    console.log(`-- num_traces ${CPU_SERIES_ENV.TAIL_SAMPLING_NUM_TRACES}: only CPU limits`);
    const cpuBound = await series(setup, sink.proc, CPU_SERIES_ENV, CPU_STEPS);
    console.log(`-- memory held by tail sampling (decision_wait ${MEMORY_ENV.TAIL_SAMPLING_DECISION_WAIT})`);
    const held = await memory(setup);
    const best = lastHandled(cpuBound);
    const figures: Figures = {
      defaultConfigMaxSpansPerSec: lastHandled(defaults)?.target,
      cpuBoundMaxSpansPerSec: best?.target,
      collectorCoresAtMax: best?.collectorCores,
      maxAchievedSpansPerSec: Math.max(...cpuBound.map((s) => s.achieved)),
      cpuSecondsPer1kSpansAt5k: defaults.find((s) => s.target === CPU_COST_RATE)?.cpuSecondsPer1kSpans,
      heapBytesPer1kHeldSpans: held.heapBytesPer1kSpans.slope,
      rssBytesPer1kHeldSpans: held.rssBytesPer1kSpans.slope,
      rssBytesPer1kHeldSpansUnderLoad: underLoad(lastHandled(defaults), held.points[0]?.rssBytes ?? 0),
    };
    console.log(figures);
    const config = { TRACES_PER_REQUEST, ERROR_EVERY, CONNECTIONS, STEP_SECONDS, KEEP_UP_RATIO };
    const cpuSeries = { env: CPU_SERIES_ENV, steps: cpuBound };
    const run = {
      machine: await machine(binary, pin),
      config,
      figures,
      defaults,
      cpuBound: cpuSeries,
      memory: held,
    };
    await save(run, values.reset);
    console.log(`written: ${RESULTS}`);
  } finally {
    await sink?.proc.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

// Ctrl-C: leave through process.exit, so processes.ts kills the process groups still running.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
await main();
