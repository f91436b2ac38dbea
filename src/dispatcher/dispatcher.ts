/**
 * The two ready-made ways in: `createTelemetryDispatcher()` builds an undici Agent with the
 * telemetry interceptor composed on it, to pass per call or per client; `installFetchTelemetry()`
 * makes that the global dispatcher (used by Node's built-in `fetch` and undici's own functions) and
 * gives back an `uninstall()` that restores exactly what was there before.
 */
import { Agent, type Dispatcher, getGlobalDispatcher, setGlobalDispatcher } from 'undici';
import { telemetryInterceptor } from '../interceptor/telemetry-interceptor.ts';
import { InvalidOptionError, type TelemetryOptions } from '../options/options.ts';
import type { RetryOptions } from '../retry/options.ts';
import { retryInterceptor } from '../retry/retry-interceptor.ts';

export interface TelemetryDispatcherOptions extends TelemetryOptions {
  /** The dispatcher to instrument. Default: a new undici `Agent` built from `agent`. */
  dispatcher?: Dispatcher;
  /** Options of the default `Agent` (timeouts, connections, allowH2, ...). Ignored when `dispatcher` is given. */
  agent?: Agent.Options;
  /**
   * Resend failed calls by the providers' rules (`true` for the defaults, or retry options). Off by
   * default: retrying changes what the application sees, and SDKs such as `openai` already retry.
   */
  retry?: boolean | RetryOptions;
}

export function createTelemetryDispatcher(options: TelemetryDispatcherOptions = {}): Dispatcher {
  const { dispatcher, agent, retry, ...telemetry } = options;
  if (dispatcher !== undefined && typeof (dispatcher as Partial<Dispatcher>).compose !== 'function') {
    throw new InvalidOptionError(
      'dispatcher',
      'must be an undici Dispatcher (with a compose() method)',
      dispatcher,
    );
  }
  if (agent !== undefined && (typeof agent !== 'object' || agent === null)) {
    throw new InvalidOptionError('agent', 'must be an object of undici Agent options', agent);
  }
  if (retry !== undefined && typeof retry !== 'boolean' && (typeof retry !== 'object' || retry === null)) {
    throw new InvalidOptionError('retry', 'must be a boolean or an object of retry options', retry);
  }
  const interceptors = [telemetryInterceptor(telemetry)];
  if (retry) interceptors.push(retryInterceptor(retry === true ? {} : retry));
  const base = dispatcher ?? new Agent(agent);
  // undici applies the last interceptor outermost: retries wrap telemetry, so each resend gets its own attempt span.
  return base.compose(interceptors);
}

export interface FetchTelemetryInstallation {
  /** The global dispatcher now in place. */
  readonly dispatcher: Dispatcher;
  /** Puts back the previous global dispatcher and closes ours once its requests are done. */
  uninstall(): Promise<void>;
}

// undici keeps the global dispatcher in these well-known slots: .2 for undici >= 8, .1 for the
// older API that Node's bundled undici (built-in fetch) reads.
const GLOBAL_DISPATCHER_SLOTS = [
  Symbol.for('undici.globalDispatcher.2'),
  Symbol.for('undici.globalDispatcher.1'),
];

export function installFetchTelemetry(options: TelemetryDispatcherOptions = {}): FetchTelemetryInstallation {
  const dispatcher = createTelemetryDispatcher(options);
  const slots = globalThis as unknown as Record<symbol, unknown>;
  const previous = GLOBAL_DISPATCHER_SLOTS.map((slot) => slots[slot]);
  const previousGlobal = getGlobalDispatcher();
  setGlobalDispatcher(dispatcher);
  let installed = true;
  return {
    dispatcher,
    async uninstall() {
      if (!installed) return;
      installed = false;
      if (getGlobalDispatcher() === dispatcher) {
        GLOBAL_DISPATCHER_SLOTS.forEach((slot, index) => {
          slots[slot] = previous[index];
        });
        if (getGlobalDispatcher() !== previousGlobal) setGlobalDispatcher(previousGlobal);
      }
      await dispatcher.close().catch(() => undefined);
    },
  };
}
