/**
 * The stream observer's edges, through what it reports (usage, finish reasons, errors, the
 * completed/terminated/final/isLlmStream verdicts, first content): which field wins, which values
 * count, which events of each format mean what, and that a later chunk is read as closely as the
 * first one however the body is cut. Complements stream-observer.test.ts and stream-formats.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  STREAM_ERROR_CODE_FINISH_REASON,
  STREAM_ERROR_CODE_UNSPECIFIED,
  type StreamErrorInfo,
  StreamObserver,
} from '../../src/sse/stream-observer.ts';

const data = (value: unknown) => `data: ${typeof value === 'string' ? value : JSON.stringify(value)}\n\n`;
const named = (event: string, value: unknown) =>
  `event: ${event}\ndata: ${typeof value === 'string' ? value : JSON.stringify(value)}\n\n`;

/** A first chunk with identity and content, so later chunks take the observer's steady-state path. */
const FIRST = data({
  id: 'chatcmpl-1',
  model: 'gpt-4o',
  choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi' }, finish_reason: null }],
});
const TEXT = data({
  id: 'chatcmpl-1',
  choices: [{ index: 0, delta: { content: 'more' }, finish_reason: null }],
});

interface Seen {
  errors: [string, string | undefined][];
  completed: boolean;
  terminated: boolean;
  final: boolean;
  llm: boolean;
  id: string | undefined;
  model: string | undefined;
  finishReasons: readonly string[];
  input: number | undefined;
  output: number | undefined;
  usage: unknown;
  firstChunkAt: number | undefined;
  chunks: number;
  malformed: number;
}

function snapshot(observer: StreamObserver, errors: StreamErrorInfo[]): Seen {
  return {
    errors: errors.map((e) => [e.code, e.message]),
    completed: observer.completed,
    terminated: observer.terminated,
    final: observer.final,
    llm: observer.isLlmStream,
    id: observer.responseId,
    model: observer.responseModel,
    finishReasons: observer.finishReasons,
    input: observer.inputTokens,
    output: observer.outputTokens,
    usage: observer.usage,
    firstChunkAt: observer.firstChunkAt,
    chunks: observer.chunkIndex,
    malformed: observer.malformedEvents,
  };
}

/** Observes `pieces`, each written as one network chunk; `now` counts the calls from 1. */
function observe(...pieces: string[]): Seen {
  const errors: StreamErrorInfo[] = [];
  let clock = 0;
  const observer = new StreamObserver({ onError: (error) => errors.push(error), now: () => ++clock });
  for (const piece of pieces) observer.write(Buffer.from(piece));
  observer.end();
  return snapshot(observer, errors);
}

/** The same text written whole, as one chunk after FIRST, byte by byte, and cut at every offset. */
function everyCut(text: string): Seen {
  const whole = observe(FIRST + text);
  expect(observe(FIRST, text)).toEqual(whole);
  expect(observe(FIRST, ...[...text].map((c) => c))).toEqual(whole);
  for (let at = 1; at < text.length; at++) {
    expect(observe(FIRST, text.slice(0, at), text.slice(at))).toEqual(whole);
  }
  return whole;
}

describe('the fallback codes', () => {
  it('are the strings the telemetry records', () => {
    expect(STREAM_ERROR_CODE_UNSPECIFIED).toBe('stream_error');
    expect(STREAM_ERROR_CODE_FINISH_REASON).toBe('error');
    expect(observe(named('error', 'upstream reset')).errors).toEqual([['stream_error', 'upstream reset']]);
    expect(observe(data({ choices: [{ finish_reason: 'error' }] })).errors).toEqual([['error', undefined]]);
  });
});

describe('the verdicts: completed, terminated, final, isLlmStream', () => {
  it('nothing seen: all false', () => {
    expect(observe(': keep-alive\n\n')).toMatchObject({
      completed: false,
      terminated: false,
      final: false,
      llm: false,
    });
  });

  it('[DONE] alone: an LLM stream, completed and final', () => {
    expect(observe('data: [DONE]\n\n')).toMatchObject({
      completed: true,
      terminated: true,
      final: true,
      llm: true,
    });
  });

  it('an error alone terminates and is final, but is not completion', () => {
    expect(observe(FIRST, data({ error: { code: 'server_error', message: 'boom' } }))).toMatchObject({
      errors: [['server_error', 'boom']],
      completed: false,
      terminated: true,
      final: true,
    });
  });

  it('a finish reason terminates but is not final', () => {
    expect(observe(FIRST, data({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }))).toMatchObject(
      {
        completed: true,
        terminated: true,
        final: false,
      },
    );
  });

  it('chat chunks make an LLM stream; a JSON-RPC message unmakes it', () => {
    expect(observe(FIRST).llm).toBe(true);
    expect(observe(data({ jsonrpc: '2.0', method: 'notifications/progress' }), FIRST).llm).toBe(false);
    expect(observe(FIRST, data({ jsonrpc: '2.0', id: 3, error: { code: 1, message: 'm' } }))).toMatchObject({
      llm: false,
      errors: [],
    });
  });

  it('MCP over SSE: event: message frames are chunks, and JSON-RPC errors are not reported', () => {
    const seen = observe(
      named('message', { jsonrpc: '2.0', id: 1, result: {} }),
      named('message', { jsonrpc: '2.0', id: 2, error: { code: -32000, message: 'Tool failed' } }),
      named('error', 'transport hiccup'),
      data({ choices: [{ finish_reason: 'error', error: { code: 'x' } }] }),
    );
    expect(seen).toMatchObject({ errors: [], llm: false, terminated: false, final: false });
  });

  it('an event: error carrying JSON-RPC marks the stream and is not reported', () => {
    expect(
      observe(named('error', { jsonrpc: '2.0', error: { code: -32600, message: 'Invalid' } })),
    ).toMatchObject({ errors: [], llm: false, terminated: false });
  });

  it('event: message carrying a chat chunk is read like a plain data event', () => {
    expect(
      observe(
        named('message', { id: 'c', model: 'm', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }),
      ),
    ).toMatchObject({ id: 'c', model: 'm', finishReasons: ['stop'], llm: true });
  });
});

describe('which field names a mid-stream error', () => {
  const code = (error: unknown) => observe(FIRST, data({ error })).errors[0]?.[0];

  it.each([
    [
      'a textual code beats status and type',
      { code: 'quota', status: 'RESOURCE_EXHAUSTED', type: 't' },
      'quota',
    ],
    [
      'a textual status beats type',
      { code: 429, status: 'RESOURCE_EXHAUSTED', type: 'rate_limit' },
      'RESOURCE_EXHAUSTED',
    ],
    ['a textual type beats a numeric code', { code: 429, type: 'rate_limit' }, 'rate_limit'],
    ['a numeric code when nothing is textual', { code: 429, status: 'Too many', message: 'm' }, '429'],
    ['a code starting with 0 counts as numeric', { code: '0x1f', type: 'overloaded' }, 'overloaded'],
    ['a code starting with 9 counts as numeric', { code: '9lives', type: 'overloaded' }, 'overloaded'],
    ['a digit-led code is still used when nothing is textual', { code: '5xx' }, '5xx'],
    ['a free-text code gives way to the type', { code: 'Rate limit hit', type: 'rate_limit' }, 'rate_limit'],
    ['an empty code gives way to the status', { code: '', status: 'UNAVAILABLE' }, 'UNAVAILABLE'],
    ['a secret-looking code is not used', { code: 'sk-proj-abcdef123456' }, 'stream_error'],
    ['nothing usable', { code: null, type: 'Rate limited, try later' }, 'stream_error'],
  ])('%s', (_name, error, expected) => {
    expect(code(error)).toBe(expected);
  });

  it('the message must be a string', () => {
    expect(observe(FIRST, data({ error: { code: 'x', message: { text: 'm' } } })).errors).toEqual([
      ['x', undefined],
    ]);
  });

  it('choice errors: code, then type, then "error"; the message from the error object', () => {
    const choice = (c: unknown) => observe(FIRST, data({ choices: [c] })).errors;
    expect(choice({ finish_reason: 'error', error: { type: 'server_error', message: 'm' } })).toEqual([
      ['server_error', 'm'],
    ]);
    expect(choice({ finish_reason: 'error', error: 'Upstream died' })).toEqual([['error', 'Upstream died']]);
    expect(choice({ finish_reason: 'error', error: '' })).toEqual([['error', undefined]]);
    expect(choice({ finish_reason: 'error', error: 42 })).toEqual([['error', undefined]]);
    // an error object reports even when the finish reason is not "error"
    expect(choice({ index: 0, finish_reason: 'stop', error: { code: 'late_failure' } })).toEqual([
      ['late_failure', undefined],
    ]);
    expect(choice({ index: 0, delta: {}, error: null, finish_reason: 'stop' })).toEqual([]);
  });
});

describe('which top-level shapes are errors', () => {
  it.each([
    ['an error object', { error: { message: 'm' } }, [['stream_error', 'm']]],
    [
      'an error string without success',
      { error: 'Generation failed' },
      [['stream_error', 'Generation failed']],
    ],
    ['success:false with an empty error', { success: false, error: '' }, [['stream_error', undefined]]],
    ['success:false with a numeric error', { success: false, error: 500 }, [['stream_error', undefined]]],
    ['an empty error string', { error: '' }, []],
    ['error null', { error: null, choices: [] }, []],
    ['success:true', { success: true, error: null }, []],
    ['an error array', { error: ['x'] }, []],
  ])('%s', (_name, frame, errors) => {
    expect(observe(FIRST, data(frame)).errors).toEqual(errors);
  });
});

describe('the event: error frame', () => {
  it.each([
    ['a code and message at the top', { code: 429, message: 'Slow down' }, [['429', 'Slow down']]],
    ['a message only', { message: 'Oops' }, [['stream_error', 'Oops']]],
    ['a non-string message', { code: 'x', message: 5 }, [['x', undefined]]],
    ['a secret-looking code', { code: 'sk-proj-abcdef123456', message: 'm' }, [['stream_error', 'm']]],
    ['an empty object', {}, [['stream_error', undefined]]],
  ])('%s', (_name, payload, errors) => {
    expect(observe(FIRST, named('error', payload)).errors).toEqual(errors);
  });

  it('a JSON value that is not an object is reported as text', () => {
    expect(observe(named('error', '[1,2]')).errors).toEqual([['stream_error', '[1,2]']]);
  });
});

describe('the Responses API', () => {
  const response = (extra: Record<string, unknown> = {}) => ({
    id: 'resp_1',
    object: 'response',
    model: 'gpt-4.1',
    status: 'in_progress',
    usage: null,
    ...extra,
  });

  it('response.in_progress alone gives the identity and makes an LLM stream', () => {
    expect(
      observe(named('response.in_progress', { type: 'response.in_progress', response: response() })),
    ).toMatchObject({ id: 'resp_1', model: 'gpt-4.1', llm: true, completed: false, final: false });
  });

  it('response.created does not replace an identity already known', () => {
    expect(
      observe(
        named('response.created', { response: response() }),
        named('response.in_progress', { response: response({ id: 'resp_2', model: 'other' }) }),
      ),
    ).toMatchObject({ id: 'resp_1', model: 'gpt-4.1' });
  });

  it.each(['response.completed', 'response.incomplete', 'response.failed'])(
    '%s completes, is final and makes an LLM stream, even with no response object',
    (type) => {
      expect(observe(named(type, { type }))).toMatchObject({
        completed: true,
        terminated: true,
        final: true,
        llm: true,
        finishReasons: [],
      });
    },
  );

  it('a named event whose data is not JSON is counted as malformed, never thrown', () => {
    for (const type of ['response.created', 'response.completed', 'message_start', 'message_delta']) {
      expect(observe(named(type, '{oops'))).toMatchObject({ malformed: 1, errors: [] });
    }
  });

  it('response.failed with no error object reports stream_error', () => {
    expect(observe(named('response.failed', { response: response({ status: 'failed' }) })).errors).toEqual([
      ['stream_error', undefined],
    ]);
  });

  it('response.failed is not reported after another error in the stream', () => {
    const failed = named('response.failed', {
      response: response({ status: 'failed', error: { code: 'b' } }),
    });
    expect(observe(data({ error: { code: 'a' } }), failed).errors).toEqual([['a', undefined]]);
  });

  it('only response.failed reports its error', () => {
    const withError = response({ status: 'completed', error: { code: 'server_error', message: 'm' } });
    expect(observe(named('response.completed', { response: withError })).errors).toEqual([]);
    expect(observe(named('response.incomplete', { response: withError })).errors).toEqual([]);
  });

  it('the finish reason: incomplete_details.reason only for response.incomplete, else the status', () => {
    const details = { incomplete_details: { reason: 'content_filter' } };
    const reasons = (type: string, extra: Record<string, unknown>) =>
      observe(named(type, { response: response(extra) })).finishReasons;
    expect(reasons('response.incomplete', { status: 'incomplete', ...details })).toEqual(['content_filter']);
    expect(reasons('response.completed', { status: 'completed', ...details })).toEqual(['completed']);
    expect(reasons('response.incomplete', { status: 'incomplete' })).toEqual(['incomplete']);
    expect(
      reasons('response.incomplete', { status: 'incomplete', incomplete_details: { reason: 7 } }),
    ).toEqual(['incomplete']);
    expect(
      reasons('response.incomplete', { status: 'incomplete', incomplete_details: 'max_output_tokens' }),
    ).toEqual(['incomplete']);
    expect(reasons('response.completed', { status: '' })).toEqual([]);
    expect(reasons('response.completed', { status: 3 })).toEqual([]);
  });

  it('other response.* events make an LLM stream; only .delta ones are content', () => {
    expect(observe(named('response.output_item.added', { item: { type: 'message' } }))).toMatchObject({
      llm: true,
      firstChunkAt: undefined,
    });
    expect(
      observe(named('response.output_item.added', {}), named('response.reasoning_summary_text.delta', {})),
    ).toMatchObject({
      llm: true,
      firstChunkAt: 1,
    });
  });

  it('a .delta event of another API is content but does not make an LLM stream', () => {
    expect(observe(named('thread.message.delta', { delta: { content: [] } }))).toMatchObject({
      llm: false,
      firstChunkAt: 1,
    });
  });

  it('another named event is read as a chunk', () => {
    expect(
      observe(named('completion', { id: 'x', choices: [{ index: 0, text: 'Hi', finish_reason: 'stop' }] })),
    ).toMatchObject({
      id: 'x',
      llm: true,
      finishReasons: ['stop'],
      firstChunkAt: 1,
    });
  });

  it('the type is read from the data when there is no event: field', () => {
    expect(observe(data({ type: 'message_stop' }))).toMatchObject({
      completed: true,
      final: true,
      llm: true,
    });
    expect(
      observe(data({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })).errors,
    ).toEqual([['overloaded_error', 'Overloaded']]);
    // `{"type": "x"}` with a space is not the type prefix: a chunk, read as such
    expect(observe(data('{"type": "message_stop"}'))).toMatchObject({ completed: false, llm: false });
    // a truncated type is no type: the frame is read as a (malformed) chunk
    expect(observe(data('{"type":"message_stopX'))).toMatchObject({ completed: false, malformed: 1 });
    expect(observe(data('{"type":"pingX'))).toMatchObject({ malformed: 1 });
    // only a leading "type" key names the event
    expect(observe(data({ kind: 'message_stop' }))).toMatchObject({ completed: false, llm: false });
  });
});

describe('Anthropic Messages events', () => {
  it.each([
    'message_start',
    'message_delta',
    'content_block_start',
    'content_block_delta',
    'content_block_stop',
  ])('%s alone makes an LLM stream, not complete', (type) => {
    expect(observe(named(type, { type }))).toMatchObject({ llm: true, completed: false, final: false });
  });

  it('a ping before the first chunk changes nothing about it', () => {
    expect(observe(named('ping', { type: 'ping' }), FIRST)).toMatchObject({
      id: 'chatcmpl-1',
      llm: true,
      chunks: 2,
    });
  });

  it('ping alone is nothing', () => {
    expect(observe(named('ping', { type: 'ping' }))).toMatchObject({ llm: false, malformed: 0, chunks: 1 });
  });

  it('content blocks: empty text is not content, text is', () => {
    const start = named('content_block_start', {
      type: 'content_block_start',
      content_block: { type: 'text', text: '' },
    });
    const delta = named('content_block_delta', {
      type: 'content_block_delta',
      delta: { type: 'text_delta', text: 'Hi' },
    });
    expect(observe(start).firstChunkAt).toBeUndefined();
    expect(observe(start, start, delta, delta).firstChunkAt).toBe(1);
  });

  it('message_delta: an empty or missing stop reason is none; usage is still read', () => {
    const delta = (d: unknown) =>
      named('message_delta', { type: 'message_delta', delta: d, usage: { output_tokens: 9 } });
    expect(observe(delta({ stop_reason: '' }))).toMatchObject({ finishReasons: [], output: 9 });
    expect(observe(delta(null))).toMatchObject({ finishReasons: [], output: 9 });
    expect(observe(delta({ stop_reason: 'end_turn' }))).toMatchObject({
      finishReasons: ['end_turn'],
      output: 9,
    });
  });

  it('usage: cache reads and writes are input tokens; the usage objects are merged as sent', () => {
    const start = (usage: Record<string, unknown>) =>
      named('message_start', { type: 'message_start', message: { id: 'msg_1', model: 'claude', usage } });
    const end = named('message_delta', { type: 'message_delta', delta: {}, usage: { output_tokens: 7 } });
    expect(observe(start({ input_tokens: 10, cache_read_input_tokens: 5 }), end)).toMatchObject({
      input: 15,
      output: 7,
      usage: { input_tokens: 10, cache_read_input_tokens: 5, output_tokens: 7 },
    });
    expect(observe(start({ input_tokens: 10, cache_creation_input_tokens: 7 })).input).toBe(17);
    expect(
      observe(start({ input_tokens: 10, cache_creation_input_tokens: null, cache_read_input_tokens: '5' }))
        .input,
    ).toBe(10);
    expect(
      observe(start({ input_tokens: 10, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 })).input,
    ).toBe(10);
  });
});

describe('usage values', () => {
  const usage = (u: string) => observe(FIRST, data(`{"choices":[],"usage":${u}}`));

  it('prompt_tokens and completion_tokens win over input_tokens and output_tokens', () => {
    expect(
      usage('{"prompt_tokens":1,"completion_tokens":2,"input_tokens":3,"output_tokens":4}'),
    ).toMatchObject({
      input: 1,
      output: 2,
    });
    expect(usage('{"prompt_tokens":null,"input_tokens":3,"output_tokens":4}')).toMatchObject({
      input: 3,
      output: 4,
    });
  });

  it('counts must be finite numbers', () => {
    expect(usage('{"prompt_tokens":1e999,"completion_tokens":1e999}')).toMatchObject({
      input: undefined,
      output: undefined,
    });
    expect(usage('{"prompt_tokens":"5","completion_tokens":true}')).toMatchObject({
      input: undefined,
      output: undefined,
    });
    expect(usage('{"prompt_tokens":5,"cache_read_input_tokens":1e999}')).toMatchObject({ input: 5 });
  });

  it('usage must be an object', () => {
    expect(usage('[1,2]')).toMatchObject({ input: undefined, usage: undefined });
    expect(usage('5')).toMatchObject({ input: undefined, usage: undefined });
  });

  it('Groq: x_groq must be an object; its usage is read like any other', () => {
    const groq = (x: unknown) => observe(FIRST, data({ choices: [], x_groq: x }));
    expect(groq({ usage: { prompt_tokens: 12, completion_tokens: 3 } })).toMatchObject({
      input: 12,
      output: 3,
    });
    expect(groq('usage')).toMatchObject({ input: undefined });
    expect(groq(null)).toMatchObject({ input: undefined });
  });

  it('the last usage seen wins', () => {
    expect(
      observe(
        FIRST,
        data({ choices: [], usage: { prompt_tokens: 1, completion_tokens: 1 } }),
        data({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 8 } }),
      ),
    ).toMatchObject({ input: 9, output: 8 });
  });
});

describe('identity', () => {
  it('the first string id and model are kept', () => {
    expect(
      observe(
        data({ id: 5, model: null, choices: [{ index: 0, delta: { content: 'a' } }] }),
        data({ id: 'c2', model: 'm2', choices: [{ index: 0, delta: {}, finish_reason: 'length' }] }),
        data({ id: 'c3', model: 'm3', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }),
      ),
    ).toMatchObject({ id: 'c2', model: 'm2', finishReasons: ['stop'] });
  });
});

describe('finish reasons', () => {
  it('by choice index when it is an integer, else by position', () => {
    expect(
      observe(
        data({
          choices: [
            { finish_reason: 'b', index: 5 },
            { finish_reason: 'a', index: 'x' },
          ],
        }),
      ).finishReasons,
    ).toEqual(['a', 'b']);
    expect(
      observe(data({ choices: [{ finish_reason: 'first' }, { finish_reason: 'second' }] })).finishReasons,
    ).toEqual(['first', 'second']);
  });

  it('non-objects among the choices are skipped; empty or non-string reasons are none', () => {
    const seen = observe(
      data({ choices: [null, 'x', { index: 2, finish_reason: '' }, { index: 3, finish_reason: 1 }] }),
    );
    expect(seen).toMatchObject({ finishReasons: [], completed: false, llm: true });
    expect(observe(data({ choices: [null, { finish_reason: 'stop' }] })).finishReasons).toEqual(['stop']);
  });
});

describe('Gemini chunks', () => {
  it('usageMetadata alone is a Gemini chunk; its last value replaces the earlier ones', () => {
    const seen = observe(
      data({ usageMetadata: { promptTokenCount: 4, thoughtsTokenCount: 3 } }),
      data({ usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 2 } }),
    );
    expect(seen).toMatchObject({
      llm: true,
      input: 4,
      output: 2,
      usage: { promptTokenCount: 4, candidatesTokenCount: 2 },
      completed: false,
    });
  });

  it('a chunk without usageMetadata keeps the last one', () => {
    const seen = observe(
      data({
        candidates: [{ content: { parts: [{ text: 'Hi' }] } }],
        usageMetadata: { promptTokenCount: 4 },
      }),
      data({ candidates: [{ finishReason: 'STOP' }] }),
      data({ candidates: [], usageMetadata: null }),
    );
    expect(seen).toMatchObject({ usage: { promptTokenCount: 4 }, input: 4, finishReasons: ['STOP'] });
  });

  it('candidates alone make a Gemini chunk', () => {
    expect(observe(data({ candidates: [] }))).toMatchObject({ llm: true, completed: false });
  });

  it('counts must be finite numbers', () => {
    expect(
      observe(data('{"usageMetadata":{"promptTokenCount":"1","candidatesTokenCount":1e999}}')),
    ).toMatchObject({
      input: undefined,
      output: undefined,
    });
    expect(
      observe(data('{"usageMetadata":{"promptTokenCount":1e999,"candidatesTokenCount":"2"}}')),
    ).toMatchObject({
      input: undefined,
      output: undefined,
    });
  });

  it('finish reasons by candidate index, else by position; empty and non-string ones are none', () => {
    expect(
      observe(
        data({
          candidates: [
            null,
            { finishReason: 'MAX_TOKENS', index: 7 },
            { finishReason: 'STOP' },
            { finishReason: '' },
            { finishReason: 3 },
          ],
        }),
      ).finishReasons,
    ).toEqual(['STOP', 'MAX_TOKENS']);
    expect(observe(data({ candidates: [{ finishReason: '' }] }))).toMatchObject({
      completed: false,
      final: false,
    });
  });

  it('the first responseId and modelVersion are kept; an OpenAI-style id wins', () => {
    expect(
      observe(
        data({ candidates: [{ content: { parts: [{ text: 'a' }] } }], responseId: 'r1', modelVersion: 'v1' }),
        data({ candidates: [{ finishReason: 'STOP' }], responseId: 'r2', modelVersion: 'v2' }),
      ),
    ).toMatchObject({ id: 'r1', model: 'v1', finishReasons: ['STOP'], final: true });
    expect(
      observe(data({ id: 'x', model: 'y', candidates: [], responseId: 5, modelVersion: null })),
    ).toMatchObject({
      id: 'x',
      model: 'y',
    });
    expect(observe(data({ candidates: [], responseId: 5, modelVersion: null }))).toMatchObject({
      id: undefined,
      model: undefined,
    });
  });

  it('a later chunk with only usageMetadata, or only a finishReason, is read', () => {
    const first = data({ candidates: [{ content: { parts: [{ text: 'Hi' }] } }], responseId: 'r1' });
    expect(
      observe(first, data({ usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 1 } })),
    ).toMatchObject({
      input: 3,
      output: 1,
    });
    expect(observe(first, data({ candidates: [{ finishReason: 'SAFETY' }] }))).toMatchObject({
      finishReasons: ['SAFETY'],
      completed: true,
      final: true,
    });
  });
});

describe('first content', () => {
  const delta = (d: string) => data(`{"id":"c","choices":[{"index":0,"delta":${d},"finish_reason":null}]}`);

  it.each([
    ['an empty string', '{"content":""}'],
    ['null', '{"content":null}'],
    ['an empty array', '{"content":[]}'],
    ['an empty array with spaces', '{"content":[ ]}'],
    ['an empty object', '{"content":{}}'],
    ['an empty object with a tab', '{"content":{\t}}'],
    ['empty tool calls', '{"tool_calls":[]}'],
    [
      'a key that only ends like a content key',
      '{"intent":"x","context":"y","tool_call":"z","xrefusal":"r","the_reasoning":"t","msg_content":"c"}',
    ],
    ['a content key as a value', '{"role":"content"}'],
  ])('%s is not content', (_name, d) => {
    expect(observe(delta(d)).firstChunkAt).toBeUndefined();
  });

  it.each([
    ['text', '{"content":"a"}'],
    ['a space', '{"content":" "}'],
    ['an array with an item', '{"content":[{"type":"text","text":"a"}]}'],
    ['an object with a key', '{"content":{"a":1}}'],
    ['a number', '{"content":0}'],
    ['pretty-printed text', '{"content" :\t"a"}'],
    ['an empty key before a full one', '{"content":"","refusal":"no"}'],
    ['function_call', '{"function_call":{"name":"f"}}'],
    ['text that starts with a bracket', '{"content":"]"}'],
    ['text that starts with a brace', '{"content":"}"}'],
  ])('%s is content', (_name, d) => {
    expect(observe(delta(d)).firstChunkAt).toBe(1);
  });

  it('is timed once, at the first content, however late it comes', () => {
    expect(
      observe(
        delta('{"content":""}'),
        delta('{"content":""}'),
        delta('{"content":"x"}'),
        delta('{"content":"y"}'),
      ),
    ).toMatchObject({ firstChunkAt: 1, chunks: 4 });
  });

  it('the default clock is performance.now', () => {
    const observer = new StreamObserver({ onError: () => {} });
    const before = performance.now();
    observer.write(Buffer.from(FIRST));
    expect(observer.firstChunkAt).toBeGreaterThanOrEqual(before);
    expect(observer.firstChunkAt).toBeLessThanOrEqual(performance.now());
  });
});

describe('later chunks are read as closely as the first, however the body is cut', () => {
  const STOP_AT_0 = '{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}';
  it.each<[string, string, Partial<Seen>]>([
    [
      'an error',
      data({ error: { code: 'server_error', message: 'boom' } }),
      { errors: [['server_error', 'boom']] },
    ],
    ['success:false', data({ success: false }), { errors: [['stream_error', undefined]], final: true }],
    [
      'a finish reason',
      data({ choices: [{ index: 0, delta: {}, finish_reason: 'length' }] }),
      { finishReasons: ['length'], completed: true },
    ],
    [
      'usage',
      data({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 4 } }),
      { input: 3, output: 4 },
    ],
    [
      'usage after a null usage key',
      data('{"choices":[{"delta":{},"usage":null}],"usage":{"prompt_tokens":3}}'),
      { input: 3 },
    ],
    [
      'usage after the word usage as a value',
      data('{"choices":[{"delta":{"content":"usage"}}],"usage":{"prompt_tokens":3}}'),
      { input: 3 },
    ],
    [
      'usage with whitespace and line breaks around its colon',
      'data: {"choices": [],\ndata:  "usage"\ndata: :\t{"prompt_tokens": 3}}\n\n',
      { input: 3, malformed: 0 },
    ],
    [
      'a Gemini finishReason',
      data({ candidates: [{ finishReason: 'STOP' }] }),
      { finishReasons: ['STOP'], final: true },
    ],
    ['Gemini usageMetadata', data({ usageMetadata: { promptTokenCount: 2 } }), { input: 2 }],
    ['Groq usage', data({ choices: [], x_groq: { usage: { prompt_tokens: 5 } } }), { input: 5 }],
    ['a JSON-RPC message', data({ jsonrpc: '2.0', error: { code: 1 } }), { llm: false, errors: [] }],
    ['an event: error', named('error', 'down'), { errors: [['stream_error', 'down']] }],
    ['CRLF line ends', `data: ${STOP_AT_0}\r\n\r\n`, { finishReasons: ['stop'] }],
    ['CR line ends', `data: ${STOP_AT_0}\r\r`, { finishReasons: ['stop'] }],
    ['an id: field', `id: 9\ndata: ${STOP_AT_0}\n\n`, { finishReasons: ['stop'] }],
  ])('%s after plain chunks', (_name, text, expected) => {
    const seen = everyCut(TEXT + TEXT + text + TEXT);
    expect(seen).toMatchObject({ chunks: 5, id: 'chatcmpl-1', model: 'gpt-4o', ...expected });
  });

  it('[DONE] after plain chunks', () => {
    expect(everyCut(`${TEXT}${TEXT}data: [DONE]\n\n`)).toMatchObject({
      chunks: 3,
      completed: true,
      final: true,
    });
  });

  it('a run of plain chunks with the interesting one in the middle of a network chunk', () => {
    const stop = data({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
    const usage = data({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 4 } });
    const seen = everyCut(`${TEXT.repeat(3)}${stop}${TEXT}${usage}data: [DONE]\n\n`);
    expect(seen).toMatchObject({
      chunks: 7,
      finishReasons: ['stop'],
      input: 3,
      output: 4,
      completed: true,
      final: true,
      errors: [],
      id: 'chatcmpl-1',
      model: 'gpt-4o',
    });
  });

  it('an event cut before its blank line is not read until the line comes, and not at all at the end', () => {
    const stop = 'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n';
    expect(observe(FIRST, TEXT, stop)).toMatchObject({ finishReasons: [], chunks: 2 });
    expect(observe(FIRST, TEXT, stop, '\n')).toMatchObject({ finishReasons: ['stop'], chunks: 3 });
    expect(observe(FIRST, TEXT + stop, `\n${TEXT}`)).toMatchObject({ finishReasons: ['stop'], chunks: 4 });
  });

  it('multi-line data after plain chunks is joined before it is read', () => {
    const split = 'data: {"choices":[],\ndata: "usage":{"prompt_tokens":6}}\n\n';
    expect(everyCut(TEXT + split + TEXT)).toMatchObject({ input: 6, chunks: 4 });
  });

  it('comments and other fields between plain chunks change nothing', () => {
    const noise = ': ping\n\nid: 7\nretry: 100\n\n';
    expect(everyCut(TEXT + noise + TEXT)).toMatchObject({ chunks: 3, malformed: 0, finishReasons: [] });
  });

  it('end(): an oversized line cut off by the end of the body counts as dropped', () => {
    const observer = new StreamObserver({ onError: () => {}, maxLineBytes: 256 });
    observer.write(Buffer.from(FIRST));
    observer.write(Buffer.from(`data: ${'x'.repeat(400)}`));
    expect(observer.linesDropped).toBe(0);
    observer.end();
    expect(observer.linesDropped).toBe(1);
  });

  it('content before the first chunk is parsed (a .delta event) does not skip that chunk', () => {
    const seen = observe(named('thread.message.delta', { delta: {} }), FIRST, TEXT);
    expect(seen).toMatchObject({ id: 'chatcmpl-1', model: 'gpt-4o', llm: true, firstChunkAt: 1, chunks: 3 });
  });

  /** A content chunk shaped like TEXT, with `content` as its JSON string. */
  const content = (text: string) =>
    data({ id: 'chatcmpl-1', choices: [{ index: 0, delta: { content: text }, finish_reason: null }] });
  const WORDS = ['Hel', 'lo', ' wor', 'ld', '', 'a\\', 'say "hi"', 'line\nbreak', 'é', '世界', '😀', '\\"'];

  it('a long run of content chunks, one per write, then the end in one write', () => {
    const errors: StreamErrorInfo[] = [];
    const observer = new StreamObserver({ onError: (error) => errors.push(error), now: () => 1 });
    observer.write(Buffer.from(FIRST));
    for (const word of WORDS) observer.write(Buffer.from(content(word)));
    observer.write(Buffer.from(content('x') + content('y')));
    const tail = [
      content('z'),
      data({ id: 'chatcmpl-1', choices: [{ index: 0, delta: { content: 'w' }, finish_reason: 'length' }] }),
      content('after'),
      data({
        id: 'chatcmpl-1',
        choices: [{ index: 0, delta: { content: '' }, finish_reason: null }],
        usage: { prompt_tokens: 5, completion_tokens: 6 },
      }),
      data({ id: 'chatcmpl-1', error: { code: 'late_error', message: 'm' } }),
      content('last'),
      'data: [DONE]\n\n',
    ];
    observer.write(Buffer.from(tail.join('')));
    observer.end();
    const count = 1 + WORDS.length + 2;
    expect(errors.map(({ code, chunkIndex }) => [code, chunkIndex])).toEqual([['late_error', count + 4]]);
    expect({
      chunks: observer.chunkIndex,
      finishReasons: observer.finishReasons,
      input: observer.inputTokens,
      output: observer.outputTokens,
      final: observer.final,
      malformed: observer.malformedEvents,
    }).toEqual({
      chunks: count + 6,
      finishReasons: ['length'],
      input: 5,
      output: 6,
      final: true,
      malformed: 0,
    });
  });

  it('a chunk shaped like the content chunks but different outside the content is read', () => {
    const lookalikes = [
      data({ id: 'chatcmpl-1', choices: [{ index: 0, delta: { content: 'x' }, finish_reason: 'stop' }] }),
      data({
        id: 'chatcmpl-1',
        choices: [{ index: 0, delta: { content: 'x' }, finish_reason: null }],
        usage: { prompt_tokens: 1 },
      }),
      data({
        id: 'chatcmpl-1',
        choices: [{ index: 0, delta: { content: 'x' }, finish_reason: null, error: { code: 'e' } }],
      }),
      data({ id: 'chatcmpl-1', choices: [{ index: 1, delta: { content: 'x' }, finish_reason: 'length' }] }),
      data({
        id: 'chatcmpl-1',
        choices: [{ index: 0, delta: { content: 'x', error: 'e' }, finish_reason: null }],
      }),
      data(
        '{"id":"chatcmpl-1","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}],"success":false}',
      ),
      data(
        '{"id":"chatcmpl-1","choices":[{"index":0,"delta":{"content":"x\\"},\\"finish_reason\\":\\"stop\\"}]}"},"finish_reason":null}]}',
      ),
      `data: {"id":"chatcmpl-1","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}]}\ndata: {"error":{"code":"two_lines"}}\n\n`,
      `data: {"id":"chatcmpl-1","choices":[{"index":0,"delta":{"content":"x\ndata: "},"finish_reason":"stop"}]}\n\n`,
      `data: {"id":"chatcmpl-1","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}]}\r\n\r\n`,
    ];
    const expected = [
      { finishReasons: ['stop'] },
      { input: 1 },
      { errors: [['e', undefined]] },
      { finishReasons: ['length'] },
      { errors: [] },
      { errors: [['stream_error', undefined]] },
      { finishReasons: [] },
      { malformed: 1 },
      { finishReasons: [], malformed: 1 },
      { malformed: 0 },
    ];
    lookalikes.forEach((lookalike, i) => {
      const learn = [FIRST, content('a'), content('bb'), content('ccc')];
      const whole = observe(...learn, content('d') + content('e') + lookalike + content('f'));
      expect(whole).toMatchObject({ chunks: 8, ...expected[i] });
      expect(observe(...learn, content('d'), content('e') + lookalike, content('f'))).toEqual(whole);
      expect(
        observe(
          ...learn,
          content('d') + content('e') + lookalike.slice(0, 9),
          lookalike.slice(9) + content('f'),
        ),
      ).toEqual(whole);
    });
  });

  it('a chunk is counted however it is written', () => {
    const errors: StreamErrorInfo[] = [];
    const observer = new StreamObserver({ onError: (error) => errors.push(error), now: () => 1 });
    observer.write(Buffer.from(FIRST + TEXT));
    expect(observer.chunkIndex).toBe(2);
    observer.write(Buffer.from(TEXT + TEXT + TEXT.slice(0, 10)));
    expect(observer.chunkIndex).toBe(4);
    observer.write(Buffer.from(TEXT.slice(10) + TEXT));
    expect(observer.chunkIndex).toBe(6);
    observer.write(Buffer.from(data({ error: { code: 'e' } })));
    expect(errors).toEqual([
      { code: 'e', message: undefined, chunkIndex: 6, bytesReceived: observer.bytesReceived },
    ]);
  });
});
