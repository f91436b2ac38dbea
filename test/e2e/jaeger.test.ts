import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_LLM_ERROR_MESSAGE,
  ATTR_LLM_ERROR_PHASE,
  ATTR_LLM_RETRY_REASON,
  ATTR_LLM_STREAM_BYTES_RECEIVED,
  ATTR_LLM_STREAM_CHUNK_INDEX,
  ATTR_SERVER_ADDRESS,
  ERROR_PHASE_MID_STREAM,
  EVENT_LLM_RETRY,
  EVENT_LLM_STREAM_ERROR,
} from '../../src/semconv/names.ts';
import {
  COLLECTOR_CONFIG,
  ensureJaegerBinary,
  JAEGER_CONFIG,
  type JaegerProcess,
  startJaeger,
  validateConfig,
} from './support/jaeger.ts';
import { findTraces, type Trace, type TraceSpan } from './support/jaeger-api.ts';
import { type Sample, scrapeUntil } from './support/prometheus-text.ts';
import { ATTR_HTTP_RESPONSE_HEADER_X_REQUEST_ID, SYNTHETIC } from './support/synthetic-telemetry.ts';
import { runTrafficSource } from './support/traffic.ts';

const ARRIVAL_TIMEOUT_MS = 30_000;

let binary: string;

beforeAll(async () => {
  binary = await ensureJaegerBinary();
});

describe('jaeger validate', () => {
  it.each([
    ['collector role', COLLECTOR_CONFIG],
    ['jaeger role', JAEGER_CONFIG],
  ])('accepts the %s config', async (_role, config) => {
    const result = await validateConfig(binary, config);
    expect(result.stderr + result.stdout).not.toMatch(/error/i);
    expect(result.code).toBe(0);
  });

  it('rejects a config naming a component the binary lacks', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'llm-otel-e2e-'));
    try {
      const broken = join(dir, 'broken.yaml');
      const original = await readFile(COLLECTOR_CONFIG, 'utf8');
      await writeFile(broken, original.replaceAll('healthcheckv2', 'health_check'));
      const result = await validateConfig(binary, broken);
      expect(result.code).not.toBe(0);
      expect(result.stderr + result.stdout).toContain('health_check');
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});

describe('collector role forwarding to the jaeger role', () => {
  let jaeger: JaegerProcess | undefined;
  let collector: JaegerProcess | undefined;

  beforeAll(async () => {
    jaeger = await startJaeger({ binary, config: JAEGER_CONFIG });
    collector = await startJaeger({
      binary,
      config: COLLECTOR_CONFIG,
      env: { JAEGER_OTLP_ENDPOINT: jaeger.otlpGrpcEndpoint, SPANMETRICS_FLUSH_INTERVAL: '1s' },
    });
    await runTrafficSource(collector.otlpHttpUrl);
  });

  afterAll(async () => {
    await Promise.all([collector?.stop(), jaeger?.stop()]);
  });

  function running(): { jaeger: JaegerProcess; collector: JaegerProcess } {
    if (jaeger === undefined || collector === undefined) throw new Error('processes did not start');
    return { jaeger, collector };
  }

  async function syntheticTrace(api: 'legacy' | 'v3'): Promise<Trace> {
    const traces = await findTraces(running().jaeger.queryUrl, SYNTHETIC.serviceName, {
      timeoutMs: ARRIVAL_TIMEOUT_MS,
      api,
      minSpans: 3,
    });
    expect(traces).toHaveLength(1);
    return traces[0] as Trace;
  }

  function attempt(found: Trace, resendCount: number): TraceSpan {
    const span = found.spans.find(
      (candidate) =>
        candidate.name === SYNTHETIC.attemptSpanName &&
        candidate.attributes[ATTR_HTTP_REQUEST_RESEND_COUNT] === resendCount,
    );
    if (span === undefined) throw new Error(`no attempt span with resend count ${resendCount}`);
    return span;
  }

  it('stores the attempt spans with their HTTP attributes and stream error event (legacy API)', async () => {
    const found = await syntheticTrace('legacy');
    const operation = found.spans.find((span) => span.name === SYNTHETIC.operationSpanName);
    expect(operation?.parentSpanId).toBeUndefined();
    expect(found.spans.map((span) => span.name).sort()).toEqual([
      SYNTHETIC.attemptSpanName,
      SYNTHETIC.attemptSpanName,
      SYNTHETIC.operationSpanName,
    ]);

    const second = attempt(found, 1);
    expect(second.parentSpanId).toBe(operation?.spanId);
    expect(second.kind).toBe('client');
    expect(second.status).toBe('ERROR');
    expect(second.serviceName).toBe(SYNTHETIC.serviceName);
    expect(second.attributes).toMatchObject({
      [ATTR_ERROR_TYPE]: SYNTHETIC.streamFailed.errorType,
      [ATTR_HTTP_RESPONSE_STATUS_CODE]: SYNTHETIC.streamFailed.status,
      [ATTR_HTTP_REQUEST_RESEND_COUNT]: 1,
      // The legacy model has no array type: a string array becomes its JSON text.
      [ATTR_HTTP_RESPONSE_HEADER_X_REQUEST_ID]: JSON.stringify([SYNTHETIC.streamFailed.requestId]),
      error: true,
    });
    expect(second.events).toEqual([
      {
        name: EVENT_LLM_STREAM_ERROR,
        timeUs: expect.any(Number),
        attributes: {
          [ATTR_ERROR_TYPE]: SYNTHETIC.streamFailed.errorType,
          [ATTR_LLM_ERROR_MESSAGE]: SYNTHETIC.streamFailed.message,
          [ATTR_LLM_STREAM_CHUNK_INDEX]: SYNTHETIC.streamFailed.chunkIndex,
          [ATTR_LLM_STREAM_BYTES_RECEIVED]: SYNTHETIC.streamFailed.bytesReceived,
        },
      },
    ]);

    const first = attempt(found, 0);
    expect(first.attributes).toMatchObject({
      [ATTR_ERROR_TYPE]: SYNTHETIC.rateLimited.errorType,
      [ATTR_HTTP_RESPONSE_STATUS_CODE]: SYNTHETIC.rateLimited.status,
      [ATTR_HTTP_RESPONSE_HEADER_X_REQUEST_ID]: JSON.stringify([SYNTHETIC.rateLimited.requestId]),
    });
    expect(operation?.events.map((event) => event.name)).toEqual([EVENT_LLM_RETRY, EVENT_LLM_STREAM_ERROR]);
  });

  it('keeps OTLP types in API v3: string arrays stay arrays', async () => {
    const found = await syntheticTrace('v3');
    const second = attempt(found, 1);
    expect(second.status).toBe('ERROR');
    expect(second.kind).toBe('client');
    expect(second.serviceName).toBe(SYNTHETIC.serviceName);
    expect(second.attributes).toMatchObject({
      [ATTR_ERROR_TYPE]: SYNTHETIC.streamFailed.errorType,
      [ATTR_HTTP_RESPONSE_STATUS_CODE]: SYNTHETIC.streamFailed.status,
      [ATTR_HTTP_RESPONSE_HEADER_X_REQUEST_ID]: [SYNTHETIC.streamFailed.requestId],
    });
    expect(second.events.map((event) => [event.name, event.attributes[ATTR_LLM_STREAM_CHUNK_INDEX]])).toEqual(
      [[EVENT_LLM_STREAM_ERROR, SYNTHETIC.streamFailed.chunkIndex]],
    );
  });

  it('exposes the application metrics under the names the alert rules use', async () => {
    const samples = await scrapeUntil(
      running().collector.prometheusUrl,
      (scraped) =>
        has(scraped, 'gen_ai_client_operation_duration_seconds_count') &&
        has(scraped, 'llm_client_retries_total'),
      ARRIVAL_TIMEOUT_MS,
    );
    const count = only(samples, 'gen_ai_client_operation_duration_seconds_count');
    expect(count.value).toBe(1);
    expect(count.labels).toEqual({
      job: SYNTHETIC.serviceName,
      otel_scope_name: 'llm-otel-dispatcher-e2e',
      otel_scope_version: '',
      otel_scope_schema_url: '',
      [promLabel(ATTR_ERROR_TYPE)]: SYNTHETIC.streamFailed.errorType,
      [promLabel(ATTR_GEN_AI_OPERATION_NAME)]: 'chat',
      [promLabel(ATTR_GEN_AI_PROVIDER_NAME)]: SYNTHETIC.provider,
      [promLabel(ATTR_GEN_AI_REQUEST_MODEL)]: SYNTHETIC.model,
      [promLabel(ATTR_HTTP_RESPONSE_STATUS_CODE)]: String(SYNTHETIC.streamFailed.status),
      [promLabel(ATTR_LLM_ERROR_PHASE)]: ERROR_PHASE_MID_STREAM,
    });
    expect(Object.keys(count.labels)).toContain('error_type');
    const buckets = samples
      .filter((sample) => sample.name === 'gen_ai_client_operation_duration_seconds_bucket')
      .map((bucket) => [bucket.labels.le, bucket.value]);
    expect(buckets).toContainEqual(['1.28', 0]);
    expect(buckets).toContainEqual(['2.56', 1]);
    expect(buckets).toContainEqual(['+Inf', 1]);

    const retries = only(samples, 'llm_client_retries_total');
    expect(retries.value).toBe(1);
    expect(retries.labels).toMatchObject({
      [promLabel(ATTR_LLM_RETRY_REASON)]: String(SYNTHETIC.rateLimited.status),
      [promLabel(ATTR_GEN_AI_PROVIDER_NAME)]: SYNTHETIC.provider,
      [promLabel(ATTR_SERVER_ADDRESS)]: SYNTHETIC.serverAddress,
    });
  });

  it('derives span metrics from the forwarded spans', async () => {
    const attemptCalls = (scraped: Sample[]) =>
      scraped.filter(
        (sample) =>
          sample.name === 'traces_span_metrics_calls_total' &&
          sample.labels.span_name === SYNTHETIC.attemptSpanName,
      );
    // The connector's first flush can expose the series at 0 before the counts arrive.
    const samples = await scrapeUntil(
      running().collector.prometheusUrl,
      (scraped) => attemptCalls(scraped).filter((sample) => sample.value > 0).length === 2,
      ARRIVAL_TIMEOUT_MS,
    );
    expect(
      attemptCalls(samples)
        .map((sample) => [
          sample.labels.error_type,
          sample.labels.http_response_status_code,
          sample.labels.status_code,
          sample.value,
        ])
        .sort(),
    ).toEqual([
      [SYNTHETIC.rateLimited.errorType, String(SYNTHETIC.rateLimited.status), 'STATUS_CODE_ERROR', 1],
      [SYNTHETIC.streamFailed.errorType, String(SYNTHETIC.streamFailed.status), 'STATUS_CODE_ERROR', 1],
    ]);
    expect(has(samples, 'traces_span_metrics_duration_seconds_bucket')).toBe(true);
  });
});

function only(samples: Sample[], name: string): Sample {
  const matching = samples.filter((sample) => sample.name === name);
  expect(matching).toHaveLength(1);
  return matching[0] as Sample;
}

function has(samples: Sample[], name: string): boolean {
  return samples.some((sample) => sample.name === name);
}

/** The prometheus exporter's label for an attribute: dots (and other non-word characters) become `_`. */
function promLabel(attribute: string): string {
  return attribute.replace(/[^a-zA-Z0-9_]/g, '_');
}
