/**
 * What the end-to-end applications (llm-calls-app.ts, llm-load-app.ts) and the tests agree on: the
 * calls, the model, the retry backoff, and the shapes of what the applications print. No imports,
 * so the tests can read it without loading the applications' dependencies.
 */

export const MODEL = 'gpt-4o-mini';

// --- llm-calls-app.ts (Jaeger test) ------------------------------------------------------------

/** The calls, in order. Their names key the printed result. */
export const CALLS = {
  /** openai SDK, not streamed: 503, 503, then 200, resent by our retry interceptor. */
  retried: { client: 'openai', sequence: '503,503,ok', sequenceId: 'e2e-retried', stream: false },
  /** openai SDK, streamed: 200, two chunks, then a `finish_reason: "error"` chunk. */
  midStream: { client: 'openai', scenario: 'mid-stream-context_length_exceeded', stream: true },
  /** Node's built-in fetch: 402 insufficient credits (not retried). */
  credits: { client: 'fetch', scenario: '402', stream: false },
  /** openai SDK, streamed, with usage: a plain success. */
  streamed: { client: 'openai', scenario: 'ok', stream: true },
} as const;
export type CallName = keyof typeof CALLS;
export type Call = (typeof CALLS)[CallName];

/** `baseDelay` of the application's retry options (ms). */
export const RETRY_BASE_DELAY_MS = 10;

export interface CallSeen {
  status: number;
  /** The gateway's `x-request-id` of the response the application got. */
  requestId: string | null;
  /** The error the application got, if any. */
  error?: string;
}

export type AppResult = Record<CallName, CallSeen>;

// --- llm-load-app.ts (alerts test) -------------------------------------------------------------

export interface LoadCommand {
  /** The gateway scenario (`x-mock-scenario`) of every call. */
  scenario: string;
  calls: number;
  /** Pause between two calls, so the calls span several metric export intervals. */
  spacingMs: number;
}

export interface LoadReply {
  /** HTTP status → calls that ended with it. */
  statuses: Record<string, number>;
}

// --- sampling-app.ts (tail sampling test) ------------------------------------------------------

/** What one call of the sampling application was, by plan: a success, or a failure of one kind. */
export type SampledCallKind = 'ok' | 'http-error' | 'mid-stream-error';

export interface SampledCall {
  kind: SampledCallKind;
  scenario: string;
  stream: boolean;
  /** The trace of the application's own span around the call (hex, 32 characters). */
  traceId: string;
  /** What the application saw: the HTTP status, and whether the SDK threw (also mid-stream). */
  status: number;
  threw: boolean;
}

/** Calls per run and the share that fails (half before the response, half inside a 200 stream). */
export const SAMPLING_CALLS = 1_000;
export const SAMPLING_FAILURE_EVERY = 20;

/**
 * The plan of call `index`: every 20th call fails (5%), alternating between an HTTP error and an
 * error inside an HTTP 200 stream, each cycling through several scenarios; successes alternate
 * between streamed and not.
 */
export function plannedCall(index: number): Pick<SampledCall, 'kind' | 'scenario' | 'stream'> {
  const HTTP_ERRORS = ['500', '429', '401', '503-cheapai', '502'];
  const MID_STREAM = ['mid-stream-server_error', 'mid-stream-error-event', 'mid-stream-top-level-error'];
  if (index % SAMPLING_FAILURE_EVERY === SAMPLING_FAILURE_EVERY - 1) {
    const failure = Math.floor(index / SAMPLING_FAILURE_EVERY);
    return failure % 2 === 0
      ? {
          kind: 'http-error',
          scenario: HTTP_ERRORS[(failure / 2) % HTTP_ERRORS.length] as string,
          stream: false,
        }
      : {
          kind: 'mid-stream-error',
          scenario: MID_STREAM[((failure - 1) / 2) % MID_STREAM.length] as string,
          stream: true,
        };
  }
  return { kind: 'ok', scenario: 'ok', stream: index % 2 === 1 };
}
