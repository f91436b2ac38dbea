/**
 * The handler of one attempt under the retry interceptor. While a resend is still possible it
 * holds back what the application would see — an error response until its (bounded) body tells
 * whether it is worth a resend, or a stream until its first event shows it is not a transient
 * error — and otherwise passes every callback through unchanged. An error body that outgrows the
 * bound is judged, as telemetry judges it, by its status and headers alone: resent (the rest is
 * discarded) when that allows a resend, else delivered whole.
 */
import type { Dispatcher } from 'undici';
import { decodeBodySync } from '../body/decode.ts';
import { describeHttpError } from '../errors/error-body.ts';
import { errorTypeOf } from '../errors/error-type.ts';
import { isRetryableHttpError, isRetryableNetworkError, isRetryableStreamError } from '../errors/policy.ts';
import { StreamObserver } from '../sse/stream-observer.ts';
import type { RetryPlan } from './plan.ts';
import { retryAfterMs } from './retry-after.ts';
import type { RetryingCall } from './retrying-call.ts';

type Controller = Dispatcher.DispatchController;
type Headers = Record<string, string | string[] | undefined>;

/**
 * How much of a response may be held back while deciding; beyond it a stream is delivered and an
 * error response is decided on its status and headers.
 */
const MAX_HELD_BYTES = 64 * 1024;

/**
 * The reason an attempt is aborted to resend it: a transient error in its first event, or an error
 * response whose body is over the hold-back bound. Not an `AbortError`: telemetry records the
 * attempt's own failure (the status, the stream error), not an abort.
 */
class ResendError extends Error {
  override name = 'ResendError';
}

type Mode = 'pass' | 'hold-error' | 'hold-stream' | 'resend';

export class RetryAttemptHandler implements Dispatcher.DispatchHandler {
  readonly #call: RetryingCall;
  #mode: Mode = 'pass';
  #controller: Controller | undefined;
  #status = 0;
  #headers: Headers = {};
  #statusMessage: string | undefined;
  #held: Buffer[] = [];
  #heldBytes = 0;
  #stream: StreamObserver | undefined;
  #streamErrorCode: string | undefined;
  #resendPlan: RetryPlan | undefined;
  #delivered = false;

  constructor(call: RetryingCall) {
    this.#call = call;
  }

  get #app(): Dispatcher.DispatchHandler {
    return this.#call.handler;
  }

  onRequestStart(controller: Controller, context: unknown): void {
    this.#controller = controller;
    this.#call.attemptStarted(controller, context);
  }

  onRequestSent(): void {
    this.#app.onRequestSent?.();
  }

  onBodySent(chunk: Buffer): void {
    this.#app.onBodySent?.(chunk);
  }

  onResponseStarted(): void {
    this.#app.onResponseStarted?.();
  }

  onRequestUpgrade(_controller: Controller, statusCode: number, headers: Headers, socket: unknown): void {
    this.#delivered = true;
    this.#app.onRequestUpgrade?.(this.#call.controller, statusCode, headers, socket as never);
    this.#call.finish();
  }

  onResponseStart(
    _controller: Controller,
    statusCode: number,
    headers: Headers,
    statusMessage?: string,
  ): void {
    if (statusCode < 200) {
      this.#app.onResponseStart?.(this.#call.controller, statusCode, headers, statusMessage);
      return;
    }
    this.#status = statusCode;
    this.#headers = headers;
    this.#statusMessage = statusMessage;
    if (statusCode >= 400 && this.#call.mayRetry) {
      this.#mode = 'hold-error';
    } else if (this.#mayResendStream(statusCode, headers)) {
      this.#mode = 'hold-stream';
      this.#stream = new StreamObserver({
        onError: (error) => {
          this.#streamErrorCode ??= error.code;
        },
      });
    } else {
      this.#deliverStart();
    }
  }

  onResponseData(_controller: Controller, chunk: Buffer): void {
    switch (this.#mode) {
      case 'pass':
        this.#app.onResponseData?.(this.#call.controller, chunk);
        return;
      case 'resend':
        return;
      case 'hold-stream':
        this.#hold(chunk);
        this.#stream?.write(chunk);
        if (this.#streamErrorCode !== undefined) this.#firstEventFailed(this.#streamErrorCode);
        else if ((this.#stream?.chunkIndex ?? 0) > 0) this.#release();
        return;
      case 'hold-error':
        this.#hold(chunk);
    }
  }

  onResponseEnd(_controller: Controller, trailers: Headers): void {
    if (this.#mode === 'hold-error') {
      const plan = this.#call.plan(this.#statusFailure());
      if (plan) {
        this.#call.retry(plan);
        return;
      }
    }
    if (this.#mode === 'resend' && this.#resendPlan) {
      this.#call.retry(this.#resendPlan);
      return;
    }
    this.#release();
    this.#app.onResponseEnd?.(this.#call.controller, trailers);
    this.#call.finish();
  }

  onResponseError(_controller: Controller | undefined, error: Error): void {
    if (this.#mode === 'resend' && error instanceof ResendError && this.#resendPlan) {
      this.#call.retry(this.#resendPlan);
      return;
    }
    if (!this.#delivered && !this.#call.controller.aborted) {
      const plan = this.#call.plan({
        kind: 'network',
        statusCode: undefined,
        errorCode: errorTypeOf(error),
        retryable: isRetryableNetworkError(error),
        spendCap: false,
        retryAfterMs: undefined,
      });
      if (plan) {
        this.#call.retry(plan);
        return;
      }
    }
    this.#call.fail(error);
  }

  #statusFailure() {
    const bytes = Buffer.concat(this.#held, this.#heldBytes);
    const encoding = headerText(this.#headers['content-encoding']);
    const body = encoding
      ? decodeBodySync(bytes, encoding, MAX_HELD_BYTES)?.toString('utf8')
      : bytes.toString('utf8');
    const description = describeHttpError({ status: this.#status, body });
    return {
      kind: 'status' as const,
      statusCode: this.#status,
      errorCode: description.errorType,
      retryable: description.retryable,
      spendCap: description.spendCap,
      retryAfterMs: retryAfterMs(this.#headers),
    };
  }

  /** Only an uncompressed 2xx event stream, while a resend is still possible, is held for its first event. */
  #mayResendStream(statusCode: number, headers: Headers): boolean {
    return (
      statusCode < 300 &&
      this.#call.options.retryMidStream &&
      this.#call.mayRetry &&
      headers['content-encoding'] === undefined &&
      (headerText(headers['content-type'])?.includes('text/event-stream') ?? false)
    );
  }

  #firstEventFailed(code: string): void {
    const plan = isRetryableStreamError(code)
      ? this.#call.plan({
          kind: 'stream',
          statusCode: undefined,
          errorCode: code,
          retryable: true,
          spendCap: false,
          retryAfterMs: undefined,
        })
      : undefined;
    if (!plan) {
      this.#release();
      return;
    }
    this.#resendNow(plan, 'resending after a transient error in the first stream event');
  }

  /**
   * An error body over the bound cannot be read whole without holding it all. The seeds' rules
   * decide on the status (only a 429's spend cap is in the body), so decide on what telemetry
   * records for a body it cannot read — the status and its rule, Retry-After — and resend, dropping
   * the rest; or, when no resend is possible, deliver everything to the application.
   */
  #errorBodyOverBound(): void {
    const status = this.#status;
    const plan = this.#call.plan({
      kind: 'status',
      statusCode: status,
      errorCode: String(status),
      retryable: isRetryableHttpError(status, undefined),
      spendCap: false,
      retryAfterMs: retryAfterMs(this.#headers),
    });
    if (!plan) {
      this.#release();
      return;
    }
    this.#resendNow(plan, 'resending after an error response whose body is over the hold-back bound');
  }

  /** Drops what was held, stops this attempt's body and resends once it has reported its end. */
  #resendNow(plan: RetryPlan, reason: string): void {
    this.#mode = 'resend';
    this.#resendPlan = plan;
    this.#held = [];
    this.#heldBytes = 0;
    this.#stream = undefined;
    this.#controller?.abort(new ResendError(reason));
  }

  #hold(chunk: Buffer): void {
    this.#held.push(chunk);
    this.#heldBytes += chunk.byteLength;
    if (this.#heldBytes <= MAX_HELD_BYTES) return;
    if (this.#mode === 'hold-error') this.#errorBodyOverBound();
    else this.#release();
  }

  #deliverStart(): void {
    this.#mode = 'pass';
    this.#delivered = true;
    this.#app.onResponseStart?.(this.#call.controller, this.#status, this.#headers, this.#statusMessage);
  }

  /** Delivers what was held back, then passes everything through. */
  #release(): void {
    if (this.#mode === 'pass') return;
    const held = this.#held;
    this.#held = [];
    this.#heldBytes = 0;
    this.#stream = undefined;
    this.#deliverStart();
    for (const chunk of held) this.#app.onResponseData?.(this.#call.controller, chunk);
  }
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}
