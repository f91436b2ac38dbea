/**
 * The tail sampling end-to-end suite, run on each collector topology (sampling.test.ts): the real
 * library in an application process makes 1,000 calls, 5% failing (half with an HTTP error, half
 * inside an HTTP 200 stream), through the topology into the Jaeger role, while a real Prometheus
 * scrapes what the topology exposes. Jaeger must hold the trace of every failed call, whole, and
 * a share of the successes within an exact binomial bound of the configured 10%; Prometheus must
 * still count every call, so the error rate it reports is exactly the true 5%.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL, SAMPLING_CALLS, SAMPLING_FAILURE_EVERY, type SampledCall } from './app-contract.ts';
import { REPO_ROOT } from './jaeger.ts';
import type { Trace } from './jaeger-api.ts';
import { pollUntil } from './processes.ts';
import {
  INSTALL_HINT,
  locatePrometheus,
  PROMETHEUS_ENV,
  type PrometheusServer,
  queryVector,
  startPrometheus,
} from './prometheus-server.ts';
import {
  runSampledTraffic,
  type SamplingOutcome,
  samplingOutcome,
  settledTraces,
} from './sampled-traffic.ts';
import { binomialBounds } from './statistics.ts';

/** The share of unremarkable traces collector/otelcol.yaml keeps by default (TAIL_SAMPLING_PERCENT). */
const BASELINE_SHARE = 0.1;
/** A kept share outside the bounds happens by chance once in a million runs. */
const FALSE_ALARM_RATE = 1e-6;
/** collector/otelcol.yaml waits 10 s; the tests only shorten that (TAIL_SAMPLING_DECISION_WAIT). */
export const TEST_DECISION_WAIT = '2s';
const ARRIVAL_TIMEOUT_MS = 60_000;
const METRICS_TIMEOUT_MS = 60_000;
const ALERTS_YML = `${REPO_ROOT}collector/prometheus/alerts.yml`;
export const OPERATION_SPAN = `chat ${MODEL}`;

export const prometheusBinary = locatePrometheus();
const skipPrometheus = prometheusBinary === undefined && !process.env.CI;
if (skipPrometheus) {
  console.warn(
    `tail sampling e2e: skipping the Prometheus checks: prometheus not found; set ${PROMETHEUS_ENV} or ${INSTALL_HINT}`,
  );
}

/** A running collector topology: where the application sends OTLP, where Jaeger answers. */
export interface Topology {
  otlpHttpUrl: string;
  queryUrl: string;
  /** A runnable prometheus.yml (see testPrometheusConfig) scraping this topology, `ruleFile` its rules. */
  prometheusConfig(ruleFile: string): Promise<string>;
  logs(): string;
  stop(): Promise<void>;
}

/** What the suite ran and found, for a topology's own extra checks. */
export interface SamplingRun {
  topology: Topology;
  calls: SampledCall[];
  outcome: SamplingOutcome;
  /** Undefined when Prometheus is skipped. */
  prometheus: PrometheusServer | undefined;
  /** A scratch directory that lives as long as the suite. */
  dir: string;
}

/**
 * Registers the suite for one topology. `start` gets the suite's scratch directory; `more`
 * registers extra tests inside the same describe, reading the run once it happened.
 */
export function describeTailSampling(
  title: string,
  {
    service,
    start,
    more,
  }: {
    service: string;
    start: (dir: string) => Promise<Topology>;
    more?: (run: () => SamplingRun) => void;
  },
): void {
  describe(title, () => {
    let state: SamplingRun | undefined;
    let topology: Topology | undefined;
    let prometheus: PrometheusServer | undefined;
    let dir: string | undefined;

    beforeAll(async () => {
      try {
        dir = await mkdtemp(join(tmpdir(), 'llm-otel-sampling-e2e-'));
        topology = await start(dir);
        if (prometheusBinary !== undefined) {
          await writeFile(join(dir, 'alerts.yml'), await readFile(ALERTS_YML, 'utf8'));
          await writeFile(join(dir, 'prometheus.yml'), await topology.prometheusConfig('alerts.yml'));
          prometheus = await startPrometheus(
            prometheusBinary,
            join(dir, 'prometheus.yml'),
            join(dir, 'data'),
          );
        }
        const calls = await runSampledTraffic(topology.otlpHttpUrl, service);
        const failed = new Set(calls.filter((call) => call.kind !== 'ok').map((call) => call.traceId));
        const traces = await settledTraces(topology.queryUrl, service, {
          mustHave: failed,
          timeoutMs: ARRIVAL_TIMEOUT_MS,
        }).catch((error: unknown) => {
          throw new Error(`${error instanceof Error ? error.message : String(error)}\n${topology?.logs()}`);
        });
        state = { topology, calls, outcome: samplingOutcome(calls, traces), prometheus, dir };
      } catch (error) {
        await stopAll();
        throw error;
      }
    });

    async function stopAll(): Promise<void> {
      await Promise.all([topology?.stop(), prometheus?.stop()]);
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    }

    afterAll(stopAll);

    function run(): SamplingRun {
      if (state === undefined) throw new Error('the sampling run did not happen');
      return state;
    }

    it('runs the calls as planned: 5% fail, half before the response and half inside a 200 stream', () => {
      const { calls, outcome } = run();
      const failures = SAMPLING_CALLS / SAMPLING_FAILURE_EVERY;
      expect(outcome.failed).toHaveLength(failures);
      const httpErrors = calls.filter((call) => call.kind === 'http-error');
      expect(httpErrors.every((call) => call.status >= 400 && call.threw)).toBe(true);
      const midStream = calls.filter((call) => call.kind === 'mid-stream-error');
      expect(midStream).toHaveLength(failures / 2);
      // The SDK throws on an `error` frame but hands a `finish_reason: "error"` chunk on as data.
      expect(midStream.every((call) => call.status === 200)).toBe(true);
      expect(midStream.filter((call) => call.threw).length).toBeGreaterThan(0);
      expect(outcome.succeeded.every((call) => call.status === 200 && !call.threw)).toBe(true);
      expect(new Set(calls.map((call) => call.traceId)).size).toBe(SAMPLING_CALLS);
    });

    it('keeps the trace of every failed call', () => {
      expect(run().outcome.lostFailures).toEqual([]);
    });

    it('keeps traces whole: the application span, the operation span and the attempt span', () => {
      for (const [traceId, kept] of run().outcome.kept) {
        expect({ traceId, spans: spanNames(kept) }).toEqual({
          traceId,
          spans: ['POST', OPERATION_SPAN, 'handle request'],
        });
      }
    });

    it('keeps a share of the successes within the binomial bound of the configured 10%', () => {
      const { outcome } = run();
      const [low, high] = binomialBounds(outcome.succeeded.length, BASELINE_SHARE, FALSE_ALARM_RATE);
      const kept = outcome.keptSucceeded.length;
      const summary = `kept ${kept} of ${outcome.succeeded.length} successes; bounds [${low}, ${high}]`;
      expect(kept, summary).toBeGreaterThanOrEqual(low);
      expect(kept, summary).toBeLessThanOrEqual(high);
      // Nothing else: every kept trace is a failure or a sampled success of this run.
      expect(outcome.strangers).toEqual([]);
      expect(outcome.kept.size).toBe(outcome.failed.length + kept);
    });

    describe.skipIf(skipPrometheus)('Prometheus, computed before sampling', () => {
      /** The sum of `promql`'s samples, once it reaches `expected` (series arrive scrape by scrape). */
      function sumOnce(promql: string, expected: number): Promise<number> {
        return sumOfQuery(prometheusOf(run()), promql, expected);
      }

      it("counts every call in the application's metrics: the error rate is exactly 5%", async () => {
        const selector = `gen_ai_client_operation_duration_seconds_count{job="${service}"`;
        const all = await sumOnce(`sum(${selector}})`, SAMPLING_CALLS);
        const errors = await sumOnce(`sum(${selector}, error_type!=""})`, run().outcome.failed.length);
        expect({ all, errors, rate: errors / all }).toEqual({
          all: SAMPLING_CALLS,
          errors: run().outcome.failed.length,
          rate: 1 / SAMPLING_FAILURE_EVERY,
        });
      });

      it('counts every operation span in the span metrics, though Jaeger keeps a fraction', async () => {
        const selector = `traces_span_metrics_calls_total{service_name="${service}", span_name="${OPERATION_SPAN}"`;
        const all = await sumOnce(`sum(${selector}})`, SAMPLING_CALLS);
        const errors = await sumOnce(
          `sum(${selector}, status_code="STATUS_CODE_ERROR"})`,
          run().outcome.failed.length,
        );
        expect({ all, errors }).toEqual({ all: SAMPLING_CALLS, errors: run().outcome.failed.length });
        expect(run().outcome.kept.size).toBeLessThan(SAMPLING_CALLS / 4);
      });
    });

    more?.(run);
  });
}

export function prometheusOf(run: SamplingRun): PrometheusServer {
  if (run.prometheus === undefined) throw new Error(`prometheus did not start; ${INSTALL_HINT}`);
  return run.prometheus;
}

/** The sum of `promql`'s samples at `prometheusUrl`, once it reaches `expected` (bounded wait). */
export async function sumOfQuery(server: { url: string }, promql: string, expected: number): Promise<number> {
  const total = async () =>
    (await queryVector(server.url, promql)).reduce((sum, sample) => sum + Number(sample.value[1]), 0);
  return pollUntil(total, (value) => value >= expected, { timeoutMs: METRICS_TIMEOUT_MS, what: promql });
}

/** The span names of a trace, sorted. */
function spanNames(trace: Trace): string[] {
  return trace.spans.map((span) => span.name).sort();
}
