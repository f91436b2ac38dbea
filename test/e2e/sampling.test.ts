/**
 * Tail sampling, end to end: the real library in an application process makes 1,000 calls, 5%
 * failing (half with an HTTP error, half inside an HTTP 200 stream), through collector/otelcol.yaml
 * running in the real Jaeger binary into the Jaeger role; a real Prometheus scrapes the metrics.
 * Jaeger must hold the trace of every failed call, whole, and a share of the successes within an
 * exact binomial bound of the configured 10%; Prometheus must still count every call, so the error
 * rate it reports is exactly the true 5%. Only the decision wait is shortened (10 s → 2 s).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPrometheusConfig } from './support/alert-config.ts';
import { MODEL, SAMPLING_CALLS, SAMPLING_FAILURE_EVERY, type SampledCall } from './support/app-contract.ts';
import { ensureJaegerBinary, REPO_ROOT, startPipeline } from './support/jaeger.ts';
import type { Trace } from './support/jaeger-api.ts';
import { pollUntil } from './support/processes.ts';
import {
  INSTALL_HINT,
  locatePrometheus,
  PROMETHEUS_ENV,
  type PrometheusServer,
  queryVector,
  startPrometheus,
} from './support/prometheus-server.ts';
import {
  runSampledTraffic,
  type SamplingOutcome,
  samplingOutcome,
  settledTraces,
  type Topology,
} from './support/sampled-traffic.ts';
import { binomialBounds } from './support/statistics.ts';

const SERVICE = 'llm-otel-sampling-e2e';
/** The share of unremarkable traces collector/otelcol.yaml keeps by default (TAIL_SAMPLING_PERCENT). */
const BASELINE_SHARE = 0.1;
/** A kept share outside the bounds happens by chance once in a million runs. */
const FALSE_ALARM_RATE = 1e-6;
const DECISION_WAIT = '2s';
const ARRIVAL_TIMEOUT_MS = 60_000;
const METRICS_TIMEOUT_MS = 60_000;
const PROMETHEUS_YML = `${REPO_ROOT}collector/prometheus/prometheus.yml`;
const ALERTS_YML = `${REPO_ROOT}collector/prometheus/alerts.yml`;
const OPERATION_SPAN = `chat ${MODEL}`;

const prometheusBinary = locatePrometheus();
const skipPrometheus = prometheusBinary === undefined && !process.env.CI;
if (skipPrometheus) {
  console.warn(
    `test/e2e/sampling.test.ts: skipping the Prometheus checks: prometheus not found; set ${PROMETHEUS_ENV} or ${INSTALL_HINT}`,
  );
}

describe('tail sampling through collector/otelcol.yaml', () => {
  let topology: Topology | undefined;
  let prometheus: PrometheusServer | undefined;
  let dir: string | undefined;
  let calls: SampledCall[] = [];
  let outcome: SamplingOutcome;

  beforeAll(async () => {
    const binary = await ensureJaegerBinary();
    try {
      const pipeline = await startPipeline(binary, { TAIL_SAMPLING_DECISION_WAIT: DECISION_WAIT });
      topology = {
        otlpHttpUrl: pipeline.collector.otlpHttpUrl,
        queryUrl: pipeline.jaeger.queryUrl,
        metricsTargets: [pipeline.collector.prometheusEndpoint],
        logs: () => `collector:\n${pipeline.collector.logs()}\njaeger:\n${pipeline.jaeger.logs()}`,
        stop: pipeline.stop,
      };
      if (prometheusBinary !== undefined) {
        dir = await mkdtemp(join(tmpdir(), 'llm-otel-sampling-e2e-'));
        await writeFile(join(dir, 'alerts.yml'), await readFile(ALERTS_YML, 'utf8'));
        const config = testPrometheusConfig(await readFile(PROMETHEUS_YML, 'utf8'), {
          ruleFile: 'alerts.yml',
          targets: topology.metricsTargets,
          interval: '1s',
        });
        await writeFile(join(dir, 'prometheus.yml'), config);
        prometheus = await startPrometheus(prometheusBinary, join(dir, 'prometheus.yml'), join(dir, 'data'));
      }
      calls = await runSampledTraffic(topology.otlpHttpUrl, SERVICE);
      const failed = new Set(calls.filter((call) => call.kind !== 'ok').map((call) => call.traceId));
      const traces = await settledTraces(topology.queryUrl, SERVICE, {
        mustHave: failed,
        timeoutMs: ARRIVAL_TIMEOUT_MS,
      }).catch((error: unknown) => {
        throw new Error(`${error instanceof Error ? error.message : String(error)}\n${topology?.logs()}`);
      });
      outcome = samplingOutcome(calls, traces);
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

  it('runs the calls as planned: 5% fail, half before the response and half inside a 200 stream', () => {
    const failures = SAMPLING_CALLS / SAMPLING_FAILURE_EVERY;
    expect(outcome.failed).toHaveLength(failures);
    expect(
      calls.filter((call) => call.kind === 'http-error').every((call) => call.status >= 400 && call.threw),
    ).toBe(true);
    const midStream = calls.filter((call) => call.kind === 'mid-stream-error');
    expect(midStream).toHaveLength(failures / 2);
    // The SDK throws on an `error` frame but hands a `finish_reason: "error"` chunk on as data.
    expect(midStream.every((call) => call.status === 200)).toBe(true);
    expect(midStream.filter((call) => call.threw).length).toBeGreaterThan(0);
    expect(outcome.succeeded.every((call) => call.status === 200 && !call.threw)).toBe(true);
    expect(new Set(calls.map((call) => call.traceId)).size).toBe(SAMPLING_CALLS);
  });

  it('keeps the trace of every failed call', () => {
    expect(outcome.lostFailures).toEqual([]);
  });

  it('keeps traces whole: the application span, the operation span and the attempt span', () => {
    for (const [traceId, kept] of outcome.kept) {
      expect({ traceId, spans: spanNames(kept) }).toEqual({
        traceId,
        spans: ['POST', OPERATION_SPAN, 'handle request'],
      });
    }
  });

  it('keeps a share of the successes within the binomial bound of the configured 10%', () => {
    const [low, high] = binomialBounds(outcome.succeeded.length, BASELINE_SHARE, FALSE_ALARM_RATE);
    const kept = outcome.keptSucceeded.length;
    expect(
      kept,
      `kept ${kept} of ${outcome.succeeded.length} successes; bounds [${low}, ${high}]`,
    ).toBeGreaterThanOrEqual(low);
    expect(kept).toBeLessThanOrEqual(high);
    // Nothing else: every kept trace is a failure or a sampled success of this run.
    expect(outcome.strangers).toEqual([]);
    expect(outcome.kept.size).toBe(outcome.failed.length + kept);
  });

  describe.skipIf(skipPrometheus)('Prometheus, computed before sampling', () => {
    function running(): PrometheusServer {
      if (prometheus === undefined) throw new Error(`prometheus did not start; ${INSTALL_HINT}`);
      return prometheus;
    }

    /** The sum of `promql`'s samples, once it reaches `expected` (series arrive scrape by scrape). */
    async function sumOnce(promql: string, expected: number): Promise<number> {
      const total = async () =>
        (await queryVector(running().url, promql)).reduce((sum, sample) => sum + Number(sample.value[1]), 0);
      return pollUntil(total, (value) => value >= expected, { timeoutMs: METRICS_TIMEOUT_MS, what: promql });
    }

    it("counts every call in the application's metrics: the error rate is exactly 5%", async () => {
      const selector = `gen_ai_client_operation_duration_seconds_count{job="${SERVICE}"`;
      const all = await sumOnce(`sum(${selector}})`, SAMPLING_CALLS);
      const errors = await sumOnce(`sum(${selector}, error_type!=""})`, outcome.failed.length);
      expect({ all, errors, rate: errors / all }).toEqual({
        all: SAMPLING_CALLS,
        errors: outcome.failed.length,
        rate: 1 / SAMPLING_FAILURE_EVERY,
      });
    });

    it('counts every operation span in the span metrics, though Jaeger keeps a fraction', async () => {
      const selector = `traces_span_metrics_calls_total{service_name="${SERVICE}", span_name="${OPERATION_SPAN}"`;
      const all = await sumOnce(`sum(${selector}})`, SAMPLING_CALLS);
      const errors = await sumOnce(
        `sum(${selector}, status_code="STATUS_CODE_ERROR"})`,
        outcome.failed.length,
      );
      expect({ all, errors }).toEqual({ all: SAMPLING_CALLS, errors: outcome.failed.length });
      expect(outcome.kept.size).toBeLessThan(SAMPLING_CALLS / 4);
    });
  });
});

/** The span names of a trace, sorted. */
function spanNames(trace: Trace): string[] {
  return trace.spans.map((span) => span.name).sort();
}
