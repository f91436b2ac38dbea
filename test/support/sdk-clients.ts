/**
 * The per-SDK matrix of test/sdks/: each real SDK makes the same six kinds of call (success, stream
 * with usage, immediate error, mid-stream error, early break, the SDK's own retries) against the
 * mock gateway (src/gateway/server.ts), once through a bare dispatcher and once through
 * `createTelemetryDispatcher()`. What the application received must be the same both ways; the
 * telemetry must say, with exact values, what happened on the wire: one operation span per HTTP
 * dispatch the SDK made, each with one attempt span, all children of the application's span, every
 * span ended exactly once.
 *
 * A test file describes its SDK as an `SdkSpec` (how to call it, what it should record) and calls
 * `describeSdk(spec)`. Known defects of the library are listed in the spec's `defects` (each with
 * a `// DEFECT:` comment saying what is recorded and what should be); those cases run as `it.fails`
 * until src/ is fixed.
 */
import { type Span, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { Agent, type Dispatcher, Dispatcher1Wrapper } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from '../../src/gateway/server.ts';
import { createTelemetryDispatcher } from '../../src/index.ts';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_LLM_ABORTED,
  ATTR_LLM_ERROR_PHASE,
  ATTR_LLM_RETRY_ATTEMPTS,
  ATTR_LLM_RETRY_SOURCE,
  ERROR_PHASE_IMMEDIATE,
  ERROR_PHASE_MID_STREAM,
} from '../../src/semconv/names.ts';
import { childrenOf, createTestTelemetry, type TestTelemetry } from './telemetry.ts';

/** The gateway's canned answer, as a stream's pieces joined or a JSON answer's text. */
export const GATEWAY_TEXT = 'Hello from the mock gateway';

// ---- what the application received ----

export interface Received {
  /** Text the application read (joined deltas of a stream). */
  text: string;
  /** Stream events or chunks the application consumed. */
  chunks: number;
  /** The finish/stop reason as the SDK hands it to the application. */
  finishReason?: string | null | undefined;
  /** Token usage as the SDK hands it to the application. */
  usage?: { input: number | undefined; output: number | undefined } | undefined;
  /** The response id the SDK reports (hex run replaced, it differs per request). */
  id?: string | undefined;
  /** The error the SDK threw or reported: class, status and message. */
  error?: string | undefined;
}

/** Gateway ids and request ids carry 16 random hex digits; replaced, so two runs compare equal. */
export function normalise(text: string): string {
  return text.replace(/[0-9a-f]{16}/g, '<hex>');
}

export function describeError(error: unknown): string {
  const e = error as {
    constructor?: { name?: string };
    status?: unknown;
    statusCode?: unknown;
    message?: unknown;
  };
  const status = e?.status ?? e?.statusCode;
  const message = typeof e?.message === 'string' ? e.message : String(error);
  return normalise(
    `${e?.constructor?.name ?? typeof error}${status === undefined ? '' : ` ${String(status)}`}: ${message}`,
  );
}

/** Runs one application call; what it received, with a thrown error recorded rather than raised. */
export async function collect(run: (received: Received) => Promise<void>): Promise<Received> {
  const received: Received = { text: '', chunks: 0 };
  try {
    await run(received);
  } catch (error) {
    received.error = describeError(error);
  }
  if (received.id !== undefined) received.id = normalise(received.id);
  return received;
}

/** `fetch` that sends through `dispatcher` (for SDKs that take a `fetch` option). */
export function fetchThrough(dispatcher: Dispatcher): typeof fetch {
  return ((url: string | URL | Request, init?: RequestInit) =>
    fetch(url, { ...init, dispatcher } as RequestInit)) as typeof fetch;
}

// ---- the SDK under test ----

export interface CallOptions {
  /** Gateway base URL (http://127.0.0.1:PORT). */
  readonly url: string;
  readonly dispatcher: Dispatcher;
  /** Per-request headers (the gateway's scenario headers). */
  readonly headers: Record<string, string>;
  readonly stream: boolean;
  /** Stop consuming the stream after this many events or chunks. */
  readonly breakAfter?: number | undefined;
  /** The SDK's own retries (0 unless testing them). */
  readonly maxRetries: number;
}

export type CaseName =
  | 'provider'
  | 'success'
  | 'stream with usage'
  | 'immediate error'
  | 'mid-stream error'
  | 'early break'
  | 'SDK retries';

export interface SdkSpec {
  readonly name: string;
  /** `gen_ai.operation.name` and `gen_ai.request.model` of every call, and so the span name. */
  readonly operationName: string;
  readonly model: string;
  /** The right `gen_ai.provider.name` for this SDK's calls to a loopback gateway. */
  readonly provider: string;
  /** One application call through the SDK. */
  call(options: CallOptions): Promise<Received>;
  /** `gen_ai.response.finish_reasons` of a completed call, as the provider sent it. */
  readonly finishReason: string;
  /** The SDK hands the provider's own finish reason to the application (not a normalised one). */
  readonly sdkReportsRawFinishReason: boolean;
  readonly immediateError: {
    readonly scenario: string;
    readonly status: number;
    readonly errorType: string;
  };
  readonly midStreamError: { readonly scenario: string; readonly errorType: string };
  /**
   * The SDK's own retries of a 503: the source `llm.retry.source` must say (`sdk` when the SDK
   * numbers its resends in `x-stainless-retry-count`, else `inferred`), and the 503's error.type;
   * or a string saying why the SDK cannot retry.
   */
  readonly retries: { readonly source: 'sdk' | 'inferred'; readonly errorType: string } | string;
  /** A string saying why the application cannot stop a stream early through this SDK, if it cannot. */
  readonly cannotBreak?: string;
  /**
   * For an SDK that does not cancel the body when the application breaks out of the stream (the
   * library cannot know the application stopped reading, and the body is read to its end): the
   * input tokens the whole stream reports (the gateway's estimate for this SDK's request body).
   * Undefined for an SDK that cancels (then: `llm.aborted`).
   */
  readonly breakWithoutCancel?: { readonly inputTokens: number };
  /**
   * Usage of the mid-stream error case when the SDK does not hand the application the provider's
   * partial usage (the AI SDK computes its own): what the stream carried before the error.
   * Default: what the application received.
   */
  readonly midStreamUsage?: { readonly inputTokens?: number; readonly outputTokens?: number };
  /** Cases that fail because of a library defect (the reason each says; see the spec's `// DEFECT:` comments). */
  readonly defects?: Partial<Record<CaseName, string>>;
}

// ---- what the telemetry must say ----

export interface ExpectedCall {
  readonly stream: boolean;
  readonly statusCode: number;
  readonly errorType?: string | undefined;
  readonly phase?: typeof ERROR_PHASE_IMMEDIATE | typeof ERROR_PHASE_MID_STREAM | undefined;
  readonly aborted?: true | undefined;
  readonly finishReasons?: readonly string[] | undefined;
  readonly inputTokens?: number | undefined;
  readonly outputTokens?: number | undefined;
  readonly resendCount?: number | undefined;
  readonly retrySource?: string | undefined;
}

export interface RecordedCall {
  readonly operation: ReadableSpan;
  readonly attempt: ReadableSpan;
}

const OPERATION_KEYS = [
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_ERROR_TYPE,
  ATTR_LLM_ERROR_PHASE,
  ATTR_LLM_ABORTED,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_LLM_RETRY_SOURCE,
  ATTR_LLM_RETRY_ATTEMPTS,
] as const;
const ATTEMPT_KEYS = [
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_ERROR_TYPE,
  ATTR_LLM_ERROR_PHASE,
  ATTR_LLM_ABORTED,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
] as const;

function pick(span: ReadableSpan, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((key) => [key, span.attributes[key]]));
}

/** Exact attributes and status of one call's two spans (absent attributes included: toEqual on undefined). */
export function expectCall(spec: SdkSpec, call: RecordedCall, expected: ExpectedCall): void {
  const failed = expected.errorType !== undefined && expected.aborted !== true;
  expect(call.operation.name).toBe(`${spec.operationName} ${spec.model}`);
  expect({ name: 'operation', ...pick(call.operation, OPERATION_KEYS) }).toEqual({
    name: 'operation',
    [ATTR_GEN_AI_OPERATION_NAME]: spec.operationName,
    [ATTR_GEN_AI_REQUEST_MODEL]: spec.model,
    [ATTR_GEN_AI_REQUEST_STREAM]: expected.stream,
    [ATTR_HTTP_RESPONSE_STATUS_CODE]: expected.statusCode,
    [ATTR_ERROR_TYPE]: expected.errorType,
    [ATTR_LLM_ERROR_PHASE]: expected.phase,
    [ATTR_LLM_ABORTED]: expected.aborted,
    [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: expected.finishReasons,
    [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: expected.inputTokens,
    [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: expected.outputTokens,
    [ATTR_HTTP_REQUEST_RESEND_COUNT]: expected.resendCount,
    [ATTR_LLM_RETRY_SOURCE]: expected.retrySource,
    [ATTR_LLM_RETRY_ATTEMPTS]: 1,
  });
  expect({ name: 'attempt', ...pick(call.attempt, ATTEMPT_KEYS) }).toEqual({
    name: 'attempt',
    [ATTR_HTTP_RESPONSE_STATUS_CODE]: expected.statusCode,
    [ATTR_ERROR_TYPE]: expected.errorType,
    [ATTR_LLM_ERROR_PHASE]: expected.phase,
    [ATTR_LLM_ABORTED]: expected.aborted,
    [ATTR_HTTP_REQUEST_RESEND_COUNT]: expected.resendCount ?? 0,
  });
  for (const span of [call.operation, call.attempt]) {
    expect(span.status.code).toBe(failed ? SpanStatusCode.ERROR : SpanStatusCode.UNSET);
  }
}

// ---- the harness ----

export interface Harness {
  /** The mock gateway. */
  gateway: Gateway;
  /** The same gateway with 100 ms between stream pieces: an early break happens before the terminal event. */
  slowGateway: Gateway;
  /** Fresh per test. */
  telemetry: TestTelemetry;
  /** `createTelemetryDispatcher()`, fresh per test (so one test's failures are not another's inferred retries). */
  traced: Dispatcher;
  /** What an application passes without the library: an undici 8 Agent wrapped for Node's fetch. */
  bare: Dispatcher;
}

/** Registers the hooks of a test file and returns the harness they fill in. */
export function useHarness(): Harness {
  const harness = {} as Harness;
  beforeAll(async () => {
    harness.gateway = await startGateway({ port: 0 });
    harness.slowGateway = await startGateway({ port: 0, chunkDelayMs: 100 });
    harness.bare = new Dispatcher1Wrapper(new Agent());
  });
  afterAll(async () => {
    await harness.bare.close();
    await Promise.all([harness.gateway.close(), harness.slowGateway.close()]);
  });
  beforeEach(() => {
    harness.telemetry = createTestTelemetry();
    harness.traced = createTelemetryDispatcher({
      tracerProvider: harness.telemetry.tracerProvider,
      meterProvider: harness.telemetry.meterProvider,
    });
  });
  afterEach(async () => {
    expect(harness.telemetry.balance.unbalanced()).toEqual([]);
    await harness.traced.close();
    await harness.telemetry.shutdown();
  });
  return harness;
}

let sequence = 0;

/**
 * Makes the call through the bare dispatcher and, inside an application span, through the traced
 * one (one after the other, or at once when `concurrently`, for slow retries); expects the
 * application to have received the same both ways and returns that. A scenario sequence gets a
 * fresh id per run.
 */
export async function bothWays(
  harness: Harness,
  call: (dispatcher: Dispatcher, headers: Record<string, string>) => Promise<Received>,
  headers: Record<string, string>,
  concurrently = false,
): Promise<Received> {
  const withId = (run: string): Record<string, string> =>
    headers['x-mock-scenario-sequence'] === undefined
      ? headers
      : { ...headers, 'x-mock-sequence-id': `sdk-${process.pid}-${++sequence}-${run}` };
  const tracer = harness.telemetry.tracerProvider.getTracer('app');
  const traced = () =>
    tracer.startActiveSpan('app', async (span: Span) => {
      try {
        return await call(harness.traced, withId('traced'));
      } finally {
        span.end();
      }
    });
  const [plain, withTelemetry] = concurrently
    ? await Promise.all([call(harness.bare, withId('bare')), traced()])
    : [await call(harness.bare, withId('bare')), await traced()];
  expect(withTelemetry).toEqual(plain);
  return withTelemetry;
}

/**
 * The calls the SDK made, in start order: waits for the application span and `count` operation
 * spans with one attempt each, and checks that this is all there is and that each operation span
 * is a child of the application span.
 */
export async function recordedCalls(harness: Harness, count: number): Promise<RecordedCall[]> {
  const total = 1 + 2 * count;
  const spans = await harness.telemetry.waitForSpans(total);
  const app = spans.find((span) => span.name === 'app');
  expect(app, 'the application span').toBeDefined();
  const operations = childrenOf(spans, app as ReadableSpan);
  expect(
    { spans: spans.length, operations: operations.length, started: harness.telemetry.balance.started.size },
    spans.map((span) => span.name).join(', '),
  ).toEqual({ spans: total, operations: count, started: total });
  return operations.map((operation) => {
    const attempts = childrenOf(spans, operation);
    expect(attempts, `attempts of ${operation.name}`).toHaveLength(1);
    return { operation, attempt: attempts[0] as ReadableSpan };
  });
}

function usageOf(received: Received): { inputTokens: number; outputTokens: number } {
  const input = received.usage?.input;
  const output = received.usage?.output;
  expect(typeof input, 'input tokens the SDK reported').toBe('number');
  expect(typeof output, 'output tokens the SDK reported').toBe('number');
  return { inputTokens: input as number, outputTokens: output as number };
}

function caseIt(spec: SdkSpec, name: CaseName, body: () => Promise<void>): void {
  const defect = spec.defects?.[name];
  if (defect === undefined) it(name, body);
  else it.fails(`${name} (DEFECT: ${defect})`, body);
}

/** The six cases (and the provider name) for one SDK. */
export function describeSdk(spec: SdkSpec): void {
  describe(spec.name, () => {
    const harness = useHarness();
    const call =
      (options: Partial<CallOptions> & { stream: boolean }) =>
      (dispatcher: Dispatcher, headers: Record<string, string>) =>
        spec.call({ url: harness.gateway.url, maxRetries: 0, ...options, dispatcher, headers });

    caseIt(spec, 'provider', async () => {
      await bothWays(harness, call({ stream: false }), {});
      const [recorded] = await recordedCalls(harness, 1);
      expect(recorded?.operation.attributes[ATTR_GEN_AI_PROVIDER_NAME]).toBe(spec.provider);
    });

    caseIt(spec, 'success', async () => {
      const received = await bothWays(harness, call({ stream: false }), {});
      expect(received.error).toBeUndefined();
      expect(received.text).toBe(GATEWAY_TEXT);
      if (spec.sdkReportsRawFinishReason) expect(received.finishReason).toBe(spec.finishReason);
      const [recorded] = await recordedCalls(harness, 1);
      expectCall(spec, recorded as RecordedCall, {
        stream: false,
        statusCode: 200,
        finishReasons: [spec.finishReason],
        ...usageOf(received),
      });
    });

    caseIt(spec, 'stream with usage', async () => {
      const received = await bothWays(harness, call({ stream: true }), {});
      expect(received.error).toBeUndefined();
      expect(received.text).toBe(GATEWAY_TEXT);
      if (spec.sdkReportsRawFinishReason) expect(received.finishReason).toBe(spec.finishReason);
      const [recorded] = await recordedCalls(harness, 1);
      expectCall(spec, recorded as RecordedCall, {
        stream: true,
        statusCode: 200,
        finishReasons: [spec.finishReason],
        ...usageOf(received),
      });
    });

    caseIt(spec, 'immediate error', async () => {
      const { scenario, status, errorType } = spec.immediateError;
      const received = await bothWays(harness, call({ stream: false }), { 'x-mock-scenario': scenario });
      expect(received.error).toBeDefined();
      const [recorded] = await recordedCalls(harness, 1);
      expectCall(spec, recorded as RecordedCall, {
        stream: false,
        statusCode: status,
        errorType,
        phase: ERROR_PHASE_IMMEDIATE,
      });
    });

    caseIt(spec, 'mid-stream error', async () => {
      const { scenario, errorType } = spec.midStreamError;
      const received = await bothWays(harness, call({ stream: true }), { 'x-mock-scenario': scenario });
      expect(received.error).toBeDefined();
      expect(received.text).not.toBe('');
      const [recorded] = await recordedCalls(harness, 1);
      expectCall(spec, recorded as RecordedCall, {
        stream: true,
        statusCode: 200,
        errorType,
        phase: ERROR_PHASE_MID_STREAM,
        ...(spec.midStreamUsage ?? usageSoFar(received)),
      });
    });

    if (spec.cannotBreak === undefined) {
      caseIt(spec, 'early break', async () => {
        const received = await bothWays(
          harness,
          (dispatcher, headers) =>
            spec.call({
              url: harness.slowGateway.url,
              dispatcher,
              headers,
              stream: true,
              breakAfter: 1,
              maxRetries: 0,
            }),
          {},
        );
        expect(received.error).toBeUndefined();
        expect(received.chunks).toBe(1);
        const [recorded] = await recordedCalls(harness, 1);
        expectCall(
          spec,
          recorded as RecordedCall,
          spec.breakWithoutCancel
            ? // Nothing tells the library that the application stopped: the body is read to its end
              // (the gateway's 5 pieces, one output token each).
              {
                stream: true,
                statusCode: 200,
                finishReasons: [spec.finishReason],
                inputTokens: spec.breakWithoutCancel.inputTokens,
                outputTokens: 5,
              }
            : { stream: true, statusCode: 200, aborted: true, ...usageSoFar(received) },
        );
      });
    } else {
      it.skip(`early break: ${spec.cannotBreak}`, () => undefined);
    }

    const retries = spec.retries;
    if (typeof retries === 'string') {
      it.skip(`SDK retries: ${retries}`, () => undefined);
    } else {
      caseIt(spec, 'SDK retries', async () => {
        const received = await bothWays(
          harness,
          call({ stream: false, maxRetries: 2 }),
          { 'x-mock-scenario-sequence': '503,ok' },
          true,
        );
        expect(received.error).toBeUndefined();
        expect(received.text).toBe(GATEWAY_TEXT);
        const [first, second] = await recordedCalls(harness, 2);
        // The resend first: a defect in the failed call's error.type must not hide a broken link.
        expectCall(spec, second as RecordedCall, {
          stream: false,
          statusCode: 200,
          finishReasons: [spec.finishReason],
          ...usageOf(received),
          resendCount: 1,
          retrySource: retries.source,
        });
        expectCall(spec, first as RecordedCall, {
          stream: false,
          statusCode: 503,
          errorType: retries.errorType,
          phase: ERROR_PHASE_IMMEDIATE,
        });
      });
    }
  });
}

/**
 * Usage of a stream that stopped early (error or break): what the stream said so far, which is
 * what the SDK handed to the application (Anthropic's `message_start`, Gemini's per-chunk
 * `usageMetadata`), or nothing.
 */
function usageSoFar(received: Received): {
  inputTokens: number | undefined;
  outputTokens: number | undefined;
} {
  return { inputTokens: received.usage?.input, outputTokens: received.usage?.output };
}
