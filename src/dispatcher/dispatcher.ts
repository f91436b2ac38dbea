/**
 * The two ready-made ways in: `createTelemetryDispatcher()` builds a dispatcher with the telemetry
 * interceptor composed on it, to pass per call or per client; `installFetchTelemetry()` composes
 * the same interceptors onto the application's global dispatcher (used by Node's built-in `fetch`
 * and undici's own functions), keeping its proxy, timeouts and TLS options, and gives back an
 * `uninstall()` that puts the previous dispatcher back and never closes one the library did not
 * create. See docs/installing.md.
 */
// First, before undici: records the global dispatcher slots as they were before undici 8 loaded.
import './global-snapshot.ts';
import { Agent, Dispatcher, EnvHttpProxyAgent, getGlobalDispatcher, setGlobalDispatcher } from 'undici';
import { telemetryInterceptor } from '../interceptor/telemetry-interceptor.ts';
import { InvalidOptionError, type TelemetryOptions } from '../options/options.ts';
import type { RetryOptions } from '../retry/options.ts';
import { retryInterceptor } from '../retry/retry-interceptor.ts';
import { envProxyRequested } from './env-proxy.ts';
import {
  CURRENT_SLOT,
  type GlobalSlots,
  LEGACY_SLOT,
  readGlobalSlots,
  slotsBeforeUndici,
} from './global-snapshot.ts';
import { createSwitchableLayer } from './layer.ts';
import { parserErrorCodeInterceptor } from './parser-error-code.ts';

export interface TelemetryDispatcherOptions extends TelemetryOptions {
  /**
   * The dispatcher to instrument; the library never closes it. Default for
   * `createTelemetryDispatcher()`: a new connection pool built from `agent`. Default for
   * `installFetchTelemetry()`: the global dispatcher at install time (your `ProxyAgent`, your
   * `Agent` with its timeouts and TLS options, or the one Node set up for `NODE_USE_ENV_PROXY=1`).
   */
  dispatcher?: Dispatcher;
  /**
   * Options for a new connection pool that the library creates, owns and closes on `uninstall()`
   * (timeouts, connections, allowH2, ...). Ignored when `dispatcher` is given. With
   * `installFetchTelemetry()` this replaces the application's global dispatcher instead of
   * composing onto it. The pool is an undici `Agent`, or an `EnvHttpProxyAgent` when Node would
   * use the proxy variables (`NODE_USE_ENV_PROXY=1` or `--use-env-proxy`, with `HTTP_PROXY` /
   * `HTTPS_PROXY` set; `NO_PROXY` is honoured).
   */
  agent?: Agent.Options;
  /**
   * Resend failed calls by the providers' rules (`true` for the defaults, or retry options). Off by
   * default: retrying changes what the application sees, and SDKs such as `openai` already retry.
   */
  retry?: boolean | RetryOptions;
}

/** Throws InvalidOptionError for a malformed `dispatcher`, `agent` or `retry`. */
function validate(options: TelemetryDispatcherOptions): void {
  const { dispatcher, agent, retry } = options;
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
}

/** A connection pool of our own: through the environment's proxy when Node would use it. */
function newConnectionPool(agent: Agent.Options | undefined): Dispatcher {
  return envProxyRequested() ? new EnvHttpProxyAgent(agent) : new Agent(agent);
}

/** `base` with our interceptors composed on it (built and validated before anything global changes). */
function instrument(base: Dispatcher, options: TelemetryDispatcherOptions): Dispatcher {
  const { dispatcher: _dispatcher, agent: _agent, retry, ...telemetry } = options;
  // undici applies the last interceptor outermost: retries wrap telemetry, so each resend gets its
  // own attempt span; the parser-error code is restored innermost, so telemetry sees it too.
  const interceptors = [parserErrorCodeInterceptor(), telemetryInterceptor(telemetry)];
  if (retry) interceptors.push(retryInterceptor(retry === true ? {} : retry));
  return typeof base.compose === 'function'
    ? base.compose(interceptors)
    : Dispatcher.prototype.compose.call(base, ...interceptors);
}

export function createTelemetryDispatcher(options: TelemetryDispatcherOptions = {}): Dispatcher {
  validate(options);
  const { dispatcher, agent } = options;
  const base = dispatcher ?? newConnectionPool(agent);
  try {
    return instrument(base, options);
  } catch (error) {
    if (dispatcher === undefined) void base.close().catch(() => undefined);
    throw error;
  }
}

export interface FetchTelemetryInstallation {
  /** The global dispatcher now in place. */
  readonly dispatcher: Dispatcher;
  /**
   * Stops recording. When this installation is still the global dispatcher, puts the previous one
   * back. Never closes a dispatcher the library did not create; closes the pool it created (from
   * `agent`, or for the proxy variables) once its requests are done, unless something composed on
   * top still routes through it. Afterwards `dispatcher` forwards every request untouched.
   * Idempotent.
   */
  uninstall(): Promise<void>;
}

function writeSlot(slot: symbol, value: unknown): void {
  try {
    (globalThis as unknown as Record<symbol, unknown>)[slot] = value;
  } catch {
    // globalThis is frozen: undici keeps its dispatcher in a variable of its own (see uninstall).
  }
}

/**
 * undici 8's own default Agent, created when it loaded and found no global dispatcher (so nothing
 * was set by the application or by Node). Undefined when undici 8 found one already.
 */
const undiciDefault: Dispatcher | undefined =
  slotsBeforeUndici.current === undefined ? getGlobalDispatcher() : undefined;

// Node 22: Node's bundled undici 6 keeps the built-in fetch's dispatcher in the older slot only
// (for example the agent NODE_USE_ENV_PROXY=1 creates), and loading undici 8 just replaced it with
// a direct Agent of its own. Importing this library must not change what the built-in fetch uses:
// give it its own back (only installFetchTelemetry() changes it).
if (
  undiciDefault !== undefined &&
  slotsBeforeUndici.legacy !== undefined &&
  readGlobalSlots().current === undiciDefault
) {
  writeSlot(LEGACY_SLOT, slotsBeforeUndici.legacy);
}

interface InstallationRecord {
  /** The slots as they were before this installation. */
  readonly previous: GlobalSlots;
  /** The slots as this installation set them. */
  readonly installed: GlobalSlots;
  uninstalled: boolean;
}

/** Our installations by their dispatcher, to step over the ones already uninstalled when restoring. */
const installations = new WeakMap<object, InstallationRecord>();

/** The slots to put back: `previous`, past any installations of ours that were uninstalled since. */
function slotsToRestore(previous: GlobalSlots): GlobalSlots {
  let slots = previous;
  for (let depth = 0; depth < 64; depth++) {
    const record =
      typeof slots.current === 'object' && slots.current !== null
        ? installations.get(slots.current)
        : undefined;
    if (!record?.uninstalled || slots.legacy !== record.installed.legacy) break;
    slots = record.previous;
  }
  return slots;
}

export function installFetchTelemetry(options: TelemetryDispatcherOptions = {}): FetchTelemetryInstallation {
  validate(options);
  const previous = readGlobalSlots();
  const previousGlobal = getGlobalDispatcher();
  const { dispatcher, agent } = options;
  // Compose onto what the application has; build a pool only when asked to, or when nothing was
  // set and Node would route fetch through the environment's proxy (the slot Node set it in was
  // overwritten when undici 8 loaded, on Node 22).
  const owned =
    dispatcher === undefined &&
    (agent !== undefined ||
      (undiciDefault !== undefined && previousGlobal === undiciDefault && envProxyRequested()));
  const base = dispatcher ?? (owned ? newConnectionPool(agent) : previousGlobal);
  let layer: ReturnType<typeof createSwitchableLayer>;
  try {
    layer = createSwitchableLayer(base, instrument(base, options));
    setGlobalDispatcher(layer.dispatcher);
  } catch (error) {
    if (owned) void base.close().catch(() => undefined);
    throw error;
  }
  const record: InstallationRecord = { previous, installed: readGlobalSlots(), uninstalled: false };
  installations.set(layer.dispatcher, record);
  return {
    dispatcher: layer.dispatcher,
    async uninstall() {
      if (record.uninstalled) return;
      record.uninstalled = true;
      const now = readGlobalSlots();
      const onTop = now.current === record.installed.current && now.legacy === record.installed.legacy;
      const restore = slotsToRestore(record.previous);
      if (record.installed.current === undefined) {
        // globalThis is frozen, so undici keeps the global dispatcher in a variable of its own.
        if (getGlobalDispatcher() === layer.dispatcher) setGlobalDispatcher(previousGlobal);
      } else {
        // Each slot goes back only while it still holds ours: whatever was set since stays.
        if (now.current === record.installed.current) writeSlot(CURRENT_SLOT, restore.current);
        if (now.legacy === record.installed.legacy) writeSlot(LEGACY_SLOT, restore.legacy);
      }
      if (!owned || !onTop) {
        // The base stays open: it is the application's, or something composed on top still uses it.
        layer.passThrough(base);
        return;
      }
      layer.passThrough((restore.current as Dispatcher | undefined) ?? previousGlobal);
      await base.close().catch(() => undefined);
    },
  };
}
