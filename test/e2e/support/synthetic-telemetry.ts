/**
 * A synthetic LLM call as llm-otel-dispatcher would report it (see TELEMETRY.md): an operation
 * span with two attempt spans (a 429, then a 200 whose stream fails mid-way) and the matching
 * metrics, exported over OTLP/HTTP with the OpenTelemetry JS SDK. Run as a script, it sends them
 * to `$OTLP_HTTP_URL` and exits; the expected values are exported for the assertions.
 */
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_HEADER_PREFIX,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_LLM_ERROR_MESSAGE,
  ATTR_LLM_ERROR_PHASE,
  ATTR_LLM_RETRY_ATTEMPTS,
  ATTR_LLM_RETRY_DELAY_MS,
  ATTR_LLM_RETRY_REASON,
  ATTR_LLM_RETRY_SOURCE,
  ATTR_LLM_STREAM_BYTES_RECEIVED,
  ATTR_LLM_STREAM_CHUNK_INDEX,
  ATTR_SERVER_ADDRESS,
  ERROR_PHASE_MID_STREAM,
  EVENT_LLM_RETRY,
  EVENT_LLM_STREAM_ERROR,
  GEN_AI_DURATION_BUCKETS_S,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_LLM_CLIENT_RETRIES,
  RETRY_SOURCE_RETRY_AFTER,
} from '../../../src/semconv/names.ts';

export const ATTR_HTTP_RESPONSE_HEADER_X_REQUEST_ID = `${ATTR_HTTP_RESPONSE_HEADER_PREFIX}x-request-id`;

export const SYNTHETIC = {
  serviceName: 'llm-otel-e2e-synthetic',
  operationSpanName: 'chat gpt-4o-mini',
  attemptSpanName: 'POST',
  provider: 'openai',
  model: 'gpt-4o-mini',
  serverAddress: 'api.openai.com',
  rateLimited: { status: 429, errorType: 'rate_limit_exceeded', requestId: 'req_e2e_first' },
  streamFailed: {
    status: 200,
    errorType: 'server_error',
    requestId: 'req_e2e_second',
    message: 'The server had an error while processing your request.',
    chunkIndex: 7,
    bytesReceived: 1342,
  },
  retryDelayMs: 250,
  operationDurationS: 1.45,
} as const;

/** Sends the synthetic trace and metrics to an OTLP/HTTP base URL and flushes them. */
export async function emitSyntheticTelemetry(otlpHttpUrl: string): Promise<void> {
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: SYNTHETIC.serviceName });
  const tracerProvider = new TracerProvider({
    resource,
    spanProcessors: [
      new SimpleSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${otlpHttpUrl}/v1/traces` }) }),
    ],
  });
  const meterProvider = new MeterProvider({
    resource,
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: `${otlpHttpUrl}/v1/metrics` }),
        exportIntervalMillis: 60_000,
      }),
    ],
  });
  emitTrace(tracerProvider);
  emitMetrics(meterProvider);
  await Promise.all([tracerProvider.forceFlush(), meterProvider.forceFlush()]);
  await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
}

function emitTrace(provider: TracerProvider): void {
  const tracer = provider.getTracer('llm-otel-dispatcher-e2e');
  const { rateLimited, streamFailed } = SYNTHETIC;
  const t0 = Date.now() - 2_000;
  const operation = tracer.startSpan(SYNTHETIC.operationSpanName, {
    kind: SpanKind.CLIENT,
    startTime: t0,
    attributes: {
      [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
      [ATTR_GEN_AI_PROVIDER_NAME]: SYNTHETIC.provider,
      [ATTR_GEN_AI_REQUEST_MODEL]: SYNTHETIC.model,
    },
  });
  const parent = trace.setSpan(context.active(), operation);

  const first = tracer.startSpan(
    SYNTHETIC.attemptSpanName,
    { kind: SpanKind.CLIENT, startTime: t0 + 5, attributes: attemptAttributes(0, rateLimited) },
    parent,
  );
  first.setStatus({ code: SpanStatusCode.ERROR });
  first.end(t0 + 120);
  operation.addEvent(
    EVENT_LLM_RETRY,
    {
      [ATTR_HTTP_REQUEST_RESEND_COUNT]: 1,
      [ATTR_LLM_RETRY_DELAY_MS]: SYNTHETIC.retryDelayMs,
      [ATTR_LLM_RETRY_REASON]: String(rateLimited.status),
      [ATTR_LLM_RETRY_SOURCE]: RETRY_SOURCE_RETRY_AFTER,
    },
    t0 + 125,
  );

  const second = tracer.startSpan(
    SYNTHETIC.attemptSpanName,
    { kind: SpanKind.CLIENT, startTime: t0 + 380, attributes: attemptAttributes(1, streamFailed) },
    parent,
  );
  const streamError = {
    [ATTR_ERROR_TYPE]: streamFailed.errorType,
    [ATTR_LLM_ERROR_MESSAGE]: streamFailed.message,
    [ATTR_LLM_STREAM_CHUNK_INDEX]: streamFailed.chunkIndex,
    [ATTR_LLM_STREAM_BYTES_RECEIVED]: streamFailed.bytesReceived,
  };
  second.addEvent(EVENT_LLM_STREAM_ERROR, streamError, t0 + 1_300);
  second.setAttributes({
    [ATTR_LLM_ERROR_PHASE]: ERROR_PHASE_MID_STREAM,
    [ATTR_LLM_ERROR_MESSAGE]: streamFailed.message,
  });
  second.setStatus({ code: SpanStatusCode.ERROR, message: streamFailed.message });
  second.end(t0 + 1_420);

  operation.addEvent(EVENT_LLM_STREAM_ERROR, streamError, t0 + 1_300);
  operation.setAttributes({
    [ATTR_ERROR_TYPE]: streamFailed.errorType,
    [ATTR_LLM_ERROR_PHASE]: ERROR_PHASE_MID_STREAM,
    [ATTR_LLM_RETRY_ATTEMPTS]: 2,
    [ATTR_HTTP_RESPONSE_HEADER_X_REQUEST_ID]: [streamFailed.requestId],
  });
  operation.setStatus({ code: SpanStatusCode.ERROR, message: streamFailed.message });
  operation.end(t0 + SYNTHETIC.operationDurationS * 1_000);
}

function attemptAttributes(
  resendCount: number,
  outcome: { status: number; errorType: string; requestId: string },
): Record<string, string | number | string[]> {
  return {
    [ATTR_HTTP_REQUEST_METHOD]: 'POST',
    [ATTR_SERVER_ADDRESS]: SYNTHETIC.serverAddress,
    [ATTR_HTTP_REQUEST_RESEND_COUNT]: resendCount,
    [ATTR_HTTP_RESPONSE_STATUS_CODE]: outcome.status,
    [ATTR_ERROR_TYPE]: outcome.errorType,
    [ATTR_HTTP_RESPONSE_HEADER_X_REQUEST_ID]: [outcome.requestId],
  };
}

function emitMetrics(provider: MeterProvider): void {
  const meter = provider.getMeter('llm-otel-dispatcher-e2e');
  const duration = meter.createHistogram(METRIC_GEN_AI_CLIENT_OPERATION_DURATION, {
    unit: 's',
    advice: { explicitBucketBoundaries: [...GEN_AI_DURATION_BUCKETS_S] },
  });
  duration.record(SYNTHETIC.operationDurationS, {
    [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
    [ATTR_GEN_AI_PROVIDER_NAME]: SYNTHETIC.provider,
    [ATTR_GEN_AI_REQUEST_MODEL]: SYNTHETIC.model,
    [ATTR_HTTP_RESPONSE_STATUS_CODE]: SYNTHETIC.streamFailed.status,
    [ATTR_ERROR_TYPE]: SYNTHETIC.streamFailed.errorType,
    [ATTR_LLM_ERROR_PHASE]: ERROR_PHASE_MID_STREAM,
  });
  const retries = meter.createCounter(METRIC_LLM_CLIENT_RETRIES, { unit: '{retry}' });
  retries.add(1, {
    [ATTR_LLM_RETRY_REASON]: String(SYNTHETIC.rateLimited.status),
    [ATTR_GEN_AI_PROVIDER_NAME]: SYNTHETIC.provider,
    [ATTR_SERVER_ADDRESS]: SYNTHETIC.serverAddress,
  });
}

if (import.meta.main) {
  const url = process.env.OTLP_HTTP_URL;
  if (url === undefined) throw new Error('OTLP_HTTP_URL is not set');
  await emitSyntheticTelemetry(url);
}
