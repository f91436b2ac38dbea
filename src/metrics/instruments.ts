/**
 * The metric instruments of ../shared/TELEMETRY.md, recorded through @opentelemetry/api so they
 * go wherever the application's MeterProvider sends them. Instruments are created on first use and
 * re-created if the global MeterProvider is replaced (the API has no proxy for meters, and
 * applications often register their SDK after creating clients).
 */
import {
  type Attributes,
  type Counter,
  type Gauge,
  type Histogram,
  type MeterProvider,
  metrics,
} from '@opentelemetry/api';
import {
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_TOKEN_TYPE,
  ATTR_LLM_FAILURE_STAGE,
  ATTR_LLM_RATE_LIMIT_KIND,
  GEN_AI_DURATION_BUCKETS_S,
  GEN_AI_TOKEN_BUCKETS,
  HTTP_DURATION_BUCKETS_S,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_TIME_TO_FIRST_CHUNK,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  METRIC_HTTP_CLIENT_REQUEST_DURATION,
  METRIC_LLM_CLIENT_COST,
  METRIC_LLM_CLIENT_RATE_LIMIT_LIMIT,
  METRIC_LLM_CLIENT_RATE_LIMIT_REMAINING,
  METRIC_LLM_CLIENT_RETRIES,
  METRIC_LLM_TASK_DURATION,
  METRIC_LLM_TASK_POLLS,
  METRIC_LLM_TELEMETRY_FAILURES,
} from '../semconv/names.ts';
import type { RateLimitReading } from '../spend/rate-limits.ts';
import { INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION } from '../version.ts';

/**
 * `llm.task.duration`: the GenAI doubling series (0.08 ... 81.92 s, same boundaries) continued to
 * 5242.88 s (~87 min), past the 1 h default task TTL, so every task the tracker can see finish
 * lands in a finite bucket with at most 2x relative error; 17 boundaries.
 */
export const TASK_DURATION_BUCKETS_S = [
  0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92, 163.84, 327.68, 655.36, 1310.72,
  2621.44, 5242.88,
] as const;
/** `llm.task.polls`: powers of two up to 4096 (a poll a second for over an hour). */
export const TASK_POLL_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096] as const;

interface Instruments {
  readonly provider: MeterProvider;
  readonly httpRequestDuration: Histogram;
  readonly operationDuration: Histogram;
  readonly tokenUsage: Histogram;
  readonly timeToFirstChunk: Histogram;
  readonly retries: Counter;
  readonly telemetryFailures: Counter;
  readonly taskDuration: Histogram;
  readonly taskPolls: Histogram;
  readonly cost: Counter;
  readonly rateLimitRemaining: Gauge;
  readonly rateLimitLimit: Gauge;
}

/**
 * The attributes of the spend and headroom instruments: provider and model only (the model as the
 * caller's cardinality cap gave it), whatever else the caller's attribute set holds. Spend and
 * headroom belong to an account and a model, not to an operation's outcome.
 */
function accountAttributes(attributes: Attributes): Attributes {
  const kept: Attributes = {};
  const provider = attributes[ATTR_GEN_AI_PROVIDER_NAME];
  const model = attributes[ATTR_GEN_AI_REQUEST_MODEL];
  if (provider !== undefined) kept[ATTR_GEN_AI_PROVIDER_NAME] = provider;
  if (model !== undefined) kept[ATTR_GEN_AI_REQUEST_MODEL] = model;
  return kept;
}

function createInstruments(provider: MeterProvider): Instruments {
  const meter = provider.getMeter(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION);
  return {
    provider,
    httpRequestDuration: meter.createHistogram(METRIC_HTTP_CLIENT_REQUEST_DURATION, {
      description: 'Duration of HTTP client requests (one per attempt).',
      unit: 's',
      advice: { explicitBucketBoundaries: [...HTTP_DURATION_BUCKETS_S] },
    }),
    operationDuration: meter.createHistogram(METRIC_GEN_AI_CLIENT_OPERATION_DURATION, {
      description: 'GenAI operation duration, all attempts included, until the response body ends.',
      unit: 's',
      advice: { explicitBucketBoundaries: [...GEN_AI_DURATION_BUCKETS_S] },
    }),
    tokenUsage: meter.createHistogram(METRIC_GEN_AI_CLIENT_TOKEN_USAGE, {
      description: 'Number of input and output tokens used.',
      unit: '{token}',
      advice: { explicitBucketBoundaries: [...GEN_AI_TOKEN_BUCKETS] },
    }),
    timeToFirstChunk: meter.createHistogram(METRIC_GEN_AI_CLIENT_TIME_TO_FIRST_CHUNK, {
      description: 'Time from the request to the first streamed chunk with content.',
      unit: 's',
      advice: { explicitBucketBoundaries: [...GEN_AI_DURATION_BUCKETS_S] },
    }),
    retries: meter.createCounter(METRIC_LLM_CLIENT_RETRIES, {
      description: 'Resends made by the retry interceptor.',
      unit: '{retry}',
    }),
    telemetryFailures: meter.createCounter(METRIC_LLM_TELEMETRY_FAILURES, {
      description: 'Internal telemetry errors that were swallowed so the request was not affected.',
      unit: '{failure}',
    }),
    taskDuration: meter.createHistogram(METRIC_LLM_TASK_DURATION, {
      description: 'Asynchronous task duration, from the creation response to the poll that saw it end.',
      unit: 's',
      advice: { explicitBucketBoundaries: [...TASK_DURATION_BUCKETS_S] },
    }),
    taskPolls: meter.createHistogram(METRIC_LLM_TASK_POLLS, {
      description: 'Polls an asynchronous task took until it ended.',
      unit: '{poll}',
      advice: { explicitBucketBoundaries: [...TASK_POLL_BUCKETS] },
    }),
    cost: meter.createCounter(METRIC_LLM_CLIENT_COST, {
      description: 'Cost of LLM calls in US dollars: provider-reported, else computed from the price table.',
      unit: 'USD',
    }),
    rateLimitRemaining: meter.createGauge(METRIC_LLM_CLIENT_RATE_LIMIT_REMAINING, {
      description: 'Requests or tokens left in the rate-limit window, as the last response reported.',
      unit: '{count}',
    }),
    rateLimitLimit: meter.createGauge(METRIC_LLM_CLIENT_RATE_LIMIT_LIMIT, {
      description: 'Requests or tokens allowed per rate-limit window, as the last response reported.',
      unit: '{count}',
    }),
  };
}

export class TelemetryMetrics {
  readonly #configured: MeterProvider | undefined;
  #instruments: Instruments | undefined;

  constructor(meterProvider: MeterProvider | undefined) {
    this.#configured = meterProvider;
  }

  get #current(): Instruments {
    const provider = this.#configured ?? metrics.getMeterProvider();
    if (this.#instruments?.provider !== provider) this.#instruments = createInstruments(provider);
    return this.#instruments;
  }

  httpRequestDuration(seconds: number, attributes: Attributes): void {
    this.#current.httpRequestDuration.record(seconds, attributes);
  }

  operationDuration(seconds: number, attributes: Attributes): void {
    this.#current.operationDuration.record(seconds, attributes);
  }

  tokenUsage(tokens: number, tokenType: string, attributes: Attributes): void {
    this.#current.tokenUsage.record(tokens, { ...attributes, [ATTR_GEN_AI_TOKEN_TYPE]: tokenType });
  }

  timeToFirstChunk(seconds: number, attributes: Attributes): void {
    this.#current.timeToFirstChunk.record(seconds, attributes);
  }

  retry(attributes: Attributes): void {
    this.#current.retries.add(1, attributes);
  }

  taskDuration(seconds: number, attributes: Attributes): void {
    this.#current.taskDuration.record(seconds, attributes);
  }

  taskPolls(polls: number, attributes: Attributes): void {
    this.#current.taskPolls.record(polls, attributes);
  }

  /**
   * Adds a call's cost (USD) to `llm.client.cost`. Only `gen_ai.provider.name` and
   * `gen_ai.request.model` of `attributes` are kept; pass the model through the cardinality cap.
   * Negative or non-finite amounts are ignored (a counter only grows).
   */
  cost(usd: number, attributes: Attributes): void {
    if (!(Number.isFinite(usd) && usd >= 0)) return;
    this.#current.cost.add(usd, accountAttributes(attributes));
  }

  /**
   * Records one limit's headroom on `llm.client.rate_limit.remaining` and `.limit`, by provider,
   * model (capped by the caller) and `llm.rate_limit.kind`; a value the headers did not give is
   * not recorded.
   */
  rateLimit(reading: RateLimitReading, attributes: Attributes): void {
    const instruments = this.#current;
    const kept = { ...accountAttributes(attributes), [ATTR_LLM_RATE_LIMIT_KIND]: reading.kind };
    if (reading.remaining !== undefined) instruments.rateLimitRemaining.record(reading.remaining, kept);
    if (reading.limit !== undefined) instruments.rateLimitLimit.record(reading.limit, kept);
  }

  telemetryFailure(stage: string): void {
    this.#current.telemetryFailures.add(1, { [ATTR_LLM_FAILURE_STAGE]: stage });
  }
}
