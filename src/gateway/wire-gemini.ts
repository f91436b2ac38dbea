/**
 * Gemini API and Vertex AI (`…/models/{model}:generateContent`, `:streamGenerateContent`,
 * `:countTokens`, `:embedContent`, `:batchEmbedContents`) for the mock gateway: a GenerateContentResponse with
 * candidates, `finishReason`, `usageMetadata`, `modelVersion` and `responseId`; the stream as
 * `?alt=sse` frames (CRLF-delimited, as Google sends them) ending after the chunk whose candidate
 * carries `finishReason` (no `[DONE]`), or without `alt=sse` as one JSON array; errors
 * `{"error":{"code","message","status"}}`, also as a frame inside a 200 stream. Pure.
 */
import type { NativeCall, NativeError, NativeWire, Piece } from './native.ts';

const ERRORS: Readonly<Record<number, readonly [string, string]>> = {
  400: ['INVALID_ARGUMENT', 'Request contains an invalid argument.'],
  401: ['UNAUTHENTICATED', 'API key not valid. Please pass a valid API key.'],
  402: ['FAILED_PRECONDITION', 'Billing is not enabled for this project.'],
  403: ['PERMISSION_DENIED', 'The caller does not have permission'],
  404: ['NOT_FOUND', 'models/unknown is not found for API version v1beta'],
  429: ['RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).'],
  500: [
    'INTERNAL',
    'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
  ],
  502: ['UNAVAILABLE', 'The service is currently unavailable.'],
  503: ['UNAVAILABLE', 'The model is overloaded. Please try again later.'],
};

function error(status: number, code: string, message: string): NativeError {
  return { status, code, message };
}

function usageMetadata(call: NativeCall, outputTokens: number | undefined) {
  const prompt = { promptTokenCount: call.promptTokens };
  const details = { promptTokensDetails: [{ modality: 'TEXT', tokenCount: call.promptTokens }] };
  if (outputTokens === undefined) return { ...prompt, totalTokenCount: call.promptTokens, ...details };
  return {
    ...prompt,
    candidatesTokenCount: outputTokens,
    totalTokenCount: call.promptTokens + outputTokens,
    ...details,
  };
}

function response(call: NativeCall, text: string, finished: boolean, outputTokens?: number) {
  const candidate = {
    content: { parts: [{ text }], role: 'model' },
    ...(finished && { finishReason: 'STOP' }),
    index: 0,
  };
  return {
    candidates: [candidate],
    usageMetadata: usageMetadata(call, outputTokens),
    modelVersion: call.model,
    responseId: call.id,
  };
}

/** One stream element: an SSE frame, or an element of the JSON array (`[` first, `,` between). */
function element(call: NativeCall, value: unknown, first: boolean): string {
  if (!call.jsonArray) return `data: ${JSON.stringify(value)}\r\n\r\n`;
  return `${first ? '[' : ',\r\n'}${JSON.stringify(value)}`;
}

function errorObject(e: NativeError) {
  return { error: { code: e.status, message: e.message, status: e.code } };
}

const OVERLOADED = error(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.');

export const GEMINI: NativeWire = {
  provider: 'gemini',
  streamHeaders: { 'content-type': 'text/event-stream', 'x-content-type-options': 'nosniff' },
  jsonHeaders: { 'content-type': 'application/json; charset=UTF-8' },
  json(call) {
    if (call.op === 'count_tokens') return { totalTokens: call.promptTokens };
    const embedding = { values: [0.0023, -0.0091, 0.0154, -0.0047] };
    if (call.op === 'embed') return { embedding };
    if (call.op === 'batch_embed')
      return { embeddings: Array.from({ length: call.inputs }, () => embedding) };
    return response(call, call.texts.join(''), true, call.texts.length);
  },
  opening() {
    return [];
  },
  content(call, count) {
    // The last text of a whole stream is carried by the closing chunk, with its finishReason.
    const texts = call.texts.slice(0, Math.min(count, call.texts.length - 1));
    return texts.map((text, i) => element(call, response(call, text, false), i === 0));
  },
  closing(call) {
    const last = response(call, call.texts.at(-1) ?? '', true, call.texts.length);
    const pieces: Piece[] = [element(call, last, call.texts.length <= 1)];
    return call.jsonArray ? [...pieces, ']'] : pieces;
  },
  keepalive: undefined,
  errorFor(status) {
    const [code, message] = ERRORS[status] ?? ['UNKNOWN', `HTTP ${status}`];
    return error(status, code, message);
  },
  overloaded: OVERLOADED,
  midStream: {
    context_length_exceeded: error(
      400,
      'INVALID_ARGUMENT',
      'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).',
    ),
    content_filter: error(400, 'INVALID_ARGUMENT', 'The response was blocked by a safety filter.'),
    rate_limit: error(429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).'),
    server_error: error(500, 'INTERNAL', 'An internal error has occurred.'),
    'error-event': OVERLOADED,
    'top-level-error': OVERLOADED,
  },
  errorResponse(e, extras) {
    const body = errorObject(e);
    if (extras?.retryAfterSeconds === undefined) return { body, headers: {} };
    const retryInfo = {
      '@type': 'type.googleapis.com/google.rpc.RetryInfo',
      retryDelay: `${extras.retryAfterSeconds}s`,
    };
    return { body: { error: { ...body.error, details: [retryInfo] } }, headers: {} };
  },
  streamError(call, e) {
    // After the content pieces a mid-stream error follows (none when there is a single text).
    const piece = element(call, errorObject(e), call.texts.length <= 1);
    return call.jsonArray ? `${piece}]` : piece;
  },
};
