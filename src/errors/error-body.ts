/**
 * Errors (src/errors/) owns what an LLM API error means: the provider's code and message read from
 * an error body (this file), the retry/spend-cap verdicts (policy.ts) and `error.type` for
 * exceptions (error-type.ts). Pure functions over strings and values; never throw.
 *
 * Bodies recognised (../shared/seeds/):
 *  - OpenAI / Cline / OpenRouter `{"error":{"code":401|"context_length_exceeded","message":"...",
 *    "metadata":{"provider_name":"...","request_id":"..."}}}`; OpenAI's `"code":null` falls back
 *    to `"type"` (`{"error":{"message","type","param","code":null}}`).
 *  - CheapAI `{"success":false,"error":"Human-readable error description"}` and
 *    `{"error":{"message":"...","type":"error_type"}}` (also Anthropic's `{"type":"error","error":{...}}`).
 *  - Gemini `{"error":{"code":429,"message":"...","status":"RESOURCE_EXHAUSTED"}}`: `status` names it.
 *  - Plain `{"message":"...","code":...}` / `{"detail":"..."}` (FastAPI-style gateways).
 */

import { redactMessage } from '../redact/text.ts';
import { codeShaped } from './error-code.ts';
import { isRetryableHttpError, isSpendCap } from './policy.ts';

export interface ProviderError {
  /** The provider's error code (`context_length_exceeded`, `401`, a CheapAI `type`), if any. */
  code: string | undefined;
  /** The human-readable message, secrets redacted, at most {@link MAX_READ_MESSAGE_CHARS}. */
  message: string | undefined;
  /** The upstream provider behind a gateway (`metadata.provider_name`). */
  provider: string | undefined;
  /** The upstream provider's request id (`metadata.request_id` and spellings). */
  providerRequestId: string | undefined;
}

export interface HttpErrorDescription {
  /** The provider code when the body gives one, else the status as a string (`"503"`). */
  errorType: string;
  /** Redacted and truncated to `maxMessageLength`. */
  message: string | undefined;
  retryable: boolean;
  spendCap: boolean;
  provider?: string;
  providerRequestId?: string;
}

export const DEFAULT_MAX_MESSAGE_LENGTH = 1024;
/** Bodies beyond this are not parsed (the bounded copy is 64 KiB by default; this is a backstop). */
export const MAX_PARSED_BODY_CHARS = 1024 * 1024;
/** `readProviderError` keeps at most this much of a message (its callers keep 1,024). */
export const MAX_READ_MESSAGE_CHARS = 8192;

const MAX_PROVIDER_CHARS = 128;
const MAX_REQUEST_ID_CHARS = 256;
const REQUEST_ID_KEYS = ['request_id', 'provider_request_id', 'requestId', 'providerRequestId'] as const;

type JsonObject = Record<string, unknown>;

function asObject(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as JsonObject)
    : undefined;
}

function asText(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed.length > 0 ? trimmed : undefined;
}

function asLabel(
  value: unknown,
  max: number,
  credentials: readonly string[] | undefined,
): string | undefined {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  const trimmed = asText(text);
  return trimmed === undefined ? undefined : redactMessage(trimmed, max, credentials);
}

function firstRequestId(
  credentials: readonly string[] | undefined,
  ...sources: (JsonObject | undefined)[]
): string | undefined {
  for (const source of sources) {
    if (source === undefined) continue;
    for (const key of REQUEST_ID_KEYS) {
      const id = asLabel(source[key], MAX_REQUEST_ID_CHARS, credentials);
      if (id !== undefined) return id;
    }
  }
  return undefined;
}

const NUMERIC = /^[0-9]+$/;

/**
 * The error's code: a textual `code` (OpenAI's `context_length_exceeded`); else, nested, a textual
 * `status` (Gemini's `{"error":{"code":429,"status":"RESOURCE_EXHAUSTED"}}` repeats the HTTP status
 * in `code`); else a textual `type` (Anthropic, CheapAI, OpenAI's `"code": null`, LiteLLM's
 * `throttling_error` beside `"code":"429"`, Mistral's `invalid_model` beside `"code":"1500"`); else a
 * numeric `code` (Cline's `401`). Only code-shaped values count.
 */
function codeOf(source: JsonObject, nested: boolean): string | undefined {
  const code = codeShaped(source.code);
  if (code !== undefined && !NUMERIC.test(code)) return code;
  if (nested && typeof source.status === 'string') {
    const status = codeShaped(source.status);
    if (status !== undefined && !NUMERIC.test(status) && status.toLowerCase() !== 'error') return status;
  }
  const type = codeShaped(source.type === 'error' ? undefined : source.type);
  if (type !== undefined && !NUMERIC.test(type)) return type;
  return code;
}

/** A provider error whose message is still raw: each caller redacts it once, to its own length. */
interface RawProviderError {
  code: string | undefined;
  rawMessage: string | undefined;
  provider: string | undefined;
  providerRequestId: string | undefined;
}

function readRawError(
  value: unknown,
  credentials: readonly string[] | undefined,
): RawProviderError | undefined {
  const root = asObject(value);
  if (root === undefined) return undefined;
  const nested = asObject(root.error);
  const source = nested ?? root;
  const code = codeOf(source, nested !== undefined);
  const rawMessage =
    asText(source.message) ??
    asText(typeof root.error === 'string' ? root.error : undefined) ??
    asText(root.message) ??
    asText(root.detail);
  if (code === undefined && rawMessage === undefined) return undefined;
  const metadata = asObject(source.metadata);
  return {
    code,
    rawMessage,
    provider: asLabel(metadata?.provider_name ?? metadata?.provider, MAX_PROVIDER_CHARS, credentials),
    providerRequestId: firstRequestId(credentials, metadata, source, root),
  };
}

function withMessage(raw: RawProviderError, message: string | undefined): ProviderError {
  return {
    code: raw.code,
    message: message === '' ? undefined : message,
    provider: raw.provider,
    providerRequestId: raw.providerRequestId,
  };
}

/**
 * Normalises an already parsed error value: a whole body, or the `error` object of a mid-stream
 * SSE chunk. `undefined` when it carries neither a code nor a message. `credentials` (the exact
 * values the request carried) are redacted from the message and labels as well.
 */
export function readProviderError(
  value: unknown,
  credentials?: readonly string[],
): ProviderError | undefined {
  const raw = readRawError(value, credentials);
  if (raw === undefined) return undefined;
  const message =
    raw.rawMessage === undefined
      ? undefined
      : redactMessage(raw.rawMessage, MAX_READ_MESSAGE_CHARS, credentials);
  return withMessage(raw, message);
}

function parseRawError(
  body: string,
  credentials: readonly string[] | undefined,
): RawProviderError | undefined {
  if (typeof body !== 'string' || body.length > MAX_PARSED_BODY_CHARS) return undefined;
  const start = body.trimStart();
  if (!start.startsWith('{')) return undefined;
  try {
    return readRawError(JSON.parse(start), credentials);
  } catch {
    return undefined;
  }
}

/** Parses an HTTP error body; `undefined` for non-JSON, arrays, oversized bodies, no error info. */
export function parseProviderError(body: string, credentials?: readonly string[]): ProviderError | undefined {
  const raw = parseRawError(body, credentials);
  if (raw === undefined) return undefined;
  const message =
    raw.rawMessage === undefined
      ? undefined
      : redactMessage(raw.rawMessage, MAX_READ_MESSAGE_CHARS, credentials);
  return withMessage(raw, message);
}

/**
 * Everything telemetry records about an HTTP error response. `credentials` are the exact secrets
 * the request carried (see `RequestHeaderFacts.credentials`, `queryCredentials`): removed from the
 * message wherever they appear. The message is redacted only as far as it is kept
 * (`maxMessageLength`, default 1,024), so the cost does not grow with the body. Never throws.
 */
export function describeHttpError(input: {
  status: number;
  body: string | undefined;
  maxMessageLength?: number;
  credentials?: readonly string[];
}): HttpErrorDescription {
  const status = input?.status;
  const fallback = String(status);
  try {
    const credentials = input.credentials;
    const raw = input.body === undefined ? undefined : parseRawError(input.body, credentials);
    const message =
      raw?.rawMessage === undefined
        ? undefined
        : redactMessage(raw.rawMessage, input.maxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH, credentials) ||
          undefined;
    const error = raw === undefined ? undefined : withMessage(raw, message);
    const description: HttpErrorDescription = {
      errorType: error?.code ?? fallback,
      message,
      retryable: isRetryableHttpError(status, error),
      spendCap: isSpendCap(status, error),
    };
    if (error?.provider !== undefined) description.provider = error.provider;
    if (error?.providerRequestId !== undefined) description.providerRequestId = error.providerRequestId;
    return description;
  } catch {
    return { errorType: fallback, message: undefined, retryable: false, spendCap: false };
  }
}
