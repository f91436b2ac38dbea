/**
 * The gateway-tier example (collector/scale/, docker-compose.scale.yml) with real binaries: the
 * Jaeger v2 binary validates the Jaeger and sampler configs, the agent build (OCB, with the
 * `loadbalancing` exporter) validates and resolves the agent config, and one agent, two samplers
 * (collector/otelcol.yaml unchanged) and Jaeger run together on loopback ports to show that every
 * span of a trace reaches the same sampler and that app metrics leave the agent under the names
 * alerts.yml reads. The OpenSearch store itself is only validated (no OpenSearch here).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  AGENT_CONFIG,
  type AgentProcess,
  ensureAgentBinary,
  resolvedAgentConfig,
  startAgent,
  validateAgentConfig,
} from './support/agent-collector.ts';
import {
  COLLECTOR_CONFIG,
  ensureJaegerBinary,
  JAEGER_CONFIG,
  type JaegerProcess,
  REPO_ROOT,
  startJaeger,
  validateConfig,
} from './support/jaeger.ts';
import { findTraces } from './support/jaeger-api.ts';
import { sleep } from './support/processes.ts';
import { type Sample, scrapeUntil } from './support/prometheus-text.ts';

const SCALE_JAEGER_CONFIG = `${REPO_ROOT}collector/scale/jaeger.yaml`;
const SCALE_COMPOSE = `${REPO_ROOT}docker-compose.scale.yml`;
const SERVICE = 'llm-otel-scale-e2e';
const TRACES = 24;
const SPANS_PER_TRACE = 3;
const ARRIVAL_TIMEOUT_MS = 30_000;

let jaegerBinary: string;
let agentBinary: string;

beforeAll(async () => {
  [jaegerBinary, agentBinary] = await Promise.all([ensureJaegerBinary(), ensureAgentBinary()]);
});

/**
 * The environment docker-compose.scale.yml gives a service, as Compose passes it on: `${VAR:-x}`
 * interpolated (from an empty shell environment, so the defaults apply).
 */
async function composeEnv(service: string): Promise<Record<string, string>> {
  const compose = parse(await readFile(SCALE_COMPOSE, 'utf8')) as {
    services: Record<string, { environment?: Record<string, string> }>;
  };
  const environment = compose.services[service]?.environment ?? {};
  return Object.fromEntries(
    Object.entries(environment).map(([name, value]) => [
      name,
      String(value).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, (_match, fallback: string) => fallback),
    ]),
  );
}

/** Writes `text` to a scratch config file for the duration of `use`. */
async function withConfig<T>(text: string, use: (path: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'llm-otel-scale-'));
  try {
    const path = join(dir, 'config.yaml');
    await writeFile(path, text);
    return await use(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function hostnamesOf(config: Record<string, unknown>): unknown {
  const exporters = config.exporters as { loadbalancing: { resolver: { static: { hostnames: unknown } } } };
  return exporters.loadbalancing.resolver.static.hostnames;
}

describe('jaeger validate: the scale configs', () => {
  it('accepts collector/scale/jaeger.yaml with its defaults and as docker-compose.scale.yml sets it', async () => {
    for (const env of [{}, await composeEnv('jaeger')]) {
      const result = await validateConfig(jaegerBinary, SCALE_JAEGER_CONFIG, env);
      expect(result.stderr + result.stdout).not.toMatch(/error/i);
      expect(result.code).toBe(0);
    }
  });

  it('checks the OpenSearch backend settings, not just the YAML (an unknown key is refused)', async () => {
    const original = await readFile(SCALE_JAEGER_CONFIG, 'utf8');
    expect(original).toContain('max_span_age:');
    await withConfig(original.replace('max_span_age:', 'max_span_agee:'), async (broken) => {
      const result = await validateConfig(jaegerBinary, broken);
      expect(result.stderr).toContain('invalid keys: max_span_agee');
      expect(result.code).not.toBe(0);
    });
  });

  it("accepts collector/otelcol.yaml with the samplers' environment (JAEGER_OTLP_ENDPOINT)", async () => {
    const env = await composeEnv('otel-sampler-1');
    expect(env.JAEGER_OTLP_ENDPOINT).toBe('jaeger:4317');
    const result = await validateConfig(jaegerBinary, COLLECTOR_CONFIG, env);
    expect(result.stderr + result.stdout).not.toMatch(/error/i);
    expect(result.code).toBe(0);
  });
});

describe('agent validate and print-config: collector/scale/agent.yaml', () => {
  it('accepts the config with the default sampler list and with SAMPLER_ENDPOINTS', async () => {
    const envs: Record<string, string>[] = [{}, { SAMPLER_ENDPOINTS: '[127.0.0.1:1, 127.0.0.1:2]' }];
    for (const env of envs) {
      const result = await validateAgentConfig(agentBinary, AGENT_CONFIG, env);
      expect(result.stderr + result.stdout).not.toMatch(/error/i);
      expect(result.code).toBe(0);
    }
  });

  it('rejects a config naming a component the agent lacks', async () => {
    const original = await readFile(AGENT_CONFIG, 'utf8');
    await withConfig(original.replaceAll('healthcheckv2', 'health_check'), async (broken) => {
      const result = await validateAgentConfig(agentBinary, broken);
      expect(result.stderr).toMatch(/health_check/);
      expect(result.code).not.toBe(0);
    });
  });

  it.each([
    ['unset (the compose default)', {}, ['otel-sampler-1:4317', 'otel-sampler-2:4317']],
    [
      'a YAML flow list',
      { SAMPLER_ENDPOINTS: '[10.0.0.1:4317, 10.0.0.2:4317]' },
      ['10.0.0.1:4317', '10.0.0.2:4317'],
    ],
    ['comma-separated', { SAMPLER_ENDPOINTS: 'a:4317,b:4317,c:4317' }, ['a:4317', 'b:4317', 'c:4317']],
    ['one endpoint', { SAMPLER_ENDPOINTS: 'solo:4317' }, ['solo:4317']],
  ])('resolves the static hostnames to a list: SAMPLER_ENDPOINTS %s', async (_name, env, expected) => {
    const resolved = await resolvedAgentConfig(agentBinary, AGENT_CONFIG, env);
    expect(hostnamesOf(resolved)).toEqual(expected);
  });
});

// --- one agent, two samplers, Jaeger --------------------------------------------------------------

interface ScaleStack {
  jaeger: JaegerProcess;
  samplers: JaegerProcess[];
  agent: AgentProcess;
}

/** Jaeger (memory store), two samplers keeping every trace, and the agent routing to them. */
async function startScaleStack(): Promise<ScaleStack> {
  const started: { stop(): Promise<void> }[] = [];
  try {
    const jaeger = await startJaeger({ binary: jaegerBinary, config: JAEGER_CONFIG });
    started.push(jaeger);
    const samplers: JaegerProcess[] = [];
    for (let i = 0; i < 2; i++) {
      const sampler = await startJaeger({
        binary: jaegerBinary,
        config: COLLECTOR_CONFIG,
        env: {
          JAEGER_OTLP_ENDPOINT: jaeger.otlpGrpcEndpoint,
          TAIL_SAMPLING_PERCENT: '100',
          TAIL_SAMPLING_DECISION_WAIT: '1s',
          SPANMETRICS_FLUSH_INTERVAL: '1s',
        },
      });
      started.push(sampler);
      samplers.push(sampler);
    }
    const agent = await startAgent({
      binary: agentBinary,
      env: { SAMPLER_ENDPOINTS: `[${samplers.map((sampler) => sampler.otlpGrpcEndpoint).join(', ')}]` },
    });
    return { jaeger, samplers, agent };
  } catch (error) {
    await Promise.all(started.map((process) => process.stop()));
    throw error;
  }
}

function stringAttributes(attributes: Record<string, string>) {
  return Object.entries(attributes).map(([key, value]) => ({ key, value: { stringValue: value } }));
}

const resource = { attributes: stringAttributes({ 'service.name': SERVICE }) };

async function postOtlp(agent: AgentProcess, path: '/v1/traces' | '/v1/metrics', body: unknown) {
  const response = await fetch(`${agent.otlpHttpUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  expect(response.status, await response.text()).toBe(200);
}

interface PlannedTrace {
  traceId: string;
  spanIds: string[];
}

/** Span `j` of trace `i` is named `trace-i-span-j`: span metrics then tell where each span went. */
function spanName(trace: number, span: number): string {
  return `trace-${trace}-span-${span}`;
}

/**
 * Sends TRACES traces of SPANS_PER_TRACE spans each, one request per span index: the spans of a
 * trace arrive at the agent separately, as spans of a distributed trace would.
 */
async function sendTraces(agent: AgentProcess): Promise<PlannedTrace[]> {
  const planned = Array.from({ length: TRACES }, () => ({
    traceId: randomBytes(16).toString('hex'),
    spanIds: Array.from({ length: SPANS_PER_TRACE }, () => randomBytes(8).toString('hex')),
  }));
  const now = BigInt(Date.now()) * 1_000_000n;
  for (let j = 0; j < SPANS_PER_TRACE; j++) {
    const spans = planned.map(({ traceId, spanIds }, i) => ({
      traceId,
      spanId: spanIds[j],
      ...(j === 0 ? {} : { parentSpanId: spanIds[0] }),
      name: spanName(i, j),
      kind: j === 0 ? 1 : 3,
      startTimeUnixNano: String(now),
      endTimeUnixNano: String(now + 5_000_000n),
      status: {},
    }));
    await postOtlp(agent, '/v1/traces', {
      resourceSpans: [{ resource, scopeSpans: [{ scope: { name: 'scale-e2e' }, spans }] }],
    });
  }
  return planned;
}

/** span_name -> calls counted by one sampler's span metrics, for our service. */
function callsBySpanName(samples: Sample[]): Map<string, number> {
  const calls = new Map<string, number>();
  for (const sample of samples) {
    if (sample.name !== 'traces_span_metrics_calls_total' || sample.labels.service_name !== SERVICE) continue;
    const name = sample.labels.span_name ?? '';
    calls.set(name, (calls.get(name) ?? 0) + sample.value);
  }
  return calls;
}

function totalCalls(samples: Sample[]): number {
  return [...callsBySpanName(samples).values()].reduce((sum, value) => sum + value, 0);
}

describe('agent -> two samplers (collector/otelcol.yaml) -> Jaeger', () => {
  let stack: ScaleStack;

  beforeAll(async () => {
    stack = await startScaleStack();
  });

  afterAll(async () => {
    if (stack === undefined) return;
    await Promise.all([
      stack.agent.stop(),
      ...stack.samplers.map((sampler) => sampler.stop()),
      stack.jaeger.stop(),
    ]);
  });

  it('routes every span of a trace to one sampler, spreads traces over both, and Jaeger gets whole traces', async () => {
    await sendTraces(stack.agent);

    // Wait until the samplers' span metrics together count every span once.
    const expectedSpans = TRACES * SPANS_PER_TRACE;
    let scrapes: Sample[][] = [];
    const deadline = Date.now() + ARRIVAL_TIMEOUT_MS;
    do {
      await sleep(250);
      scrapes = await Promise.all(
        stack.samplers.map((sampler) => scrapeUntil(sampler.prometheusUrl, () => true, 5_000)),
      );
    } while (
      scrapes.reduce((sum, samples) => sum + totalCalls(samples), 0) < expectedSpans &&
      Date.now() < deadline
    );
    const perSampler = scrapes.map(callsBySpanName);
    expect(perSampler.reduce((sum, calls) => sum + [...calls.values()].reduce((a, b) => a + b, 0), 0)).toBe(
      expectedSpans,
    );

    const tracesPerSampler = perSampler.map(() => 0);
    for (let i = 0; i < TRACES; i++) {
      const holders = perSampler.flatMap((calls, index) =>
        Array.from({ length: SPANS_PER_TRACE }, (_, j) => calls.get(spanName(i, j)) ?? 0).some((n) => n > 0)
          ? [index]
          : [],
      );
      expect(holders, `trace ${i} reached samplers ${holders.join(', ')}`).toHaveLength(1);
      const holder = holders[0] ?? 0;
      for (let j = 0; j < SPANS_PER_TRACE; j++) {
        expect(perSampler[holder]?.get(spanName(i, j)), `trace ${i} span ${j}`).toBe(1);
      }
      tracesPerSampler[holder] = (tracesPerSampler[holder] ?? 0) + 1;
    }
    // 24 random trace IDs all hashing to one of two samplers: probability 2^-23.
    for (const count of tracesPerSampler) expect(count).toBeGreaterThan(0);

    // Each sampler decided on whole traces and kept them all (TAIL_SAMPLING_PERCENT=100).
    const traces = await findTraces(stack.jaeger.queryUrl, SERVICE, {
      timeoutMs: ARRIVAL_TIMEOUT_MS,
      limit: TRACES * 2,
      ready: (found) => found.length === TRACES && found.every((t) => t.spans.length === SPANS_PER_TRACE),
    });
    expect(traces).toHaveLength(TRACES);
  });

  it("exposes the application's metrics on the agent under the names and labels alerts.yml reads", async () => {
    const now = BigInt(Date.now()) * 1_000_000n;
    await postOtlp(stack.agent, '/v1/metrics', {
      resourceMetrics: [
        {
          resource,
          scopeMetrics: [
            {
              scope: { name: 'llm-otel-dispatcher' },
              metrics: [
                {
                  name: 'gen_ai.client.operation.duration',
                  unit: 's',
                  histogram: {
                    aggregationTemporality: 2,
                    dataPoints: [
                      {
                        attributes: stringAttributes({
                          'gen_ai.provider.name': 'openai',
                          'gen_ai.request.model': 'gpt-4o-mini',
                          'error.type': 'insufficient_quota',
                        }),
                        startTimeUnixNano: String(now - 60_000_000_000n),
                        timeUnixNano: String(now),
                        count: '3',
                        sum: 4.5,
                        bucketCounts: ['1', '2'],
                        explicitBounds: [1],
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    });
    const wanted = (sample: Sample) =>
      sample.name === 'gen_ai_client_operation_duration_seconds_count' &&
      sample.labels.job === SERVICE &&
      sample.labels.gen_ai_provider_name === 'openai' &&
      sample.labels.gen_ai_request_model === 'gpt-4o-mini' &&
      sample.labels.error_type === 'insufficient_quota';
    const samples = await scrapeUntil(
      stack.agent.prometheusUrl,
      (scraped) => scraped.some(wanted),
      ARRIVAL_TIMEOUT_MS,
    );
    expect(samples.find(wanted)?.value).toBe(3);
  });
});
