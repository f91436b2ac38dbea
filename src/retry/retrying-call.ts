/**
 * One logical call under the retry interceptor: makes the body replayable, dispatches attempts,
 * holds back a response only while a resend is still possible and nothing has reached the
 * application, waits between attempts, and delivers exactly one outcome to the application's
 * handler. Telemetry sees every attempt through the shared OperationState.
 */
import { type Dispatcher, errors } from 'undici';
import { kOperationState, OperationState } from '../interceptor/operation-state.ts';
import { RETRY_SKIPPED_BODY_NOT_REPLAYABLE, RETRY_SKIPPED_BODY_TOO_LARGE } from '../semconv/names.ts';
import { CallController } from './call-controller.ts';
import type { ResolvedRetryOptions } from './options.ts';
import { type AttemptFailure, planRetry, type RetryPlan } from './plan.ts';
import { isReplayableAsIs, makeReplayable } from './replayable-body.ts';
import { RetryAttemptHandler } from './retry-attempt-handler.ts';

type Dispatch = (opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) => boolean;

export class RetryingCall {
  readonly options: ResolvedRetryOptions;
  /** What the application's handler holds, across attempts. */
  readonly controller: CallController;
  readonly handler: Dispatcher.DispatchHandler;
  readonly #dispatch: Dispatch;
  readonly #opts: Dispatcher.DispatchOptions;
  readonly #state = new OperationState();
  readonly #startedAt = Date.now();
  #body: unknown;
  #replayable = true;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  #requestStarted = false;
  #done = false;

  constructor(
    dispatch: Dispatch,
    opts: Dispatcher.DispatchOptions,
    handler: Dispatcher.DispatchHandler,
    options: ResolvedRetryOptions,
  ) {
    this.#dispatch = dispatch;
    this.#opts = opts;
    this.handler = handler;
    this.options = options;
    this.controller = new CallController((reason) => this.#applicationAborted(reason));
  }

  start(): void {
    const body = this.#opts.body;
    if (isReplayableAsIs(body)) {
      this.#body = body;
      this.#dispatchAttempt();
      return;
    }
    makeReplayable(body, this.options.maxBufferedBodyBytes).then(
      (replayable) => {
        this.#body = replayable ? replayable.body : body;
        this.#replayable = replayable?.replayable ?? false;
        this.#dispatchAttempt();
        if (!this.#replayable) {
          this.#state.announceRetrySkipped(
            replayable ? RETRY_SKIPPED_BODY_TOO_LARGE : RETRY_SKIPPED_BODY_NOT_REPLAYABLE,
          );
        }
      },
      (error: unknown) => this.fail(error as Error),
    );
  }

  /** True while a failed attempt may still be resent: nothing must reach the application yet. */
  get mayRetry(): boolean {
    return this.#replayable && !this.controller.aborted && this.#attempt < this.options.maxAttempts;
  }

  /** The plan for a failure of the current attempt, or undefined to deliver it. */
  plan(failure: AttemptFailure): RetryPlan | undefined {
    if (!this.mayRetry) return undefined;
    return planRetry(failure, this.#attempt, Date.now() - this.#startedAt, this.options);
  }

  attemptStarted(controller: Dispatcher.DispatchController, context: unknown): void {
    this.controller.target = controller;
    if (this.#requestStarted) return;
    this.#requestStarted = true;
    this.handler.onRequestStart?.(this.controller, context);
  }

  retry(plan: RetryPlan): void {
    this.controller.target = undefined;
    this.#state.announceRetry({
      resendCount: this.#attempt,
      delayMs: plan.delayMs,
      reason: plan.reason,
      source: plan.source,
    });
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#dispatchAttempt();
    }, plan.delayMs);
  }

  /**
   * The application has received its final callback. `aborted`: the application gave up before
   * that outcome reached it (default: whether it has aborted the call so far).
   */
  finish(aborted: boolean = this.controller.aborted): void {
    if (this.#done) return;
    this.#done = true;
    this.#state.finish(aborted);
  }

  /**
   * Delivers a failure to the application (once) and ends the call. Whether the application gave up
   * is read before it hears of the failure: `fetch` answers `onResponseError` by aborting its
   * controller with that very error, which is the failure's echo, not the application's abort.
   */
  fail(error: Error): void {
    if (this.#done) return;
    const abortedByApplication = this.controller.aborted;
    try {
      this.handler.onResponseError?.(this.controller, error);
    } finally {
      this.finish(abortedByApplication);
    }
  }

  #dispatchAttempt(): void {
    if (this.#done) return;
    this.#attempt++;
    this.#state.resendCount = this.#attempt - 1;
    const handler = new RetryAttemptHandler(this);
    const opts = {
      ...this.#opts,
      body: this.#body,
      [kOperationState]: this.#state,
    } as Dispatcher.DispatchOptions;
    try {
      this.#dispatch(opts, handler);
    } catch (error) {
      handler.onResponseError(undefined, error as Error);
    }
  }

  #applicationAborted(reason: Error): void {
    if (this.#timer === undefined) return; // an attempt is in flight: its own error callback reports the abort
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.fail(reason ?? new errors.RequestAbortedError());
  }
}
