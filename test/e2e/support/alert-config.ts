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

interface ScrapeJob {
  job_name: string;
  static_configs: { targets: string[] }[];
}

interface PrometheusConfig {
  global?: Record<string, unknown>;
  rule_files?: string[];
  alerting?: unknown;
  remote_write?: { url: string }[];
  scrape_configs: ScrapeJob[];
}

export interface TestPrometheusOptions {
  ruleFile: string;
  /** Job name → its targets. Every job of the file must be named; `[]` drops a job. */
  targets: Record<string, string[]>;
  interval: string;
  /** Where remote_write sends to (the file's queue settings kept); without it, nowhere. */
  remoteWriteUrl?: string;
}

/**
 * A repository prometheus.yml made runnable on loopback: scrape and evaluation every `interval`;
 * `ruleFile` as the only rule file; no Alertmanager (alerts stay in Prometheus' own API); each
 * scrape job aimed at its `targets`, its other settings (honor_labels, which keeps the
 * application's `job`; relabelling) as they are; remote_write aimed at `remoteWriteUrl` or dropped.
 */
export function testPrometheusConfig(
  configYaml: string,
  { ruleFile, targets, interval, remoteWriteUrl }: TestPrometheusOptions,
): string {
  const config = parse(configYaml) as PrometheusConfig;
  const names = config.scrape_configs.map((job) => job.job_name);
  const unknown = Object.keys(targets).filter((name) => !names.includes(name));
  const unnamed = names.filter((name) => !(name in targets));
  if (unknown.length > 0 || unnamed.length > 0) {
    throw new Error(
      `prometheus.yml has the jobs ${names.join(', ')}; targets named ${Object.keys(targets).join(', ')}`,
    );
  }
  const { alerting: _alertmanagers, remote_write: remoteWrite, ...rest } = config;
  const scrapeConfigs = config.scrape_configs
    .filter((job) => (targets[job.job_name] ?? []).length > 0)
    .map((job) => ({ ...job, static_configs: [{ targets: targets[job.job_name] }] }));
  return stringify({
    ...rest,
    global: {
      ...config.global,
      scrape_interval: interval,
      scrape_timeout: interval,
      evaluation_interval: interval,
    },
    rule_files: [ruleFile],
    ...(remoteWriteUrl === undefined
      ? {}
      : { remote_write: (remoteWrite ?? [{}]).map((target) => ({ ...target, url: remoteWriteUrl })) }),
    scrape_configs: scrapeConfigs,
  });
}
