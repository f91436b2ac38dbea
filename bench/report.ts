/**
 * Turns per-round measurements into the benchmark's figures (median and min–max across rounds,
 * ratio to bare undici paired by round, CPU per call, heap after each round) and renders them as
 * Markdown tables. Pure: no I/O.
 */
import { type Spread, spread } from './stats.ts';
import type { VariantName } from './variants.ts';
import type { WorkloadName } from './workloads.ts';

export interface RoundResult {
  readonly workload: WorkloadName;
  readonly variant: VariantName;
  readonly round: number;
  readonly wallMs: number;
  /** Client process CPU (user + system) during the round. */
  readonly cpuMicros: number;
  /** Bench server process CPU during the round. */
  readonly serverCpuMicros: number;
  readonly calls: number;
  /** HTTP requests the server answered: more than `calls` when retries resent. */
  readonly attempts: number;
  /** Connections the server accepted during the round (the stats request's own included). */
  readonly newConnections: number;
  readonly chunks: number;
  readonly bytes: number;
  readonly reads: number;
  /** Calls/s (JSON workloads), chunks/s (streams), MB/s (long stream). */
  readonly throughput: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly ttfcP50Ms: number;
  readonly heapAfterMB: number;
  readonly rssAfterMB: number;
  readonly heapGrowthMB: number;
  readonly rssGrowthMB: number;
  readonly spansEnded: number;
  readonly spansExported: number;
  /** Histogram measurements recorded during the round (see `countMetricPoints` in variants.ts). */
  readonly metricPoints: number;
  readonly otlpBytes: number;
  readonly statuses: Record<string, number>;
}

export interface Summary {
  readonly workload: WorkloadName;
  readonly variant: VariantName;
  readonly throughput: Spread;
  /** Per-round throughput / bare's throughput in the same round. */
  readonly ratioToBare: Spread | undefined;
  readonly cpuMicrosPerCall: Spread;
  /** Median across rounds of (CPU per call − bare's CPU per call in the same round). */
  readonly overheadMicrosPerCall: number | undefined;
  readonly cpuMicrosPerChunk: Spread | undefined;
  /** Median across rounds of (CPU per chunk − bare's in the same round) (streaming workloads). */
  readonly overheadMicrosPerChunk: number | undefined;
  readonly attemptsPerCall: number;
  readonly p50Ms: Spread;
  readonly p99Ms: Spread;
  readonly ttfcP50Ms: Spread | undefined;
  readonly mbPerSecond: Spread;
  readonly spansPerSecond: Spread;
  /** Spans ended per logical call, per round. */
  readonly spansPerCall: Spread;
  /** Histogram measurements recorded per logical call, per round. */
  readonly metricPointsPerCall: Spread;
  readonly spansExportedShare: number | undefined;
  readonly heapAfterMB: readonly number[];
  readonly heapGrowthMB: Spread | undefined;
  readonly rssGrowthMB: Spread | undefined;
  readonly serverCpuMicrosPerCall: Spread;
  readonly readsPerStream: number | undefined;
}

export const THROUGHPUT_UNITS: Readonly<Record<WorkloadName, string>> = {
  small: 'requests/s',
  smallFetch: 'requests/s',
  stream: 'chunks/s',
  streamParsed: 'chunks/s',
  storm: 'requests/s',
  long: 'MB/s',
};

const STREAMING: ReadonlySet<WorkloadName> = new Set(['stream', 'streamParsed', 'long']);

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

export function summarize(results: readonly RoundResult[]): Summary[] {
  const groups = new Map<string, RoundResult[]>();
  for (const result of results) {
    const key = `${result.workload}/${result.variant}`;
    groups.set(key, [...(groups.get(key) ?? []), result]);
  }
  const summaries: Summary[] = [];
  for (const rounds of groups.values()) {
    const first = rounds[0];
    if (!first) continue;
    const bare = groups.get(`${first.workload}/bare`);
    const streaming = STREAMING.has(first.workload);
    const cpuPerCall = spread(rounds.map((r) => r.cpuMicros / r.calls));
    const cpuPerChunk = streaming ? spread(rounds.map((r) => r.cpuMicros / r.chunks)) : undefined;
    const pairedWithBare = (figure: (r: RoundResult) => number): number[] =>
      bare
        ? rounds.flatMap((r) => {
            const paired = bare.find((b) => b.round === r.round);
            return paired ? [figure(r) - figure(paired)] : [];
          })
        : [];
    const overheadPerCall = pairedWithBare((r) => r.cpuMicros / r.calls);
    const overheadPerChunk = streaming ? pairedWithBare((r) => r.cpuMicros / r.chunks) : [];
    const ratios = bare
      ? rounds.flatMap((r) => {
          const paired = bare.find((b) => b.round === r.round);
          return paired ? [r.throughput / paired.throughput] : [];
        })
      : [];
    const spansEnded = sum(rounds.map((r) => r.spansEnded));
    summaries.push({
      workload: first.workload,
      variant: first.variant,
      throughput: spread(rounds.map((r) => r.throughput)),
      ratioToBare: ratios.length > 0 ? spread(ratios) : undefined,
      cpuMicrosPerCall: cpuPerCall,
      overheadMicrosPerCall: overheadPerCall.length > 0 ? spread(overheadPerCall).median : undefined,
      cpuMicrosPerChunk: cpuPerChunk,
      overheadMicrosPerChunk: overheadPerChunk.length > 0 ? spread(overheadPerChunk).median : undefined,
      attemptsPerCall: sum(rounds.map((r) => r.attempts)) / sum(rounds.map((r) => r.calls)),
      p50Ms: spread(rounds.map((r) => r.p50Ms)),
      p99Ms: spread(rounds.map((r) => r.p99Ms)),
      ttfcP50Ms: streaming ? spread(rounds.map((r) => r.ttfcP50Ms)) : undefined,
      mbPerSecond: spread(rounds.map((r) => r.bytes / 1e6 / (r.wallMs / 1000))),
      spansPerSecond: spread(rounds.map((r) => r.spansEnded / (r.wallMs / 1000))),
      spansPerCall: spread(rounds.map((r) => r.spansEnded / r.calls)),
      metricPointsPerCall: spread(rounds.map((r) => r.metricPoints / r.calls)),
      spansExportedShare: spansEnded > 0 ? sum(rounds.map((r) => r.spansExported)) / spansEnded : undefined,
      heapAfterMB: rounds.map((r) => r.heapAfterMB),
      heapGrowthMB: first.workload === 'long' ? spread(rounds.map((r) => r.heapGrowthMB)) : undefined,
      rssGrowthMB: first.workload === 'long' ? spread(rounds.map((r) => r.rssGrowthMB)) : undefined,
      serverCpuMicrosPerCall: spread(rounds.map((r) => r.serverCpuMicros / r.calls)),
      readsPerStream: streaming
        ? sum(rounds.map((r) => r.reads)) / sum(rounds.map((r) => r.calls))
        : undefined,
    });
  }
  return summaries;
}

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

function range(s: Spread | undefined, digits: number): string {
  if (!s) return '–';
  return `${fixed(s.median, digits)} (${fixed(s.min, digits)}–${fixed(s.max, digits)})`;
}

function signed(value: number | undefined, digits: number): string {
  if (value === undefined) return '–';
  return `${value >= 0 ? '+' : ''}${fixed(value, digits)}`;
}

function spansCell(row: Summary): string {
  if (row.spansPerSecond.median === 0) return '–';
  const share = row.spansExportedShare;
  const dropped = share !== undefined && share < 0.9995 ? ` (${fixed(share * 100, 1)}% exported)` : '';
  return fixed(row.spansPerSecond.median, 0) + dropped;
}

/** Spans and metric points per call (medians across rounds), e.g. `2 / 4`. */
function recordedCell(row: Summary): string {
  const trim = (value: number) => (Number.isInteger(value) ? String(value) : fixed(value, 2));
  return `${trim(row.spansPerCall.median)} / ${trim(row.metricPointsPerCall.median)}`;
}

/** What a variant must record in every round: at least one span / one metric point per call. */
export interface RecordingRequirement {
  readonly spans: boolean;
  readonly metrics: boolean;
}

/**
 * The rounds in which a telemetry variant recorded less than one span or one metric point per
 * call: a variant that records nothing would be compared with bare undici as if it were free.
 */
export function recordingFailures(
  results: readonly Pick<
    RoundResult,
    'workload' | 'variant' | 'round' | 'calls' | 'spansEnded' | 'metricPoints'
  >[],
  requirements: ReadonlyMap<VariantName, RecordingRequirement>,
): string[] {
  const failures: string[] = [];
  for (const r of results) {
    const required = requirements.get(r.variant);
    if (!required) continue;
    const where = `${r.variant} on ${r.workload}, ${r.round < 0 ? 'warm-up' : `round ${r.round + 1}`}`;
    if (r.calls < 1) failures.push(`${where}: no calls completed`);
    if (required.spans && r.spansEnded < r.calls)
      failures.push(`${where}: ${r.spansEnded} spans for ${r.calls} calls`);
    if (required.metrics && r.metricPoints < r.calls)
      failures.push(`${where}: ${r.metricPoints} metric points for ${r.calls} calls`);
  }
  return failures;
}

interface Column {
  readonly header: string;
  readonly cell: (row: Summary) => string;
}

function columns(workload: WorkloadName): Column[] {
  const unit = THROUGHPUT_UNITS[workload];
  const bare = (row: Summary) => row.variant === 'bare';
  const variant: Column = {
    header: 'variant',
    cell: (row) =>
      row.variant + (row.attemptsPerCall > 1.0001 ? ` (${fixed(row.attemptsPerCall, 2)} attempts/call)` : ''),
  };
  const throughput: Column = {
    header: `${unit} median (min–max)`,
    cell: (row) => range(row.throughput, workload === 'long' ? 1 : 0),
  };
  const ratio: Column = {
    header: '× bare (min–max)',
    cell: (row) => (bare(row) ? '1' : range(row.ratioToBare, 3)),
  };
  const spans: Column = { header: 'spans/s', cell: spansCell };
  const recorded: Column = { header: 'spans / metric points per call', cell: recordedCell };
  const heap: Column = {
    header: 'heap after each round MB',
    cell: (row) => row.heapAfterMB.map((mb) => fixed(mb, 1)).join(', '),
  };
  const perChunk: Column[] = [
    { header: 'CPU µs/chunk', cell: (row) => fixed(row.cpuMicrosPerChunk?.median ?? Number.NaN, 2) },
    { header: '+µs/chunk vs bare', cell: (row) => (bare(row) ? '–' : signed(row.overheadMicrosPerChunk, 2)) },
  ];
  if (workload === 'long') {
    const growth = (row: Summary) =>
      `${fixed(row.heapGrowthMB?.median ?? Number.NaN, 1)} / ${fixed(row.rssGrowthMB?.median ?? Number.NaN, 1)}`;
    return [
      variant,
      throughput,
      ratio,
      ...perChunk,
      { header: 'heap / RSS growth while reading MB', cell: growth },
      spans,
      recorded,
      heap,
    ];
  }
  if (STREAMING.has(workload)) {
    return [
      variant,
      throughput,
      ratio,
      { header: 'MB/s', cell: (row) => fixed(row.mbPerSecond.median, 1) },
      ...perChunk,
      { header: 'TTFC p50 ms', cell: (row) => fixed(row.ttfcP50Ms?.median ?? Number.NaN, 2) },
      { header: 'reads/stream', cell: (row) => fixed(row.readsPerStream ?? Number.NaN, 0) },
      spans,
      recorded,
      heap,
    ];
  }
  return [
    variant,
    throughput,
    ratio,
    { header: 'CPU µs/call', cell: (row) => fixed(row.cpuMicrosPerCall.median, 1) },
    { header: '+µs/call vs bare', cell: (row) => (bare(row) ? '–' : signed(row.overheadMicrosPerCall, 1)) },
    {
      header: 'p50 / p99 ms',
      cell: (row) => `${fixed(row.p50Ms.median, 2)} / ${fixed(row.p99Ms.median, 2)}`,
    },
    spans,
    recorded,
    heap,
  ];
}

/** One Markdown table for one workload. */
export function renderTable(workload: WorkloadName, title: string, client: string, rows: Summary[]): string {
  const cols = columns(workload);
  return [
    `### ${title} (${client})`,
    '',
    `| ${cols.map((c) => c.header).join(' | ')} |`,
    `|${cols.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...rows.map((row) => `| ${cols.map((c) => c.cell(row)).join(' | ')} |`),
  ].join('\n');
}

/**
 * The headline: per workload, the peer's and ours' throughput as a multiple of bare undici (median
 * of the per-round ratios) and the client CPU each adds over bare (per call; per chunk for streams),
 * with the spans / metric points each recorded per call. The README and docs/bench.md quote it.
 */
export function renderHeadline(
  workloads: readonly { readonly name: WorkloadName; readonly title: string; readonly client: string }[],
  summaries: readonly Summary[],
  contenders: readonly VariantName[] = ['undici-instr', 'ours'],
): string {
  const find = (workload: WorkloadName, variant: VariantName) =>
    summaries.find((s) => s.workload === workload && s.variant === variant);
  const header = contenders.flatMap((c) => [`${c} × bare`, `${c}: CPU over bare`, `${c}: spans / points`]);
  const lines = [`| workload | ${header.join(' | ')} |`, `|---|${header.map(() => '---:').join('|')}|`];
  for (const workload of workloads) {
    const streaming = STREAMING.has(workload.name);
    const cells = contenders.flatMap((variant) => {
      const row = find(workload.name, variant);
      if (!row) return ['–', '–', '–'];
      const cpu = streaming
        ? `${signed(row.overheadMicrosPerChunk, 2)} µs/chunk`
        : `${signed(row.overheadMicrosPerCall, 1)} µs/call`;
      return [range(row.ratioToBare, 2), cpu, recordedCell(row)];
    });
    lines.push(`| ${workload.title} (${workload.client}) | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
