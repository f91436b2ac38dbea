/**
 * Ollama (`POST /api/chat`, `/api/generate`, `/api/embed`) for the mock gateway: NDJSON streams
 * (`application/x-ndjson`, one JSON object per line, streaming unless the body says
 * `"stream": false`) whose last line says `"done": true` with `done_reason`,
 * `prompt_eval_count` and `eval_count`; one JSON object when not streaming; errors
 * `{"error":"..."}` with an HTTP status, and the same object as a line inside a 200 stream. Pure.
 */
import type { NativeCall, NativeError, NativeWire } from './native.ts';

const ERRORS: Readonly<Record<number, string>> = {
  400: 'invalid request: messages are required',
  401: 'unauthorized',
  402: 'payment required: insufficient credits',
  403: 'forbidden',
  404: 'model not found, try pulling it first',
  429: 'too many requests, please try again later',
  500: 'llama runner process has terminated: exit status 2',
  502: 'an error was encountered while running the model: upstream unavailable',
  503: 'server busy, please try again.  maximum pending requests exceeded',
};

function error(status: number, message: string): NativeError {
  return { status, code: String(status), message };
}

function line(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}

/** Nanosecond durations, deterministic for a call. */
function timings(call: NativeCall) {
  return {
    total_duration: 250_000_000 + call.texts.length * 20_000_000,
    load_duration: 15_000_000,
    prompt_eval_count: call.promptTokens,
    prompt_eval_duration: call.promptTokens * 1_000_000,
    eval_count: call.texts.length,
    eval_duration: call.texts.length * 20_000_000,
  };
}

function head(call: NativeCall) {
  return { model: call.model, created_at: new Date(call.createdMs).toISOString() };
}

function piece(call: NativeCall, text: string) {
  return call.op === 'generate'
    ? { ...head(call), response: text, done: false }
    : { ...head(call), message: { role: 'assistant', content: text }, done: false };
}

function last(call: NativeCall, text: string) {
  const final = { ...piece(call, text), done: true, done_reason: 'stop', ...timings(call) };
  return call.op === 'generate' ? { ...final, context: [1, 2, 3] } : final;
}

const OVERLOADED = error(503, ERRORS[503] as string);

export const OLLAMA: NativeWire = {
  provider: 'ollama',
  streamHeaders: { 'content-type': 'application/x-ndjson' },
  jsonHeaders: { 'content-type': 'application/json; charset=utf-8' },
  json(call) {
    if (call.op === 'embed') {
      const { total_duration, load_duration, prompt_eval_count } = timings(call);
      const embeddings = [[0.0023, -0.0091, 0.0154, -0.0047]];
      return { model: call.model, embeddings, total_duration, load_duration, prompt_eval_count };
    }
    return last(call, call.texts.join(''));
  },
  opening() {
    return [];
  },
  content(call, count) {
    return call.texts.slice(0, count).map((text) => line(piece(call, text)));
  },
  closing(call) {
    return [line(last(call, ''))];
  },
  keepalive: undefined,
  errorFor(status) {
    return error(status, ERRORS[status] ?? `HTTP ${status}`);
  },
  overloaded: OVERLOADED,
  midStream: {
    context_length_exceeded: error(400, 'input length exceeds the context length'),
    content_filter: error(400, 'the response was blocked by a content filter'),
    rate_limit: error(429, 'too many requests, please try again later'),
    server_error: error(500, 'an error was encountered while running the model: unexpected EOF'),
    'error-event': error(500, 'an error was encountered while running the model: CUDA error: out of memory'),
    'top-level-error': error(
      500,
      'an error was encountered while running the model: CUDA error: out of memory',
    ),
  },
  errorResponse(e) {
    return { body: { error: e.message }, headers: {} };
  },
  streamError(_call, e) {
    return line({ error: e.message });
  },
};
