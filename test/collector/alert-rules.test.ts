import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_LLM_ERROR_PHASE,
  ATTR_LLM_ERROR_SPEND_CAP,
  ATTR_LLM_TASK_STATUS,
  ERROR_PHASE_MID_STREAM,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_TIME_TO_FIRST_CHUNK,
  METRIC_LLM_TASK_DURATION,
} from '../../src/semconv/names.ts';

// Consistency of collector/prometheus/alerts.yml with the names contract, its tests, the
// Grafana dashboard and the alert section and runbooks of docs/alerts.md. Pure parsing: promtool itself runs in promtool.test.ts.

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where each alert's runbook_url points: its runbook's heading in docs/alerts.md, or docs/spend.md for spend. */
const RUNBOOK_BASE =
  'https://github.com/llm-otel-dispatcher/llm-otel-dispatcher/blob/main/docs/alerts.md#runbook-';
const SPEND_RUNBOOK_BASE =
  'https://github.com/llm-otel-dispatcher/llm-otel-dispatcher/blob/main/docs/spend.md#runbook-';

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface AlertTest {
  alertname: string;
  exp_alerts: { exp_labels: Record<string, string> }[];
}
interface TestFile {
  rule_files: string[];
  tests: { name: string; alert_rule_test?: AlertTest[] }[];
}

function read(path: string): string {
  return readFileSync(join(REPO_ROOT, path), 'utf8');
}

const groups = (
  parse(read('collector/prometheus/alerts.yml')) as { groups: { name: string; rules: Rule[] }[] }
).groups;
const rules = groups.flatMap((group) => group.rules);
/** Rules on the application's metrics, and on the collectors' own (service.telemetry). */
const llmRules = groups.filter((group) => group.name === 'llm').flatMap((group) => group.rules);
const pipelineRules = groups
  .filter((group) => group.name === 'telemetry-pipeline')
  .flatMap((group) => group.rules);
const alerts = rules.filter((rule) => rule.alert !== undefined);
const alertNames = [...new Set(alerts.map((rule) => rule.alert ?? ''))];
/** Spend and headroom alerts: their runbooks live in docs/spend.md (its own test keeps them in step). */
const spendAlertNames = new Set(
  groups
    .filter((group) => group.name === 'llm-spend')
    .flatMap((group) => group.rules.flatMap((rule) => (rule.alert === undefined ? [] : [rule.alert]))),
);
const runbookBase = (alert: string | undefined): string =>
  spendAlertNames.has(alert ?? '') ? SPEND_RUNBOOK_BASE : RUNBOOK_BASE;
const recorded = new Set(rules.flatMap((rule) => (rule.record === undefined ? [] : [rule.record])));
const alertTests = (parse(read('collector/prometheus/alerts.test.yml')) as TestFile).tests.flatMap(
  (test) => test.alert_rule_test ?? [],
);

/** OpenTelemetry name -> Prometheus name, as the collector's prometheus exporter writes it. */
const promName = (name: string): string => name.replaceAll('.', '_');

/** Histograms in seconds the rules may read, with the series Prometheus derives from them. */
const ALLOWED_METRICS = new Set(
  [
    METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
    METRIC_GEN_AI_CLIENT_TIME_TO_FIRST_CHUNK,
    METRIC_LLM_TASK_DURATION,
  ]
    .map((name) => `${promName(name)}_seconds`)
    .flatMap((base) => [`${base}_bucket`, `${base}_count`, `${base}_sum`]),
);
const ALLOWED_LABELS = new Set([
  'job',
  'le',
  ...[
    ATTR_ERROR_TYPE,
    ATTR_GEN_AI_PROVIDER_NAME,
    ATTR_GEN_AI_REQUEST_MODEL,
    ATTR_HTTP_RESPONSE_STATUS_CODE,
    ATTR_LLM_ERROR_PHASE,
    ATTR_LLM_ERROR_SPEND_CAP,
    ATTR_LLM_TASK_STATUS,
  ].map(promName),
]);

/** The collectors' own counters of lost spans, as their Prometheus endpoint (:8888) names them. */
const PIPELINE_METRICS = new Set([
  'otelcol_processor_tail_sampling_sampling_trace_dropped_too_early_total',
  'otelcol_receiver_refused_spans_total',
  'otelcol_exporter_send_failed_spans_total',
  'otelcol_exporter_enqueue_failed_spans_total',
]);

function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\b([a-z_][a-z0-9_]*)\s*[{[]/g)].map((match) => match[1] ?? '');
}
function recordingRulesIn(expr: string): string[] {
  return [...expr.matchAll(/\bllm:[a-z0-9_:]+/g)].map((match) => match[0]);
}
function labelsIn(expr: string): string[] {
  const matchers = [...expr.matchAll(/([a-z_]+)\s*(?:=~|!~|!=|=)\s*"/g)].map((match) => match[1] ?? '');
  const lists = [...expr.matchAll(/\b(?:by|on|ignoring|without)\s*\(([^)]*)\)/g)].flatMap((match) =>
    (match[1] ?? '').split(',').map((label) => label.trim()),
  );
  return [...matchers, ...lists].filter((label) => label !== '');
}
/** GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to hyphens. */
function githubAnchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

describe('collector/prometheus/alerts.yml', () => {
  it('defines the alerts the runbooks describe', () => {
    expect(alertNames).toEqual([
      'LLMErrorBudgetBurn',
      'LLMCreditsExhausted',
      'LLMAuthenticationFailing',
      'LLMSpendCapReached',
      'LLMUpstreamUnavailable',
      'LLMMidStreamErrors',
      'LLMSlowFirstChunk',
      'LLMTaskFailures',
      'LLMSpendOverDailyBudget',
      'LLMCreditsBurnRate',
      'LLMRateLimitHeadroomLow',
      'TelemetryPipelineLosingSpans',
    ]);
    expect(groups.map((group) => group.name)).toEqual(['llm', 'llm-spend', 'telemetry-pipeline']);
  });

  it('reads only metrics and labels named in src/semconv/names.ts', () => {
    for (const rule of llmRules) {
      for (const metric of metricsIn(rule.expr)) expect(ALLOWED_METRICS, rule.expr).toContain(metric);
      for (const label of labelsIn(rule.expr)) expect(ALLOWED_LABELS, rule.expr).toContain(label);
    }
    for (const rule of pipelineRules) {
      for (const metric of metricsIn(rule.expr)) expect(PIPELINE_METRICS, rule.expr).toContain(metric);
      for (const label of labelsIn(rule.expr)) expect(['job', 'instance'], rule.expr).toContain(label);
    }
    expect(new Set(pipelineRules.flatMap((rule) => metricsIn(rule.expr)))).toEqual(PIPELINE_METRICS);
    const midStream = alerts.find((rule) => rule.alert === 'LLMMidStreamErrors');
    expect(midStream?.expr).toContain(`${promName(ATTR_LLM_ERROR_PHASE)}="${ERROR_PHASE_MID_STREAM}"`);
  });

  it('uses only recording rules it defines, and the SLO knob exactly once', () => {
    for (const rule of rules) {
      for (const name of recordingRulesIn(rule.expr)) expect(recorded, rule.expr).toContain(name);
    }
    expect(rules.filter((rule) => rule.record === 'llm:slo_error_budget:ratio')).toEqual([
      { record: 'llm:slo_error_budget:ratio', expr: 'vector(0.01)' },
    ]);
  });

  it('gives every alert a severity, a summary, a description and its runbook link', () => {
    for (const rule of alerts) {
      expect(['page', 'ticket'], rule.alert).toContain(rule.labels?.severity);
      expect(Object.keys(rule.annotations ?? {}).sort(), rule.alert).toEqual([
        'description',
        'runbook_url',
        'summary',
      ]);
      expect(
        rule.annotations?.runbook_url,
        `${rule.alert}: runbook_url must name its runbook in docs/alerts.md (docs/spend.md for spend)`,
      ).toBe(`${runbookBase(rule.alert)}${rule.alert?.toLowerCase()}`);
      expect(rule.annotations?.description, rule.alert).toMatch(/\$value/);
    }
  });

  it('has promtool cases where each alert fires, with its severities, and where it stays quiet', () => {
    expect(new Set(alertTests.map((test) => test.alertname))).toEqual(new Set(alertNames));
    for (const name of alertNames) {
      const cases = alertTests.filter((test) => test.alertname === name);
      expect(
        cases.some((test) => test.exp_alerts.length > 0),
        `${name} never fires`,
      ).toBe(true);
      expect(
        cases.some((test) => test.exp_alerts.length === 0),
        `${name} is never quiet`,
      ).toBe(true);
      const tested = new Set(
        cases.flatMap((test) => test.exp_alerts.map((alert) => alert.exp_labels.severity)),
      );
      const defined = new Set(
        alerts.filter((rule) => rule.alert === name).map((rule) => rule.labels?.severity),
      );
      expect(tested, name).toEqual(defined);
    }
  });
});

describe('the alert table and runbooks of docs/alerts.md', () => {
  const doc = read('docs/alerts.md');
  const runbookHeadings = [...doc.matchAll(/^### (Runbook: .+)$/gm)].map((match) => match[1] ?? '');

  it('has one runbook per alert, in the order of alerts.yml, at the anchor runbook_url names', () => {
    expect(runbookHeadings).toEqual(
      alertNames.filter((name) => !spendAlertNames.has(name)).map((name) => `Runbook: ${name}`),
    );
    for (const heading of runbookHeadings) {
      expect(`${RUNBOOK_BASE.slice(0, -'runbook-'.length)}${githubAnchor(heading)}`).toBe(
        `${RUNBOOK_BASE}${heading.slice('Runbook: '.length).toLowerCase()}`,
      );
    }
  });

  it('lists every alert in its table and explains the SLO knob', () => {
    for (const name of alertNames)
      expect(doc).toMatch(new RegExp(`^\\| \`${name}\`\\s*\\| (page|ticket)`, 'm'));
    expect(doc).toContain('llm:slo_error_budget:ratio');
  });

  it('links only to runbooks that exist', () => {
    const anchors = new Set(runbookHeadings.map(githubAnchor));
    for (const [, anchor] of doc.matchAll(/\]\(#(runbook-[^)]+)\)/g)) expect(anchors).toContain(anchor);
  });
});

describe('collector/grafana/dashboards/llm-otel-dispatcher.json', () => {
  const dashboard = JSON.parse(read('collector/grafana/dashboards/llm-otel-dispatcher.json')) as {
    panels: { targets: { expr: string }[] }[];
  };
  const exprs = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));

  it('queries recording rules that alerts.yml defines', () => {
    const used = exprs.flatMap(recordingRulesIn);
    expect(used.length).toBeGreaterThan(0);
    for (const name of used) expect(recorded).toContain(name);
  });
});
