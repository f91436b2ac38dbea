/**
 * What undici's global dispatcher slots held before npm undici 8 was first loaded in this process.
 * This module imports nothing, so it runs before undici when imported first (dispatcher.ts and
 * register.ts do). It matters on Node 22: Node's bundled undici 6 keeps the built-in fetch's
 * dispatcher in the older slot only (for example the `EnvHttpProxyAgent` that `NODE_USE_ENV_PROXY=1`
 * creates), and loading undici 8 overwrites that slot with a fresh direct Agent of its own.
 */

/** Where undici >= 7 keeps the global dispatcher (and npm undici 8 reads it). */
export const CURRENT_SLOT: unique symbol = Symbol.for('undici.globalDispatcher.2') as never;
/** The older slot that Node's bundled undici (the built-in `fetch`) reads. */
export const LEGACY_SLOT: unique symbol = Symbol.for('undici.globalDispatcher.1') as never;

export interface GlobalSlots {
  readonly current: unknown;
  readonly legacy: unknown;
}

export function readGlobalSlots(): GlobalSlots {
  const slots = globalThis as unknown as Record<symbol, unknown>;
  return { current: slots[CURRENT_SLOT], legacy: slots[LEGACY_SLOT] };
}

/** The slots as this module found them; `current` undefined means undici >= 7 had not set one yet. */
export const slotsBeforeUndici: GlobalSlots = Object.freeze(readGlobalSlots());
