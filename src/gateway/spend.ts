/**
 * The mock gateway's spend and rate-limit headroom (scenarios `cost`, `cost-litellm`, `headroom`):
 * the cost a call reports, and a fixed-window rate limiter whose remaining allowance shrinks with
 * every `headroom` call, written as OpenAI-style `x-ratelimit-*` or Anthropic
 * `anthropic-ratelimit-*` headers. No I/O; the ledger's state is the gateway's own.
 */

/** Mock prices (USD per million tokens) of the `cost` scenarios when no fixed cost is configured. */
export const MOCK_PRICE_PER_MILLION = { input: 0.5, output: 1.5 } as const;

export interface RateLimitOptions {
  /** Requests per window; default 100. */
  readonly requests?: number;
  /** Tokens (input + output) per window; default 10000. */
  readonly tokens?: number;
  /** Window length; default 60000 (a minute). The window starts at its first `headroom` call. */
  readonly windowMs?: number;
}

export const DEFAULT_RATE_LIMIT = { requests: 100, tokens: 10_000, windowMs: 60_000 } as const;

/** The cost a `cost` call reports: the configured one, else its tokens at the mock prices. */
export function mockCost(fixedUsd: number | undefined, inputTokens: number, outputTokens: number): number {
  if (fixedUsd !== undefined) return fixedUsd;
  const micro = inputTokens * MOCK_PRICE_PER_MILLION.input + outputTokens * MOCK_PRICE_PER_MILLION.output;
  return micro / 1_000_000;
}

/** What one `headroom` call leaves of each allowance. */
export interface Headroom {
  readonly requests: { readonly limit: number; readonly remaining: number };
  readonly tokens: { readonly limit: number; readonly remaining: number };
  readonly inputTokens: { readonly limit: number; readonly remaining: number };
  readonly outputTokens: { readonly limit: number; readonly remaining: number };
  /** When the window resets, milliseconds since the epoch. */
  readonly resetAt: number;
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!(Number.isSafeInteger(value) && value > 0))
    throw new RangeError(`rateLimit.${name} must be a positive integer, got ${value}`);
  return value;
}

/** A fixed-window limiter: each `consume` takes one request and its tokens from the current window. */
export class HeadroomLedger {
  readonly #requests: number;
  readonly #tokens: number;
  readonly #windowMs: number;
  #windowStart: number | undefined;
  #usedRequests = 0;
  #usedInput = 0;
  #usedOutput = 0;

  constructor(options: RateLimitOptions = {}) {
    this.#requests = positiveInteger(options.requests, DEFAULT_RATE_LIMIT.requests, 'requests');
    this.#tokens = positiveInteger(options.tokens, DEFAULT_RATE_LIMIT.tokens, 'tokens');
    this.#windowMs = positiveInteger(options.windowMs, DEFAULT_RATE_LIMIT.windowMs, 'windowMs');
  }

  consume(inputTokens: number, outputTokens: number, now: number): Headroom {
    if (this.#windowStart === undefined || now >= this.#windowStart + this.#windowMs) {
      this.#windowStart = now;
      this.#usedRequests = 0;
      this.#usedInput = 0;
      this.#usedOutput = 0;
    }
    this.#usedRequests++;
    this.#usedInput += inputTokens;
    this.#usedOutput += outputTokens;
    const left = (limit: number, used: number) => ({ limit, remaining: Math.max(0, limit - used) });
    return {
      requests: left(this.#requests, this.#usedRequests),
      tokens: left(this.#tokens, this.#usedInput + this.#usedOutput),
      inputTokens: left(this.#tokens, this.#usedInput),
      outputTokens: left(this.#tokens, this.#usedOutput),
      resetAt: this.#windowStart + this.#windowMs,
    };
  }
}

/** Milliseconds as Go prints a duration, the way OpenAI's reset headers read: `6m0s`, `1.5s`, `59ms`. */
export function goDuration(ms: number): string {
  const whole = Math.max(0, Math.round(ms));
  if (whole < 1000) return `${whole}ms`;
  const hours = Math.floor(whole / 3_600_000);
  const minutes = Math.floor((whole % 3_600_000) / 60_000);
  const seconds = (whole % 60_000) / 1000;
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

/** OpenAI / Groq / LiteLLM style: requests and tokens, resets as durations from now. */
export function openAiRateLimitHeaders(headroom: Headroom, now: number): Record<string, string> {
  const reset = goDuration(headroom.resetAt - now);
  return {
    'x-ratelimit-limit-requests': String(headroom.requests.limit),
    'x-ratelimit-remaining-requests': String(headroom.requests.remaining),
    'x-ratelimit-reset-requests': reset,
    'x-ratelimit-limit-tokens': String(headroom.tokens.limit),
    'x-ratelimit-remaining-tokens': String(headroom.tokens.remaining),
    'x-ratelimit-reset-tokens': reset,
  };
}

/** Anthropic style: requests, tokens, input and output tokens, resets as RFC 3339 instants (whole seconds). */
export function anthropicRateLimitHeaders(headroom: Headroom): Record<string, string> {
  const reset = new Date(Math.ceil(headroom.resetAt / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  const kinds = [
    ['requests', headroom.requests],
    ['tokens', headroom.tokens],
    ['input-tokens', headroom.inputTokens],
    ['output-tokens', headroom.outputTokens],
  ] as const;
  return Object.fromEntries(
    kinds.flatMap(([kind, { limit, remaining }]) => [
      [`anthropic-ratelimit-${kind}-limit`, String(limit)],
      [`anthropic-ratelimit-${kind}-remaining`, String(remaining)],
      [`anthropic-ratelimit-${kind}-reset`, reset],
    ]),
  );
}

/** What the spend scenarios add to a plan: the call's cost and, for `headroom`, the rate-limit headers. */
export interface SpendInput {
  readonly costUsd: number;
  readonly rateLimitHeaders: Readonly<Record<string, string>>;
}

export const LITELLM_COST_HEADER = 'x-litellm-response-cost';
