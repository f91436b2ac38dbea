/**
 * `error.type` for an exception (connection errors, timeouts, aborts) and the user-abort verdict.
 * Looks through `err.cause` chains because `fetch` wraps undici's errors (`TypeError: fetch failed`
 * with `cause: SocketError { code: 'UND_ERR_SOCKET' }`).
 */

import { ERROR_TYPE_OTHER } from '../semconv/names.ts';

const MAX_CAUSE_DEPTH = 8;
/** Codes are metric attribute values: only short constant-like strings qualify (`ECONNRESET`). */
const CODE_SHAPE = /^[A-Z][A-Z0-9_]{1,63}$/;
/** Names likewise (`TimeoutError`, `SocketError`); anything else would explode cardinality. */
const NAME_SHAPE = /^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/;
const GENERIC_NAMES: ReadonlySet<string> = new Set(['Error', 'TypeError']);

function read(value: unknown, key: 'code' | 'name' | 'cause'): unknown {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined;
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** `err`, `err.cause`, `err.cause.cause`, ... bounded and cycle-safe. */
function causeChain(err: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = err;
  while (current !== undefined && current !== null && chain.length < MAX_CAUSE_DEPTH) {
    if (chain.includes(current)) break;
    chain.push(current);
    current = read(current, 'cause');
  }
  return chain;
}

function codeOf(value: unknown): string | undefined {
  const code = read(value, 'code');
  return typeof code === 'string' && CODE_SHAPE.test(code) ? code : undefined;
}

function nameOf(value: unknown): string | undefined {
  const name = read(value, 'name');
  return typeof name === 'string' && NAME_SHAPE.test(name) ? name : undefined;
}

/** Every code-shaped `code` along the cause chain, outermost first. */
export function errorCodesOf(err: unknown): string[] {
  try {
    const codes: string[] = [];
    for (const link of causeChain(err)) {
      const code = codeOf(link);
      if (code !== undefined) codes.push(code);
    }
    return codes;
  } catch {
    return [];
  }
}

/**
 * The first string code along the cause chain (`ECONNRESET`, `UND_ERR_SOCKET`,
 * `UND_ERR_HEADERS_TIMEOUT`); else the first specific name (`TimeoutError`, `AbortError`,
 * `SocketError`), a wrapper's `TypeError` only when nothing more specific is beneath it; else
 * `_OTHER`. Never throws.
 */
export function errorTypeOf(err: unknown): string {
  try {
    const chain = causeChain(err);
    for (const link of chain) {
      const code = codeOf(link);
      if (code !== undefined) return code;
    }
    let fallback: string | undefined;
    for (const link of chain) {
      const name = nameOf(link);
      if (name === undefined) continue;
      if (!GENERIC_NAMES.has(name)) return name;
      if (name !== 'Error') fallback ??= name;
    }
    return fallback ?? ERROR_TYPE_OTHER;
  } catch {
    return ERROR_TYPE_OTHER;
  }
}

/**
 * True when the application cancelled the call: an `AbortError` (DOMException or Node's, code
 * `ABORT_ERR`) or undici's `RequestAbortedError` (`UND_ERR_ABORTED`) anywhere in the cause chain.
 * A `TimeoutError` anywhere in the chain (what `AbortSignal.timeout()` aborts with) makes it a
 * failure instead: the caller gave up waiting, the call did not succeed. An abort with a custom
 * reason (`controller.abort(new Error('x'))`) rejects with that reason and cannot be told apart
 * from a failure, so it is not a user abort. Never throws.
 */
export function isUserAbort(err: unknown): boolean {
  try {
    const chain = causeChain(err);
    if (chain.some((link) => nameOf(link) === 'TimeoutError')) return false;
    return chain.some((link) => {
      const code = codeOf(link);
      return nameOf(link) === 'AbortError' || code === 'ABORT_ERR' || code === 'UND_ERR_ABORTED';
    });
  } catch {
    return false;
  }
}
