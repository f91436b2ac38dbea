/**
 * What `startTelemetry()` will set up, decided from its options and the environment, with no I/O:
 * whether the SDK is disabled, which signals are exported over OTLP (and how), whether the console
 * summary prints, and the batch/export limits that keep a dead collector from slowing the
 * application. Variables the OpenTelemetry exporters read themselves (endpoints, headers,
 * certificates, compression, timeouts) are left to them; this only decides what they do not.
 */

/** Our own variable: `off` turns the console summary off, `on` turns it on even when exporting. */
export const ENV_LLM_OTEL_CONSOLE = 'LLM_OTEL_CONSOLE';

export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';
export type Signal = 'traces' | 'metrics';

/** Default OTLP export timeout (the exporters' own default is 10 s, retries included). */
export const DEFAULT_EXPORT_TIMEOUT_MS = 3_000;
export const DEFAULT_METRIC_EXPORT_INTERVAL_MS = 60_000;
export const DEFAULT_METRIC_EXPORT_TIMEOUT_MS = 5_000;

export interface ExportPlan {
  /** Full URL for the exporter; undefined lets the exporter read its `OTEL_EXPORTER_OTLP_*ENDPOINT` variables. */
  readonly url: string | undefined;
  readonly protocol: OtlpProtocol;
  /** undefined lets the exporter read `OTEL_EXPORTER_OTLP_[SIGNAL_]TIMEOUT`. */
  readonly timeoutMs: number | undefined;
}

export interface BatchPlan {
  readonly maxQueueSize: number;
  readonly maxExportBatchSize: number;
  readonly scheduledDelayMillis: number;
  readonly exportTimeoutMillis: number;
}

export interface MetricReaderPlan {
  readonly exportIntervalMillis: number;
  readonly exportTimeoutMillis: number;
}

export interface TelemetryPlan {
  /** `OTEL_SDK_DISABLED=true`: nothing is started or installed. */
  readonly disabled: boolean;
  readonly traces: ExportPlan | undefined;
  readonly metrics: ExportPlan | undefined;
  /** Print one summary line per LLM call to stderr. */
  readonly console: boolean;
  /** `service.name` to set, when neither OTEL_SERVICE_NAME nor OTEL_RESOURCE_ATTRIBUTES names one. */
  readonly serviceName: string | undefined;
  readonly batch: BatchPlan;
  readonly metricReader: MetricReaderPlan;
  /** Ignored or corrected settings, for OpenTelemetry's diag logger. */
  readonly warnings: readonly string[];
}

export interface PlanOptions {
  readonly endpoint?: string;
  readonly console?: boolean;
  readonly serviceName?: string;
}

export type Environment = Readonly<Record<string, string | undefined>>;

const PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json', 'grpc'];
const SIGNAL_PATHS: Record<Signal, string> = { traces: 'v1/traces', metrics: 'v1/metrics' };

/** Reads a variable the way the OpenTelemetry SDK does: trimmed, empty means unset. */
function read(env: Environment, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === '' ? undefined : value;
}

function isTrue(value: string | undefined): boolean {
  return value?.toLowerCase() === 'true';
}

function parseConsoleSwitch(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const normalized = value.toLowerCase();
  if (['off', 'false', '0', 'no'].includes(normalized)) return false;
  if (['on', 'true', '1', 'yes'].includes(normalized)) return true;
  throw new Error(
    `llm-otel-dispatcher: ${ENV_LLM_OTEL_CONSOLE} must be "on" or "off" (also true/false, 1/0), got "${value}"`,
  );
}

/** The signal's URL when `endpoint` is given in code; the exporter resolves the variables itself. */
function urlFromOption(endpoint: string, protocol: OtlpProtocol, signal: Signal): string {
  if (protocol === 'grpc') return endpoint;
  return `${endpoint.replace(/\/+$/, '')}/${SIGNAL_PATHS[signal]}`;
}

function endpointConfigured(signal: Signal, options: PlanOptions, env: Environment): boolean {
  return (
    options.endpoint !== undefined ||
    read(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') !== undefined ||
    read(env, `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`) !== undefined
  );
}

function exportPlan(
  signal: Signal,
  options: PlanOptions,
  env: Environment,
  warnings: string[],
): ExportPlan | undefined {
  const upper = signal.toUpperCase();
  const exporters = read(env, `OTEL_${upper}_EXPORTER`);
  if (exporters?.split(',').some((name) => name.trim() === 'none')) return undefined;
  if (exporters !== undefined && exporters !== 'otlp') {
    warnings.push(`OTEL_${upper}_EXPORTER="${exporters}": only "otlp" and "none" are supported; using otlp`);
  }
  if (!endpointConfigured(signal, options, env)) return undefined;

  const protocolName =
    read(env, `OTEL_EXPORTER_OTLP_${upper}_PROTOCOL`) ?? read(env, 'OTEL_EXPORTER_OTLP_PROTOCOL');
  let protocol: OtlpProtocol = 'http/protobuf';
  if (protocolName !== undefined) {
    if ((PROTOCOLS as readonly string[]).includes(protocolName)) protocol = protocolName as OtlpProtocol;
    else warnings.push(`unsupported OTLP protocol "${protocolName}" for ${signal}; using http/protobuf`);
  }
  const timeoutFromEnv =
    read(env, 'OTEL_EXPORTER_OTLP_TIMEOUT') !== undefined ||
    read(env, `OTEL_EXPORTER_OTLP_${upper}_TIMEOUT`) !== undefined;
  return {
    url: options.endpoint === undefined ? undefined : urlFromOption(options.endpoint, protocol, signal),
    protocol,
    timeoutMs: timeoutFromEnv ? undefined : DEFAULT_EXPORT_TIMEOUT_MS,
  };
}

function positiveNumber(env: Environment, name: string, fallback: number, warnings: string[]): number {
  const text = read(env, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (Number.isFinite(value) && value > 0) return value;
  warnings.push(`${name}="${text}" is not a positive number; using ${fallback}`);
  return fallback;
}

function batchPlan(env: Environment, warnings: string[]): BatchPlan {
  const maxQueueSize = positiveNumber(env, 'OTEL_BSP_MAX_QUEUE_SIZE', 2048, warnings);
  return {
    maxQueueSize,
    maxExportBatchSize: Math.min(
      positiveNumber(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512, warnings),
      maxQueueSize,
    ),
    scheduledDelayMillis: positiveNumber(env, 'OTEL_BSP_SCHEDULE_DELAY', 1_000, warnings),
    exportTimeoutMillis: positiveNumber(env, 'OTEL_BSP_EXPORT_TIMEOUT', 5_000, warnings),
  };
}

function metricReaderPlan(env: Environment, warnings: string[]): MetricReaderPlan {
  const exportIntervalMillis = positiveNumber(
    env,
    'OTEL_METRIC_EXPORT_INTERVAL',
    DEFAULT_METRIC_EXPORT_INTERVAL_MS,
    warnings,
  );
  const timeout = positiveNumber(
    env,
    'OTEL_METRIC_EXPORT_TIMEOUT',
    DEFAULT_METRIC_EXPORT_TIMEOUT_MS,
    warnings,
  );
  return { exportIntervalMillis, exportTimeoutMillis: Math.min(timeout, exportIntervalMillis) };
}

function namesService(env: Environment): boolean {
  if (read(env, 'OTEL_SERVICE_NAME') !== undefined) return true;
  const attributes = read(env, 'OTEL_RESOURCE_ATTRIBUTES') ?? '';
  return attributes.split(',').some((pair) => pair.split('=')[0]?.trim() === 'service.name');
}

/**
 * Decides the setup. Throws only for a malformed `LLM_OTEL_CONSOLE` (our own variable); problems
 * with standard `OTEL_*` variables become warnings and defaults, as the OpenTelemetry spec asks.
 */
export function planTelemetry(options: PlanOptions, env: Environment): TelemetryPlan {
  const warnings: string[] = [];
  if (options.endpoint !== undefined && !URL.canParse(options.endpoint)) {
    throw new Error(`llm-otel-dispatcher: option "endpoint" must be a URL, got "${options.endpoint}"`);
  }
  const consoleSwitch = options.console ?? parseConsoleSwitch(read(env, ENV_LLM_OTEL_CONSOLE));
  const traces = exportPlan('traces', options, env, warnings);
  const metrics = exportPlan('metrics', options, env, warnings);
  return {
    disabled: isTrue(read(env, 'OTEL_SDK_DISABLED')),
    traces,
    metrics,
    console: consoleSwitch ?? !endpointConfigured('traces', options, env),
    serviceName: namesService(env) ? undefined : options.serviceName,
    batch: batchPlan(env, warnings),
    metricReader: metricReaderPlan(env, warnings),
    warnings,
  };
}
