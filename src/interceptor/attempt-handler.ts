/**
 * The undici handler that sits between the transport and the application's handler for one
 * attempt. Every callback is delegated explicitly and unchanged — same controller (pause/resume is
 * the application's backpressure), same chunk, same return value — after telemetry has had a look
 * inside a try/catch, so a telemetry failure can never reach the request.
 */
import type { Dispatcher } from 'undici';
import type { Attempt } from './attempt.ts';
import type { TelemetryRuntime } from './runtime.ts';

type Handler = Dispatcher.DispatchHandler;
type Controller = Dispatcher.DispatchController;
type Headers = Record<string, string | string[] | undefined>;

export class AttemptHandler implements Handler {
  readonly #handler: Handler;
  readonly #attempt: Attempt;
  readonly #runtime: TelemetryRuntime;

  constructor(handler: Handler, attempt: Attempt, runtime: TelemetryRuntime) {
    this.#handler = handler;
    this.#attempt = attempt;
    this.#runtime = runtime;
  }

  onRequestStart(controller: Controller, context: unknown): void {
    this.#handler.onRequestStart?.(controller, context);
  }

  onRequestSent(): void {
    this.#handler.onRequestSent?.();
  }

  onBodySent(chunk: Buffer): void {
    this.#handler.onBodySent?.(chunk);
  }

  onResponseStarted(): void {
    this.#handler.onResponseStarted?.();
  }

  onRequestUpgrade(controller: Controller, statusCode: number, headers: Headers, socket: unknown): void {
    try {
      this.#attempt.responseStarted(statusCode, headers, 'upgrade');
      this.#attempt.completed();
    } catch (error) {
      this.#runtime.failed('upgrade', error);
    }
    this.#handler.onRequestUpgrade?.(controller, statusCode, headers, socket as never);
  }

  onResponseStart(
    controller: Controller,
    statusCode: number,
    headers: Headers,
    statusMessage?: string,
  ): void {
    try {
      this.#attempt.responseStarted(statusCode, headers, statusMessage ?? '');
    } catch (error) {
      this.#runtime.failed('response_start', error);
    }
    this.#handler.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    try {
      this.#attempt.data(chunk);
    } catch (error) {
      this.#runtime.failed('response_data', error);
    }
    this.#handler.onResponseData?.(controller, chunk);
  }

  onResponseEnd(controller: Controller, trailers: Headers): void {
    try {
      this.#attempt.completed();
    } catch (error) {
      this.#runtime.failed('response_end', error);
    }
    this.#handler.onResponseEnd?.(controller, trailers);
  }

  onResponseError(controller: Controller, error: Error): void {
    try {
      this.#attempt.failed(error);
    } catch (failure) {
      this.#runtime.failed('response_error', failure);
    }
    this.#handler.onResponseError?.(controller, error);
  }
}
