/**
 * Accepts handlers written for undici's older callback API (onConnect/onHeaders/onData/...), which
 * Node's built-in `fetch` (undici 6 in Node 22, 7 in Node 24) passes to a per-call dispatcher. They
 * are adapted with undici's own wrapper, and HTTP/2 is turned off for them as undici does for its
 * legacy global dispatcher. This is what lets our dispatcher be passed per call to the built-in
 * fetch and to the `openai` SDK's `fetchOptions.dispatcher` without wrapping it yourself.
 */
import { type Dispatcher, Dispatcher1Wrapper } from 'undici';

type Handler = Dispatcher.DispatchHandler;

const wrapHandler = (Dispatcher1Wrapper as unknown as { wrapHandler(handler: object): Handler }).wrapHandler;

export function isLegacyHandler(handler: object): boolean {
  return typeof (handler as Handler).onRequestStart !== 'function';
}

export function adaptLegacyDispatch(
  opts: Dispatcher.DispatchOptions,
  handler: Handler,
): [Dispatcher.DispatchOptions, Handler] {
  if (!isLegacyHandler(handler)) return [opts, handler];
  const options = (opts as { allowH2?: boolean }).allowH2 === false ? opts : { ...opts, allowH2: false };
  return [options, wrapHandler(handler)];
}
