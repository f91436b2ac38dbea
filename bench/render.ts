/**
 * Renders bench/results.json (or the file given) as the Markdown that docs/bench.md
 * quote: the headline (peer and ours against bare undici), one full table per workload, the
 * in-memory hot path with its building-block rows, and the run's facts (machine, load, duration,
 * whether every variant recorded). Run: `npx node bench/render.ts [results.json]`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { HotPath } from './hot-path.ts';
import { renderHotPath } from './hot-path.ts';
import { type RoundResult, renderHeadline, renderTable, summarize } from './report.ts';
import type { VariantName } from './variants.ts';
import type { WorkloadName } from './workloads.ts';

interface Results {
  readonly machine: {
    readonly cpu: string;
    readonly cores: number;
    readonly node: string;
    readonly undici: string;
    readonly date: string;
    readonly loadAverageAfterEachRound: readonly number[];
    readonly otel: Record<string, string>;
  };
  readonly rounds: number;
  readonly quick: boolean;
  readonly durationSeconds?: { readonly network: number; readonly total: number };
  readonly honest?: boolean;
  readonly recordingFailures?: readonly string[];
  readonly variants: readonly { readonly name: VariantName }[];
  readonly workloads: readonly {
    readonly name: WorkloadName;
    readonly title: string;
    readonly client: string;
  }[];
  readonly roundResults: readonly RoundResult[];
  readonly hotPath?: HotPath | null;
}

const file = process.argv[2] ?? fileURLToPath(new URL('./results.json', import.meta.url));
const results = JSON.parse(readFileSync(file, 'utf8')) as Results;
const { machine } = results;
// Recomputed from the rounds, so that a change to the summary's arithmetic applies to stored runs too.
const summaries = summarize(results.roundResults);
const loads = machine.loadAverageAfterEachRound;
const duration = results.durationSeconds;

console.log(
  `${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, undici ${machine.undici}, ` +
    `OpenTelemetry ${Object.entries(machine.otel)
      .map(([name, version]) => `${name} ${version}`)
      .join(
        ', ',
      )}; ${results.rounds} rounds${results.quick ? ' (quick)' : ''} on ${machine.date.slice(0, 10)}; ` +
    `load average after each round ${loads.map((l) => l.toFixed(1)).join(', ')}` +
    (duration
      ? `; ran ${duration.total.toFixed(0)} s (loopback rounds ${duration.network.toFixed(0)} s, hot path ${(duration.total - duration.network).toFixed(0)} s)`
      : '') +
    `; every telemetry variant recorded every call: ${results.honest === false ? `NO (${results.recordingFailures?.join('; ')})` : 'yes'}.`,
);
console.log(`\n${renderHeadline(results.workloads, summaries)}`);
for (const workload of results.workloads) {
  const rows = results.variants.flatMap((v) =>
    summaries.filter((s) => s.workload === workload.name && s.variant === v.name),
  );
  console.log(`\n${renderTable(workload.name, workload.title, workload.client, rows)}`);
}
if (results.hotPath)
  console.log(`\n### The interceptor alone (in memory)\n\n${renderHotPath(results.hotPath)}`);
