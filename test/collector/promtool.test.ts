import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { locateTool, requireTool, runTool, shouldSkip, skipReason, suiteTitle } from '../support/promtool.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PROMETHEUS_DIR = join(REPO_ROOT, 'collector/prometheus');
const ALERTMANAGER_DIR = join(REPO_ROOT, 'collector/alertmanager');
/** The gateway-tier example: its prometheus.yml names ../prometheus/alerts.yml. */
const SCALE_DIR = join(REPO_ROOT, 'collector/scale');
/** The SLO knob as alerts.yml spells it (99% success); the mutation test changes it. */
const SLO_KNOB = 'expr: vector(0.01)';
/** Name prefix of the alerts.test.yml case the mutation test reruns (one case keeps it quick). */
const FAST_BURN_CASE = 'fast burn (1000 calls/min, 20% failing)';

const promtool = locateTool('promtool', 'PROMTOOL');
const amtool = locateTool('amtool', 'AMTOOL');
for (const tool of [promtool, amtool]) {
  if (shouldSkip(tool))
    console.warn(`test/collector/promtool.test.ts: skipping ${tool.name} checks: ${skipReason(tool)}`);
}

interface RuleFile {
  groups: { name: string; rules: unknown[] }[];
}

async function countRules(): Promise<number> {
  const file = parse(await readFile(join(PROMETHEUS_DIR, 'alerts.yml'), 'utf8')) as RuleFile;
  return file.groups.reduce((sum, group) => sum + group.rules.length, 0);
}

/** alerts.test.yml reduced to the cases whose name starts with `prefix` (at least one). */
async function onlyTests(prefix: string): Promise<string> {
  const file = parse(await readFile(join(PROMETHEUS_DIR, 'alerts.test.yml'), 'utf8')) as {
    tests: { name: string }[];
  };
  const tests = file.tests.filter((test) => test.name.startsWith(prefix));
  expect(tests).toHaveLength(1);
  return stringify({ ...file, tests });
}

describe.skipIf(shouldSkip(promtool))(suiteTitle('promtool', promtool), () => {
  it.concurrent('check rules: alerts.yml is valid and every rule is found', async () => {
    const expected = await countRules();
    const run = await runTool(requireTool(promtool), ['check', 'rules', 'alerts.yml'], PROMETHEUS_DIR);
    expect(run.output).toContain(`SUCCESS: ${expected} rules found`);
    expect(run.code).toBe(0);
  });

  it.concurrent('test rules: every case of alerts.test.yml passes', async () => {
    const run = await runTool(requireTool(promtool), ['test', 'rules', 'alerts.test.yml'], PROMETHEUS_DIR);
    expect(run.output).toContain('SUCCESS');
    expect(run.output).not.toContain('FAILED');
    expect(run.code).toBe(0);
  });

  it.concurrent('check config: prometheus.yml and the rule file it names are valid', async () => {
    const run = await runTool(requireTool(promtool), ['check', 'config', 'prometheus.yml'], PROMETHEUS_DIR);
    expect(run.output).toContain('SUCCESS: prometheus.yml is valid prometheus config file syntax');
    expect(run.output).toContain(`SUCCESS: ${await countRules()} rules found`);
    expect(run.code).toBe(0);
  });

  it.concurrent('check config: scale/prometheus.yml (remote_write) and ../prometheus/alerts.yml are valid', async () => {
    const run = await runTool(requireTool(promtool), ['check', 'config', 'prometheus.yml'], SCALE_DIR);
    expect(run.output).toContain('SUCCESS: prometheus.yml is valid prometheus config file syntax');
    expect(run.output).toContain('Checking ../prometheus/alerts.yml');
    expect(run.output).toContain(`SUCCESS: ${await countRules()} rules found`);
    expect(run.code).toBe(0);
  });

  it.concurrent('test rules fails when the SLO objective changes (the burn-rate cases depend on it)', async () => {
    const rules = await readFile(join(PROMETHEUS_DIR, 'alerts.yml'), 'utf8');
    expect(rules.split(SLO_KNOB)).toHaveLength(2);
    const dir = await mkdtemp(join(tmpdir(), 'llm-otel-alerts-'));
    try {
      await writeFile(join(dir, 'alerts.yml'), rules.replace(SLO_KNOB, 'expr: vector(0.001)'));
      await writeFile(join(dir, 'alerts.test.yml'), await onlyTests(FAST_BURN_CASE));
      const run = await runTool(requireTool(promtool), ['test', 'rules', 'alerts.test.yml'], dir);
      expect(run.output).toContain('FAILED');
      expect(run.output).toContain('alertname: LLMErrorBudgetBurn');
      expect(run.code).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(shouldSkip(amtool))(suiteTitle('amtool', amtool), () => {
  it.concurrent('check-config: alertmanager.yml is valid', async () => {
    const run = await runTool(requireTool(amtool), ['check-config', 'alertmanager.yml'], ALERTMANAGER_DIR);
    expect(run.output).toContain('SUCCESS');
    expect(run.output).toContain('2 inhibit rules');
    expect(run.code).toBe(0);
  });

  const routes = [
    { labels: ['alertname=LLMCreditsExhausted', 'severity=page'], receiver: 'page' },
    { labels: ['alertname=LLMErrorBudgetBurn', 'severity=ticket'], receiver: 'ticket' },
    { labels: ['alertname=SomethingElse'], receiver: 'ticket' },
  ];
  for (const { labels, receiver } of routes) {
    it.concurrent(`routes ${labels.join(' ')} to the ${receiver} receiver`, async () => {
      const run = await runTool(
        requireTool(amtool),
        [
          'config',
          'routes',
          'test',
          '--config.file=alertmanager.yml',
          `--verify.receivers=${receiver}`,
          ...labels,
        ],
        ALERTMANAGER_DIR,
      );
      expect(run.output.split('\n')).toContain(receiver);
      expect(run.code).toBe(0);
    });
  }
});
