/**
 * Everything one telemetry interceptor shares across its requests: resolved options, tracer,
 * metric instruments, the model cardinality limit, the task tracker, and the one place where
 * swallowed telemetry failures are counted and reported.
 */
import { diag, ProxyTracerProvider, type Span, type Tracer, trace } from '@opentelemetry/api';
import { InferredRetries } from '../inferred-retries/inferred-retries.ts';
import { TelemetryMetrics } from '../metrics/instruments.ts';
import { ModelCardinalityLimit } from '../metrics/model-cardinality.ts';
import type { ResolvedTelemetryOptions } from '../options/options.ts';
import { createTaskTracker, type TaskTracker } from '../tasks/task-tracker.ts';
import { INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION } from '../version.ts';
import type { RequestTarget } from './request-target.ts';

export class TelemetryRuntime {
  readonly options: ResolvedTelemetryOptions;
  readonly tracer: Tracer;
  readonly metrics: TelemetryMetrics;
  readonly models: ModelCardinalityLimit;
  /** Asynchronous task tracking; undefined when the `tasks` option turns it off. */
  readonly tasks: TaskTracker | undefined;
  /** Unannounced SDK resends; undefined when the `inferRetries` option turns it off. */
  readonly inferredRetries: InferredRetries | undefined;

  constructor(options: ResolvedTelemetryOptions) {
    this.options = options;
    this.metrics = new TelemetryMetrics(options.meterProvider);
    this.tracer = this.#createTracer();
    this.models = new ModelCardinalityLimit(options.metricModels, options.maxMetricModels);
    this.tasks = createTaskTracker(options.tasks, this.metrics);
    this.inferredRetries = options.inferRetries && new InferredRetries(options.inferRetries);
  }

  /** The configured provider's tracer; a broken provider yields a no-op tracer (and a counted failure), not an error. */
  #createTracer(): Tracer {
    try {
      return (this.options.tracerProvider ?? trace.getTracerProvider()).getTracer(
        INSTRUMENTATION_NAME,
        INSTRUMENTATION_VERSION,
      );
    } catch (error) {
      this.failed('tracer', error);
      return new ProxyTracerProvider().getTracer(INSTRUMENTATION_NAME);
    }
  }

  /**
   * `gen_ai.provider.name`: the option (string or function); else the host table; else what the
   * route makes unmistakable (a Gemini, Vertex, Bedrock or Ollama path); else what the request's
   * headers do (`anthropic-version`, `x-goog-api-key`); else the host.
   */
  providerNameFor(target: RequestTarget, headerHint?: string): string {
    const configured = this.options.providerName;
    if (typeof configured === 'string') return configured;
    // The request URL (origin and path), built only for a function option.
    const chosen = configured?.(new URL(target.path, target.url));
    if (chosen !== undefined) return chosen;
    if (target.hostKnown) return target.hostProvider;
    return target.route?.provider ?? headerHint ?? target.hostProvider;
  }

  /** Swallows a telemetry error: counted, handed to `onTelemetryError`, logged through OTel's diag. Never throws. */
  failed(stage: string, error: unknown): void {
    // Each channel on its own: a broken meter must not silence the callback, nor the other way round.
    attempt(() => diag.warn(`${INSTRUMENTATION_NAME}: telemetry failed at ${stage}`, error));
    attempt(() => this.metrics.telemetryFailure(stage));
    attempt(() => this.options.onTelemetryError?.(error, stage));
  }
}

function attempt(step: () => void): void {
  try {
    step();
  } catch {
    // Reporting must not fail the request either.
  }
}

/** Ends a span even when a span processor throws in onEnd; the failure is counted. */
export function endSpan(span: Span, runtime: TelemetryRuntime): void {
  try {
    span.end();
  } catch (error) {
    runtime.failed('span_end', error);
  }
}
