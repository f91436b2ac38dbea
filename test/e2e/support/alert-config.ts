/**
 * Test-only Prometheus configuration derived from the repository's (collector/prometheus): the
 * rule file with every `for:` shortened and nothing else changed, and prometheus.yml pointed at
 * one scrape target with 1 s scrape and evaluation intervals. Pure: text in, text out.
 */
import { parse, stringify } from 'yaml';

export interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface RuleFile {
  groups: { name: string; rules: Rule[] }[];
}

const FOR_LINE = /^(\s+)for: \S+$/;

/** `alerts.yml` with each `for: <duration>` line set to `for: <duration>`; every other line untouched. */
export function shortenForDurations(rulesYaml: string, duration: string): string {
  return rulesYaml
    .split('\n')
    .map((line) => line.replace(FOR_LINE, `$1for: ${duration}`))
    .join('\n');
}

/** Every rule of a rule file, all groups in order. */
export function rulesOf(rulesYaml: string): Rule[] {
  return (parse(rulesYaml) as RuleFile).groups.flatMap((group) => group.rules);
}

interface PrometheusConfig {
  global?: Record<string, unknown>;
  rule_files?: string[];
  alerting?: unknown;
  scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
}

/**
 * prometheus.yml with: scrape and evaluation every `interval`; `ruleFile` as the only rule file;
 * no Alertmanager (alerts stay in Prometheus' own API); its single scrape job aimed at `targets`.
 * The job's other settings (honor_labels, which keeps the application's `job`) stay as they are.
 */
export function testPrometheusConfig(
  configYaml: string,
  { ruleFile, targets, interval }: { ruleFile: string; targets: string[]; interval: string },
): string {
  const config = parse(configYaml) as PrometheusConfig;
  const [job, ...others] = config.scrape_configs;
  if (job === undefined || others.length > 0) {
    throw new Error(
      `expected exactly one scrape job in prometheus.yml, found ${config.scrape_configs.length}`,
    );
  }
  const { alerting: _alertmanagers, ...rest } = config;
  return stringify({
    ...rest,
    global: {
      ...config.global,
      scrape_interval: interval,
      scrape_timeout: interval,
      evaluation_interval: interval,
    },
    rule_files: [ruleFile],
    scrape_configs: [{ ...job, static_configs: [{ targets }] }],
  });
}
