/**
 * The contract between the retry interceptor and the telemetry interceptor for one logical call.
 *
 * The outermost of the two creates an `OperationState` and passes it down on the dispatch options
 * under `kOperationState`. The retry layer (outside) counts attempts and announces resends; the
 * telemetry layer (inside) attaches the operation span to the state on the first attempt and
 * starts one attempt span per dispatch it sees. Whoever created the state calls `finish()` once
 * the application has received the final attempt's outcome. Neither layer imports the other.
 */
import { type Context, context } from '@opentelemetry/api';

export const kOperationState: unique symbol = Symbol.for('llm-otel-dispatcher.operation-state');

export interface RetryAnnouncement {
  /** The `http.request.resend_count` the next attempt will carry (1 for the first resend). */
  readonly resendCount: number;
  readonly delayMs: number;
  /** The status code or error code that caused the resend. */
  readonly reason: string;
  /** `policy` (our backoff) or `retry-after` (the server's header). */
  readonly source: string;
}

/** What the telemetry layer does with the retry layer's news. */
export interface OperationListener {
  retryScheduled(retry: RetryAnnouncement): void;
  retrySkipped(reason: string): void;
  /** No more attempts: the operation span ends. `aborted`: the application gave up (e.g. during a backoff wait). Idempotent. */
  finish(aborted?: boolean): void;
}

export class OperationState {
  /** The application's context when it dispatched: parent of the operation span. */
  readonly parentContext: Context;
  /** The resend count of the attempt being dispatched now: 0 for the first try. */
  resendCount = 0;
  listener: OperationListener | undefined;
  #finished = false;

  constructor(parentContext: Context = context.active()) {
    this.parentContext = parentContext;
  }

  announceRetry(retry: RetryAnnouncement): void {
    this.listener?.retryScheduled(retry);
  }

  announceRetrySkipped(reason: string): void {
    this.listener?.retrySkipped(reason);
  }

  finish(aborted = false): void {
    if (this.#finished) return;
    this.#finished = true;
    this.listener?.finish(aborted);
  }
}

export function operationStateOf(opts: object): OperationState | undefined {
  return (opts as { [kOperationState]?: OperationState })[kOperationState];
}
