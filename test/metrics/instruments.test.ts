/**
 * The metric instruments as the application's MeterProvider receives them: names, units, bucket
 * boundaries, exact attributes, bounded model cardinality, and a global MeterProvider registered
 * after the dispatcher was created.
 */
import { metrics } from '@opentelemetry/api';
import { DataPointType, type Histogram, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { AlwaysOffSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import { fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelemetryDispatcher } from '../../src/index.ts';
import { TelemetryMetrics } from '../../src/metrics/instruments.ts';
import { GEN_AI_DURATION_BUCKETS_S, HTTP_DURATION_BUCKETS_S } from '../../src/semconv/names.ts';
import { sendJson, startTestServer, type TestServer } from '../support/server.ts';
import { createTestTelemetry } from '../support/telemetry.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer((request, response) => {
    const { model } = JSON.parse(request.body.toString()) as { model: string };
    if (model === 'broke') {
      sendJson(response, 402, { error: { code: 402, message: 'Insufficient credits' } });
      return;
    }
    sendJson(response, 200, {
      id: 'x',
      model,
      choices: [],
      usage: { prompt_tokens: 11, completion_tokens: 7 },
    });
  });
});
afterAll(() => server.close());

async function chat(dispatcher: ReturnType<typeof createTelemetryDispatcher>, model: string): Promise<void> {
  const response = await undiciFetch(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model, messages: [] }),
    dispatcher,
  });
  await response.arrayBuffer();
}

describe('metrics', () => {
  it('records operation, attempt and token metrics with exact attributes and semconv buckets', async () => {
    const telemetry = createTestTelemetry();
    const dispatcher = createTelemetryDispatcher({
      tracerProvider: telemetry.tracerProvider,
      meterProvider: telemetry.meterProvider,
    });
    await chat(dispatcher, 'gpt-4o-mini');
    await chat(dispatcher, 'broke');
    await dispatcher.close();

    const operations = await telemetry.metricPoints('gen_ai.client.operation.duration');
    expect(
      operations
        .map((point) => point.attributes)
        .sort((a, b) => String(a['gen_ai.request.model']).localeCompare(String(b['gen_ai.request.model']))),
    ).toEqual([
      {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': '127.0.0.1',
        'gen_ai.request.model': 'broke',
        'http.response.status_code': 402,
        'error.type': '402',
        'llm.error.phase': 'immediate',
      },
      {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': '127.0.0.1',
        'gen_ai.request.model': 'gpt-4o-mini',
        'http.response.status_code': 200,
      },
    ]);
    expect((operations[0]!.value as Histogram).buckets.boundaries).toEqual([...GEN_AI_DURATION_BUCKETS_S]);

    const attempts = await telemetry.metricPoints('http.client.request.duration');
    expect(attempts.map((point) => point.attributes['http.response.status_code']).sort()).toEqual([200, 402]);
    expect((attempts[0]!.value as Histogram).buckets.boundaries).toEqual([...HTTP_DURATION_BUCKETS_S]);
    expect(Object.keys(attempts[0]?.attributes ?? {}).sort()).toEqual(
      expect.arrayContaining([
        'http.request.method',
        'server.address',
        'server.port',
        'http.response.status_code',
      ]),
    );

    const tokens = await telemetry.metricPoints('gen_ai.client.token.usage');
    expect(
      tokens.map((point) => [point.attributes['gen_ai.token.type'], (point.value as Histogram).sum]).sort(),
    ).toEqual([
      ['input', 11],
      ['output', 7],
    ]);
    await telemetry.shutdown();
  });

  it('caps model names to the allowlist, reporting the rest as _OTHER', async () => {
    const telemetry = createTestTelemetry();
    const dispatcher = createTelemetryDispatcher({
      tracerProvider: telemetry.tracerProvider,
      meterProvider: telemetry.meterProvider,
      metricModels: ['gpt-4o-mini'],
    });
    for (const model of ['gpt-4o-mini', 'model-a', 'model-b']) await chat(dispatcher, model);
    await dispatcher.close();
    const models = (await telemetry.metricPoints('gen_ai.client.operation.duration')).map((p) => [
      p.attributes['gen_ai.request.model'],
      (p.value as Histogram).count,
    ]);
    expect(models.sort()).toEqual([
      ['_OTHER', 2],
      ['gpt-4o-mini', 1],
    ]);
    const spans = telemetry.spans().filter((span) => span.name.startsWith('chat'));
    expect(spans.map((span) => span.attributes['gen_ai.request.model']).sort()).toEqual([
      'gpt-4o-mini',
      'model-a',
      'model-b',
    ]);
    await telemetry.shutdown();
  });

  it('counts every call when a head sampler records no spans (sampling never skews the metrics)', async () => {
    const telemetry = createTestTelemetry();
    const dispatcher = createTelemetryDispatcher({
      tracerProvider: new TracerProvider({ sampler: new AlwaysOffSampler() }),
      meterProvider: telemetry.meterProvider,
    });
    try {
      for (const model of ['gpt-4o-mini', 'gpt-4o-mini', 'broke']) await chat(dispatcher, model);
      const counts = (await telemetry.metricPoints('gen_ai.client.operation.duration')).map((point) => [
        point.attributes['error.type'] ?? 'ok',
        (point.value as Histogram).count,
      ]);
      expect(counts.sort()).toEqual([
        ['402', 1],
        ['ok', 2],
      ]);
    } finally {
      await dispatcher.close();
      await telemetry.shutdown();
    }
  });

  it('uses a global MeterProvider registered after the dispatcher was created', async () => {
    const dispatcher = createTelemetryDispatcher();
    const telemetry = createTestTelemetry();
    metrics.setGlobalMeterProvider(telemetry.meterProvider);
    try {
      await chat(dispatcher, 'gpt-4o-mini');
      expect(await telemetry.metricPoints('gen_ai.client.operation.duration')).toHaveLength(1);
    } finally {
      metrics.disable();
      await dispatcher.close();
      await telemetry.shutdown();
    }
  });
});

/** A MeterProvider read on demand: every metric's descriptor and points. */
class Reader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

async function readMetric(reader: Reader, name: string) {
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .find((m) => m.descriptor.name === name);
  return {
    unit: metric?.descriptor.unit,
    type: metric === undefined ? undefined : DataPointType[metric.dataPointType],
    points: (metric?.dataPoints ?? []).map((point) => [point.attributes, point.value]),
  };
}

function meter(): { reader: Reader; instruments: TelemetryMetrics } {
  const reader = new Reader();
  return { reader, instruments: new TelemetryMetrics(new MeterProvider({ readers: [reader] })) };
}

describe('spend and headroom instruments', () => {
  const operationAttributes = {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openrouter',
    'gen_ai.request.model': 'openai/gpt-4o-mini',
    'http.response.status_code': 200,
    'error.type': 'x',
  };

  it('adds costs to llm.client.cost (USD) by provider and model only, ignoring impossible amounts', async () => {
    const { reader, instruments } = meter();
    instruments.cost(0.25, operationAttributes);
    instruments.cost(0.5, { ...operationAttributes, 'http.response.status_code': 500 });
    instruments.cost(1, { ...operationAttributes, 'gen_ai.request.model': '_OTHER' });
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) instruments.cost(bad, operationAttributes);
    expect(await readMetric(reader, 'llm.client.cost')).toEqual({
      unit: 'USD',
      type: 'SUM',
      points: [
        [{ 'gen_ai.provider.name': 'openrouter', 'gen_ai.request.model': 'openai/gpt-4o-mini' }, 0.75],
        [{ 'gen_ai.provider.name': 'openrouter', 'gen_ai.request.model': '_OTHER' }, 1],
      ],
    });
  });

  it('records remaining and limit gauges by provider, model and kind; the last reading wins', async () => {
    const { reader, instruments } = meter();
    const reading = { kind: 'tokens', remaining: 900, limit: 1000, resetAt: undefined } as const;
    instruments.rateLimit(reading, operationAttributes);
    instruments.rateLimit({ ...reading, remaining: 80 }, operationAttributes);
    instruments.rateLimit(
      { kind: 'requests', remaining: 3, limit: undefined, resetAt: 1 },
      operationAttributes,
    );
    const account = { 'gen_ai.provider.name': 'openrouter', 'gen_ai.request.model': 'openai/gpt-4o-mini' };
    expect(await readMetric(reader, 'llm.client.rate_limit.remaining')).toEqual({
      unit: '{count}',
      type: 'GAUGE',
      points: [
        [{ ...account, 'llm.rate_limit.kind': 'tokens' }, 80],
        [{ ...account, 'llm.rate_limit.kind': 'requests' }, 3],
      ],
    });
    expect(await readMetric(reader, 'llm.client.rate_limit.limit')).toEqual({
      unit: '{count}',
      type: 'GAUGE',
      points: [[{ ...account, 'llm.rate_limit.kind': 'tokens' }, 1000]],
    });
  });
});
