/**
 * Accepts handlers written for undici's older callback API (onConnect/onHeaders/onData/...), which
 * Node's built-in `fetch` (undici 6 in Node 22, 7 in Node 24) passes to a per-call dispatcher. They
 * are adapted with undici's own wrapper, and HTTP/2 is turned off for them as undici does for its
 * legacy global dispatcher. This is what lets our dispatcher be passed per call to the built-in
 * fetch and to the `openai` SDK's `fetchOptions.dispatcher` without wrapping it yourself.
 *
 * Node 22's built-in fetch also sends an explicit `content-length` twice, joined (`"7, 7"`), which
 * undici 8 rejects (undici issue 5500); identical repeats are collapsed to one value here.
 */
import { type Dispatcher, Dispatcher1Wrapper } from 'undici';

type Handler = Dispatcher.DispatchHandler;

const wrapHandler = (Dispatcher1Wrapper as unknown as { wrapHandler(handler: object): Handler }).wrapHandler;

const LEGACY_CALLBACKS = ['onConnect', 'onHeaders', 'onData', 'onComplete', 'onError', 'onUpgrade'] as const;

/** A handler of the older API: it has one of its callbacks and not the newer onRequestStart. */
function isLegacyHandler(handler: object): boolean {
  if (typeof (handler as Handler).onRequestStart === 'function') return false;
  const callbacks = handler as Record<string, unknown>;
  return LEGACY_CALLBACKS.some((name) => typeof callbacks[name] === 'function');
}

export function adaptLegacyDispatch(
  opts: Dispatcher.DispatchOptions,
  handler: Handler,
): [Dispatcher.DispatchOptions, Handler] {
  if (!isLegacyHandler(handler)) return [opts, handler];
  const headers = collapseRepeatedContentLength(opts.headers);
  const options =
    (opts as { allowH2?: boolean }).allowH2 === false && headers === opts.headers
      ? opts
      : { ...opts, headers, allowH2: false };
  return [options, wrapHandler(handler)];
}

function collapseRepeatedContentLength(
  headers: Dispatcher.DispatchOptions['headers'],
): Dispatcher.DispatchOptions['headers'] {
  if (
    !headers ||
    Array.isArray(headers) ||
    typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function'
  ) {
    return headers;
  }
  const record = headers as Record<string, string | string[] | undefined>;
  const value = record['content-length'];
  if (typeof value !== 'string' || !value.includes(',')) return headers;
  const values = new Set(value.split(',').map((part) => part.trim()));
  if (values.size !== 1) return headers; // conflicting lengths: let undici reject them as before
  return { ...record, 'content-length': [...values][0] };
}
