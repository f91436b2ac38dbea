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
 *  - Plain `{"message":"...","code":...}` / `{"detail":"..."}` (FastAPI-style gateways).
 */

import { redactSecrets, truncate } from '../redact/text.ts';
import { isRetryableHttpError, isSpendCap } from './policy.ts';

export interface ProviderError {
  /** The provider's error code (`context_length_exceeded`, `401`, a CheapAI `type`), if any. */
  code: string | undefined;
  /** The human-readable message, secrets redacted (not truncated). */
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

/** Codes become `error.type`, a metric attribute: only short identifier-like values qualify. */
const CODE_SHAPE = /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$/;
const MAX_PROVIDER_CHARS = 128;
const MAX_REQUEST_ID_CHARS = 256;
const REQUEST_ID_KEYS = ['request_id', 'provider_request_id', 'requestId', 'providerRequestId'] as const;

type JsonObject = Record<string, unknown>;

function asObject(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as JsonObject)
    : undefined;
}

function asCode(value: unknown): string | undefined {
  const text = typeof value === 'number' && Number.isInteger(value) ? String(value) : value;
  if (typeof text !== 'string') return undefined;
  const trimmed = text.trim();
  // A code that looks like a credential (`sk-...`) is not a code.
  return CODE_SHAPE.test(trimmed) && redactSecrets(trimmed) === trimmed ? trimmed : undefined;
}

function asMessage(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed.length > 0 ? redactSecrets(trimmed) : undefined;
}

function asLabel(value: unknown, max: number): string | undefined {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== 'string') return undefined;
  const trimmed = text.trim();
  return trimmed.length > 0 ? truncate(redactSecrets(trimmed), max) : undefined;
}

function firstRequestId(...sources: (JsonObject | undefined)[]): string | undefined {
  for (const source of sources) {
    if (source === undefined) continue;
    for (const key of REQUEST_ID_KEYS) {
      const id = asLabel(source[key], MAX_REQUEST_ID_CHARS);
      if (id !== undefined) return id;
    }
  }
  return undefined;
}

/**
 * Normalises an already parsed error value: a whole body, or the `error` object of a mid-stream
 * SSE chunk. `undefined` when it carries neither a code nor a message.
 */
export function readProviderError(value: unknown): ProviderError | undefined {
  const root = asObject(value);
  if (root === undefined) return undefined;
  const nested = asObject(root.error);
  const source = nested ?? root;
  const code = asCode(source.code) ?? asCode(source.type === 'error' ? undefined : source.type);
  const message =
    asMessage(source.message) ??
    asMessage(typeof root.error === 'string' ? root.error : undefined) ??
    asMessage(root.message) ??
    asMessage(root.detail);
  if (code === undefined && message === undefined) return undefined;
  const metadata = asObject(source.metadata);
  return {
    code,
    message,
    provider: asLabel(metadata?.provider_name ?? metadata?.provider, MAX_PROVIDER_CHARS),
    providerRequestId: firstRequestId(metadata, source, root),
  };
}

/** Parses an HTTP error body; `undefined` for non-JSON, arrays, oversized bodies, no error info. */
export function parseProviderError(body: string): ProviderError | undefined {
  if (typeof body !== 'string' || body.length > MAX_PARSED_BODY_CHARS) return undefined;
  const start = body.trimStart();
  if (!start.startsWith('{')) return undefined;
  try {
    return readProviderError(JSON.parse(start));
  } catch {
    return undefined;
  }
}

/** Everything telemetry records about an HTTP error response. Never throws. */
export function describeHttpError(input: {
  status: number;
  body: string | undefined;
  maxMessageLength?: number;
}): HttpErrorDescription {
  const status = input?.status;
  const fallback = String(status);
  try {
    const error = input.body === undefined ? undefined : parseProviderError(input.body);
    const description: HttpErrorDescription = {
      errorType: error?.code ?? fallback,
      message:
        truncate(error?.message ?? '', input.maxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH) || undefined,
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
