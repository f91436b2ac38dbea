/**
 * One pass over a dispatch's request headers, in whichever shape undici accepts (object, flat
 * array, iterable of pairs): drops any `traceparent`/`tracestate` so the attempt's own context is
 * injected exactly once, and notes what telemetry needs (the SDK's retry count, an Authorization
 * header without a scheme). Header values are never copied into telemetry.
 */
import type { Dispatcher } from 'undici';
import { authorizationSchemeMissing } from '../redact/headers.ts';

type Headers = Dispatcher.DispatchOptions['headers'];
type HeaderValue = string | string[] | undefined;

export interface RequestHeaderFacts {
  /** A copy of the headers without trace headers; `addHeaders` may extend it. */
  readonly headers: Headers;
  /** `x-stainless-retry-count` sent by the openai SDK on its own retries. */
  readonly sdkRetryCount: number | undefined;
  readonly authorizationSchemeMissing: boolean;
}

const TRACEPARENT = 'traceparent';
const TRACESTATE = 'tracestate';
const AUTHORIZATION = 'authorization';
const SDK_RETRY_COUNT = 'x-stainless-retry-count';
/** Lowercasing every header name is wasted work: only names of a watched length can match. */
const WATCHED_LENGTHS = new Set(
  [TRACEPARENT, TRACESTATE, AUTHORIZATION, SDK_RETRY_COUNT].map((name) => name.length),
);

class HeaderScan {
  sdkRetryCount: number | undefined = undefined;
  authorizationSchemeMissing = false;

  /** Returns false for headers to drop. */
  keep(name: string, value: unknown): boolean {
    if (!WATCHED_LENGTHS.has(name.length)) return true;
    const lower = name.toLowerCase();
    if (lower === TRACEPARENT || lower === TRACESTATE) return false;
    if (lower === AUTHORIZATION && typeof value === 'string') {
      this.authorizationSchemeMissing = authorizationSchemeMissing(value);
    } else if (lower === SDK_RETRY_COUNT) {
      const count = Number(Array.isArray(value) ? value[0] : value);
      if (Number.isSafeInteger(count) && count >= 0) this.sdkRetryCount = count;
    }
    return true;
  }
}

/** Copies the headers without any `traceparent`/`tracestate`, noting the facts telemetry needs. */
export function prepareRequestHeaders(headers: Headers): RequestHeaderFacts {
  const scan = new HeaderScan();
  let result: Headers;
  if (headers == null) {
    result = {};
  } else if (Array.isArray(headers)) {
    const flat: string[] = [];
    for (let i = 0; i + 1 < headers.length; i += 2) {
      const name = String(headers[i]);
      const value = headers[i + 1];
      if (scan.keep(name, typeof value === 'string' ? value : String(value)))
        flat.push(name, value as string);
    }
    result = flat;
  } else if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    const flat: string[] = [];
    for (const [name, value] of headers as Iterable<[string, HeaderValue]>) {
      if (value === undefined || !scan.keep(name, value)) continue;
      if (Array.isArray(value)) for (const item of value) flat.push(name, item);
      else flat.push(name, value);
    }
    result = flat;
  } else {
    const object: Record<string, HeaderValue> = {};
    const source = headers as Record<string, HeaderValue>;
    for (const name in source) {
      if (scan.keep(name, source[name])) object[name] = source[name];
    }
    result = object;
  }
  return {
    headers: result,
    sdkRetryCount: scan.sdkRetryCount,
    authorizationSchemeMissing: scan.authorizationSchemeMissing,
  };
}

/** Adds headers to a copy made by `prepareRequestHeaders` (never to the application's object). */
export function addHeaders(copy: Headers, added: Record<string, string>): void {
  if (Array.isArray(copy)) {
    for (const name in added) copy.push(name, added[name] as string);
  } else if (copy) {
    Object.assign(copy, added);
  }
}
