/**
 * `startTelemetry()`: the whole setup in one call. Starts the OpenTelemetry Node SDK (no
 * auto-instrumentations; AsyncLocalStorage context and W3C propagation, as NodeSDK defaults) with
 * OTLP trace and metric exporters configured by the standard `OTEL_*` variables, or, when no
 * endpoint is configured, the console summary instead; then installs the telemetry dispatcher as
 * the global one for `fetch`, composed onto the global dispatcher already in place (a proxy
 * agent, Node's `NODE_USE_ENV_PROXY` agent; see docs/installing.md). A dead collector never delays
 * or fails the application: the span queue is bounded, exports time out quickly, their failures go
 * to diag and a counter, and the flush on exit has a deadline.
 */
import { diag } from '@opentelemetry/api';
import type { NodeSDKConfiguration } from '@opentelemetry/sdk-node';
import type { FetchTelemetryInstallation, TelemetryDispatcherOptions } from '../dispatcher/dispatcher.ts';
import { INSTRUMENTATION_NAME } from '../version.ts';
import { planTelemetry, type TelemetryPlan } from './config.ts';
import { ConsoleSummaryProcessor } from './console-summary.ts';
import { flushOnExit, settleWithin } from './exit-hooks.ts';
import { createMetricExporter, createTraceExporter } from './exporters.ts';

/** Longest wait for the final flush in `shutdown()` (and so on exit). */
export const SHUTDOWN_TIMEOUT_MS = 5_000;

export interface StartTelemetryOptions {
  /** `service.name` when neither `OTEL_SERVICE_NAME` nor `OTEL_RESOURCE_ATTRIBUTES` sets one. */
  serviceName?: string;
  /** OTLP base URL (e.g. `http://localhost:4318`), instead of `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  endpoint?: string;
  /**
   * The one-line-per-call summary on stderr. Default: on when no OTLP endpoint is configured,
   * unless `LLM_OTEL_CONSOLE=off`. `true`/`false` force it (and win over the variable).
   */
  console?: boolean;
  /** Where summary lines go (without newline). Default: stderr. */
  writeSummaryLine?: (line: string) => void;
  /** Options for `installFetchTelemetry()` (the interceptors, and what they compose onto). */
  telemetry?: TelemetryDispatcherOptions;
  /**
   * Extra NodeSDK configuration. `spanProcessors` and `metricReaders` are added to ours; other
   * keys (e.g. `instrumentations`, `resource`, `sampler`) replace the defaults.
   */
  sdk?: Partial<NodeSDKConfiguration>;
  /** Flush on `beforeExit`, SIGTERM and SIGINT. Default true. */
  flushOnExit?: boolean;
}

export interface TelemetryHandle {
  /** The installed global dispatcher; undefined when `OTEL_SDK_DISABLED=true`. */
  readonly installation: FetchTelemetryInstallation | undefined;
  /** Flushes and stops everything (bounded by SHUTDOWN_TIMEOUT_MS); never rejects; idempotent. */
  shutdown(): Promise<void>;
}

const DISABLED: TelemetryHandle = { installation: undefined, shutdown: () => Promise.resolve() };

/** The OpenTelemetry API accepts its globals once per process, so telemetry starts only once. */
let started = false;

async function sdkConfiguration(
  plan: TelemetryPlan,
  options: StartTelemetryOptions,
): Promise<Partial<NodeSDKConfiguration>> {
  const { BatchSpanProcessor } = await import('@opentelemetry/sdk-trace');
  const { PeriodicExportingMetricReader } = await import('@opentelemetry/sdk-metrics');
  const spanProcessors: NonNullable<NodeSDKConfiguration['spanProcessors']> = [];
  if (plan.traces) {
    spanProcessors.push(
      new BatchSpanProcessor({ exporter: await createTraceExporter(plan.traces), ...plan.batch }),
    );
  }
  if (plan.console) spanProcessors.push(new ConsoleSummaryProcessor(options.writeSummaryLine));
  const metricReaders: NonNullable<NodeSDKConfiguration['metricReaders']> = [];
  if (plan.metrics) {
    metricReaders.push(
      new PeriodicExportingMetricReader({
        exporter: await createMetricExporter(plan.metrics),
        ...plan.metricReader,
      }),
    );
  }
  return {
    ...(plan.serviceName !== undefined && { serviceName: plan.serviceName }),
    instrumentations: [],
    logRecordProcessors: [],
    ...options.sdk,
    spanProcessors: [...spanProcessors, ...(options.sdk?.spanProcessors ?? [])],
    metricReaders: [...metricReaders, ...(options.sdk?.metricReaders ?? [])],
  };
}

/**
 * Starts telemetry for this process (see the header comment). With `OTEL_SDK_DISABLED=true` it
 * loads, starts and installs nothing and returns a no-op handle. Rejects when telemetry was already
 * started in this process (even if shut down since).
 */
export async function startTelemetry(options: StartTelemetryOptions = {}): Promise<TelemetryHandle> {
  const plan = planTelemetry(options, process.env);
  if (plan.disabled) return DISABLED;
  if (started) {
    throw new Error(
      `${INSTRUMENTATION_NAME}: telemetry was already started in this process (by startTelemetry() or --import ${INSTRUMENTATION_NAME}/register); it starts once per process`,
    );
  }
  started = true;
  try {
    // Loaded only now: importing undici 8 alone already changes the global dispatcher slot.
    const { installFetchTelemetry } = await import('../dispatcher/dispatcher.ts');
    const { NodeSDK } = await import('@opentelemetry/sdk-node');
    const sdk = new NodeSDK(await sdkConfiguration(plan, options));
    sdk.start();
    for (const warning of plan.warnings) diag.warn(`${INSTRUMENTATION_NAME}: ${warning}`);
    let installation: FetchTelemetryInstallation;
    try {
      installation = installFetchTelemetry(options.telemetry);
    } catch (error) {
      await settleWithin(sdk.shutdown(), SHUTDOWN_TIMEOUT_MS);
      throw error;
    }
    let removeExitHooks = (): void => {};
    let stopping: Promise<void> | undefined;
    const shutdown = (): Promise<void> => {
      stopping ??= (async () => {
        removeExitHooks();
        // Restores the previous global dispatcher at once; closes only a pool the library created.
        void installation.uninstall();
        const flushed = sdk.shutdown().catch((error: unknown) => {
          diag.warn(`${INSTRUMENTATION_NAME}: telemetry shutdown failed`, error);
        });
        await settleWithin(flushed, SHUTDOWN_TIMEOUT_MS);
      })();
      return stopping;
    };
    if (options.flushOnExit !== false) removeExitHooks = flushOnExit(shutdown);
    return { installation, shutdown };
  } catch (error) {
    started = false;
    throw error;
  }
}
