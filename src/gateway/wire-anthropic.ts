/**
 * Anthropic Messages (`POST /v1/messages`, `/v1/messages/count_tokens`) for the mock gateway:
 * the message object with `stop_reason` and `usage` (cache tokens included), the SSE stream as
 * Anthropic sends it (`message_start`, `content_block_start`, `ping`, `content_block_delta`...,
 * `content_block_stop`, `message_delta` with the stop reason and output tokens, `message_stop`;
 * no `[DONE]`), and errors `{"type":"error","error":{"type","message"},"request_id"}`, also as
 * `event: error` inside a 200 stream. Pure.
 */
import type { NativeCall, NativeError, NativeWire } from './native.ts';

function sse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

function usage(call: NativeCall, outputTokens: number) {
  return {
    input_tokens: call.promptTokens - call.cachedTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: call.cachedTokens,
    output_tokens: outputTokens,
  };
}

function message(call: NativeCall, content: unknown[], stopReason: string | null, outputTokens: number) {
  return {
    id: call.id,
    type: 'message',
    role: 'assistant',
    model: call.model,
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    usage: usage(call, outputTokens),
  };
}

const ERRORS: Readonly<Record<number, readonly [string, string]>> = {
  400: ['invalid_request_error', 'messages: field required'],
  401: ['authentication_error', 'invalid x-api-key'],
  402: ['billing_error', 'Your credit balance is too low to access the Anthropic API.'],
  403: ['permission_error', 'Your API key does not have permission to use the specified resource.'],
  404: ['not_found_error', 'The requested resource could not be found.'],
  429: ['rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit.'],
  500: ['api_error', 'Internal server error'],
  502: ['api_error', 'Upstream connect error'],
  503: ['api_error', 'Service temporarily unavailable'],
};

function error(status: number, code: string, message: string): NativeError {
  return { status, code, message };
}

const OVERLOADED = error(529, 'overloaded_error', 'Overloaded');

export const ANTHROPIC: NativeWire = {
  provider: 'anthropic',
  streamHeaders: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' },
  jsonHeaders: { 'content-type': 'application/json' },
  json(call) {
    if (call.op === 'count_tokens') return { input_tokens: call.promptTokens };
    const text = call.texts.join('');
    return message(call, [{ type: 'text', text }], 'end_turn', call.texts.length);
  },
  opening(call) {
    return [
      sse('message_start', { type: 'message_start', message: message(call, [], null, 1) }),
      sse('content_block_start', {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'text', text: '' },
      }),
      sse('ping', { type: 'ping' }),
    ];
  },
  content(call, count) {
    return call.texts.slice(0, count).map((text) =>
      sse('content_block_delta', {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text },
      }),
    );
  },
  closing(call) {
    return [
      sse('content_block_stop', { type: 'content_block_stop', index: 0 }),
      sse('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: call.texts.length },
      }),
      sse('message_stop', { type: 'message_stop' }),
    ];
  },
  keepalive: sse('ping', { type: 'ping' }),
  errorFor(status) {
    const [code, message] = ERRORS[status] ?? ['api_error', `HTTP ${status}`];
    return error(status, code, message);
  },
  overloaded: OVERLOADED,
  midStream: {
    context_length_exceeded: error(
      400,
      'invalid_request_error',
      'prompt is too long: 210000 tokens > 200000 maximum',
    ),
    content_filter: error(400, 'invalid_request_error', 'Output blocked by content filtering policy'),
    rate_limit: error(429, 'rate_limit_error', 'Rate limit hit during generation'),
    server_error: error(500, 'api_error', 'Internal server error'),
    'error-event': OVERLOADED,
    'top-level-error': OVERLOADED,
  },
  errorResponse(e) {
    return { body: { type: 'error', error: { type: e.code, message: e.message } }, headers: {} };
  },
  streamError(_call, e) {
    return sse('error', { type: 'error', error: { type: e.code, message: e.message } });
  },
};
