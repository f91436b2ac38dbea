import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  ATTR_LLM_RETRY_ATTEMPTS,
  EVENT_LLM_STREAM_ERROR,
  EVENT_LLM_STREAM_TRUNCATED,
} from '../../src/semconv/names.ts';

// Static checks of the tail sampling in collector/otelcol.yaml: the policies name telemetry the
// library really emits (a misspelt key silently never matches), and every metric is taken before
// the sampler drops anything. test/e2e/sampling.test.ts runs the same config for real.

const CONFIG_PATH = fileURLToPath(new URL('../../collector/otelcol.yaml', import.meta.url));

interface Policy {
  name: string;
  type: string;
  [settings: string]: unknown;
}
interface Pipeline {
  receivers: string[];
  processors?: string[];
  exporters: string[];
}
interface CollectorConfig {
  processors: { tail_sampling: { decision_wait: string; num_traces: string; policies: Policy[] } };
  connectors: Record<string, unknown>;
  service: { pipelines: Record<string, Pipeline> };
}

const config = parse(readFileSync(CONFIG_PATH, 'utf8')) as CollectorConfig;
const { policies } = config.processors.tail_sampling;
const pipelines = config.service.pipelines;

/** How the config spells "the environment variable `name`, else `fallback`". */
function envOr(name: string, fallback: string): string {
  return `\${env:${name}:-${fallback}}`;
}

function policy(type: string): Policy {
  const found = policies.filter((candidate) => candidate.type === type);
  expect(found, `policies of type ${type}`).toHaveLength(1);
  return found[0] as Policy;
}

describe('tail sampling policies', () => {
  it('keeps every trace with a span in ERROR status', () => {
    expect(policy('status_code').status_code).toEqual({ status_codes: ['ERROR'] });
  });

  it('keeps every trace with a mid-stream error or truncation event, by their real names', () => {
    expect(policy('ottl_condition').ottl_condition).toEqual({
      error_mode: 'ignore',
      spanevent: [`name == "${EVENT_LLM_STREAM_ERROR}"`, `name == "${EVENT_LLM_STREAM_TRUNCATED}"`],
    });
  });

  it('keeps every call that needed more than one attempt', () => {
    expect(policy('numeric_attribute').numeric_attribute).toEqual({
      key: ATTR_LLM_RETRY_ATTEMPTS,
      min_value: 2,
    });
  });

  it('keeps slow traces and 10% of the rest by default, both tunable', () => {
    expect(policy('latency').latency).toEqual({ threshold_ms: envOr('TAIL_SAMPLING_SLOW_MS', '60000') });
    expect(policy('probabilistic').probabilistic).toEqual({
      sampling_percentage: envOr('TAIL_SAMPLING_PERCENT', '10'),
    });
    expect(config.processors.tail_sampling.decision_wait).toBe(envOr('TAIL_SAMPLING_DECISION_WAIT', '10s'));
  });

  it('has no policy that drops or inverts (a trace is kept when any policy says so)', () => {
    expect(policies.map((candidate) => candidate.type).sort()).toEqual([
      'latency',
      'numeric_attribute',
      'ottl_condition',
      'probabilistic',
      'status_code',
    ]);
  });
});

describe('pipelines', () => {
  it('counts span metrics from every span, before the sampler', () => {
    const sampling = Object.entries(pipelines).filter(([, pipeline]) =>
      pipeline.processors?.includes('tail_sampling'),
    );
    expect(sampling.map(([name]) => name)).toEqual(['traces/sampled']);
    expect(pipelines.traces?.receivers).toEqual(['otlp']);
    expect(pipelines.traces?.processors).not.toContain('tail_sampling');
    expect(pipelines.traces?.exporters.sort()).toEqual(['forward/sampling', 'spanmetrics']);
    expect(pipelines['traces/sampled']).toEqual({
      receivers: ['forward/sampling'],
      processors: ['tail_sampling', 'batch'],
      exporters: ['otlp/jaeger'],
    });
  });

  it("never samples the application's own metrics", () => {
    expect(pipelines.metrics?.receivers.sort()).toEqual(['otlp', 'spanmetrics']);
    expect(pipelines.metrics?.processors).not.toContain('tail_sampling');
  });
});
