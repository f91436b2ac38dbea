/**
 * One pass over a dispatch's request headers, in whichever shape undici accepts (object, flat
 * array, iterable of pairs): drops any `traceparent` so the attempt's own context is injected exactly
 * once, keeps the application's `tracestate` unless our propagator injects one (`addHeaders`), and
 * notes what telemetry needs (the SDK's retry count, an Authorization header without a scheme, the
 * exact credentials to strip from provider messages). Header values are never copied into
 * telemetry. A flat array of odd length is passed on as it is, for undici to reject.
 */
import type { Dispatcher } from 'undici';
import { addHeaderCredentials } from '../redact/credentials.ts';
import { authorizationSchemeMissing } from '../redact/headers.ts';
import { isSecretName } from '../redact/secret-names.ts';

type Headers = Dispatcher.DispatchOptions['headers'];
type HeaderValue = string | string[] | undefined;

export interface RequestHeaderFacts {
  /** A copy of the headers without `traceparent`; `addHeaders` may extend it. */
  readonly headers: Headers;
  /** `x-stainless-retry-count` sent by the openai SDK on its own retries. */
  readonly sdkRetryCount: number | undefined;
  readonly authorizationSchemeMissing: boolean;
  /**
   * The exact secret values the request carries, for `redactSecrets(text, credentials)`: the whole
   * `Authorization` / `Proxy-Authorization` value and the credential after its scheme, and the
   * values of `x-api-key`, `api-key`, `x-goog-api-key`, `cookie` and every other header whose name
   * secret-names.ts calls secret. Values shorter than 8 characters are left out.
   */
  readonly credentials: readonly string[];
  /**
   * `gen_ai.provider.name` the request makes unmistakable through a proxy or a self-hosted gateway:
   * `anthropic` for an `anthropic-version` header, `gcp.gemini` for `x-goog-api-key`.
   */
  readonly providerHint: string | undefined;
}

const TRACEPARENT = 'traceparent';
const AUTHORIZATION = 'authorization';
const PROXY_AUTHORIZATION = 'proxy-authorization';
const SDK_RETRY_COUNT = 'x-stainless-retry-count';
const PROVIDER_BY_HEADER: ReadonlyMap<string, string> = new Map([
  ['anthropic-version', 'anthropic'],
  ['x-goog-api-key', 'gcp.gemini'],
]);
/** Lowercasing every header name is wasted work: only names of a watched length can match. */
const WATCHED_LENGTHS = new Set(
  [TRACEPARENT, AUTHORIZATION, PROXY_AUTHORIZATION, SDK_RETRY_COUNT, ...PROVIDER_BY_HEADER.keys()].map(
    (name) => name.length,
  ),
);
const NO_CREDENTIALS: readonly string[] = Object.freeze([]);

class HeaderScan {
  sdkRetryCount: number | undefined = undefined;
  authorizationSchemeMissing = false;
  credentials: string[] | undefined = undefined;
  providerHint: string | undefined = undefined;

  #credentials(): string[] {
    if (this.credentials === undefined) this.credentials = [];
    return this.credentials;
  }

  /** Returns false for headers to drop. */
  keep(name: string, value: unknown): boolean {
    if (WATCHED_LENGTHS.has(name.length)) {
      const lower = name.toLowerCase();
      if (lower === TRACEPARENT) return false;
      if (lower === AUTHORIZATION || lower === PROXY_AUTHORIZATION) {
        if (lower === AUTHORIZATION && typeof value === 'string') {
          this.authorizationSchemeMissing = authorizationSchemeMissing(value);
        }
        addHeaderCredentials(value, true, this.#credentials());
        return true;
      }
      if (lower === SDK_RETRY_COUNT) {
        const count = Number(Array.isArray(value) ? value[0] : value);
        if (Number.isSafeInteger(count) && count >= 0) this.sdkRetryCount = count;
        return true;
      }
      this.providerHint ??= PROVIDER_BY_HEADER.get(lower);
    }
    // isSecretName rejects most names with one case-insensitive test (content-type, accept, ...).
    if (isSecretName(name)) addHeaderCredentials(value, false, this.#credentials());
    return true;
  }
}

/**
 * Copies the headers without any `traceparent`, noting the facts telemetry needs. An odd-length
 * flat array is copied unchanged: undici rejects it (`InvalidArgumentError: headers array must be
 * even`), as it would without this layer.
 */
export function prepareRequestHeaders(headers: Headers): RequestHeaderFacts {
  const scan = new HeaderScan();
  let result: Headers;
  if (headers == null) {
    result = {};
  } else if (Array.isArray(headers)) {
    if (headers.length % 2 !== 0) {
      result = headers.slice();
    } else {
      const flat: string[] = [];
      for (let i = 0; i + 1 < headers.length; i += 2) {
        const name = String(headers[i]);
        const value = headers[i + 1];
        if (scan.keep(name, typeof value === 'string' ? value : String(value))) {
          flat.push(name, value as string);
        }
      }
      result = flat;
    }
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
    credentials: scan.credentials ?? NO_CREDENTIALS,
    providerHint: scan.providerHint,
  };
}

function removeHeader(copy: Headers, lowerName: string): void {
  if (Array.isArray(copy)) {
    for (let i = copy.length - 2; i >= 0; i -= 2) {
      if (String(copy[i]).toLowerCase() === lowerName) copy.splice(i, 2);
    }
  } else if (copy) {
    const object = copy as Record<string, unknown>;
    for (const name in object) {
      if (name.length === lowerName.length && name.toLowerCase() === lowerName) delete object[name];
    }
  }
}

/**
 * Adds headers to a copy made by `prepareRequestHeaders` (never to the application's object). An
 * added header replaces the application's header of the same name (our `tracestate` wins over the
 * application's; without ours, the application's stays). `traceparent` was already dropped.
 */
export function addHeaders(copy: Headers, added: Record<string, string>): void {
  for (const name in added) {
    if (name !== TRACEPARENT) removeHeader(copy, name.toLowerCase());
  }
  if (Array.isArray(copy)) {
    for (const name in added) copy.push(name, added[name] as string);
  } else if (copy) {
    Object.assign(copy, added);
  }
}
