/**
 * The operation span: one per logical call, parent of every attempt span, from dispatch until the
 * final attempt's response body has ended, failed or been abandoned. It carries the GenAI request
 * and response attributes, the final error, retry events, and records the operation metrics.
 */
import {
  type Attributes,
  type Context,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { GenAiRequest } from '../genai/request.ts';
import { callKey } from '../inferred-retries/inferred-retries.ts';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_LLM_ERROR_PHASE,
  ATTR_LLM_ERROR_SPEND_CAP,
  ATTR_LLM_RETRY_ATTEMPTS,
  ATTR_LLM_RETRY_DELAY_MS,
  ATTR_LLM_RETRY_REASON,
  ATTR_LLM_RETRY_SKIPPED,
  ATTR_LLM_RETRY_SOURCE,
  ATTR_LLM_USAGE_COST,
  ATTR_LLM_USAGE_COST_SOURCE,
  ATTR_SERVER_ADDRESS,
  COST_SOURCE_PROVIDER,
  EVENT_LLM_RETRY,
  RETRY_SOURCE_INFERRED,
  RETRY_SOURCE_SDK,
  TOKEN_TYPE_INPUT,
  TOKEN_TYPE_OUTPUT,
} from '../semconv/names.ts';
import { cachedInputTokens, priceTableCost } from '../spend/price-table.ts';
import { type Cost, usageCost } from '../spend/provider-cost.ts';
import type { TaskRequest } from '../tasks/task-tracker.ts';
import type { OperationListener, OperationState, RetryAnnouncement } from './operation-state.ts';
import { type AttemptOutcome, outcomeAttributes } from './outcome.ts';
import type { RequestTarget } from './request-target.ts';
import { endSpan, type TelemetryRuntime } from './runtime.ts';

export class Operation implements OperationListener {
  readonly #runtime: TelemetryRuntime;
  readonly #span: Span;
  readonly #context: Context;
  readonly #startedAt = performance.now();
  readonly target: RequestTarget;
  /** `gen_ai.operation.name` when the route is an LLM API route. */
  readonly operationName: string | undefined;
  readonly providerName: string | undefined;
  /** An asynchronous task's creation or poll (src/tasks/), if this call is one. */
  readonly task: TaskRequest | undefined;
  model: string | undefined;
  stream = false;
  requestRead = false;
  #attempts = 0;
  #attemptsInFlight = 0;
  /** The SDK numbered this call as a resend (`x-stainless-retry-count` > 0): nothing to infer. */
  #announced = false;
  /** This call's resend count as its SDK made it: announced or inferred. */
  #sdkResendCount = 0;
  /** The request body, kept until the end only to digest it if the call fails retryably. */
  #body: string | undefined;
  #last: AttemptOutcome | undefined;
  #finishRequested = false;
  #abortedByApplication = false;
  #ended = false;
  readonly #endsWithAttempt: boolean;

  /** `endsWithAttempt`: no retry layer owns this call, so the operation ends with its only attempt. */
  constructor(
    runtime: TelemetryRuntime,
    state: OperationState,
    target: RequestTarget,
    endsWithAttempt: boolean,
    task?: TaskRequest,
    providerHint?: string,
  ) {
    this.#runtime = runtime;
    this.#endsWithAttempt = endsWithAttempt;
    this.target = target;
    this.task = task;
    this.operationName = target.operationName;
    this.providerName = target.operationName ? runtime.providerNameFor(target, providerHint) : undefined;
    // Gemini, Vertex, Bedrock and Azure name the model in the path; the body's model, if any, wins later.
    this.model = target.route?.model;
    const attributes: Attributes = this.operationName
      ? { [ATTR_GEN_AI_OPERATION_NAME]: this.operationName, [ATTR_GEN_AI_PROVIDER_NAME]: this.providerName }
      : { [ATTR_HTTP_REQUEST_METHOD]: target.method, [ATTR_SERVER_ADDRESS]: target.serverAddress };
    if (this.model !== undefined) attributes[ATTR_GEN_AI_REQUEST_MODEL] = this.model;
    if (target.route?.streams !== undefined) {
      this.stream = target.route.streams;
      attributes[ATTR_GEN_AI_REQUEST_STREAM] = this.stream;
    }
    if (task) Object.assign(attributes, task.attributes);
    this.#span = runtime.tracer.startSpan(
      this.model === undefined || !this.operationName
        ? (this.operationName ?? target.method)
        : `${this.operationName} ${this.model}`,
      { kind: SpanKind.CLIENT, attributes, links: task?.links },
      state.parentContext,
    );
    this.#context = trace.setSpan(state.parentContext, this.#span);
  }

  get context(): Context {
    return this.#context;
  }

  get span(): Span {
    return this.#span;
  }

  get startedAt(): number {
    return this.#startedAt;
  }

  /** Applies what the request body said: model, stream flag and (opt-in) the prompt. */
  setRequest(request: GenAiRequest): void {
    this.requestRead = true;
    this.model = request.model ?? this.model;
    // A route that streams by its path (Gemini, Bedrock) says so whatever the body holds.
    if (this.target.route?.streams === undefined) this.stream = request.stream;
    if (!this.operationName) return;
    this.#span.setAttribute(ATTR_GEN_AI_REQUEST_STREAM, this.stream);
    if (request.model !== undefined) {
      this.#span.setAttribute(ATTR_GEN_AI_REQUEST_MODEL, request.model);
      this.#span.updateName(`${this.operationName} ${request.model}`);
    }
    if (request.inputMessages !== undefined)
      this.#span.setAttribute(ATTR_GEN_AI_INPUT_MESSAGES, request.inputMessages);
  }

  /** Counts an attempt and notes an SDK-made retry (the openai SDK's `x-stainless-retry-count`). */
  attemptStarted(sdkRetryCount: number | undefined): void {
    this.#attempts++;
    this.#attemptsInFlight++;
    // Only a count above 0 announces a resend: LangChain wraps an openai client with maxRetries 0
    // and retries around it, so every request it sends says 0.
    if (sdkRetryCount !== undefined && sdkRetryCount > 0) this.#announced = true;
    if (sdkRetryCount !== undefined && sdkRetryCount > 0) {
      this.#sdkResendCount = sdkRetryCount;
      this.#span.setAttributes({
        [ATTR_LLM_RETRY_SOURCE]: RETRY_SOURCE_SDK,
        [ATTR_HTTP_REQUEST_RESEND_COUNT]: sdkRetryCount,
      });
    }
  }

  /**
   * Links an unannounced SDK resend: the same endpoint and body as a call that failed retryably
   * moments ago (src/inferred-retries/). Returns the inferred resend count, for the attempt span.
   */
  inferResend(body: string): number | undefined {
    const tracker = this.#runtime.inferredRetries;
    if (!tracker || !this.operationName || this.#body !== undefined) return undefined;
    this.#body = body;
    // Digesting costs time on long prompts: only when a recent failure could be this call's first try.
    if (tracker.size === 0) return undefined;
    const failed = tracker.resending(callKey(this.target.origin, this.target.path, body));
    if (!failed || this.#announced) return undefined;
    const resendCount = failed.resendCount + 1;
    this.#sdkResendCount = resendCount;
    this.#span.setAttributes({
      [ATTR_HTTP_REQUEST_RESEND_COUNT]: resendCount,
      [ATTR_LLM_RETRY_SOURCE]: RETRY_SOURCE_INFERRED,
    });
    this.#span.addLink({ context: failed.span });
    this.#runtime.metrics.retry({
      [ATTR_LLM_RETRY_REASON]: failed.reason,
      [ATTR_GEN_AI_PROVIDER_NAME]: this.providerName ?? this.target.serverAddress,
      [ATTR_SERVER_ADDRESS]: this.target.serverAddress,
    });
    return resendCount;
  }

  attemptEnded(outcome: AttemptOutcome): void {
    this.#attemptsInFlight--;
    this.#last = outcome;
    if (this.#endsWithAttempt) this.#finishRequested = true;
    if (this.#finishRequested && this.#attemptsInFlight === 0) this.#end();
  }

  retryScheduled(retry: RetryAnnouncement): void {
    try {
      this.#span.addEvent(EVENT_LLM_RETRY, {
        [ATTR_HTTP_REQUEST_RESEND_COUNT]: retry.resendCount,
        [ATTR_LLM_RETRY_DELAY_MS]: retry.delayMs,
        [ATTR_LLM_RETRY_REASON]: retry.reason,
        [ATTR_LLM_RETRY_SOURCE]: retry.source,
      });
      this.#runtime.metrics.retry({
        [ATTR_LLM_RETRY_REASON]: retry.reason,
        [ATTR_GEN_AI_PROVIDER_NAME]: this.providerName ?? this.target.serverAddress,
        [ATTR_SERVER_ADDRESS]: this.target.serverAddress,
      });
    } catch (error) {
      this.#runtime.failed('retry_event', error);
    }
  }

  retrySkipped(reason: string): void {
    this.#span.setAttribute(ATTR_LLM_RETRY_SKIPPED, reason);
  }

  /** Ends the span once every attempt has reported. Idempotent. */
  finish(aborted = false): void {
    this.#finishRequested = true;
    if (aborted) this.#abortedByApplication = true;
    if (this.#attemptsInFlight === 0) this.#end();
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    try {
      const last = this.#last;
      // An application that gave up after the stream's terminal event did not abort the call.
      const outcome =
        last && this.#abortedByApplication && !last.streamTerminated ? { ...last, aborted: true } : last;
      this.#span.setAttribute(ATTR_LLM_RETRY_ATTEMPTS, this.#attempts);
      if (outcome) {
        this.#span.setAttributes(outcomeAttributes(outcome, this.operationName !== undefined));
        if (outcome.errorType !== undefined && !outcome.aborted) {
          this.#span.setStatus({
            code: SpanStatusCode.ERROR,
            message: outcome.errorMessage ?? outcome.errorType,
          });
        }
      }
      this.#recordMetrics(outcome);
      if (outcome?.retryable && outcome.errorType !== undefined && !outcome.aborted)
        this.#rememberFailure(outcome.errorType);
      this.#body = undefined;
    } catch (error) {
      this.#runtime.failed('operation_end', error);
    } finally {
      endSpan(this.#span, this.#runtime);
    }
  }

  /**
   * The call's cost (src/spend/): what the provider reported (`usage.cost`, `cost_in_usd_ticks`, a
   * gateway's `x-litellm-response-cost` header), else the user's price table applied to the tokens;
   * none when neither knows. Never a built-in price list.
   */
  #costOf(outcome: AttemptOutcome): Cost | undefined {
    const response = outcome.response;
    const reported = usageCost(response?.usage) ?? outcome.headerCostUsd;
    if (reported !== undefined) return { usd: reported, source: COST_SOURCE_PROVIDER };
    return priceTableCost(this.#runtime.options.prices, [response?.model, this.model], {
      inputTokens: response?.inputTokens,
      outputTokens: response?.outputTokens,
      cachedInputTokens: cachedInputTokens(response?.usage),
    });
  }

  /** A failure the SDK may resend on its own: remembered so that its resend can be linked. */
  #rememberFailure(reason: string): void {
    const body = this.#body;
    if (body === undefined) return;
    this.#runtime.inferredRetries?.failed(callKey(this.target.origin, this.target.path, body), {
      span: this.#span.spanContext(),
      resendCount: this.#sdkResendCount,
      reason,
    });
  }

  #recordMetrics(outcome: AttemptOutcome | undefined): void {
    if (!this.operationName) return;
    const attributes: Attributes = {
      [ATTR_GEN_AI_OPERATION_NAME]: this.operationName,
      [ATTR_GEN_AI_PROVIDER_NAME]: this.providerName,
    };
    const model = this.#runtime.models.metricValue(this.model);
    if (model !== undefined) attributes[ATTR_GEN_AI_REQUEST_MODEL] = model;
    if (outcome?.statusCode !== undefined) attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = outcome.statusCode;
    if (outcome?.errorType !== undefined && !outcome.aborted) {
      attributes[ATTR_ERROR_TYPE] = outcome.errorType;
      if (outcome.phase !== undefined) attributes[ATTR_LLM_ERROR_PHASE] = outcome.phase;
      if (outcome.spendCap) attributes[ATTR_LLM_ERROR_SPEND_CAP] = true;
    }
    const metrics = this.#runtime.metrics;
    metrics.operationDuration((performance.now() - this.#startedAt) / 1000, attributes);
    const cost = outcome && this.#costOf(outcome);
    if (cost) {
      this.#span.setAttributes({
        [ATTR_LLM_USAGE_COST]: cost.usd,
        [ATTR_LLM_USAGE_COST_SOURCE]: cost.source,
      });
      metrics.cost(cost.usd, attributes);
    }
    const response = outcome?.response;
    if (response?.inputTokens !== undefined)
      metrics.tokenUsage(response.inputTokens, TOKEN_TYPE_INPUT, attributes);
    if (response?.outputTokens !== undefined)
      metrics.tokenUsage(response.outputTokens, TOKEN_TYPE_OUTPUT, attributes);
    if (outcome?.firstChunkSeconds !== undefined)
      metrics.timeToFirstChunk(outcome.firstChunkSeconds, attributes);
  }
}
