/**
 * Counts failed OTLP exports in `llm.telemetry.failures{llm.failure.stage="export"}` (through the
 * global MeterProvider, like every other instrument of this package) and reports them to
 * OpenTelemetry's diag logger. Exporters never throw into the application; this makes their
 * failures visible once the collector is reachable again.
 */
import { diag } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import { TelemetryMetrics } from '../metrics/instruments.ts';
import { INSTRUMENTATION_NAME } from '../version.ts';

export const FAILURE_STAGE_EXPORT = 'export';
/** `ExportResultCode.SUCCESS`, inlined so that importing this module loads no SDK package. */
const EXPORT_SUCCESS = 0;

interface Exporter<T> {
  export(items: T, resultCallback: (result: ExportResult) => void): void;
}

/** Wraps `exporter.export` in place (its other methods, e.g. temporality selection, stay as they are). */
export function countExportFailures<T, E extends Exporter<T>>(exporter: E, signal: string): E {
  const metrics = new TelemetryMetrics(undefined);
  const original = exporter.export.bind(exporter);
  exporter.export = (items, resultCallback) => {
    original(items, (result) => {
      if (result.code !== EXPORT_SUCCESS) {
        try {
          diag.warn(`${INSTRUMENTATION_NAME}: ${signal} export failed`, result.error);
          metrics.telemetryFailure(FAILURE_STAGE_EXPORT);
        } catch {
          // Counting must not break the export pipeline.
        }
      }
      resultCallback(result);
    });
  };
  return exporter;
}
