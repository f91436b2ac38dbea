/**
 * The spend and headroom alerts against a real Prometheus, as test/e2e/alerts.test.ts does for the
 * error alerts: the real library (register entry) in an application process → OTLP/HTTP JSON → the
 * collector role's prometheus exporter ← a real Prometheus scraping it every second and evaluating
 * collector/prometheus/alerts.yml with only the `for:` durations shortened (the budget knob, $50
 * a day, as written). The gateway reports $100 per `cost` call (OpenRouter's `usage.cost`) and a
 * rate limit of 20 requests per 10-minute window that each `headroom` call uses up.
 * Phases, in order: cost (LLMSpendOverDailyBudget and LLMCreditsBurnRate fire), then headroom
 * (LLMRateLimitHeadroomLow fires for the `requests` kind). Needs the interceptor's spend wiring.
 * The time from a phase's first call to its alerts firing is printed (not asserted).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from '../../src/gateway/server.ts';
import { shortenForDurations, testPrometheusConfig } from './support/alert-config.ts';
import { type LoadCommand, type LoadReply, MODEL } from './support/app-contract.ts';
import {
  COLLECTOR_CONFIG,
  ensureJaegerBinary,
  type JaegerProcess,
  REPO_ROOT,
  startJaeger,
} from './support/jaeger.ts';
import { type NodeApp, startNodeApp } from './support/node-app.ts';
import { freePorts, pollUntil } from './support/processes.ts';
import {
  type ActiveAlert,
  activeAlerts,
  INSTALL_HINT,
  locatePrometheus,
  PROMETHEUS_ENV,
  type PrometheusServer,
  queryVector,
  startPrometheus,
} from './support/prometheus-server.ts';

const ALERTS_YML = `${REPO_ROOT}collector/prometheus/alerts.yml`;
const PROMETHEUS_YML = `${REPO_ROOT}collector/prometheus/prometheus.yml`;
/** The application of alerts.test.ts: the `openai` SDK, one scenario per command, no retries. */
const LOAD_APP = fileURLToPath(new URL('./support/llm-load-app.ts', import.meta.url));

const JOB = 'spend-alerts-e2e';
/** The gateway's host: not in the provider table, so it is the provider name. */
const PROVIDER = '127.0.0.1';
const COST_PER_CALL_USD = 100;
const RATE_LIMIT_REQUESTS = 20;
const FOR_DURATION = '5s';
const INTERVAL = '1s';
const PHASE_TIMEOUT_MS = 90_000;
/** Bound of the Prometheus phases together (start-up included), whatever each phase may take. */
const SUITE_BUDGET_MS = 170_000;

const prometheusBinary = locatePrometheus();
const skip = prometheusBinary === undefined && !process.env.CI;
const skipReason = `prometheus not found; set ${PROMETHEUS_ENV} or ${INSTALL_HINT} (under CI=true this fails instead)`;
if (skip) console.warn(`test/e2e/spend-alerts.test.ts: skipping: ${skipReason}`);

describe.skipIf(skip)(
  skip ? `spend alerts in a real Prometheus (skipped: ${skipReason})` : 'spend alerts in a real Prometheus',
  () => {
    let dir: string | undefined;
    let collector: JaegerProcess | undefined;
    let prometheus: PrometheusServer | undefined;
    let gateway: Gateway | undefined;
    let app: NodeApp | undefined;
    let deadline = Date.now() + SUITE_BUDGET_MS;

    function phaseTimeout(): number {
      return Math.max(1_000, Math.min(PHASE_TIMEOUT_MS, deadline - Date.now()));
    }

    /** `waiting`, its error completed with what the processes wrote. */
    async function explained<T>(waiting: Promise<T>): Promise<T> {
      try {
        return await waiting;
      } catch (error) {
        const logs = [
          `app:\n${app?.logs()}`,
          `collector:\n${collector?.logs()}`,
          `prometheus:\n${prometheus?.logs()}`,
        ];
        throw new Error(`${error instanceof Error ? error.message : String(error)}\n${logs.join('\n')}`);
      }
    }

    async function stopAll(): Promise<void> {
      await app?.stop();
      await Promise.all([gateway?.close(), prometheus?.stop(), collector?.stop()]);
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    }

    beforeAll(async () => {
      if (prometheusBinary === undefined) {
        throw new Error(`prometheus not found and CI is set: CI must not skip this test. ${skipReason}`);
      }
      // A cold build of the binary (minutes) is not part of the budget.
      const binary = await ensureJaegerBinary();
      deadline = Date.now() + SUITE_BUDGET_MS;
      try {
        dir = await mkdtemp(join(tmpdir(), 'llm-otel-spend-e2e-'));
        await writeFile(
          join(dir, 'alerts.yml'),
          shortenForDurations(await readFile(ALERTS_YML, 'utf8'), FOR_DURATION),
        );
        const [unusedPort] = (await freePorts(1)) as [number];
        collector = await startJaeger({
          binary,
          config: COLLECTOR_CONFIG,
          env: { JAEGER_OTLP_ENDPOINT: `127.0.0.1:${unusedPort}` },
        });
        const config = testPrometheusConfig(await readFile(PROMETHEUS_YML, 'utf8'), {
          ruleFile: 'alerts.yml',
          targets: { 'otel-collector': [collector.prometheusEndpoint], 'otelcol-internal': [] },
          interval: INTERVAL,
        });
        await writeFile(join(dir, 'prometheus.yml'), config);
        prometheus = await startPrometheus(prometheusBinary, join(dir, 'prometheus.yml'), join(dir, 'data'));
        gateway = await startGateway({
          host: '127.0.0.1',
          port: 0,
          costUsd: COST_PER_CALL_USD,
          rateLimit: { requests: RATE_LIMIT_REQUESTS, tokens: 1_000_000, windowMs: 600_000 },
        });
        app = startNodeApp(LOAD_APP, {
          register: true,
          env: {
            GATEWAY_URL: gateway.url,
            OTEL_SERVICE_NAME: JOB,
            OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpHttpUrl,
            OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
            OTEL_METRIC_EXPORT_INTERVAL: '1000',
            OTEL_TRACES_EXPORTER: 'none',
          },
        });
      } catch (error) {
        await stopAll();
        throw error;
      }
    });

    afterAll(stopAll);

    function running(): { prometheus: PrometheusServer; app: NodeApp } {
      if (prometheus === undefined || app === undefined) throw new Error('the processes did not start');
      return { prometheus, app };
    }

    function send(command: LoadCommand): Promise<LoadReply> {
      return explained(running().app.request<LoadReply>(command, phaseTimeout()));
    }

    async function ourAlerts(): Promise<ActiveAlert[]> {
      return (await activeAlerts(running().prometheus.url)).filter((alert) => alert.labels.job === JOB);
    }

    /**
     * Sends `command` again before each look until every alert of `expected` is firing; returns the
     * alerts and the seconds from the first call to the look that saw them firing.
     */
    async function sendUntilFiring(
      command: LoadCommand,
      expected: readonly string[],
    ): Promise<{ alerts: ActiveAlert[]; seconds: number; calls: number }> {
      const started = performance.now();
      let calls = 0;
      const alerts = await explained(
        pollUntil(
          async () => {
            expect(await send(command)).toEqual({ statuses: { 200: command.calls } });
            calls += command.calls;
            return ourAlerts();
          },
          (seen) => expected.every((name) => firing(seen).includes(name)),
          {
            timeoutMs: phaseTimeout(),
            intervalMs: 0,
            what: `alerts firing for job ${JOB}: ${expected.join(', ')}`,
          },
        ),
      );
      const seconds = (performance.now() - started) / 1000;
      console.info(
        `spend-alerts e2e: ${expected.join(' + ')} firing ${seconds.toFixed(1)} s after the phase's first call (${calls} calls)`,
      );
      return { alerts, seconds, calls };
    }

    it('cost: the projection over the daily budget and the burn rate fire, per provider', async () => {
      // Calls over several 1 s export intervals: increase() and rate() need samples that differ.
      const { alerts, calls } = await sendUntilFiring({ scenario: 'cost', calls: 4, spacingMs: 250 }, [
        'LLMSpendOverDailyBudget',
        'LLMCreditsBurnRate',
      ]);
      const perProvider = { job: JOB, gen_ai_provider_name: PROVIDER };
      expect(sortedLabels(alerts.filter((alert) => alert.state === 'firing'))).toEqual([
        { alertname: 'LLMCreditsBurnRate', ...perProvider, severity: 'page' },
        { alertname: 'LLMSpendOverDailyBudget', ...perProvider, severity: 'ticket' },
      ]);
      const projection = alerts.find((alert) => alert.labels.alertname === 'LLMSpendOverDailyBudget');
      expect(Number(projection?.value)).toBeGreaterThan(50);
      expect(projection?.annotations.runbook_url).toMatch(/docs\/spend\.md#runbook-llmspendoverdailybudget$/);
      // Every call's $100 reached Prometheus, by provider and model (the last export may lag: poll).
      const total = await explained(
        pollUntil(
          () => queryVector(running().prometheus.url, `llm_client_cost_USD_total{job="${JOB}"}`),
          (samples) => samples.length === 1 && Number(samples[0]?.value[1]) === calls * COST_PER_CALL_USD,
          { timeoutMs: 10_000, what: `llm_client_cost_USD_total = ${calls * COST_PER_CALL_USD}` },
        ),
      );
      expect(total[0]?.metric).toMatchObject({ gen_ai_provider_name: PROVIDER, gen_ai_request_model: MODEL });
    });

    it('headroom: remaining requests below 10% fires LLMRateLimitHeadroomLow for the requests kind only', async () => {
      const { alerts } = await sendUntilFiring({ scenario: 'headroom', calls: 5, spacingMs: 200 }, [
        'LLMRateLimitHeadroomLow',
      ]);
      expect(
        sortedLabels(alerts.filter((alert) => alert.labels.alertname === 'LLMRateLimitHeadroomLow')),
      ).toEqual([
        {
          alertname: 'LLMRateLimitHeadroomLow',
          job: JOB,
          gen_ai_provider_name: PROVIDER,
          gen_ai_request_model: MODEL,
          llm_rate_limit_kind: 'requests',
          severity: 'ticket',
        },
      ]);
      const limits = await queryVector(running().prometheus.url, `llm_client_rate_limit_limit{job="${JOB}"}`);
      expect(limits.map((sample) => [sample.metric.llm_rate_limit_kind, sample.value[1]]).sort()).toEqual([
        ['requests', String(RATE_LIMIT_REQUESTS)],
        ['tokens', '1000000'],
      ]);
      // Nothing unrelated fired on the way (errors, credits, spend caps).
      expect([...new Set(firing(await ourAlerts()))].sort()).toEqual([
        'LLMCreditsBurnRate',
        'LLMRateLimitHeadroomLow',
        'LLMSpendOverDailyBudget',
      ]);
    });
  },
);

function firing(alerts: ActiveAlert[]): string[] {
  return alerts.filter((alert) => alert.state === 'firing').map((alert) => alert.labels.alertname ?? '');
}

function sortedLabels(alerts: ActiveAlert[]): Record<string, string>[] {
  return alerts
    .map((alert) => alert.labels)
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}
