/**
 * The dispatcher `installFetchTelemetry()` makes global: the instrumented chain composed on a base
 * dispatcher, behind a switch. While installed it records every call; after `uninstall()` it
 * forwards every request untouched to a dispatcher that stays open, so whatever still holds it (a
 * library that composed its own interceptor on top with `getGlobalDispatcher().compose(...)`, a
 * per-client reference) keeps working and records nothing.
 *
 * Like undici's own `compose()`, it is a Proxy of the base: only `dispatch` differs, so `close()`,
 * `destroy()`, events and `compose()` behave as the base's would.
 */
import type { Dispatcher } from 'undici';
import { adaptLegacyDispatch } from '../interceptor/legacy-handler.ts';
import { kOperationState } from '../interceptor/operation-state.ts';

export interface SwitchableLayer {
  /** The dispatcher to install. */
  readonly dispatcher: Dispatcher;
  /** From now on every request goes untouched to `target`. */
  passThrough(target: Dispatcher): void;
}

export function createSwitchableLayer(base: Dispatcher, instrumented: Dispatcher): SwitchableLayer {
  let forwardTo: Dispatcher | undefined;
  function dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    if (forwardTo !== undefined) {
      // Node's built-in fetch may hand a per-call dispatcher handlers of the older API.
      [opts, handler] = adaptLegacyDispatch(opts, handler);
      return forwardTo.dispatch(opts, handler);
    }
    // An outer telemetry chain (another installation on top of this one) already records this
    // call: a second one would add a second attempt span to the same operation.
    if (typeof opts === 'object' && opts !== null && kOperationState in opts) {
      return base.dispatch(opts, handler);
    }
    return instrumented.dispatch(opts, handler);
  }
  const dispatcher = new Proxy(base, {
    get: (target, key) =>
      key === 'dispatch' ? dispatch : (target as unknown as Record<PropertyKey, unknown>)[key],
  });
  return {
    dispatcher,
    passThrough(target) {
      forwardTo = target;
    },
  };
}
