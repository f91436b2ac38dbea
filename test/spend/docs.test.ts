/**
 * docs/spend.md, the llm-spend rule group and the dashboard agree: each spend alert's runbook
 * exists where its runbook_url points, in rule order; the rules read the metric and label names of
 * src/semconv/names.ts as the collector writes them; the budget knob is defined once; every
 * dashboard query is valid PromQL (promtool, when installed).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { SCENARIO_DESCRIPTIONS } from '../../src/gateway/scenarios.ts';
import {
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_LLM_RATE_LIMIT_KIND,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_LLM_CLIENT_COST,
  METRIC_LLM_CLIENT_RATE_LIMIT_LIMIT,
  METRIC_LLM_CLIENT_RATE_LIMIT_REMAINING,
} from '../../src/semconv/names.ts';
import { locateTool, requireTool, runTool, shouldSkip, suiteTitle } from '../support/promtool.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUNBOOK_BASE =
  'https://github.com/llm-otel-dispatcher/llm-otel-dispatcher/blob/main/docs/spend.md#runbook-';

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  annotations?: Record<string, string>;
}

const read = (path: string) => readFile(join(REPO_ROOT, path), 'utf8');
const promName = (name: string) => name.replaceAll('.', '_');

async function spendRules(): Promise<Rule[]> {
  const file = parse(await read('collector/prometheus/alerts.yml')) as {
    groups: { name: string; rules: Rule[] }[];
  };
  return file.groups.filter((group) => group.name === 'llm-spend').flatMap((group) => group.rules);
}

describe('docs/spend.md and the llm-spend rules', () => {
  it('has one runbook per spend alert, in rule order, where runbook_url points, and a table row each', async () => {
    const alerts = (await spendRules()).filter((rule) => rule.alert !== undefined);
    expect(alerts.map((rule) => rule.alert)).toEqual([
      'LLMSpendOverDailyBudget',
      'LLMCreditsBurnRate',
      'LLMRateLimitHeadroomLow',
    ]);
    const doc = await read('docs/spend.md');
    const headings = [...doc.matchAll(/^### Runbook: (\S+)$/gm)].map((match) => match[1]);
    expect(headings).toEqual(alerts.map((rule) => rule.alert));
    for (const rule of alerts) {
      expect(rule.annotations?.runbook_url).toBe(`${RUNBOOK_BASE}${rule.alert?.toLowerCase()}`);
      expect(doc).toMatch(new RegExp(`^\\| \`${rule.alert}\`\\s*\\| (page|ticket)`, 'm'));
    }
  });

  it('reads the names of src/semconv/names.ts, and defines the budget knob once', async () => {
    const rules = await spendRules();
    const text = rules.map((rule) => rule.expr).join('\n');
    const cost = `${promName(METRIC_LLM_CLIENT_COST)}_USD_total`;
    for (const name of [
      cost,
      promName(METRIC_LLM_CLIENT_RATE_LIMIT_REMAINING),
      promName(METRIC_LLM_CLIENT_RATE_LIMIT_LIMIT),
      `${promName(METRIC_GEN_AI_CLIENT_OPERATION_DURATION)}_seconds_count`,
    ])
      expect(text).toMatch(new RegExp(`\\b${name}\\b`));
    for (const label of [ATTR_GEN_AI_PROVIDER_NAME, ATTR_GEN_AI_REQUEST_MODEL, ATTR_LLM_RATE_LIMIT_KIND])
      expect(text).toContain(promName(label));
    expect(rules.filter((rule) => rule.record === 'llm:spend_daily_budget:usd')).toEqual([
      { record: 'llm:spend_daily_budget:usd', expr: 'vector(50)' },
    ]);
    expect(await read('docs/spend.md')).toContain('expr: vector(50)');
  });

  it('documents the gateway scenarios that report cost and shrinking headroom', async () => {
    const doc = await read('docs/spend.md');
    for (const name of ['cost', 'cost-litellm', 'headroom']) {
      expect(doc).toMatch(new RegExp(`^\\| \`${name}\`\\s+\\|`, 'm'));
      expect(SCENARIO_DESCRIPTIONS).toContain(`| \`${name}\` |`);
    }
  });
});

const promtool = locateTool('promtool', 'PROMTOOL');

describe.skipIf(shouldSkip(promtool))(suiteTitle('the dashboard spend panels (promtool)', promtool), () => {
  it('are valid PromQL over the spend metrics and recordings', async () => {
    const dashboard = JSON.parse(await read('collector/grafana/dashboards/llm-otel-dispatcher.json')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    const exprs = dashboard.panels
      .flatMap((panel) => panel.targets.map((target) => target.expr))
      .filter((expr) => /llm_client_(cost|rate_limit)|llm:(client_cost|spend)/.test(expr));
    expect(exprs).toHaveLength(7);
    const dir = await mkdtemp(join(tmpdir(), 'llm-otel-dashboard-'));
    try {
      const rules = exprs.map((expr, index) => ({ record: `dashboard:panel_${index}`, expr }));
      await writeFile(join(dir, 'panels.yml'), stringify({ groups: [{ name: 'panels', rules }] }));
      const run = await runTool(requireTool(promtool), ['check', 'rules', 'panels.yml'], dir);
      expect(run.output).toContain(`SUCCESS: ${exprs.length} rules found`);
      expect(run.code).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
