/**
 * Options of the telemetry interceptor: their types, defaults and validation. Invalid options fail
 * fast, at construction, with an error that names the option; nothing here runs per request.
 */
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import {
  DEFAULT_INFERENCE_WINDOW_MS,
  DEFAULT_MAX_TRACKED,
  type InferredRetryOptions,
} from '../inferred-retries/inferred-retries.ts';
import { type PriceTable, type ResolvedPriceTable, resolvePriceTable } from '../spend/price-table.ts';
import type { TaskTrackingOptions } from '../tasks/task-tracker.ts';

export interface TelemetryOptions {
  /** Where spans go. Default: the global TracerProvider (`trace.getTracerProvider()`). */
  tracerProvider?: TracerProvider;
  /** Where metrics go. Default: the global MeterProvider, looked up lazily so it may be set later. */
  meterProvider?: MeterProvider;
  /**
   * `gen_ai.provider.name` for every call, or a function of the request URL (return undefined to
   * fall back to the built-in host table: openai, openrouter, cline, cheapai, anthropic, ...).
   */
  providerName?: string | ((url: URL) => string | undefined);
  /** Extra response headers recorded as `http.response.header.<name>` (x-request-id, request-id and x-generation-id always are). */
  responseHeaders?: readonly string[];
  /** Bytes of an error body (4xx/5xx) kept to read the provider's error code and message. Default 64 KiB. */
  maxErrorBodyBytes?: number;
  /** Request bodies up to this size are read for the model and stream flag. Default 1 MiB. */
  maxRequestBodyBytes?: number;
  /** Non-streaming JSON responses up to this size are read for id, model, finish reasons and usage. Default 1 MiB. */
  maxResponseBodyBytes?: number;
  /** Longest SSE line the stream parser keeps; longer lines are dropped and counted. Default 1 MiB. */
  maxSseLineBytes?: number;
  /** Model names allowed as a metric attribute; others become `_OTHER`. Default: the first `maxMetricModels` seen. */
  metricModels?: readonly string[];
  /** Distinct model names kept as a metric attribute when no `metricModels` list is given. Default 20. */
  maxMetricModels?: number;
  /** Record prompts and completions (`gen_ai.input.messages`, `gen_ai.output.messages`). Default false. */
  captureContent?: boolean;
  /** Requests for which this returns true are passed through with no telemetry at all. */
  ignoreRequest?: (request: { origin: string; path: string; method: string }) => boolean;
  /** Called with every swallowed telemetry failure (they are also counted in `llm.telemetry.failures`). */
  onTelemetryError?: (error: unknown, stage: string) => void;
  /** Follow asynchronous tasks from creation through polls (docs/tasks.md). On by default; `false` turns it off. */
  tasks?: TaskTrackingOptions | false;
  /**
   * Link an SDK's unannounced resends (same endpoint, identical body, shortly after a retryable
   * failure) as `llm.retry.source=inferred`. On by default; `false` turns it off.
   */
  inferRetries?: InferredRetryOptions | boolean;
  /**
   * Prices per model, USD per million tokens (`{ 'gpt-4o-mini': { input: 0.15, output: 0.6,
   * cachedInput: 0.075 } }`), for `llm.usage.cost` when the provider reports no cost itself. There
   * is no built-in table (docs/spend.md).
   */
  prices?: PriceTable;
}

export interface ResolvedTelemetryOptions {
  readonly tracerProvider: TracerProvider | undefined;
  readonly meterProvider: MeterProvider | undefined;
  readonly providerName: TelemetryOptions['providerName'];
  readonly responseHeaders: readonly string[];
  readonly maxErrorBodyBytes: number;
  readonly maxRequestBodyBytes: number;
  readonly maxResponseBodyBytes: number;
  readonly maxSseLineBytes: number;
  readonly metricModels: readonly string[] | undefined;
  readonly maxMetricModels: number;
  readonly captureContent: boolean;
  readonly ignoreRequest: TelemetryOptions['ignoreRequest'];
  readonly onTelemetryError: TelemetryOptions['onTelemetryError'];
  /** Validated by the task tracker (src/tasks/task-tracker.ts) when the interceptor is built. */
  readonly tasks: TelemetryOptions['tasks'];
  /** Undefined when turned off. */
  readonly inferRetries: Required<InferredRetryOptions> | undefined;
  readonly prices: ResolvedPriceTable | undefined;
}

/** Response headers always recorded: what a provider's support desk asks for. */
export const DEFAULT_RESPONSE_HEADERS = [
  'x-request-id',
  'request-id',
  'x-generation-id',
  'x-litellm-call-id',
  'apim-request-id',
  'x-ms-request-id',
  'x-amzn-requestid',
] as const;

const SENSITIVE_HEADER = /authorization|cookie|api-?key|token|secret|password/i;

/** A bad option, named in the message: `llm-otel-dispatcher: option "maxErrorBodyBytes" must be ...`. */
export class InvalidOptionError extends TypeError {
  readonly option: string;
  constructor(option: string, requirement: string, value: unknown) {
    super(`llm-otel-dispatcher: option "${option}" ${requirement} (got ${describe(value)})`);
    this.name = 'InvalidOptionError';
    this.option = option;
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

export function positiveInteger(options: object, name: string, fallback: number): number {
  const value = (options as Record<string, unknown>)[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidOptionError(name, 'must be a positive integer', value);
  }
  return value;
}

export function optionalFunction<T>(options: object, name: string): T | undefined {
  const value = (options as Record<string, unknown>)[name];
  if (value !== undefined && typeof value !== 'function') {
    throw new InvalidOptionError(name, 'must be a function', value);
  }
  return value as T | undefined;
}

function optionalBoolean(options: object, name: string, fallback: boolean): boolean {
  const value = (options as Record<string, unknown>)[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InvalidOptionError(name, 'must be a boolean', value);
  return value;
}

function optionalProvider<T>(options: object, name: string, method: string): T | undefined {
  const value = (options as Record<string, unknown>)[name];
  if (value === undefined) return undefined;
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as Record<string, unknown>)[method] !== 'function'
  ) {
    throw new InvalidOptionError(name, `must be an object with a ${method}() method`, value);
  }
  return value as T;
}

function resolveResponseHeaders(value: unknown): readonly string[] {
  if (value === undefined) return DEFAULT_RESPONSE_HEADERS;
  if (!Array.isArray(value))
    throw new InvalidOptionError('responseHeaders', 'must be an array of header names', value);
  const names = new Set<string>(DEFAULT_RESPONSE_HEADERS);
  for (const entry of value) {
    if (typeof entry !== 'string' || !/^[!#$%&'*+.^_`|~0-9a-z-]+$/i.test(entry)) {
      throw new InvalidOptionError('responseHeaders', 'must contain only valid header names', entry);
    }
    if (SENSITIVE_HEADER.test(entry)) {
      throw new InvalidOptionError(
        'responseHeaders',
        'must not name a header that can carry a secret',
        entry,
      );
    }
    names.add(entry.toLowerCase());
  }
  return [...names];
}

function resolveInferRetries(value: unknown): Required<InferredRetryOptions> | undefined {
  if (value === false) return undefined;
  if (value === undefined || value === true) {
    return { windowMs: DEFAULT_INFERENCE_WINDOW_MS, maxTracked: DEFAULT_MAX_TRACKED };
  }
  if (typeof value !== 'object' || value === null) {
    throw new InvalidOptionError('inferRetries', 'must be a boolean or { windowMs, maxTracked }', value);
  }
  return {
    windowMs: positiveInteger(value, 'windowMs', DEFAULT_INFERENCE_WINDOW_MS),
    maxTracked: positiveInteger(value, 'maxTracked', DEFAULT_MAX_TRACKED),
  };
}

function resolveModelList(value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((model) => typeof model !== 'string')) {
    throw new InvalidOptionError('metricModels', 'must be an array of model names', value);
  }
  return [...value];
}

export function resolveTelemetryOptions(options: TelemetryOptions = {}): ResolvedTelemetryOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('options', 'must be an object', options);
  }
  const providerName = options.providerName;
  if (
    providerName !== undefined &&
    typeof providerName !== 'function' &&
    (typeof providerName !== 'string' || providerName === '')
  ) {
    throw new InvalidOptionError('providerName', 'must be a non-empty string or a function', providerName);
  }
  return {
    tracerProvider: optionalProvider(options, 'tracerProvider', 'getTracer'),
    meterProvider: optionalProvider(options, 'meterProvider', 'getMeter'),
    providerName,
    responseHeaders: resolveResponseHeaders(options.responseHeaders),
    maxErrorBodyBytes: positiveInteger(options, 'maxErrorBodyBytes', 64 * 1024),
    maxRequestBodyBytes: positiveInteger(options, 'maxRequestBodyBytes', 1024 * 1024),
    maxResponseBodyBytes: positiveInteger(options, 'maxResponseBodyBytes', 1024 * 1024),
    maxSseLineBytes: positiveInteger(options, 'maxSseLineBytes', 1024 * 1024),
    metricModels: resolveModelList(options.metricModels),
    maxMetricModels: positiveInteger(options, 'maxMetricModels', 20),
    captureContent: optionalBoolean(options, 'captureContent', false),
    ignoreRequest: optionalFunction(options, 'ignoreRequest'),
    onTelemetryError: optionalFunction(options, 'onTelemetryError'),
    tasks: options.tasks,
    inferRetries: resolveInferRetries(options.inferRetries),
    prices: resolvePriceTable(options.prices),
  };
}
