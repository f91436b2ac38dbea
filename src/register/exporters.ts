/**
 * OTLP exporters for the planned protocol, loaded on demand so that only the chosen one (and
 * nothing at all when telemetry is disabled) is imported. Each is wrapped to count its failures.
 */
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { ExportPlan } from './config.ts';
import { countExportFailures } from './export-failures.ts';

function exporterConfig(plan: ExportPlan): { url?: string; timeoutMillis?: number } {
  return {
    ...(plan.url !== undefined && { url: plan.url }),
    ...(plan.timeoutMs !== undefined && { timeoutMillis: plan.timeoutMs }),
  };
}

async function loadTraceExporter(plan: ExportPlan): Promise<SpanExporter> {
  const config = exporterConfig(plan);
  switch (plan.protocol) {
    case 'http/json':
      return new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter(config);
    case 'grpc':
      return new (await import('@opentelemetry/exporter-trace-otlp-grpc')).OTLPTraceExporter(config);
    case 'http/protobuf':
      return new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter(config);
  }
}

async function loadMetricExporter(plan: ExportPlan): Promise<PushMetricExporter> {
  const config = exporterConfig(plan);
  switch (plan.protocol) {
    case 'http/json':
      return new (await import('@opentelemetry/exporter-metrics-otlp-http')).OTLPMetricExporter(config);
    case 'grpc':
      return new (await import('@opentelemetry/exporter-metrics-otlp-grpc')).OTLPMetricExporter(config);
    case 'http/protobuf':
      return new (await import('@opentelemetry/exporter-metrics-otlp-proto')).OTLPMetricExporter(config);
  }
}

export async function createTraceExporter(plan: ExportPlan): Promise<SpanExporter> {
  return countExportFailures(await loadTraceExporter(plan), 'span');
}

export async function createMetricExporter(plan: ExportPlan): Promise<PushMetricExporter> {
  return countExportFailures(await loadMetricExporter(plan), 'metric');
}
