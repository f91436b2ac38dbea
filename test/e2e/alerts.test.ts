/**
 * The alert rules against a real Prometheus: the real library (register entry) in an application
 * process → OTLP/HTTP JSON → the collector role's prometheus exporter ← a real Prometheus scraping
 * it every second and evaluating collector/prometheus/alerts.yml with only the `for:` durations
 * shortened. The phases run in order and build on each other: healthy traffic (nothing fires),
 * then 503s (LLMUpstreamUnavailable and the burn-rate alerts fire), then 402s (LLMCreditsExhausted).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from '../../src/gateway/server.ts';
import { rulesOf, shortenForDurations, testPrometheusConfig } from './support/alert-config.ts';
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
  loadedRules,
  locatePrometheus,
  PROMETHEUS_ENV,
  type PrometheusServer,
  queryVector,
  startPrometheus,
} from './support/prometheus-server.ts';

const ALERTS_YML = `${REPO_ROOT}collector/prometheus/alerts.yml`;
const PROMETHEUS_YML = `${REPO_ROOT}collector/prometheus/prometheus.yml`;
const LOAD_APP = fileURLToPath(new URL('./support/llm-load-app.ts', import.meta.url));

const JOB = 'alerts-e2e';
/** The gateway's host: not in the provider table, so it is the provider name. */
const PROVIDER = '127.0.0.1';
const FOR_DURATION = '5s';
const FOR_DURATION_S = 5;
const INTERVAL = '1s';
const PHASE_TIMEOUT_MS = 90_000;
/** Bound of the Prometheus phases together (start-up included), whatever each phase may take. */
const SUITE_BUDGET_MS = 180_000;

const prometheusBinary = locatePrometheus();
const skip = prometheusBinary === undefined && !process.env.CI;
const skipReason = `prometheus not found; set ${PROMETHEUS_ENV} or ${INSTALL_HINT} (under CI=true this fails instead)`;
if (skip) console.warn(`test/e2e/alerts.test.ts: skipping the Prometheus phases: ${skipReason}`);

describe('the test-only rule file', () => {
  it('differs from alerts.yml only in its for: durations; every expr is identical', async () => {
    const original = await readFile(ALERTS_YML, 'utf8');
    const shortened = shortenForDurations(original, FOR_DURATION);
    const originalLines = original.split('\n');
    const changed = shortened.split('\n').flatMap((line, index) => {
      const before = originalLines[index];
      return line === before ? [] : [[before, line]];
    });
    expect(shortened.split('\n')).toHaveLength(originalLines.length);
    expect(changed.length).toBeGreaterThan(0);
    for (const [before, after] of changed) {
      expect(before).toMatch(/^\s+for: \d+[smhd]$/);
      expect(after).toBe(before?.replace(/for: \S+$/, `for: ${FOR_DURATION}`));
    }
    const [originalRules, shortenedRules] = [rulesOf(original), rulesOf(shortened)];
    expect(shortenedRules.map((rule) => rule.expr)).toEqual(originalRules.map((rule) => rule.expr));
    expect(shortenedRules.map(({ for: _for, ...rest }) => rest)).toEqual(
      originalRules.map(({ for: _for, ...rest }) => rest),
    );
    expect(shortenedRules.map((rule) => rule.for)).toEqual(
      originalRules.map((rule) => (rule.for === undefined ? undefined : FOR_DURATION)),
    );
  });
});

describe.skipIf(skip)(skip ? `a real Prometheus (skipped: ${skipReason})` : 'a real Prometheus', () => {
  let dir: string | undefined;
  let collector: JaegerProcess | undefined;
  let prometheus: PrometheusServer | undefined;
  let gateway: Gateway | undefined;
  let app: NodeApp | undefined;
  let deadline = Date.now() + SUITE_BUDGET_MS;

  /** A phase's wait: PHASE_TIMEOUT_MS, less when the suite's budget runs out sooner. */
  function phaseTimeout(): number {
    return Math.max(1_000, Math.min(PHASE_TIMEOUT_MS, deadline - Date.now()));
  }

  /** `waiting`, its error completed with what the processes wrote, for a failure in CI. */
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
      dir = await mkdtemp(join(tmpdir(), 'llm-otel-alerts-e2e-'));
      await writeFile(
        join(dir, 'alerts.yml'),
        shortenForDurations(await readFile(ALERTS_YML, 'utf8'), FOR_DURATION),
      );
      // No Jaeger role here: the application exports no traces, and nothing listens at this port.
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
      gateway = await startGateway({ host: '127.0.0.1', port: 0 });
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

  /** Makes the application send `calls` calls of `scenario`, spread over several export intervals. */
  function send(command: LoadCommand): Promise<LoadReply> {
    return explained(running().app.request<LoadReply>(command, phaseTimeout()));
  }

  async function ourAlerts(): Promise<ActiveAlert[]> {
    return (await activeAlerts(running().prometheus.url)).filter((alert) => alert.labels.job === JOB);
  }

  /**
   * Our alerts, once at least `expected[name]` alerts of each name are firing, sending `command`
   * again before each look. The rules need two scraped samples that differ; traffic that goes on
   * until they fire cannot be seen only as its final count when a scrape or export is slow.
   */
  function sendUntilFiring(command: LoadCommand, expected: Record<string, number>): Promise<ActiveAlert[]> {
    const enough = (alerts: ActiveAlert[]) =>
      Object.entries(expected).every(
        ([name, count]) => firing(alerts).filter((firingName) => firingName === name).length >= count,
      );
    const sendThenLook = async () => {
      expect(await send(command)).toEqual({ statuses: { [command.scenario]: command.calls } });
      return ourAlerts();
    };
    return explained(
      pollUntil(sendThenLook, enough, {
        timeoutMs: phaseTimeout(),
        intervalMs: 0,
        what: `alerts firing for job ${JOB}: ${JSON.stringify(expected)}`,
      }),
    );
  }

  it('loads every rule of alerts.yml, with the shortened for:', async () => {
    const original = rulesOf(await readFile(ALERTS_YML, 'utf8'));
    const loaded = await loadedRules(running().prometheus.url);
    expect(loaded.map((rule) => rule.name)).toEqual(original.map((rule) => rule.alert ?? rule.record));
    expect(loaded.filter((rule) => rule.health === 'err')).toEqual([]);
    expect(loaded.map((rule) => rule.duration ?? 0)).toEqual(
      original.map((rule) => (rule.for === undefined ? 0 : FOR_DURATION_S)),
    );
  });

  it('healthy traffic: the rules see the calls and nothing fires', async () => {
    // The recording rule's value proves Prometheus scraped our series and evaluated the group on
    // them. It needs two scraped samples that differ (a rate > 0): traffic goes on, a few calls
    // at a time, until it appears, so a slow scrape or export on a busy machine cannot leave
    // Prometheus with only the final count (seen once in CI).
    const ratioQuery = `llm:gen_ai_client_operation_errors:ratio_rate5m{job="${JOB}"}`;
    const ratio = await explained(
      pollUntil(
        async () => {
          expect(await send({ scenario: 'ok', calls: 5, spacingMs: 250 })).toEqual({ statuses: { 200: 5 } });
          return queryVector(running().prometheus.url, ratioQuery);
        },
        (samples) => samples.length > 0,
        { timeoutMs: phaseTimeout(), intervalMs: 0, what: 'the 5m error ratio of our job' },
      ),
    );
    expect(ratio.map((sample) => [sample.metric, sample.value[1]])).toEqual([
      [
        {
          __name__: 'llm:gen_ai_client_operation_errors:ratio_rate5m',
          job: JOB,
          gen_ai_provider_name: PROVIDER,
          gen_ai_request_model: MODEL,
        },
        '0',
      ],
    ]);
    expect(await ourAlerts()).toEqual([]);
  });

  it('503s: LLMUpstreamUnavailable and the error budget burn alerts fire', async () => {
    // 20 calls per look, over several export intervals; the alert needs >= 10 calls and > 20% 5xx in 5m.
    // The three burn-rate windows (1h/5m, 6h/30m, 3d/6h) all see the same short burst.
    const alerts = await sendUntilFiring(
      { scenario: '503', calls: 20, spacingMs: 150 },
      { LLMUpstreamUnavailable: 1, LLMErrorBudgetBurn: 3 },
    );
    const perModel = { job: JOB, gen_ai_provider_name: PROVIDER, gen_ai_request_model: MODEL };
    expect(sortedLabels(alerts)).toEqual([
      { alertname: 'LLMErrorBudgetBurn', ...perModel, severity: 'page', window: '1h' },
      { alertname: 'LLMErrorBudgetBurn', ...perModel, severity: 'page', window: '6h' },
      { alertname: 'LLMErrorBudgetBurn', ...perModel, severity: 'ticket', window: '3d' },
      { alertname: 'LLMUpstreamUnavailable', ...perModel, severity: 'page' },
    ]);
    expect(alerts.every((alert) => alert.state === 'firing')).toBe(true);
    const upstream = alerts.find((alert) => alert.labels.alertname === 'LLMUpstreamUnavailable');
    // The value is the 5xx share of the calls.
    expect(Number(upstream?.value)).toBeGreaterThan(0.2);
    expect(Number(upstream?.value)).toBeLessThanOrEqual(1);
    expect(upstream?.annotations.runbook_url).toMatch(/#runbook-llmupstreamunavailable$/);
  });

  it('402s: LLMCreditsExhausted fires, per provider', async () => {
    // increase() needs a sample of the new 402 series before it grows: spread over several intervals.
    const alerts = await sendUntilFiring(
      { scenario: '402', calls: 5, spacingMs: 300 },
      { LLMCreditsExhausted: 1 },
    );
    const credits = alerts.filter((alert) => alert.labels.alertname === 'LLMCreditsExhausted');
    expect(credits.map((alert) => [alert.labels, alert.state])).toEqual([
      [
        { alertname: 'LLMCreditsExhausted', job: JOB, gen_ai_provider_name: PROVIDER, severity: 'page' },
        'firing',
      ],
    ]);
    expect(Number(credits[0]?.value)).toBeGreaterThan(0);
    expect(credits[0]?.annotations.summary).toBe(`${PROVIDER}: out of credits`);
    // Nothing unrelated fired on the way (401s, spend caps, mid-stream errors, slow first chunks).
    expect([...new Set(firing(await ourAlerts()))].sort()).toEqual([
      'LLMCreditsExhausted',
      'LLMErrorBudgetBurn',
      'LLMUpstreamUnavailable',
    ]);
  });
});

function firing(alerts: ActiveAlert[]): string[] {
  return alerts.filter((alert) => alert.state === 'firing').map((alert) => alert.labels.alertname ?? '');
}

function sortedLabels(alerts: ActiveAlert[]): Record<string, string>[] {
  return alerts
    .map((alert) => alert.labels)
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}
