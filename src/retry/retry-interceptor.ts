/**
 * `retryInterceptor(options)`: resends failed LLM API calls by the providers' rules (see
 * src/errors/policy.ts and src/retry/plan.ts) and lets the telemetry interceptor inside it record
 * every attempt. Compose it after telemetry so it wraps it:
 * `new Agent().compose(telemetryInterceptor(), retryInterceptor())`.
 *
 * Calls already inside another retry or telemetry operation, upgrades and methods not listed in
 * `methods` pass through untouched.
 */
import type { Dispatcher } from 'undici';
import { adaptLegacyDispatch } from '../interceptor/legacy-handler.ts';
import { operationStateOf } from '../interceptor/operation-state.ts';
import { type RetryOptions, resolveRetryOptions } from './options.ts';
import { RetryingCall } from './retrying-call.ts';

export function retryInterceptor(options?: RetryOptions): Dispatcher.DispatcherComposeInterceptor {
  const resolved = resolveRetryOptions(options);
  return (dispatch) =>
    function dispatchWithRetry(
      opts: Dispatcher.DispatchOptions,
      handler: Dispatcher.DispatchHandler,
    ): boolean {
      [opts, handler] = adaptLegacyDispatch(opts, handler);
      const method = (opts.method ?? 'GET').toUpperCase();
      if (!resolved.methods.has(method) || opts.upgrade || operationStateOf(opts))
        return dispatch(opts, handler);
      new RetryingCall(dispatch, opts, handler, resolved).start();
      return true;
    };
}
