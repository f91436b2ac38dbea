/**
 * AWS Bedrock Runtime Converse (`POST /model/{modelId}/converse`, `/converse-stream`) for the
 * mock gateway: the Converse answer (`output.message`, `stopReason`, `usage`), the stream as
 * `application/vnd.amazon.eventstream` messages (messageStart, contentBlockDelta...,
 * contentBlockStop, messageStop with the stop reason, metadata with usage; payloads padded with
 * `p` as Bedrock does), errors as `{"message":...}` with the `x-amzn-errortype` header, and
 * exception messages inside a 200 stream (`:message-type` exception). Pure.
 */
import { eventMessage, exceptionMessage } from './eventstream.ts';
import type { NativeCall, NativeError, NativeWire } from './native.ts';

const ERRORS: Readonly<Record<number, readonly [string, string]>> = {
  400: ['ValidationException', 'Malformed input request, please reformat your input and try again.'],
  401: ['UnrecognizedClientException', 'The security token included in the request is invalid.'],
  402: ['ServiceQuotaExceededException', 'Your request exceeds the service quota for your account.'],
  403: ['AccessDeniedException', "You don't have access to the model with the specified model ID."],
  404: [
    'ResourceNotFoundException',
    'Could not resolve the foundation model from the provided model identifier.',
  ],
  429: ['ThrottlingException', 'Too many requests, please wait before trying again.'],
  500: ['InternalServerException', 'The server encountered an internal error.'],
  502: ['InternalServerException', 'The server encountered an internal error.'],
  503: ['ServiceUnavailableException', 'The service is unavailable. Please try again later.'],
};

/** The suffix the service appends to `x-amzn-errortype`. */
export const ERROR_TYPE_SUFFIX = ':http://internal.amazon.com/coral/com.amazon.bedrock/';

function error(status: number, code: string, message: string): NativeError {
  return { status, code, message };
}

/** In-stream exception names are the error names with a lower-case first letter. */
function exceptionType(code: string): string {
  return `${code.charAt(0).toLowerCase()}${code.slice(1)}`;
}

const PADDING = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Bedrock pads stream payloads with a `p` field of varying length; here a deterministic one. */
function padded(index: number, payload: Record<string, unknown>): Record<string, unknown> {
  return { ...payload, p: PADDING.slice(0, 1 + ((index * 7) % PADDING.length)) };
}

function usage(call: NativeCall) {
  const outputTokens = call.texts.length;
  return { inputTokens: call.promptTokens, outputTokens, totalTokens: call.promptTokens + outputTokens };
}

const LATENCY_MS = 412;

export const BEDROCK: NativeWire = {
  provider: 'bedrock',
  streamHeaders: { 'content-type': 'application/vnd.amazon.eventstream' },
  jsonHeaders: { 'content-type': 'application/json' },
  json(call) {
    return {
      metrics: { latencyMs: LATENCY_MS },
      output: { message: { role: 'assistant', content: [{ text: call.texts.join('') }] } },
      stopReason: 'end_turn',
      usage: usage(call),
    };
  },
  opening() {
    return [eventMessage('messageStart', padded(0, { role: 'assistant' }))];
  },
  content(call, count) {
    return call.texts
      .slice(0, count)
      .map((text, i) =>
        eventMessage('contentBlockDelta', padded(i + 1, { contentBlockIndex: 0, delta: { text } })),
      );
  },
  closing(call) {
    const n = call.texts.length;
    return [
      eventMessage('contentBlockStop', padded(n + 1, { contentBlockIndex: 0 })),
      eventMessage('messageStop', padded(n + 2, { stopReason: 'end_turn' })),
      eventMessage('metadata', padded(n + 3, { usage: usage(call), metrics: { latencyMs: LATENCY_MS } })),
    ];
  },
  keepalive: undefined,
  errorFor(status) {
    const [code, message] = ERRORS[status] ?? ['InternalServerException', `HTTP ${status}`];
    return error(status, code, message);
  },
  overloaded: error(
    503,
    'ServiceUnavailableException',
    'Too many connections, please wait before trying again.',
  ),
  midStream: {
    context_length_exceeded: error(400, 'ValidationException', 'Input is too long for requested model.'),
    content_filter: error(400, 'ValidationException', 'The response was blocked by a content filter.'),
    rate_limit: error(429, 'ThrottlingException', 'Too many tokens, please wait before trying again.'),
    server_error: error(500, 'InternalServerException', 'The server encountered an internal error.'),
    'error-event': error(424, 'ModelStreamErrorException', 'The model stream failed during generation.'),
    'top-level-error': error(424, 'ModelStreamErrorException', 'The model stream failed during generation.'),
  },
  errorResponse(e) {
    return { body: { message: e.message }, headers: { 'x-amzn-errortype': `${e.code}${ERROR_TYPE_SUFFIX}` } };
  },
  streamError(_call, e) {
    return exceptionMessage(exceptionType(e.code), e.message);
  },
};
