import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_LLM_ERROR_MESSAGE,
  ATTR_LLM_ERROR_PHASE,
  ATTR_LLM_ERROR_RETRYABLE,
  ATTR_LLM_RETRY_ATTEMPTS,
  ATTR_LLM_RETRY_DELAY_MS,
  ATTR_LLM_RETRY_REASON,
  ATTR_LLM_RETRY_SOURCE,
  ATTR_LLM_STREAM_BYTES_RECEIVED,
  ATTR_LLM_STREAM_CHUNK_INDEX,
  ATTR_SERVER_ADDRESS,
  ERROR_PHASE_IMMEDIATE,
  ERROR_PHASE_MID_STREAM,
  EVENT_LLM_RETRY,
  EVENT_LLM_STREAM_ERROR,
  RETRY_SOURCE_POLICY,
} from '../../src/semconv/names.ts';
import { MODEL, RETRY_BASE_DELAY_MS } from './support/app-contract.ts';
import {
  COLLECTOR_CONFIG,
  ensureJaegerBinary,
  JAEGER_CONFIG,
  type Pipeline,
  startPipeline,
  validateConfig,
} from './support/jaeger.ts';
import {
  ATTR_X_REQUEST_ID,
  type JaegerApi,
  type TraceSpan,
  traceWithRequestId,
} from './support/jaeger-api.ts';
import { type Sample, scrapeUntil } from './support/prometheus-text.ts';
import { E2E_SERVICE, findTrafficTraces, runTraffic, type Traffic } from './support/traffic.ts';

const OPERATION_SPAN = `chat ${MODEL}`;
const ATTEMPT_SPAN = 'POST';
/** The gateway listens on 127.0.0.1, a host the provider table does not know: the host is the provider. */
const PROVIDER = '127.0.0.1';
const MID_STREAM_MESSAGE = "The input exceeds the model's maximum context length.";
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

describe('the real library, through the collector role, into the jaeger role', () => {
  let pipeline: Pipeline | undefined;
  let traffic: Traffic;

  beforeAll(async () => {
    // This suite reads back every call, the plain success too: keep every trace, decide fast.
    // The sampling itself is tested in sampling.test.ts.
    pipeline = await startPipeline(binary, {
      TAIL_SAMPLING_PERCENT: '100',
      TAIL_SAMPLING_DECISION_WAIT: '1s',
    });
    try {
      traffic = await runTraffic(pipeline.collector.otlpHttpUrl, E2E_SERVICE);
    } catch (error) {
      await pipeline.stop();
      throw error;
    }
  });

  afterAll(async () => {
    await pipeline?.stop();
  });

  function running(): Pipeline {
    if (pipeline === undefined) throw new Error('the jaeger and collector roles did not start');
    return pipeline;
  }

  /** The call's operation span and its attempt spans (by resend count), found by the x-request-id the app saw. */
  async function callSpans(
    api: JaegerApi,
    requestId: string | null,
  ): Promise<{ operation: TraceSpan; attempts: TraceSpan[] }> {
    const traces = await findTrafficTraces(running().jaeger.queryUrl, traffic, {
      api,
      timeoutMs: ARRIVAL_TIMEOUT_MS,
    });
    const found = traceWithRequestId(traces, String(requestId));
    if (found === undefined) throw new Error(`no trace whose operation span has x-request-id ${requestId}`);
    const operations = found.spans.filter((span) => span.name === OPERATION_SPAN);
    expect(operations).toHaveLength(1);
    const operation = operations[0] as TraceSpan;
    const attempts = found.spans
      .filter((span) => span !== operation)
      .sort(
        (a, b) =>
          Number(a.attributes[ATTR_HTTP_REQUEST_RESEND_COUNT]) -
          Number(b.attributes[ATTR_HTTP_REQUEST_RESEND_COUNT]),
      );
    for (const attempt of attempts) {
      expect(attempt.name).toBe(ATTEMPT_SPAN);
      expect(attempt.parentSpanId).toBe(operation.spanId);
    }
    return { operation, attempts };
  }

  it('runs the calls as planned: the gateway answered what the application asked for', () => {
    expect(traffic.gateway.map((answer) => [answer.scenario, answer.status])).toEqual([
      ['503', 503],
      ['503', 503],
      ['ok', 200],
      ['mid-stream-context_length_exceeded', 200],
      ['402', 402],
      ['ok', 200],
    ]);
    const ids = traffic.gateway.map((answer) => answer.requestId);
    expect(traffic.app).toEqual({
      retried: { status: 200, requestId: ids[2] },
      midStream: { status: 200, requestId: ids[3] },
      credits: { status: 402, requestId: ids[4], error: expect.stringContaining('Insufficient credits') },
      streamed: { status: 200, requestId: ids[5] },
    });
  });

  it('records a call retried 503, 503, 200 as one operation span over three attempt spans', async () => {
    const { operation, attempts } = await callSpans('legacy', traffic.app.retried.requestId);
    expect(operation.parentSpanId).toBeUndefined();
    expect(operation.kind).toBe('client');
    expect(operation.serviceName).toBe(E2E_SERVICE);
    expect(operation.status).toBe('UNSET');
    expect(operation.attributes).toMatchObject({
      [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
      [ATTR_GEN_AI_PROVIDER_NAME]: PROVIDER,
      [ATTR_GEN_AI_REQUEST_MODEL]: MODEL,
      [ATTR_GEN_AI_REQUEST_STREAM]: false,
      [ATTR_HTTP_RESPONSE_STATUS_CODE]: 200,
      [ATTR_LLM_RETRY_ATTEMPTS]: 3,
      // The legacy model has no array type: a string array becomes its JSON text.
      [ATTR_X_REQUEST_ID]: JSON.stringify([traffic.app.retried.requestId]),
    });
    expect(operation.attributes).not.toHaveProperty(ATTR_ERROR_TYPE);

    // Each attempt carries the x-request-id of the response it got, in the gateway's order.
    const gatewayIds = traffic.gateway.slice(0, 3).map((answer) => JSON.stringify([answer.requestId]));
    expect(
      attempts.map((attempt) => [
        attempt.attributes[ATTR_HTTP_REQUEST_RESEND_COUNT],
        attempt.attributes[ATTR_HTTP_RESPONSE_STATUS_CODE],
        attempt.attributes[ATTR_ERROR_TYPE],
        attempt.status,
        attempt.attributes[ATTR_X_REQUEST_ID],
      ]),
    ).toEqual([
      [0, 503, '503', 'ERROR', gatewayIds[0]],
      [1, 503, '503', 'ERROR', gatewayIds[1]],
      [2, 200, undefined, 'UNSET', gatewayIds[2]],
    ]);
    for (const attempt of attempts) {
      expect(attempt.kind).toBe('client');
      expect(attempt.attributes).toMatchObject({
        [ATTR_HTTP_REQUEST_METHOD]: 'POST',
        [ATTR_SERVER_ADDRESS]: '127.0.0.1',
      });
    }
    expect(attempts[0]?.attributes).toMatchObject({
      [ATTR_LLM_ERROR_MESSAGE]: 'Service temporarily unavailable',
      [ATTR_LLM_ERROR_PHASE]: ERROR_PHASE_IMMEDIATE,
      [ATTR_LLM_ERROR_RETRYABLE]: true,
    });

    expect(operation.events.map((event) => event.name)).toEqual([EVENT_LLM_RETRY, EVENT_LLM_RETRY]);
    operation.events.forEach((event, index) => {
      expect(event.attributes).toMatchObject({
        [ATTR_HTTP_REQUEST_RESEND_COUNT]: index + 1,
        [ATTR_LLM_RETRY_REASON]: '503',
        [ATTR_LLM_RETRY_SOURCE]: RETRY_SOURCE_POLICY,
      });
      // Jitter never below the seed's delay: the n-th resend waits [base * 2^(n-1), 2 * base * 2^(n-1)).
      const delay = Number(event.attributes[ATTR_LLM_RETRY_DELAY_MS]);
      expect(delay).toBeGreaterThanOrEqual(RETRY_BASE_DELAY_MS * 2 ** index);
      expect(delay).toBeLessThan(2 * RETRY_BASE_DELAY_MS * 2 ** index);
    });
  });

  it('records a mid-stream context_length_exceeded with an llm.stream.error event', async () => {
    const { operation, attempts } = await callSpans('legacy', traffic.app.midStream.requestId);
    expect(attempts).toHaveLength(1);
    const attempt = attempts[0] as TraceSpan;
    for (const span of [operation, attempt]) {
      expect(span.status).toBe('ERROR');
      expect(span.attributes).toMatchObject({
        [ATTR_ERROR_TYPE]: 'context_length_exceeded',
        [ATTR_HTTP_RESPONSE_STATUS_CODE]: 200,
        [ATTR_LLM_ERROR_PHASE]: ERROR_PHASE_MID_STREAM,
        [ATTR_LLM_ERROR_MESSAGE]: MID_STREAM_MESSAGE,
        [ATTR_X_REQUEST_ID]: JSON.stringify([traffic.app.midStream.requestId]),
        'otel.status_description': MID_STREAM_MESSAGE,
        error: true,
      });
      expect(span.events).toEqual([
        {
          name: EVENT_LLM_STREAM_ERROR,
          timeUs: expect.any(Number),
          attributes: {
            [ATTR_ERROR_TYPE]: 'context_length_exceeded',
            [ATTR_LLM_ERROR_MESSAGE]: MID_STREAM_MESSAGE,
            // The gateway sends two content chunks, then the error chunk.
            [ATTR_LLM_STREAM_CHUNK_INDEX]: 2,
            [ATTR_LLM_STREAM_BYTES_RECEIVED]: expect.any(Number),
          },
        },
      ]);
      const bytesAtError = Number(span.events[0]?.attributes[ATTR_LLM_STREAM_BYTES_RECEIVED]);
      expect(bytesAtError).toBeGreaterThan(0);
      expect(bytesAtError).toBeLessThanOrEqual(Number(span.attributes[ATTR_LLM_STREAM_BYTES_RECEIVED]));
    }
    expect(attempt.attributes[ATTR_HTTP_REQUEST_RESEND_COUNT]).toBe(0);
    expect(operation.attributes).toMatchObject({
      [ATTR_GEN_AI_REQUEST_STREAM]: true,
      [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: JSON.stringify(['error']),
      [ATTR_LLM_RETRY_ATTEMPTS]: 1,
    });
  });

  it("records a 402 through Node's fetch as one attempt, not retried", async () => {
    const { operation, attempts } = await callSpans('legacy', traffic.app.credits.requestId);
    expect(attempts).toHaveLength(1);
    for (const span of [operation, ...attempts]) {
      expect(span.status).toBe('ERROR');
      expect(span.attributes).toMatchObject({
        [ATTR_ERROR_TYPE]: '402',
        [ATTR_HTTP_RESPONSE_STATUS_CODE]: 402,
        [ATTR_LLM_ERROR_PHASE]: ERROR_PHASE_IMMEDIATE,
        [ATTR_LLM_ERROR_MESSAGE]: 'Insufficient credits',
        [ATTR_LLM_ERROR_RETRYABLE]: false,
        [ATTR_X_REQUEST_ID]: JSON.stringify([traffic.app.credits.requestId]),
      });
    }
    expect(attempts[0]?.attributes[ATTR_HTTP_REQUEST_RESEND_COUNT]).toBe(0);
    expect(operation.attributes[ATTR_LLM_RETRY_ATTEMPTS]).toBe(1);
    expect(operation.events).toEqual([]);
  });

  it('records a streamed success with its usage and finish reason', async () => {
    const { operation, attempts } = await callSpans('legacy', traffic.app.streamed.requestId);
    expect(attempts).toHaveLength(1);
    expect(operation.status).toBe('UNSET');
    expect(attempts[0]?.status).toBe('UNSET');
    expect(operation.attributes).toMatchObject({
      [ATTR_GEN_AI_REQUEST_STREAM]: true,
      [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: JSON.stringify(['stop']),
      [ATTR_GEN_AI_RESPONSE_ID]: `chatcmpl-${String(traffic.app.streamed.requestId).slice(4)}`,
      // The gateway's 5 content chunks count one token each.
      [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 5,
      [ATTR_LLM_RETRY_ATTEMPTS]: 1,
    });
    expect(operation.attributes[ATTR_GEN_AI_USAGE_INPUT_TOKENS]).toEqual(expect.any(Number));
    expect(operation.attributes).not.toHaveProperty(ATTR_ERROR_TYPE);
    expect(operation.events).toEqual([]);
  });

  it('keeps OTLP types in API v3: string arrays stay arrays, integers are numbers', async () => {
    const { operation, attempts } = await callSpans('v3', traffic.app.retried.requestId);
    expect(operation.attributes[ATTR_X_REQUEST_ID]).toEqual([traffic.app.retried.requestId]);
    expect(
      attempts.map((attempt) => [
        attempt.attributes[ATTR_HTTP_REQUEST_RESEND_COUNT],
        attempt.attributes[ATTR_X_REQUEST_ID],
      ]),
    ).toEqual(traffic.gateway.slice(0, 3).map((answer, index) => [index, [answer.requestId]]));
    const midStream = await callSpans('v3', traffic.app.midStream.requestId);
    expect(midStream.operation.attributes[ATTR_GEN_AI_RESPONSE_FINISH_REASONS]).toEqual(['error']);
    expect(
      midStream.attempts[0]?.events.map((event) => [
        event.name,
        event.attributes[ATTR_LLM_STREAM_CHUNK_INDEX],
      ]),
    ).toEqual([[EVENT_LLM_STREAM_ERROR, 2]]);
  });

  it('exposes the application metrics under the names the alert rules use', async () => {
    const samples = await scrapeUntil(
      running().collector.prometheusUrl,
      (scraped) =>
        sumOf(scraped, 'gen_ai_client_operation_duration_seconds_count') === 4 &&
        sumOf(scraped, 'llm_client_retries_total') === 2,
      ARRIVAL_TIMEOUT_MS,
    );
    const operations = ours(samples, 'gen_ai_client_operation_duration_seconds_count');
    const instance = operations[0]?.labels.instance;
    expect(instance).toMatch(/^[0-9a-f-]{36}$/);
    const common = {
      job: E2E_SERVICE,
      instance,
      otel_scope_name: 'llm-otel-dispatcher',
      otel_scope_version: expect.any(String),
      otel_scope_schema_url: '',
      [promLabel(ATTR_GEN_AI_OPERATION_NAME)]: 'chat',
      [promLabel(ATTR_GEN_AI_PROVIDER_NAME)]: PROVIDER,
      [promLabel(ATTR_GEN_AI_REQUEST_MODEL)]: MODEL,
    };
    // Successful calls have no error_type label at all, so error_type!="" selects the failures.
    expect(byErrorType(operations)).toEqual([
      [undefined, { ...common, [promLabel(ATTR_HTTP_RESPONSE_STATUS_CODE)]: '200' }, 2],
      [
        '402',
        {
          ...common,
          error_type: '402',
          [promLabel(ATTR_HTTP_RESPONSE_STATUS_CODE)]: '402',
          [promLabel(ATTR_LLM_ERROR_PHASE)]: ERROR_PHASE_IMMEDIATE,
        },
        1,
      ],
      [
        'context_length_exceeded',
        {
          ...common,
          error_type: 'context_length_exceeded',
          [promLabel(ATTR_HTTP_RESPONSE_STATUS_CODE)]: '200',
          [promLabel(ATTR_LLM_ERROR_PHASE)]: ERROR_PHASE_MID_STREAM,
        },
        1,
      ],
    ]);
    const buckets = samples.filter(
      (sample) =>
        sample.name === 'gen_ai_client_operation_duration_seconds_bucket' &&
        sample.labels.error_type === undefined,
    );
    expect(buckets.map((bucket) => bucket.labels.le)).toEqual([
      '0.01',
      '0.02',
      '0.04',
      '0.08',
      '0.16',
      '0.32',
      '0.64',
      '1.28',
      '2.56',
      '5.12',
      '10.24',
      '20.48',
      '40.96',
      '81.92',
      '+Inf',
    ]);
    expect(buckets.at(-1)?.value).toBe(2);

    const retries = ours(samples, 'llm_client_retries_total');
    expect(retries.map((sample) => [sample.labels, sample.value])).toEqual([
      [
        {
          job: E2E_SERVICE,
          instance,
          otel_scope_name: 'llm-otel-dispatcher',
          otel_scope_version: expect.any(String),
          otel_scope_schema_url: '',
          [promLabel(ATTR_LLM_RETRY_REASON)]: '503',
          [promLabel(ATTR_GEN_AI_PROVIDER_NAME)]: PROVIDER,
          [promLabel(ATTR_SERVER_ADDRESS)]: '127.0.0.1',
        },
        2,
      ],
    ]);

    // One http.client.request.duration sample per attempt: 503, 503, 200 | 200 (mid-stream) | 402 | 200.
    const attempts = ours(samples, 'http_client_request_duration_seconds_count');
    expect(
      attempts
        .map((sample) => [sample.labels.http_response_status_code, sample.labels.error_type, sample.value])
        .sort(),
    ).toEqual([
      ['200', undefined, 2],
      ['200', 'context_length_exceeded', 1],
      ['402', '402', 1],
      ['503', '503', 2],
    ]);
  });

  it('derives span metrics from the forwarded spans', async () => {
    const attemptCalls = (scraped: Sample[]) =>
      ours(scraped, 'traces_span_metrics_calls_total').filter(
        (sample) => sample.labels.span_name === ATTEMPT_SPAN,
      );
    // The connector's first flush can expose the series at 0 before the counts arrive.
    const samples = await scrapeUntil(
      running().collector.prometheusUrl,
      (scraped) => attemptCalls(scraped).reduce((sum, sample) => sum + sample.value, 0) === 6,
      ARRIVAL_TIMEOUT_MS,
    );
    expect(
      attemptCalls(samples)
        .map((sample) => [
          sample.labels.http_response_status_code,
          sample.labels.error_type,
          sample.labels.status_code,
          sample.value,
        ])
        .sort(),
    ).toEqual([
      ['200', undefined, 'STATUS_CODE_UNSET', 2],
      ['200', 'context_length_exceeded', 'STATUS_CODE_ERROR', 1],
      ['402', '402', 'STATUS_CODE_ERROR', 1],
      ['503', '503', 'STATUS_CODE_ERROR', 2],
    ]);
    expect(samples.some((sample) => sample.name === 'traces_span_metrics_duration_seconds_bucket')).toBe(
      true,
    );
  });
});

/** This run's samples of one metric. */
function ours(samples: Sample[], name: string): Sample[] {
  return samples.filter((sample) => sample.name === name && sample.labels.job === E2E_SERVICE);
}

function sumOf(samples: Sample[], name: string): number {
  return ours(samples, name).reduce((sum, sample) => sum + sample.value, 0);
}

function byErrorType(samples: Sample[]): [string | undefined, Record<string, string>, number][] {
  return samples
    .map((sample): [string | undefined, Record<string, string>, number] => [
      sample.labels.error_type,
      sample.labels,
      sample.value,
    ])
    .sort(([a], [b]) => (a ?? '').localeCompare(b ?? ''));
}

/** The prometheus exporter's label for an attribute: dots (and other non-word characters) become `_`. */
function promLabel(attribute: string): string {
  return attribute.replace(/[^a-zA-Z0-9_]/g, '_');
}
