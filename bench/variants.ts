/**
 * The contenders, each a Dispatcher with its own connection pool and its own OpenTelemetry SDK:
 * bare undici (the floor), `@opentelemetry/instrumentation-undici` (the peer), ours with telemetry
 * only, ours with retry + telemetry, and ours exporting over OTLP/HTTP to the loopback sink.
 *
 * Every SDK is set up the same way: a TracerProvider whose spans go through a processor into an
 * exporter that counts and drops them (or the real OTLP exporter), and a MeterProvider with a
 * manual reader that is collected at the end of each round, inside the measured window, so a
 * variant's telemetry cost is billed to its own rounds and no background timer runs during another
 * variant's round. The peer subscribes to undici's diagnostics channels process-wide, so it is
 * enabled only around its own rounds; with no subscriber undici publishes nothing, so the other
 * variants are unaffected.
 *
 * The peer is constructed ENABLED and then toggled with `disable()`/`enable()`: constructed with
 * `enabled: false`, `enable()` subscribes to the channels but its request hook still reads the
 * config flag and records nothing (a no-op peer). bench/run.ts checks after every round that each
 * telemetry variant recorded at least one span and one metric point per call.
 */
import {
  type MeterProvider as ApiMeterProvider,
  context,
  createNoopMeter,
  ProxyTracerProvider,
  propagation,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { type ExportResult, ExportResultCode, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { DataPointType, MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import {
  BatchSpanProcessor,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { Agent, type Dispatcher } from 'undici';
import * as lib from '../src/index.ts';

export type VariantName = 'bare' | 'undici-instr' | 'ours' | 'ours-retry' | 'ours-otlp' | 'ours-api-only';

export const VARIANT_LABELS: Readonly<Record<VariantName, string>> = {
  bare: 'bare undici Agent',
  'undici-instr': '@opentelemetry/instrumentation-undici',
  ours: 'ours (telemetry)',
  'ours-retry': 'ours (retry + telemetry)',
  'ours-otlp': 'ours + OTLP/HTTP export',
  'ours-api-only':
    'diagnostic, not a contender: ours with the OpenTelemetry API no-op providers (records nothing; splits our own cost from the SDK)',
};

export interface Variant {
  readonly name: VariantName;
  readonly dispatcher: Dispatcher;
  /** Before each of this variant's rounds. */
  activate(): void;
  /** End of the measured window: flush spans, collect metrics. */
  flush(): Promise<void>;
  /** After the measured window. */
  deactivate(): void;
  /** Spans ended so far (cumulative). */
  spansEnded(): number;
  /** Spans the exporter accepted so far (cumulative). */
  spansExported(): number;
  /** Metric points recorded so far (cumulative, as of the last `flush()`); see `countMetricPoints`. */
  metricPointsRecorded(): number;
  /** What this variant must record per call: bare records nothing, every other variant spans and metrics. */
  readonly records: { readonly spans: boolean; readonly metrics: boolean };
  close(): Promise<void>;
}

export const AGENT_OPTIONS: Agent.Options = { keepAliveTimeout: 120_000, keepAliveMaxTimeout: 120_000 };

/** Process-wide OTel API setup that a real application has: a context manager and W3C propagation. */
export function installOtelGlobals(): void {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}

class CountingExporter implements SpanExporter {
  exported = 0;
  readonly #delegate: SpanExporter | undefined;
  constructor(delegate?: SpanExporter) {
    this.#delegate = delegate;
  }
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    if (!this.#delegate) {
      this.exported += spans.length;
      done({ code: ExportResultCode.SUCCESS });
      return;
    }
    this.#delegate.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) this.exported += spans.length;
      done(result);
    });
  }
  async shutdown(): Promise<void> {
    await this.#delegate?.shutdown();
  }
}

class EndCounter implements SpanProcessor {
  ended = 0;
  onStart(): void {}
  onEnd(): void {
    this.ended++;
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

/** Collects only when asked: at the end of each of its variant's rounds. */
class ManualReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface Sdk {
  readonly tracerProvider: TracerProvider;
  readonly meterProvider: MeterProvider;
  readonly exporter: { readonly exported: number };
  readonly ends: { readonly ended: number };
  readonly reader: MetricReader;
}

/**
 * Metric points recorded so far, from one cumulative collection: the `count` of every histogram
 * data point (exactly one per `record()` call). Counters and gauges are not counted: a counter's
 * value is a sum, not a number of calls. Every variant's per-call instruments are histograms
 * (the peer's `http.client.request.duration`; ours also `gen_ai.client.*`).
 */
export function countMetricPoints(collected: ResourceMetrics): number {
  let points = 0;
  for (const scope of collected.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (
        metric.dataPointType === DataPointType.HISTOGRAM ||
        metric.dataPointType === DataPointType.EXPONENTIAL_HISTOGRAM
      ) {
        for (const point of metric.dataPoints) points += point.value.count;
      }
    }
  }
  return points;
}

/** A TracerProvider (spans counted, then dropped or exported) and a MeterProvider with a manual reader. */
export function createSdk(exporter: SpanExporter = new CountingExporter(), batch = false): Sdk {
  const counting = exporter instanceof CountingExporter ? exporter : new CountingExporter(exporter);
  const ends = new EndCounter();
  const processor = batch
    ? new BatchSpanProcessor({ exporter: counting })
    : new SimpleSpanProcessor({ exporter: counting });
  const reader = new ManualReader();
  return {
    tracerProvider: new TracerProvider({ spanProcessors: [ends, processor] }),
    meterProvider: new MeterProvider({ readers: [reader] }),
    exporter: counting,
    ends,
    reader,
  };
}

function variant(
  name: VariantName,
  dispatcher: Dispatcher,
  telemetry: Sdk | undefined,
  hooks: { activate?: () => void; deactivate?: () => void } = {},
): Variant {
  let metricPoints = 0;
  return {
    name,
    dispatcher,
    records: { spans: telemetry !== undefined, metrics: telemetry !== undefined },
    activate: hooks.activate ?? (() => {}),
    deactivate: hooks.deactivate ?? (() => {}),
    async flush() {
      if (!telemetry) return;
      await telemetry.tracerProvider.forceFlush();
      const { resourceMetrics, errors } = await telemetry.reader.collect();
      if (errors.length > 0) throw new Error(`metric collection failed for ${name}: ${errors.join('; ')}`);
      metricPoints = countMetricPoints(resourceMetrics);
    },
    spansEnded: () => telemetry?.ends.ended ?? 0,
    spansExported: () => telemetry?.exporter.exported ?? 0,
    metricPointsRecorded: () => metricPoints,
    async close() {
      await dispatcher.close();
      await telemetry?.tracerProvider.shutdown();
      await telemetry?.meterProvider.shutdown();
    },
  };
}

export interface VariantSetup {
  readonly variants: Variant[];
  /** Why a requested variant could not be built. */
  readonly skipped: string[];
}

/** Builds the requested variants; `otlpUrl` is the loopback sink's `/v1/traces`. */
export function createVariants(names: readonly VariantName[], otlpUrl: string): VariantSetup {
  const variants: Variant[] = [];
  const skipped: string[] = [];
  for (const name of names) {
    const built = build(name, otlpUrl);
    if (typeof built === 'string') skipped.push(`${name}: ${built}`);
    else variants.push(built);
  }
  return { variants, skipped };
}

function build(name: VariantName, otlpUrl: string): Variant | string {
  switch (name) {
    case 'bare':
      return variant(name, new Agent(AGENT_OPTIONS), undefined);
    case 'undici-instr': {
      const telemetry = createSdk();
      // Constructed enabled (the default): with `enabled: false` its request hook records nothing,
      // whatever enable() does later. Disabled at once so that it listens only in its own rounds.
      const instrumentation = new UndiciInstrumentation({
        headersToSpanAttributes: { responseHeaders: ['x-request-id'] },
      });
      instrumentation.setTracerProvider(telemetry.tracerProvider);
      instrumentation.setMeterProvider(telemetry.meterProvider);
      instrumentation.disable();
      return variant(name, new Agent(AGENT_OPTIONS), telemetry, {
        activate: () => instrumentation.enable(),
        deactivate: () => instrumentation.disable(),
      });
    }
    case 'ours': {
      const telemetry = createSdk();
      return variant(name, ours(telemetry), telemetry);
    }
    case 'ours-retry': {
      if (!('retryInterceptor' in lib)) {
        return 'retryInterceptor is not exported by src/index.ts yet; variant skipped';
      }
      const telemetry = createSdk();
      // No backoff sleep: the storm then measures the retry machinery's cost, not timers.
      return variant(name, ours(telemetry, { retry: { baseDelay: 0 } }), telemetry);
    }
    case 'ours-api-only': {
      // No SDK: the API's no-op tracer and meter. Records nothing, so it has no recording requirement.
      const noopMeters: ApiMeterProvider = { getMeter: () => createNoopMeter() };
      const dispatcher = lib.createTelemetryDispatcher({
        tracerProvider: new ProxyTracerProvider() /* no delegate: the API's no-op tracer */,
        meterProvider: noopMeters,
        agent: AGENT_OPTIONS,
      });
      return variant(name, dispatcher, undefined);
    }
    case 'ours-otlp': {
      const telemetry = createSdk(new OTLPTraceExporter({ url: otlpUrl }), true);
      return variant(name, ours(telemetry), telemetry);
    }
  }
}

export function ours(telemetry: Sdk, extra: Partial<lib.TelemetryDispatcherOptions> = {}): Dispatcher {
  return lib.createTelemetryDispatcher({
    tracerProvider: telemetry.tracerProvider,
    meterProvider: telemetry.meterProvider,
    agent: AGENT_OPTIONS,
    ...extra,
  });
}
