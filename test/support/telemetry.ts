/**
 * Real OpenTelemetry SDK pieces for tests: a TracerProvider with an in-memory exporter and a span
 * balance (starts vs ends, to prove every span ends exactly once), a MeterProvider with a reader
 * collected on demand, and the global context manager + W3C propagator the interceptor relies on.
 */
import { type Attributes, context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { type DataPoint, type Histogram, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type Span,
  type SpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

let globalsInstalled = false;

/** Installs the AsyncLocalStorage context manager and the W3C trace-context propagator, once per process. */
export function installGlobalContext(): void {
  if (globalsInstalled) return;
  globalsInstalled = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}

/** Counts starts and ends per span, so a test can assert that every span ended exactly once. */
export class SpanBalance implements SpanProcessor {
  readonly started = new Set<string>();
  readonly endCounts = new Map<string, number>();

  onStart(span: Span): void {
    this.started.add(span.spanContext().spanId);
  }

  onEnd(span: ReadableSpan): void {
    const id = span.spanContext().spanId;
    this.endCounts.set(id, (this.endCounts.get(id) ?? 0) + 1);
  }

  /** Span ids that started but have not ended, or ended more than once. */
  unbalanced(): string[] {
    const problems: string[] = [];
    for (const id of this.started) if (this.endCounts.get(id) !== 1) problems.push(id);
    for (const [id, count] of this.endCounts) if (!this.started.has(id) || count !== 1) problems.push(id);
    return problems;
  }

  reset(): void {
    this.started.clear();
    this.endCounts.clear();
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

class OnDemandMetricReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }

  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export interface TestTelemetry {
  readonly tracerProvider: TracerProvider;
  readonly meterProvider: MeterProvider;
  readonly exporter: InMemorySpanExporter;
  readonly balance: SpanBalance;
  spans(): ReadableSpan[];
  /** Waits (bounded) until `count` spans have ended. */
  waitForSpans(count: number, timeoutMs?: number): Promise<ReadableSpan[]>;
  /** Histogram/counter data points of one instrument, by name. */
  metricPoints(name: string): Promise<Array<DataPoint<number | Histogram>>>;
  reset(): void;
  shutdown(): Promise<void>;
}

export function createTestTelemetry(): TestTelemetry {
  installGlobalContext();
  const exporter = new InMemorySpanExporter();
  const balance = new SpanBalance();
  const tracerProvider = new TracerProvider({
    spanProcessors: [balance, new SimpleSpanProcessor({ exporter })],
  });
  const reader = new OnDemandMetricReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    tracerProvider,
    meterProvider,
    exporter,
    balance,
    spans: () => exporter.getFinishedSpans(),
    async waitForSpans(count, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (exporter.getFinishedSpans().length < count && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return exporter.getFinishedSpans();
    },
    async metricPoints(name) {
      const { resourceMetrics } = await reader.collect();
      const points: Array<DataPoint<number | Histogram>> = [];
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) {
          if (metric.descriptor.name === name)
            points.push(...(metric.dataPoints as Array<DataPoint<number | Histogram>>));
        }
      }
      return points;
    },
    reset() {
      exporter.reset();
      balance.reset();
    },
    async shutdown() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}

/** The one span with this name; fails loudly when there are none or several. */
export function spanNamed(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const matching = spans.filter((span) => span.name === name);
  if (matching.length !== 1) {
    throw new Error(
      `expected exactly one span named "${name}", found ${matching.length}: ${spans.map((s) => s.name).join(', ')}`,
    );
  }
  return matching[0] as ReadableSpan;
}

/** Children of a span, in start order. */
export function childrenOf(spans: readonly ReadableSpan[], parent: ReadableSpan): ReadableSpan[] {
  const parentId = parent.spanContext().spanId;
  return spans
    .filter((span) => span.parentSpanContext?.spanId === parentId)
    .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
}

/** Every exported span, event and attribute as one string: for "this secret appears nowhere" checks. */
export function exportedText(spans: readonly ReadableSpan[]): string {
  return JSON.stringify(
    spans.map((span) => ({
      name: span.name,
      attributes: span.attributes,
      events: span.events.map((event) => ({ name: event.name, attributes: event.attributes as Attributes })),
      status: span.status,
      links: span.links,
    })),
  );
}
