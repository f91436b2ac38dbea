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
  /** Median CPU per call minus bare's. */
  readonly overheadMicrosPerCall: number | undefined;
  readonly cpuMicrosPerChunk: Spread | undefined;
  /** Median CPU per chunk minus bare's (streaming workloads). */
  readonly overheadMicrosPerChunk: number | undefined;
  readonly attemptsPerCall: number;
  readonly p50Ms: Spread;
  readonly p99Ms: Spread;
  readonly ttfcP50Ms: Spread | undefined;
  readonly mbPerSecond: Spread;
  readonly spansPerSecond: Spread;
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
    const bareCpu = bare ? spread(bare.map((r) => r.cpuMicros / r.calls)).median : undefined;
    const cpuPerChunk = streaming ? spread(rounds.map((r) => r.cpuMicros / r.chunks)) : undefined;
    const bareCpuPerChunk =
      bare && streaming ? spread(bare.map((r) => r.cpuMicros / r.chunks)).median : undefined;
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
      overheadMicrosPerCall: bareCpu === undefined ? undefined : cpuPerCall.median - bareCpu,
      cpuMicrosPerChunk: cpuPerChunk,
      overheadMicrosPerChunk:
        cpuPerChunk && bareCpuPerChunk !== undefined ? cpuPerChunk.median - bareCpuPerChunk : undefined,
      attemptsPerCall: sum(rounds.map((r) => r.attempts)) / sum(rounds.map((r) => r.calls)),
      p50Ms: spread(rounds.map((r) => r.p50Ms)),
      p99Ms: spread(rounds.map((r) => r.p99Ms)),
      ttfcP50Ms: streaming ? spread(rounds.map((r) => r.ttfcP50Ms)) : undefined,
      mbPerSecond: spread(rounds.map((r) => r.bytes / 1e6 / (r.wallMs / 1000))),
      spansPerSecond: spread(rounds.map((r) => r.spansEnded / (r.wallMs / 1000))),
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
