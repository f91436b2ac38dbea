/**
 * The spend alerts' promtool cases depend on the budget knob: with the daily budget changed from
 * $50 to $500, the projection and burn-rate cases fail. (All cases of alerts.test.yml run in
 * test/collector/promtool.test.ts.)
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { locateTool, requireTool, runTool, shouldSkip, suiteTitle } from '../support/promtool.ts';

const PROMETHEUS_DIR = fileURLToPath(new URL('../../collector/prometheus/', import.meta.url));
const BUDGET_KNOB = 'expr: vector(50)';
const CASES = ['steady spend over the daily budget', 'runaway spend pages'];

const promtool = locateTool('promtool', 'PROMTOOL');

async function spendCases(): Promise<string> {
  const file = parse(await readFile(join(PROMETHEUS_DIR, 'alerts.test.yml'), 'utf8')) as {
    tests: { name: string }[];
  };
  const tests = file.tests.filter((test) => CASES.some((prefix) => test.name.startsWith(prefix)));
  expect(tests).toHaveLength(CASES.length);
  return stringify({ ...file, tests });
}

async function runWithBudget(knob: string): Promise<{ code: number | null; output: string }> {
  const rules = await readFile(join(PROMETHEUS_DIR, 'alerts.yml'), 'utf8');
  expect(rules.split(BUDGET_KNOB)).toHaveLength(2);
  const dir = await mkdtemp(join(tmpdir(), 'llm-otel-spend-'));
  try {
    await writeFile(join(dir, 'alerts.yml'), rules.replace(BUDGET_KNOB, knob));
    await writeFile(join(dir, 'alerts.test.yml'), await spendCases());
    return await runTool(requireTool(promtool), ['test', 'rules', 'alerts.test.yml'], dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe.skipIf(shouldSkip(promtool))(suiteTitle('spend alert rules (promtool)', promtool), () => {
  it.concurrent('pass with the budget as written', async () => {
    const run = await runWithBudget(BUDGET_KNOB);
    expect(run.output).toContain('SUCCESS');
    expect(run.code).toBe(0);
  });

  it.concurrent('fail when the daily budget changes (the cases depend on the knob)', async () => {
    const run = await runWithBudget('expr: vector(500)');
    expect(run.output).toContain('FAILED');
    expect(run.output).toContain('alertname: LLMSpendOverDailyBudget');
    expect(run.output).toContain('alertname: LLMCreditsBurnRate');
    expect(run.code).toBe(1);
  });
});
