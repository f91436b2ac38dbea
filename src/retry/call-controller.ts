/**
 * The controller the application holds for a call that may span several attempts: pause, resume
 * and abort go to the attempt in flight, and an abort during a backoff wait is reported at once.
 */
import type { Dispatcher } from 'undici';

export class CallController implements Dispatcher.DispatchController {
  #target: Dispatcher.DispatchController | undefined;
  #paused = false;
  #aborted = false;
  #reason: Error | null = null;
  readonly #onAbort: (reason: Error) => void;

  constructor(onAbort: (reason: Error) => void) {
    this.#onAbort = onAbort;
  }

  /** The controller of the attempt in flight; inherits a pause or an abort made in between. */
  set target(target: Dispatcher.DispatchController | undefined) {
    this.#target = target;
    if (!target) return;
    if (this.#aborted) target.abort(this.#reason as Error);
    else if (this.#paused) target.pause();
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get paused(): boolean {
    return this.#paused;
  }

  get reason(): Error | null {
    return this.#reason;
  }

  pause(): void {
    this.#paused = true;
    this.#target?.pause();
  }

  resume(): void {
    this.#paused = false;
    this.#target?.resume();
  }

  abort(reason: Error): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#target?.abort(reason);
    this.#onAbort(reason);
  }
}
