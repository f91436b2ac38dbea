/**
 * Tail sampling end to end (support/sampling-suite.ts), on both topologies the repository ships:
 *   - one collector: collector/otelcol.yaml in the real Jaeger binary → the Jaeger role;
 *   - the scale setup: collector/scale/agent.yaml (the OCB agent build, `loadbalancing` by trace
 *     ID) → two samplers running collector/otelcol.yaml unchanged → the Jaeger role (standing in
 *     for Jaeger on OpenSearch, which cannot run here), scraped with collector/scale/prometheus.yml,
 *     whose remote_write goes to a second Prometheus standing in for the long-term store.
 * Only the decision wait (10 s → 2 s) and the listen addresses differ from the shipped configs.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ensureAgentBinary, startAgent } from './support/agent-collector.ts';
import { testPrometheusConfig } from './support/alert-config.ts';
import { SAMPLING_CALLS } from './support/app-contract.ts';
import {
  COLLECTOR_CONFIG,
  ensureJaegerBinary,
  JAEGER_CONFIG,
  REPO_ROOT,
  startJaeger,
  startPipeline,
} from './support/jaeger.ts';
import { type PrometheusServer, queryVector, startPrometheus } from './support/prometheus-server.ts';
import {
  describeTailSampling,
  OPERATION_SPAN,
  prometheusBinary,
  prometheusOf,
  sumOfQuery,
  TEST_DECISION_WAIT,
} from './support/sampling-suite.ts';

const PROMETHEUS_YML = `${REPO_ROOT}collector/prometheus/prometheus.yml`;
const SCALE_PROMETHEUS_YML = `${REPO_ROOT}collector/scale/prometheus.yml`;
const SAMPLERS = 2;
const INTERVAL = '1s';

describeTailSampling('tail sampling: one collector (collector/otelcol.yaml)', {
  service: 'llm-otel-sampling-e2e',
  async start() {
    const binary = await ensureJaegerBinary();
    const pipeline = await startPipeline(binary, { TAIL_SAMPLING_DECISION_WAIT: TEST_DECISION_WAIT });
    return {
      otlpHttpUrl: pipeline.collector.otlpHttpUrl,
      queryUrl: pipeline.jaeger.queryUrl,
      prometheusConfig: async (ruleFile) =>
        testPrometheusConfig(await readFile(PROMETHEUS_YML, 'utf8'), {
          ruleFile,
          targets: { 'otel-collector': [pipeline.collector.prometheusEndpoint], 'otelcol-internal': [] },
          interval: INTERVAL,
        }),
      logs: () => `collector:\n${pipeline.collector.logs()}\njaeger:\n${pipeline.jaeger.logs()}`,
      stop: pipeline.stop,
    };
  },
});

let longTermStore: PrometheusServer | undefined;

describeTailSampling('tail sampling at scale: agent → two samplers (collector/scale/)', {
  service: 'llm-otel-scale-sampling-e2e',
  async start(dir) {
    const [jaegerBinary, agentBinary] = await Promise.all([ensureJaegerBinary(), ensureAgentBinary()]);
    const started: { logs(): string; stop(): Promise<void> }[] = [];
    const stopAll = async () => {
      await Promise.all(started.map((part) => part.stop()));
    };
    try {
      const jaeger = await startJaeger({ binary: jaegerBinary, config: JAEGER_CONFIG });
      started.push(jaeger);
      const samplers = await Promise.all(
        Array.from({ length: SAMPLERS }, () =>
          startJaeger({
            binary: jaegerBinary,
            config: COLLECTOR_CONFIG,
            env: {
              JAEGER_OTLP_ENDPOINT: jaeger.otlpGrpcEndpoint,
              SPANMETRICS_FLUSH_INTERVAL: '1s',
              TAIL_SAMPLING_DECISION_WAIT: TEST_DECISION_WAIT,
            },
          }),
        ),
      );
      started.push(...samplers);
      const agent = await startAgent({
        binary: agentBinary,
        env: { SAMPLER_ENDPOINTS: samplers.map((sampler) => sampler.otlpGrpcEndpoint).join(',') },
      });
      started.push(agent);
      if (prometheusBinary !== undefined) {
        // The long-term store's stand-in: a Prometheus that accepts remote_write (same protocol).
        await writeFile(join(dir, 'store.yml'), 'global: {}\n');
        longTermStore = await startPrometheus(prometheusBinary, join(dir, 'store.yml'), join(dir, 'store'), [
          '--web.enable-remote-write-receiver',
        ]);
        started.push(longTermStore);
      }
      return {
        otlpHttpUrl: agent.otlpHttpUrl,
        queryUrl: jaeger.queryUrl,
        prometheusConfig: async (ruleFile) =>
          testPrometheusConfig(await readFile(SCALE_PROMETHEUS_YML, 'utf8'), {
            ruleFile,
            targets: {
              'otel-agent': [agent.prometheusEndpoint],
              'otel-sampler': samplers.map((sampler) => sampler.prometheusEndpoint),
              'otelcol-internal': [],
            },
            interval: INTERVAL,
            ...(longTermStore === undefined ? {} : { remoteWriteUrl: `${longTermStore.url}/api/v1/write` }),
          }),
        logs: () => started.map((part) => part.logs()).join('\n---\n'),
        stop: stopAll,
      };
    } catch (error) {
      await stopAll();
      throw error;
    }
  },
  more(run) {
    it.skipIf(prometheusBinary === undefined && !process.env.CI)(
      'spreads the calls over both samplers, which count them together (the `collector` label keeps them apart)',
      async () => {
        const prometheus = prometheusOf(run());
        const selector = `traces_span_metrics_calls_total{service_name="llm-otel-scale-sampling-e2e", span_name="${OPERATION_SPAN}"}`;
        await sumOfQuery(prometheus, `sum(${selector})`, SAMPLING_CALLS);
        const perSampler = await sumsBy(prometheus, `sum by (collector) (${selector})`);
        expect(perSampler).toHaveLength(SAMPLERS);
        expect(perSampler.every((count) => count > SAMPLING_CALLS / 4)).toBe(true);
        expect(perSampler.reduce((sum, count) => sum + count, 0)).toBe(SAMPLING_CALLS);
      },
    );

    it.skipIf(prometheusBinary === undefined && !process.env.CI)(
      'remote-writes every sample to the long-term store, with the external label',
      async () => {
        if (longTermStore === undefined) throw new Error('the long-term store did not start');
        const promql = `sum(gen_ai_client_operation_duration_seconds_count{job="llm-otel-scale-sampling-e2e", cluster="llm-otel-scale"})`;
        expect(await sumOfQuery(longTermStore, promql, SAMPLING_CALLS)).toBe(SAMPLING_CALLS);
      },
    );
  },
});

/** Each sample's value of a `sum by (...)` query. */
async function sumsBy(prometheus: PrometheusServer, promql: string): Promise<number[]> {
  return (await queryVector(prometheus.url, promql)).map((sample) => Number(sample.value[1]));
}
