/**
 * The metric instruments of ../shared/TELEMETRY.md, recorded through @opentelemetry/api so they
 * go wherever the application's MeterProvider sends them. Instruments are created on first use and
 * re-created if the global MeterProvider is replaced (the API has no proxy for meters, and
 * applications often register their SDK after creating clients).
 */
import {
  type Attributes,
  type Counter,
  type Histogram,
  type MeterProvider,
  metrics,
} from '@opentelemetry/api';
import {
  ATTR_GEN_AI_TOKEN_TYPE,
  ATTR_LLM_FAILURE_STAGE,
  GEN_AI_DURATION_BUCKETS_S,
  GEN_AI_TOKEN_BUCKETS,
  HTTP_DURATION_BUCKETS_S,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_TIME_TO_FIRST_CHUNK,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  METRIC_HTTP_CLIENT_REQUEST_DURATION,
  METRIC_LLM_CLIENT_RETRIES,
  METRIC_LLM_TASK_DURATION,
  METRIC_LLM_TASK_POLLS,
  METRIC_LLM_TELEMETRY_FAILURES,
} from '../semconv/names.ts';
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

  telemetryFailure(stage: string): void {
    this.#current.telemetryFailures.add(1, { [ATTR_LLM_FAILURE_STAGE]: stage });
  }
}
