/**
 * Keeps `traceparent` single when another instrumentation also injects it.
 *
 * `@opentelemetry/instrumentation-undici` (and similar) add their own `traceparent` from the
 * `undici:request:create` diagnostics channel, after our interceptor has set the attempt's. While
 * one of our attempts is being dispatched (undici creates the request synchronously inside
 * `dispatch`), this guard drops later duplicates of the trace headers and stops `addHeader` from
 * appending more, so the server sees exactly one: the attempt span's.
 *
 * The guard costs undici a channel message per request, so it only subscribes once someone else
 * listens on that channel; until then `otherInstrumentationListening()` is false and the
 * interceptor skips both the guard and entering the attempt's context.
 */
import diagnosticsChannel from 'node:diagnostics_channel';

const TRACE_HEADERS = new Set(['traceparent', 'tracestate']);

interface UndiciRequest {
  headers: unknown;
  addHeader?: (name: string, value: string) => unknown;
}

const requestCreate = diagnosticsChannel.channel('undici:request:create');
let dispatching = 0;
let subscribed = false;

/** True once another subscriber (an undici instrumentation) listens for request creation. */
export function otherInstrumentationListening(): boolean {
  return subscribed || requestCreate.hasSubscribers;
}

function onRequestCreate(message: unknown): void {
  if (dispatching === 0) return;
  const request = (message as { request?: UndiciRequest }).request;
  if (!request || !Array.isArray(request.headers)) return;
  dropDuplicateTraceHeaders(request.headers);
  const addHeader = request.addHeader;
  if (typeof addHeader !== 'function') return;
  request.addHeader = function guardedAddHeader(this: UndiciRequest, name: string, value: string) {
    if (TRACE_HEADERS.has(String(name).toLowerCase()) && hasHeader(this.headers as unknown[], name))
      return this;
    return addHeader.call(this, name, value);
  };
}

function hasHeader(flat: unknown[], name: string): boolean {
  const lower = name.toLowerCase();
  for (let i = 0; i < flat.length; i += 2) if (String(flat[i]).toLowerCase() === lower) return true;
  return false;
}

/** Keeps the first occurrence of each trace header in a flat [name, value, ...] array. */
function dropDuplicateTraceHeaders(flat: unknown[]): void {
  const seen = new Set<string>();
  for (let i = 0; i < flat.length; ) {
    const lower = String(flat[i]).toLowerCase();
    if (TRACE_HEADERS.has(lower)) {
      if (seen.has(lower)) {
        flat.splice(i, 2);
        continue;
      }
      seen.add(lower);
    }
    i += 2;
  }
}

/** Runs `dispatch` with the guard active. Subscribes to the channel on first use. */
export function dispatchGuarded<T>(dispatch: () => T): T {
  if (!subscribed) {
    subscribed = true;
    requestCreate.subscribe(onRequestCreate);
  }
  dispatching++;
  try {
    return dispatch();
  } finally {
    dispatching--;
  }
}
