import { describe, expect, it } from 'vitest';
import { planTelemetry } from '../../src/register/config.ts';

const DEFAULT_BATCH = {
  maxQueueSize: 2048,
  maxExportBatchSize: 512,
  scheduledDelayMillis: 1000,
  exportTimeoutMillis: 5000,
};
const DEFAULT_READER = { exportIntervalMillis: 60_000, exportTimeoutMillis: 5000 };

describe('planTelemetry', () => {
  it('with no endpoint: exports nothing and prints the console summary', () => {
    expect(planTelemetry({}, {})).toEqual({
      disabled: false,
      traces: undefined,
      metrics: undefined,
      console: true,
      serviceName: undefined,
      batch: DEFAULT_BATCH,
      metricReader: DEFAULT_READER,
      warnings: [],
    });
  });

  it('with OTEL_EXPORTER_OTLP_ENDPOINT: both signals over http/protobuf, exporter reads the URL, no console', () => {
    const plan = planTelemetry({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' });
    const signal = { url: undefined, protocol: 'http/protobuf', timeoutMs: 3000 };
    expect(plan.traces).toEqual(signal);
    expect(plan.metrics).toEqual(signal);
    expect(plan.console).toBe(false);
  });

  it('signal-specific endpoints enable only their signal', () => {
    const plan = planTelemetry({}, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' });
    expect(plan.traces?.protocol).toBe('http/protobuf');
    expect(plan.metrics).toBeUndefined();
    expect(plan.console).toBe(false);
    const metricsOnly = planTelemetry(
      {},
      { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://c:4318/v1/metrics' },
    );
    expect(metricsOnly.traces).toBeUndefined();
    expect(metricsOnly.metrics?.url).toBeUndefined();
    expect(metricsOnly.console).toBe(true);
  });

  it('the endpoint option becomes per-signal URLs (grpc keeps the base URL)', () => {
    const plan = planTelemetry({ endpoint: 'http://127.0.0.1:4318/' }, {});
    expect(plan.traces?.url).toBe('http://127.0.0.1:4318/v1/traces');
    expect(plan.metrics?.url).toBe('http://127.0.0.1:4318/v1/metrics');
    const grpc = planTelemetry(
      { endpoint: 'http://127.0.0.1:4317' },
      { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
    );
    expect(grpc.traces).toEqual({ url: 'http://127.0.0.1:4317', protocol: 'grpc', timeoutMs: 3000 });
    expect(() => planTelemetry({ endpoint: 'not a url' }, {})).toThrow(
      'llm-otel-dispatcher: option "endpoint" must be a URL, got "not a url"',
    );
  });

  it('reads the protocol per signal and falls back to http/protobuf with a warning', () => {
    const plan = planTelemetry(
      {},
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'carrier-pigeon',
      },
    );
    expect(plan.traces?.protocol).toBe('http/json');
    expect(plan.metrics?.protocol).toBe('http/protobuf');
    expect(plan.warnings).toEqual([
      'unsupported OTLP protocol "carrier-pigeon" for metrics; using http/protobuf',
    ]);
  });

  it('leaves the timeout to the exporter when a timeout variable is set', () => {
    const plan = planTelemetry(
      {},
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '500' },
    );
    expect(plan.traces?.timeoutMs).toBeUndefined();
    expect(plan.metrics?.timeoutMs).toBe(3000);
  });

  it('OTEL_*_EXPORTER=none turns a signal off; other exporters are warned about', () => {
    const plan = planTelemetry(
      {},
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
        OTEL_TRACES_EXPORTER: 'none',
        OTEL_METRICS_EXPORTER: 'prometheus',
      },
    );
    expect(plan.traces).toBeUndefined();
    expect(plan.metrics?.protocol).toBe('http/protobuf');
    expect(plan.console).toBe(false);
    expect(plan.warnings).toEqual([
      'OTEL_METRICS_EXPORTER="prometheus": only "otlp" and "none" are supported; using otlp',
    ]);
  });

  it('OTEL_SDK_DISABLED=true (any case, trimmed) disables; other values do not', () => {
    expect(planTelemetry({}, { OTEL_SDK_DISABLED: ' TRUE ' }).disabled).toBe(true);
    expect(planTelemetry({}, { OTEL_SDK_DISABLED: '1' }).disabled).toBe(false);
    expect(planTelemetry({}, { OTEL_SDK_DISABLED: 'false' }).disabled).toBe(false);
  });

  it('LLM_OTEL_CONSOLE switches the summary; the console option wins; junk is an error', () => {
    expect(planTelemetry({}, { LLM_OTEL_CONSOLE: 'off' }).console).toBe(false);
    expect(planTelemetry({}, { LLM_OTEL_CONSOLE: 'OFF' }).console).toBe(false);
    expect(planTelemetry({}, { LLM_OTEL_CONSOLE: '0' }).console).toBe(false);
    expect(
      planTelemetry({}, { LLM_OTEL_CONSOLE: 'on', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).console,
    ).toBe(true);
    expect(planTelemetry({ console: true }, { LLM_OTEL_CONSOLE: 'off' }).console).toBe(true);
    expect(planTelemetry({ console: false }, {}).console).toBe(false);
    expect(planTelemetry({}, { LLM_OTEL_CONSOLE: '' }).console).toBe(true);
    expect(() => planTelemetry({}, { LLM_OTEL_CONSOLE: 'loud' })).toThrow(
      'llm-otel-dispatcher: LLM_OTEL_CONSOLE must be "on" or "off" (also true/false, 1/0), got "loud"',
    );
  });

  it('uses the serviceName option only when the environment names no service', () => {
    expect(planTelemetry({ serviceName: 'demo' }, {}).serviceName).toBe('demo');
    expect(planTelemetry({ serviceName: 'demo' }, { OTEL_SERVICE_NAME: 'svc' }).serviceName).toBeUndefined();
    expect(
      planTelemetry({ serviceName: 'demo' }, { OTEL_RESOURCE_ATTRIBUTES: 'team=a, service.name=svc' })
        .serviceName,
    ).toBeUndefined();
    expect(
      planTelemetry({ serviceName: 'demo' }, { OTEL_RESOURCE_ATTRIBUTES: 'service.namespace=x' }).serviceName,
    ).toBe('demo');
  });

  it('reads batch and metric-reader limits; bad numbers fall back with a warning; timeouts fit the interval', () => {
    const plan = planTelemetry(
      {},
      {
        OTEL_BSP_MAX_QUEUE_SIZE: '100',
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '512',
        OTEL_BSP_SCHEDULE_DELAY: 'soon',
        OTEL_BSP_EXPORT_TIMEOUT: '-1',
        OTEL_METRIC_EXPORT_INTERVAL: '2000',
      },
    );
    expect(plan.batch).toEqual({
      maxQueueSize: 100,
      maxExportBatchSize: 100,
      scheduledDelayMillis: 1000,
      exportTimeoutMillis: 5000,
    });
    expect(plan.metricReader).toEqual({ exportIntervalMillis: 2000, exportTimeoutMillis: 2000 });
    expect(plan.warnings).toEqual([
      'OTEL_BSP_SCHEDULE_DELAY="soon" is not a positive number; using 1000',
      'OTEL_BSP_EXPORT_TIMEOUT="-1" is not a positive number; using 5000',
    ]);
  });
});
