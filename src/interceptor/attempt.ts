/**
 * The attempt span: one per HTTP attempt, child of the operation span. It watches the response as
 * undici delivers it — status and headers, then a bounded copy of an error body, the SSE stream, or
 * a non-streaming JSON body — and ends exactly once, on the body's end, an error or an abort.
 * Nothing here touches the bytes the application receives; see attempt-handler.ts for the wiring.
 */
import {
  type Attributes,
  type Context,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { BoundedCopy } from '../body/bounded-copy.ts';
import { decodeBodySync } from '../body/decode.ts';
import { decodingOrder } from '../body/encoding.ts';
import { createStreamDecoder, type StreamDecoder } from '../body/stream-decoder.ts';
import { describeHttpError } from '../errors/error-body.ts';
import { codeShaped } from '../errors/error-code.ts';
import { errorTypeOf, isUserAbort } from '../errors/error-type.ts';
import { isRetryableNetworkError, isRetryableStreamError } from '../errors/policy.ts';
import { EventStreamObserver } from '../eventstream/event-stream-observer.ts';
import { parseGenAiResponse } from '../genai/response.ts';
import { NdjsonObserver } from '../ndjson/ndjson-observer.ts';
import { queryCredentials } from '../redact/credentials.ts';
import { redactMessage } from '../redact/text.ts';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_HEADER_PREFIX,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_LLM_AUTH_SCHEME_MISSING,
  ATTR_LLM_ERROR_MESSAGE,
  ATTR_LLM_STREAM_BYTES_RECEIVED,
  ATTR_LLM_STREAM_CHUNK_INDEX,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
  ERROR_PHASE_IMMEDIATE,
  ERROR_PHASE_MID_STREAM,
  ERROR_TYPE_INVALID_RESPONSE_BODY,
  ERROR_TYPE_STREAM_TRUNCATED,
  EVENT_LLM_STREAM_ERROR,
  EVENT_LLM_STREAM_TRUNCATED,
} from '../semconv/names.ts';
import { headerCost } from '../spend/provider-cost.ts';
import { type RateLimitReading, rateLimits } from '../spend/rate-limits.ts';
import {
  type ResponseStreamObserver,
  STREAM_ERROR_CODE_UNSPECIFIED,
  type StreamErrorInfo,
  StreamObserver,
} from '../sse/stream-observer.ts';
import type { CreationFacts, TaskRequest } from '../tasks/task-tracker.ts';
import type { Operation } from './operation.ts';
import { type AttemptOutcome, emptyOutcome, httpOutcomeAttributes } from './outcome.ts';
import { endSpan, type TelemetryRuntime } from './runtime.ts';

const MAX_MESSAGE_LENGTH = 1024;

type ResponseHeaders = Record<string, string | string[] | undefined>;

export class Attempt {
  readonly span: Span;
  readonly context: Context;
  readonly #runtime: TelemetryRuntime;
  readonly #operation: Operation;
  readonly #startedAt = performance.now();
  readonly #outcome: AttemptOutcome = emptyOutcome();
  #protocolVersion: string | undefined;
  #contentEncoding: string | undefined;
  #errorBody: BoundedCopy | undefined;
  #jsonBody: BoundedCopy | undefined;
  #stream: ResponseStreamObserver | undefined;
  #decoder: StreamDecoder | undefined;
  #bodyBytes = 0;
  /** Rate-limit headroom the response headers reported (recorded when the attempt ends). */
  #rateLimits: readonly RateLimitReading[] | undefined;
  /** An error code named by a response header (Bedrock's `x-amzn-errortype`), used when the body names none. */
  #headerErrorType: string | undefined;
  /** The request's exact secrets (headers), stripped from every message; query keys added lazily. */
  readonly #headerCredentials: readonly string[];
  #credentials: readonly string[] | undefined;
  #ending = false;
  #ended = false;

  constructor(
    runtime: TelemetryRuntime,
    operation: Operation,
    resendCount: number,
    authSchemeMissing: boolean,
    credentials: readonly string[] = [],
  ) {
    this.#headerCredentials = credentials;
    this.#runtime = runtime;
    this.#operation = operation;
    const target = operation.target;
    const attributes: Attributes = {
      [ATTR_HTTP_REQUEST_METHOD]: target.method,
      [ATTR_URL_FULL]: target.urlFull,
      [ATTR_SERVER_ADDRESS]: target.serverAddress,
      [ATTR_SERVER_PORT]: target.serverPort,
      [ATTR_HTTP_REQUEST_RESEND_COUNT]: resendCount,
    };
    if (authSchemeMissing) attributes[ATTR_LLM_AUTH_SCHEME_MISSING] = true;
    if (operation.task) Object.assign(attributes, operation.task.attributes);
    this.span = runtime.tracer.startSpan(
      target.method,
      { kind: SpanKind.CLIENT, attributes },
      operation.context,
    );
    this.context = trace.setSpan(operation.context, this.span);
  }

  responseStarted(statusCode: number, headers: ResponseHeaders, statusMessage: string): void {
    if (statusCode < 200) return; // an interim response (100 Continue, 103 Early Hints)
    const outcome = this.#outcome;
    outcome.statusCode = statusCode;
    // undici's HTTP/1.1 parser always passes the reason phrase; its HTTP/2 client passes ''.
    this.#protocolVersion =
      statusMessage === '' && this.#operation.target.url.protocol === 'https:' ? '2' : '1.1';
    outcome.headerAttributes = this.#headerAttributes(headers);
    if (this.#operation.operationName) this.#readSpendHeaders(headers);
    const encoding = headerValue(headers['content-encoding']);
    this.#contentEncoding = encoding === undefined || encoding === 'identity' ? undefined : encoding;
    const options = this.#runtime.options;
    if (statusCode >= 400) {
      this.#errorBody = new BoundedCopy(options.maxErrorBodyBytes);
      // AWS names the error in a header (`ThrottlingException:http://internal.amazon.com/...`).
      const amazonType = headerValue(headers['x-amzn-errortype']);
      if (amazonType !== undefined) this.#headerErrorType = codeShaped(amazonType.split(':', 1)[0]);
      return;
    }
    const contentType = headerValue(headers['content-type']) ?? '';
    if (contentType.includes('text/event-stream')) {
      this.#startStream(StreamObserver);
    } else if (contentType.includes('ndjson')) {
      // Ollama's streams; any other NDJSON is not ours to read.
      if (this.#operation.operationName) this.#startStream(NdjsonObserver);
    } else if (contentType.includes('vnd.amazon.eventstream')) {
      // Bedrock's streams (converse-stream, invoke-with-response-stream).
      if (this.#operation.operationName) this.#startStream(EventStreamObserver);
    } else if (
      (this.#operation.operationName || this.#operation.task?.wantsJsonBody) &&
      contentType.includes('json')
    ) {
      this.#jsonBody = new BoundedCopy(options.maxResponseBodyBytes);
    }
  }

  data(chunk: Uint8Array): void {
    if (this.#ending) return;
    this.#bodyBytes += chunk.byteLength;
    if (this.#decoder) this.#decoder.write(chunk);
    else if (this.#stream) this.#streamData(this.#stream, chunk);
    else if (this.#errorBody) this.#errorBody.push(chunk);
    else this.#jsonBody?.push(chunk);
  }

  /**
   * Stream bytes (decoded). Once the stream's final event has passed (`[DONE]`, the format's last
   * event, an error frame), the attempt settles there: its outcome cannot change, and a client that
   * stops reading without cancelling (the ollama client) must not keep the spans open.
   */
  #streamData(stream: ResponseStreamObserver, bytes: Uint8Array): void {
    stream.write(bytes);
    if (stream.final && !this.#ending) {
      this.#ending = true;
      this.#decoder?.destroy();
      // Guarded: the attempt is settled now, so a throw here must still end the span.
      this.#guarded('stream_final', () => this.#completeBody());
    }
  }

  /** The response body ended normally. Compressed streams finish decoding first. */
  completed(): void {
    if (this.#ending) return;
    this.#ending = true;
    const decoder = this.#decoder;
    if (!decoder) {
      this.#completeBody();
      return;
    }
    decoder.end().then(
      () => this.#guarded('stream_decode', () => this.#completeBody()),
      (error: unknown) => {
        this.#runtime.failed('stream_decode', error);
        this.#end();
      },
    );
  }

  /** The request failed: connection error, reset, timeout or the application's abort. */
  failed(error: unknown): void {
    if (this.#ending) return;
    this.#ending = true;
    // A reason that is not an Error is the application's: `body.cancel('done')`, or undici
    // cancelling a body that was garbage collected unread.
    if (isUserAbort(error) || !(error instanceof Error)) {
      this.#applicationStopped();
      return;
    }
    if (this.#outcome.errorType === undefined) this.#recordFailure(error);
    this.#decoder?.destroy();
    this.#recordStreamProgress();
    this.#end();
  }

  /**
   * The application stopped reading. SDKs do that as soon as they have seen a stream's terminal or
   * error event, often before the end of the body arrives: then the stream's own ending is the
   * outcome. Only a stop before any terminal event is an abort. A compressed stream's decoder is
   * drained first, since the application may have decoded further than telemetry had.
   */
  #applicationStopped(): void {
    const decoder = this.#decoder;
    if (!decoder) {
      this.#guarded('application_stopped', () => this.#settleStopped());
      return;
    }
    decoder.end().then(
      () => this.#guarded('stream_decode', () => this.#settleStopped()),
      (error: unknown) => {
        this.#runtime.failed('stream_decode', error);
        this.#guarded('stream_decode', () => this.#settleStopped());
      },
    );
  }

  #settleStopped(): void {
    if (this.#stream?.terminated) {
      this.#completeBody();
      return;
    }
    this.#outcome.aborted = true;
    this.#recordStreamProgress();
    this.#end();
  }

  /** Telemetry could not finish setting up this attempt: end it without an outcome; the request goes out untouched. */
  abandon(): void {
    if (this.#ending) return;
    this.#ending = true;
    this.#end();
  }

  #recordFailure(error: unknown): void {
    const outcome = this.#outcome;
    const status = outcome.statusCode;
    if (status !== undefined && status >= 400) {
      this.#describeErrorBody();
      return;
    }
    outcome.errorType = errorTypeOf(error);
    outcome.errorMessage = this.#messageOf(error);
    outcome.phase = status === undefined ? ERROR_PHASE_IMMEDIATE : ERROR_PHASE_MID_STREAM;
    outcome.retryable = status === undefined && isRetryableNetworkError(error);
    if (this.#isLlmStream()) this.#truncated(outcome.errorType);
  }

  #startStream(Observer: typeof StreamObserver | typeof NdjsonObserver | typeof EventStreamObserver): void {
    const stream = new Observer({
      onError: (error) => this.#guarded('stream_error', () => this.#streamError(error)),
      now: () => performance.now(),
      maxLineBytes: this.#runtime.options.maxSseLineBytes,
    });
    if (this.#contentEncoding !== undefined) {
      this.#decoder = createStreamDecoder(this.#contentEncoding, (decoded) =>
        this.#guarded('stream_data', () => this.#streamData(stream, decoded)),
      );
      if (!this.#decoder) return; // an encoding we cannot decode: no stream insight, but no harm
    }
    this.#stream = stream;
  }

  #streamError(reported: StreamErrorInfo): void {
    // The observers shape their codes already; this keeps any observer's code a bounded token.
    const error = { ...reported, code: codeShaped(reported.code) ?? STREAM_ERROR_CODE_UNSPECIFIED };
    const message = error.message === undefined ? undefined : this.#cleanMessage(error.message);
    const outcome = this.#outcome;
    if (outcome.errorType === undefined) {
      outcome.errorType = error.code;
      outcome.errorMessage = message;
      outcome.phase = ERROR_PHASE_MID_STREAM;
      outcome.retryable = isRetryableStreamError(error.code);
    }
    const attributes: Attributes = {
      [ATTR_ERROR_TYPE]: error.code,
      [ATTR_LLM_STREAM_CHUNK_INDEX]: error.chunkIndex,
      [ATTR_LLM_STREAM_BYTES_RECEIVED]: error.bytesReceived,
    };
    if (message !== undefined) attributes[ATTR_LLM_ERROR_MESSAGE] = message;
    this.span.addEvent(EVENT_LLM_STREAM_ERROR, attributes);
    this.#operation.span.addEvent(EVENT_LLM_STREAM_ERROR, attributes);
  }

  #truncated(errorType: string): void {
    this.span.addEvent(EVENT_LLM_STREAM_TRUNCATED, {
      [ATTR_ERROR_TYPE]: errorType,
      [ATTR_LLM_STREAM_BYTES_RECEIVED]: this.#bodyBytes,
    });
  }

  #completeBody(): void {
    const outcome = this.#outcome;
    const stream = this.#stream;
    let jsonText: string | undefined;
    if (this.#errorBody) {
      this.#describeErrorBody();
    } else if (stream) {
      stream.end();
      outcome.streamTerminated = stream.terminated;
      // Only a stream we understand can be cut short; any other event stream (MCP) ends when it likes.
      if (outcome.errorType === undefined && !stream.completed && this.#isLlmStream()) {
        outcome.errorType = ERROR_TYPE_STREAM_TRUNCATED;
        outcome.phase = ERROR_PHASE_MID_STREAM;
        outcome.retryable = false;
        this.#truncated(ERROR_TYPE_STREAM_TRUNCATED);
      }
      this.#recordStreamProgress();
    } else if (this.#jsonBody && !this.#jsonBody.truncated) {
      jsonText = this.#decodedCopy(this.#jsonBody, this.#runtime.options.maxResponseBodyBytes);
      // A coding nobody knows is passed to the application undecoded (fetch ignores it): not ours to judge.
      const decodable =
        this.#contentEncoding === undefined || decodingOrder(this.#contentEncoding) !== undefined;
      if (this.#operation.operationName && decodable) this.#readJsonResponse(jsonText);
    }
    if (this.#operation.task) this.#completeTask(this.#operation.task, jsonText);
    this.#end();
  }

  /**
   * GenAI response attributes of a complete JSON body. A body that does not decode or is not a JSON
   * object (cut short by the server, corrupt gzip, a lying content-encoding) fails the application's
   * SDK too, so it is an error here: `invalid_response_body`.
   */
  #readJsonResponse(text: string | undefined): void {
    const format = this.#operation.target.route?.format;
    const capture = this.#runtime.options.captureContent;
    const response =
      text === undefined
        ? undefined
        : format
          ? format.parseResponse(text, capture)
          : parseGenAiResponse(text, capture);
    if (response) {
      this.#outcome.response = response;
      return;
    }
    if (text !== undefined && text.trim() === '') return;
    const outcome = this.#outcome;
    outcome.errorType = ERROR_TYPE_INVALID_RESPONSE_BODY;
    outcome.errorMessage = 'The response body is not a JSON object (cut short, corrupt or mis-encoded).';
    outcome.phase = ERROR_PHASE_MID_STREAM;
    outcome.retryable = false;
  }

  /** An asynchronous task's creation or poll: its attributes, completion event and failure (src/tasks/). */
  #completeTask(task: TaskRequest, jsonText: string | undefined): void {
    try {
      const operation = this.#operation;
      const result = task.complete(this.#outcome.statusCode, jsonText, () => this.#creationFacts());
      if (!result) return;
      this.span.setAttributes(result.attributes);
      operation.span.setAttributes(result.attributes);
      for (const event of result.events) operation.span.addEvent(event.name, event.attributes);
      const outcome = this.#outcome;
      if (result.error && outcome.errorType === undefined) {
        outcome.errorType = result.error.type;
        outcome.errorMessage = result.error.message;
        outcome.retryable = false;
      }
    } catch (error) {
      this.#runtime.failed('task', error);
    }
  }

  /** What a task created by this call is registered with: the span its polls link to, metric attributes. */
  #creationFacts(): CreationFacts {
    const operation = this.#operation;
    const metricAttributes: Attributes = {
      [ATTR_GEN_AI_PROVIDER_NAME]: operation.providerName ?? this.#runtime.providerNameFor(operation.target),
    };
    const model = this.#runtime.models.metricValue(operation.model);
    if (model !== undefined) metricAttributes[ATTR_GEN_AI_REQUEST_MODEL] = model;
    return { span: operation.span.spanContext(), metricAttributes };
  }

  #describeErrorBody(): void {
    const outcome = this.#outcome;
    const status = outcome.statusCode as number;
    const copy = this.#errorBody;
    const body = copy ? this.#decodedCopy(copy, this.#runtime.options.maxErrorBodyBytes) : undefined;
    const description = describeHttpError({
      status,
      body,
      maxMessageLength: MAX_MESSAGE_LENGTH,
      credentials: this.#requestCredentials(),
    });
    const bodyNamedNoCode = description.errorType === String(status);
    outcome.errorType =
      bodyNamedNoCode && this.#headerErrorType !== undefined ? this.#headerErrorType : description.errorType;
    outcome.errorMessage = description.message;
    outcome.phase = ERROR_PHASE_IMMEDIATE;
    outcome.retryable = description.retryable;
    outcome.spendCap = description.spendCap;
    outcome.errorProvider = description.provider;
    outcome.errorProviderRequestId = description.providerRequestId;
  }

  /** Spend and headroom the response headers report (src/spend/): a gateway's cost, rate limits. */
  #readSpendHeaders(headers: ResponseHeaders): void {
    this.#outcome.headerCostUsd = headerCost(headers);
    const readings = rateLimits(headers);
    if (readings.length > 0) this.#rateLimits = readings;
  }

  /** Headroom gauges, by provider and (capped) model, once per response that reported them. */
  #recordRateLimits(): void {
    const readings = this.#rateLimits;
    if (readings === undefined) return;
    const operation = this.#operation;
    const attributes: Attributes = {
      [ATTR_GEN_AI_PROVIDER_NAME]: operation.providerName ?? operation.target.serverAddress,
    };
    const model = this.#runtime.models.metricValue(operation.model);
    if (model !== undefined) attributes[ATTR_GEN_AI_REQUEST_MODEL] = model;
    for (const reading of readings) this.#runtime.metrics.rateLimit(reading, attributes);
  }

  /** An LLM stream by its route or by its events (see StreamObserver.isLlmStream). */
  #isLlmStream(): boolean {
    const stream = this.#stream;
    return stream !== undefined && (this.#operation.operationName !== undefined || stream.isLlmStream);
  }

  #messageOf(error: unknown): string | undefined {
    const message = (error as { message?: unknown } | null)?.message;
    return typeof message === 'string' && message !== '' ? this.#cleanMessage(message) : undefined;
  }

  /** Cut to 1,024 characters, secrets redacted (linear, on the kept part plus a margin only). */
  #cleanMessage(message: string): string {
    return redactMessage(message, MAX_MESSAGE_LENGTH, this.#requestCredentials());
  }

  /** The request's credentials: its secret headers' values, and key-like query values (read only when needed). */
  #requestCredentials(): readonly string[] {
    if (this.#credentials !== undefined) return this.#credentials;
    const target = this.#operation.target;
    this.#credentials = target.path.includes('?')
      ? [...this.#headerCredentials, ...queryCredentials(new URL(target.path, target.url))]
      : this.#headerCredentials;
    return this.#credentials;
  }

  #decodedCopy(copy: BoundedCopy, limit: number): string | undefined {
    const bytes = copy.bytes();
    if (this.#contentEncoding === undefined) return bytes.toString('utf8');
    return decodeBodySync(bytes, this.#contentEncoding, limit)?.toString('utf8');
  }

  #recordStreamProgress(): void {
    const stream = this.#stream;
    if (!stream) return;
    const outcome = this.#outcome;
    outcome.streamChunks = stream.chunkIndex;
    outcome.bytesReceived = this.#bodyBytes;
    outcome.linesDropped = stream.linesDropped;
    outcome.response = {
      id: stream.responseId,
      model: stream.responseModel,
      finishReasons: stream.finishReasons,
      inputTokens: stream.inputTokens,
      outputTokens: stream.outputTokens,
      usage: stream.usage,
    };
    if (stream.firstChunkAt !== undefined) {
      outcome.firstChunkSeconds = (stream.firstChunkAt - this.#operation.startedAt) / 1000;
    }
  }

  #headerAttributes(headers: ResponseHeaders): Attributes | undefined {
    let attributes: Attributes | undefined;
    for (const name of this.#runtime.options.responseHeaders) {
      const value = headers[name];
      if (value === undefined) continue;
      attributes ??= {};
      attributes[ATTR_HTTP_RESPONSE_HEADER_PREFIX + name] = Array.isArray(value) ? value : [value];
    }
    return attributes;
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    const outcome = this.#outcome;
    try {
      const attributes = httpOutcomeAttributes(outcome);
      if (this.#protocolVersion !== undefined)
        attributes[ATTR_NETWORK_PROTOCOL_VERSION] = this.#protocolVersion;
      this.span.setAttributes(attributes);
      if (outcome.errorType !== undefined && !outcome.aborted) {
        this.span.setStatus({
          code: SpanStatusCode.ERROR,
          message: outcome.errorMessage ?? outcome.errorType,
        });
      }
      this.#recordDuration();
      this.#recordRateLimits();
    } catch (error) {
      this.#runtime.failed('attempt_end', error);
    } finally {
      endSpan(this.span, this.#runtime);
      this.#operation.attemptEnded(outcome);
    }
  }

  #recordDuration(): void {
    const target = this.#operation.target;
    const outcome = this.#outcome;
    const attributes: Attributes = {
      [ATTR_HTTP_REQUEST_METHOD]: target.method,
      [ATTR_SERVER_ADDRESS]: target.serverAddress,
      [ATTR_SERVER_PORT]: target.serverPort,
    };
    if (outcome.statusCode !== undefined) attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = outcome.statusCode;
    if (outcome.errorType !== undefined && !outcome.aborted) attributes[ATTR_ERROR_TYPE] = outcome.errorType;
    this.#runtime.metrics.httpRequestDuration((performance.now() - this.#startedAt) / 1000, attributes);
  }

  #guarded(stage: string, step: () => void): void {
    try {
      step();
    } catch (error) {
      this.#runtime.failed(stage, error);
      this.#end();
    }
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}
