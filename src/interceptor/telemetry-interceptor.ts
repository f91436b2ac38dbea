/**
 * `telemetryInterceptor(options)`: an undici interceptor that wraps each dispatch in an operation
 * span (one per logical call) and an attempt span (one per HTTP attempt), injects the attempt's
 * `traceparent`, reads the request body's model and stream flag, and watches the response.
 *
 * Compose it on any undici Dispatcher: `new Agent().compose(telemetryInterceptor(), retryInterceptor())`
 * (undici applies the last interceptor outermost, so retries wrap telemetry and each resend gets
 * its own attempt span). If telemetry cannot start for a request, the request goes out untouched.
 */
import { type Context, context, propagation } from '@opentelemetry/api';
import type { Dispatcher } from 'undici';
import { parseGenAiRequest } from '../genai/request.ts';
import { resolveTelemetryOptions, type TelemetryOptions } from '../options/options.ts';
import { ATTR_HTTP_REQUEST_RESEND_COUNT } from '../semconv/names.ts';
import type { TaskRequest } from '../tasks/task-tracker.ts';
import { Attempt } from './attempt.ts';
import { AttemptHandler } from './attempt-handler.ts';
import { adaptLegacyDispatch } from './legacy-handler.ts';
import { Operation } from './operation.ts';
import { kOperationState, OperationState, operationStateOf } from './operation-state.ts';
import { observeRequestBody } from './request-body.ts';
import { addHeaders, prepareRequestHeaders } from './request-headers.ts';
import { requestTarget } from './request-target.ts';
import { TelemetryRuntime } from './runtime.ts';
import { dispatchGuarded, otherInstrumentationListening } from './trace-header-guard.ts';

type DispatchOptions = Dispatcher.DispatchOptions;
type Handler = Dispatcher.DispatchHandler;

export function telemetryInterceptor(options?: TelemetryOptions): Dispatcher.DispatcherComposeInterceptor {
  const runtime = new TelemetryRuntime(resolveTelemetryOptions(options));
  return (dispatch) =>
    function dispatchWithTelemetry(opts: DispatchOptions, handler: Handler): boolean {
      [opts, handler] = adaptLegacyDispatch(opts, handler);
      const traced = instrument(runtime, opts, handler);
      if (!traced) return dispatch(opts, handler);
      if (!otherInstrumentationListening()) return dispatch(traced.opts, traced.handler);
      // Inside the attempt's context, so another undici instrumentation nests its span under ours.
      return context.with(traced.context, () => dispatchGuarded(() => dispatch(traced.opts, traced.handler)));
    };
}

interface Instrumented {
  readonly opts: DispatchOptions;
  readonly handler: Handler;
  readonly context: Context;
}

/** Whether this call creates or polls an asynchronous task (src/tasks/); undefined for most. Never throws. */
function beginTask(runtime: TelemetryRuntime, method: string, path: string): TaskRequest | undefined {
  try {
    return runtime.tasks?.begin(method, path);
  } catch (error) {
    runtime.failed('task_begin', error);
    return undefined;
  }
}

/** Starts the spans for one attempt; undefined means "send it untouched". Never throws. */
function instrument(
  runtime: TelemetryRuntime,
  opts: DispatchOptions,
  handler: Handler,
): Instrumented | undefined {
  let attempt: Attempt | undefined;
  let created: Operation | undefined;
  try {
    const method = opts.method ?? 'GET';
    const origin = opts.origin as string | URL;
    const path = opts.path;
    if (runtime.options.ignoreRequest?.({ origin: String(origin), path, method })) return undefined;

    const facts = prepareRequestHeaders(opts.headers);
    // Outside a retry interceptor, this layer owns the operation and ends it with its only attempt.
    const outerState = operationStateOf(opts);
    const state = outerState ?? new OperationState();
    let operation = state.listener instanceof Operation ? state.listener : undefined;
    if (!operation) {
      operation = new Operation(
        runtime,
        state,
        requestTarget(origin, path, method),
        outerState === undefined,
        beginTask(runtime, method, path),
        facts.providerHint,
      );
      created = operation;
      state.listener = operation;
    }
    const resendCount = state.resendCount > 0 ? state.resendCount : (facts.sdkRetryCount ?? 0);
    operation.attemptStarted(facts.sdkRetryCount);
    attempt = new Attempt(
      runtime,
      operation,
      resendCount,
      facts.authorizationSchemeMissing,
      facts.credentials,
    );

    const carrier: Record<string, string> = {};
    propagation.inject(attempt.context, carrier);
    addHeaders(facts.headers, carrier);

    let body = opts.body;
    if (operation.operationName && !operation.requestRead) {
      const current = operation;
      const currentAttempt = attempt;
      body = observeRequestBody(body, runtime.options.maxRequestBodyBytes, (text) => {
        try {
          const request = parseGenAiRequest(
            text,
            runtime.options.captureContent,
            current.target.route?.format.streamsByDefault,
          );
          if (request) current.setRequest(request);
          const resendCount = current.inferResend(text);
          if (resendCount !== undefined) {
            currentAttempt.span.setAttribute(ATTR_HTTP_REQUEST_RESEND_COUNT, resendCount);
          }
        } catch (error) {
          runtime.failed('request_body', error);
        }
      }) as DispatchOptions['body'];
    }
    return {
      opts: { ...opts, headers: facts.headers, body, [kOperationState]: state } as DispatchOptions,
      handler: new AttemptHandler(handler, attempt, runtime),
      context: attempt.context,
    };
  } catch (error) {
    runtime.failed('dispatch', error);
    if (attempt) attempt.abandon();
    else created?.finish();
    return undefined;
  }
}
