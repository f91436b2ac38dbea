/**
 * Links the retries an SDK makes without saying so. The openai SDK announces its resends with
 * `x-stainless-retry-count`; the AI SDK, LangChain, @google/genai and Mistral's SDK resend silently,
 * so each resend would look like an unrelated call. A call to the same endpoint whose request body
 * is byte-for-byte the one of a call that just failed retryably (within `windowMs`) is taken as its
 * resend: its operation span gets `http.request.resend_count` n, `llm.retry.source=inferred` and a
 * link to the failed call's span.
 *
 * Bounded: at most `maxTracked` failed calls are remembered (the oldest are forgotten first), each
 * for `windowMs`, as a SHA-1 digest of the body (never the body). Each remembered failure is
 * consumed by the first resend that matches it. Pure bookkeeping, no OpenTelemetry calls. The
 * operation digests its body only when needed: when it fails retryably, and at its start only while
 * some failure is remembered (so healthy traffic never pays for hashing long prompts); until then it
 * holds a reference to the body text it already read for the model (bounded by maxRequestBodyBytes).
 */
import { hash } from 'node:crypto';
import type { SpanContext } from '@opentelemetry/api';

export interface InferredRetryOptions {
  /** How long after a retryable failure an identical request counts as its resend. Default 120 000 ms. */
  windowMs?: number;
  /** Failed calls remembered at once. Default 1 000. */
  maxTracked?: number;
}

export interface FailedCall {
  /** The failed call's operation span, linked from its resend. */
  readonly span: SpanContext;
  /** The failed call's own resend count (0 for a first try). */
  readonly resendCount: number;
  /** Its `error.type`, the resend's `llm.retry.reason`. */
  readonly reason: string;
}

interface Remembered extends FailedCall {
  readonly at: number;
}

export const DEFAULT_INFERENCE_WINDOW_MS = 120_000;
export const DEFAULT_MAX_TRACKED = 1_000;

/** The key of a call: its endpoint and a digest of its request body. */
export function callKey(origin: string, path: string, body: string): string {
  return `${origin}${path}\n${hash('sha1', body, 'base64')}`;
}

export class InferredRetries {
  readonly #windowMs: number;
  readonly #maxTracked: number;
  readonly #failed = new Map<string, Remembered>();

  constructor(options: InferredRetryOptions = {}) {
    this.#windowMs = options.windowMs ?? DEFAULT_INFERENCE_WINDOW_MS;
    this.#maxTracked = options.maxTracked ?? DEFAULT_MAX_TRACKED;
  }

  /** Failed calls remembered now. */
  get size(): number {
    return this.#failed.size;
  }

  /** A call with this key failed in a way its SDK would retry. */
  failed(key: string, call: FailedCall, now: number = Date.now()): void {
    this.#failed.delete(key);
    while (this.#failed.size >= this.#maxTracked) {
      const oldest = this.#failed.keys().next().value as string;
      this.#failed.delete(oldest);
    }
    this.#failed.set(key, { ...call, at: now });
  }

  /** The recent failed call this one resends, if any; it is forgotten, so it links only once. */
  resending(key: string, now: number = Date.now()): FailedCall | undefined {
    if (this.#failed.size === 0) return undefined;
    const found = this.#failed.get(key);
    if (found === undefined) return undefined;
    this.#failed.delete(key);
    return now - found.at <= this.#windowMs ? found : undefined;
  }
}
