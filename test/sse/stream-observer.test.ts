import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  STREAM_ERROR_CODE_FINISH_REASON,
  STREAM_ERROR_CODE_UNSPECIFIED,
  type StreamErrorInfo,
  StreamObserver,
} from '../../src/sse/stream-observer.ts';

/**
 * Property-test runs: a tenth under `npm run mutate` (MUTATE_GROUP is set), where every mutant that
 * survives the example tests re-runs them (docs/mutation.md).
 */
const runs = (count: number): number =>
  process.env.MUTATE_GROUP === undefined ? count : Math.ceil(count / 10);

const ID = 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG';
const MODEL = 'gpt-4o-2024-08-06';

function chunk(choices: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: ID, object: 'chat.completion.chunk', created: 1741570283, model: MODEL, choices, ...extra };
}
function delta(content: Record<string, unknown>, finishReason: string | null = null, index = 0): unknown {
  return { index, delta: content, logprobs: null, finish_reason: finishReason };
}
function data(value: unknown): string {
  return `data: ${typeof value === 'string' ? value : JSON.stringify(value)}\n\n`;
}

const ROLE = data(chunk([delta({ role: 'assistant', content: '', refusal: null })], { usage: null }));
const HELLO = data(chunk([delta({ content: 'Hello' })], { usage: null }));
const STOP = data(chunk([delta({}, 'stop')], { usage: null }));
const DONE = 'data: [DONE]\n\n';

interface Observation {
  errors: StreamErrorInfo[];
  observer: StreamObserver;
}

function observe(
  frames: readonly string[],
  options: { now?: () => number; maxLineBytes?: number } = {},
): Observation {
  const errors: StreamErrorInfo[] = [];
  const observer: StreamObserver = new StreamObserver({ onError: (error) => errors.push(error), ...options });
  for (const frame of frames) observer.write(Buffer.from(frame));
  observer.end();
  return { errors, observer };
}

function byteLength(frames: readonly string[]): number {
  return frames.reduce((total, frame) => total + Buffer.byteLength(frame), 0);
}

describe('StreamObserver: a normal chat stream', () => {
  it('records id, model, finish reason, usage and completion', () => {
    const usage = data(
      chunk([], {
        usage: { prompt_tokens: 9, completion_tokens: 12, total_tokens: 21 },
        system_fingerprint: 'fp_1',
      }),
    );
    const frames = [': OPENROUTER PROCESSING\n\n', ROLE, HELLO, STOP, usage, DONE];
    const { errors, observer } = observe(frames);
    expect(errors).toEqual([]);
    expect(observer.responseId).toBe(ID);
    expect(observer.responseModel).toBe(MODEL);
    expect(observer.finishReasons).toEqual(['stop']);
    expect(observer.inputTokens).toBe(9);
    expect(observer.outputTokens).toBe(12);
    expect(observer.completed).toBe(true);
    expect(observer.chunkIndex).toBe(4);
    expect(observer.bytesReceived).toBe(byteLength(frames));
    expect(observer.malformedEvents).toBe(0);
  });

  it('reads input_tokens/output_tokens usage', () => {
    const { observer } = observe([HELLO, data(chunk([], { usage: { input_tokens: 3, output_tokens: 4 } }))]);
    expect([observer.inputTokens, observer.outputTokens]).toEqual([3, 4]);
  });

  it('counts [DONE] as completion but not as a chunk', () => {
    const { observer } = observe([HELLO, DONE]);
    expect(observer.completed).toBe(true);
    expect(observer.finishReasons).toEqual([]);
    expect(observer.chunkIndex).toBe(1);
  });

  it('reports truncation: no [DONE] and no finish reason', () => {
    const { errors, observer } = observe([ROLE, HELLO, HELLO]);
    expect(observer.completed).toBe(false);
    expect(observer.finishReasons).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('ignores keep-alive comments', () => {
    const { observer } = observe([': OPENROUTER PROCESSING\n\n', ':\n\n', ': ping\n\n']);
    expect(observer.chunkIndex).toBe(0);
    expect(observer.completed).toBe(false);
    expect(observer.responseId).toBeUndefined();
  });

  it('keeps one finish reason per choice, in index order', () => {
    const frames = [
      data(chunk([delta({ content: 'a' }, null, 0), delta({ content: 'b' }, null, 1)])),
      data(chunk([delta({}, 'length', 1)])),
      data(chunk([delta({ content: 'c' }, null, 0)])),
      data(chunk([delta({}, 'stop', 0)])),
    ];
    const { observer } = observe(frames);
    expect(observer.finishReasons).toEqual(['stop', 'length']);
    expect(observer.completed).toBe(true);
  });

  it('finds a non-null finish_reason in pretty-printed JSON', () => {
    const pretty = `data: ${JSON.stringify(chunk([delta({}, 'tool_calls')]), null, 2).replace(/\n/g, '\ndata: ')}\n\n`;
    const { observer } = observe([HELLO, pretty]);
    expect(observer.finishReasons).toEqual(['tool_calls']);
  });

  it('times the first chunk that carries content, not the role-only first chunk', () => {
    let clock = 0;
    const errors: StreamErrorInfo[] = [];
    const observer = new StreamObserver({ onError: (error) => errors.push(error), now: () => clock });
    clock = 10;
    observer.write(Buffer.from(ROLE));
    expect(observer.firstChunkAt).toBeUndefined();
    clock = 25;
    observer.write(Buffer.from(HELLO));
    clock = 40;
    observer.write(Buffer.from(HELLO));
    expect(observer.firstChunkAt).toBe(25);
  });

  it.each([
    [
      'tool calls',
      { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } }] },
    ],
    ['a refusal', { refusal: 'I cannot' }],
    ['reasoning', { reasoning: 'Let me think' }],
    ['reasoning_content', { reasoning_content: 'Let me think' }],
  ])('counts %s as content', (_name, content) => {
    const { observer } = observe([ROLE, data(chunk([delta(content)]))], { now: () => 7 });
    expect(observer.firstChunkAt).toBe(7);
  });

  it('counts legacy completions text as content', () => {
    const legacy = data({
      id: 'cmpl-1',
      object: 'text_completion',
      model: 'm',
      choices: [{ index: 0, text: 'Hi' }],
    });
    const { observer } = observe([legacy], { now: () => 3 });
    expect(observer.firstChunkAt).toBe(3);
    expect(observer.responseId).toBe('cmpl-1');
  });

  it('counts malformed JSON without throwing and reads on', () => {
    const { errors, observer } = observe(['data: {not json\n\n', 'data: {"error": oops\n\n', HELLO, STOP]);
    expect(errors).toEqual([]);
    expect(observer.malformedEvents).toBe(2);
    expect(observer.finishReasons).toEqual(['stop']);
    expect(observer.responseId).toBe(ID);
  });

  it('passes maxLineBytes to the parser and counts dropped lines', () => {
    const { observer } = observe([ROLE, `data: ${'x'.repeat(5000)}\n\n`, STOP], { maxLineBytes: 1024 });
    expect(observer.linesDropped).toBe(1);
    expect(observer.finishReasons).toEqual(['stop']);
  });
});

describe('StreamObserver: mid-stream errors', () => {
  it.each([
    ['context_length_exceeded', "The input exceeds the model's maximum context length."],
    ['content_filter', 'Content was blocked by a safety filter'],
    ['rate_limit', 'Rate limit hit during generation'],
    ['server_error', 'Upstream provider failed during generation'],
  ])('reports a Cline finish_reason "error" chunk with code %s', (code, message) => {
    const errorChunk = data({ choices: [{ finish_reason: 'error', error: { code, message } }] });
    const frames = [ROLE, HELLO, errorChunk];
    const { errors, observer } = observe(frames);
    expect(errors).toEqual([{ code, message, chunkIndex: 2, bytesReceived: byteLength(frames) }]);
    expect(observer.finishReasons).toEqual(['error']);
    expect(observer.completed).toBe(true);
  });

  it('stringifies a numeric code', () => {
    const { errors } = observe([
      HELLO,
      data({ choices: [{ index: 0, finish_reason: 'error', error: { code: 502, message: 'Bad gateway' } }] }),
    ]);
    expect(errors).toEqual([
      { code: '502', message: 'Bad gateway', chunkIndex: 1, bytesReceived: expect.any(Number) },
    ]);
  });

  it('reports finish_reason "error" without an error object with code "error"', () => {
    const { errors } = observe([HELLO, data(chunk([delta({}, 'error')]))]);
    expect(errors.map(({ code, message }) => ({ code, message }))).toEqual([
      { code: STREAM_ERROR_CODE_FINISH_REASON, message: undefined },
    ]);
  });

  it.each([
    [
      'OpenAI/OpenRouter error object',
      { error: { code: 502, message: 'Provider returned error', metadata: { provider_name: 'X' } } },
      '502',
      'Provider returned error',
    ],
    [
      'error object with type and no code',
      { error: { message: 'Too many requests', type: 'rate_limit_error' } },
      'rate_limit_error',
      'Too many requests',
    ],
    [
      'error object with a message only',
      { error: { message: 'Oops' } },
      STREAM_ERROR_CODE_UNSPECIFIED,
      'Oops',
    ],
    [
      'CheapAI {"success":false,"error":"text"}',
      { success: false, error: 'Generation service error' },
      STREAM_ERROR_CODE_UNSPECIFIED,
      'Generation service error',
    ],
    ['CheapAI {"success":false}', { success: false }, STREAM_ERROR_CODE_UNSPECIFIED, undefined],
  ])('reports a top-level %s once', (_name, frame, code, message) => {
    const frames = [ROLE, HELLO, HELLO, data(frame)];
    const { errors, observer } = observe(frames);
    expect(errors).toEqual([{ code, message, chunkIndex: 3, bytesReceived: byteLength(frames) }]);
    expect(observer.completed).toBe(false);
  });

  it('reports a frame with both choice and top-level errors once, from the choice', () => {
    const frame = data({
      error: { code: 'top', message: 'top' },
      choices: [{ index: 0, finish_reason: 'error', error: { code: 'choice', message: 'choice' } }],
    });
    const { errors } = observe([frame]);
    expect(errors.map((error) => error.code)).toEqual(['choice']);
  });

  it.each([
    ['plain text', 'upstream disconnected', STREAM_ERROR_CODE_UNSPECIFIED, 'upstream disconnected'],
    ['an error object', '{"error":{"code":"server_error","message":"boom"}}', 'server_error', 'boom'],
    ['CheapAI text', '{"success":false,"error":"spend cap"}', STREAM_ERROR_CODE_UNSPECIFIED, 'spend cap'],
    [
      'the Responses API shape',
      '{"type":"error","code":"ERR_SOMETHING","message":"Something went wrong","param":null,"sequence_number":1}',
      'ERR_SOMETHING',
      'Something went wrong',
    ],
    [
      'an Anthropic-style error',
      '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
      'overloaded_error',
      'Overloaded',
    ],
    ['no data', '', STREAM_ERROR_CODE_UNSPECIFIED, undefined],
  ])('reports an event: error frame with %s once', (_name, payload, code, message) => {
    const frames = [ROLE, `event: error\ndata: ${payload}\n\n`];
    const { errors } = observe(frames);
    expect(errors).toEqual([{ code, message, chunkIndex: 1, bytesReceived: byteLength(frames) }]);
  });

  it('reports each of two errors in one stream', () => {
    const { errors } = observe([
      data({ error: { code: 'a', message: 'first' } }),
      HELLO,
      data({ error: { code: 'b', message: 'second' } }),
    ]);
    expect(errors.map(({ code, chunkIndex }) => ({ code, chunkIndex }))).toEqual([
      { code: 'a', chunkIndex: 0 },
      { code: 'b', chunkIndex: 2 },
    ]);
  });

  it('does not report an "error" that is only text inside content', () => {
    const { errors } = observe([
      data(chunk([delta({ content: 'the "error" key and finish_reason: "error"' })])),
    ]);
    expect(errors).toEqual([]);
  });
});

describe('StreamObserver: the Responses API stream', () => {
  const response = { id: 'resp_1', object: 'response', model: 'gpt-4.1', status: 'in_progress', usage: null };
  function named(event: string, payload: Record<string, unknown>): string {
    return `event: ${event}\ndata: ${JSON.stringify({ type: event, ...payload })}\n\n`;
  }

  it('records id, model, usage, status and the first delta', () => {
    const frames = [
      named('response.created', { response, sequence_number: 0 }),
      named('response.output_text.delta', { delta: 'Hi', sequence_number: 1 }),
      named('response.completed', {
        response: {
          ...response,
          status: 'completed',
          usage: { input_tokens: 5, output_tokens: 2, total_tokens: 7 },
        },
      }),
    ];
    const { errors, observer } = observe(frames, { now: () => 42 });
    expect(errors).toEqual([]);
    expect(observer.responseId).toBe('resp_1');
    expect(observer.responseModel).toBe('gpt-4.1');
    expect([observer.inputTokens, observer.outputTokens]).toEqual([5, 2]);
    expect(observer.finishReasons).toEqual(['completed']);
    expect(observer.firstChunkAt).toBe(42);
    expect(observer.completed).toBe(true);
  });

  it('recognises Responses events that come without an event: field', () => {
    const frames = [
      data({ type: 'response.output_text.delta', delta: 'Hi' }),
      data({ type: 'response.completed', response: { ...response, status: 'completed' } }),
    ];
    const { observer } = observe(frames, { now: () => 1 });
    expect(observer.completed).toBe(true);
    expect(observer.firstChunkAt).toBe(1);
  });

  it('reads the reason of an incomplete response', () => {
    const incomplete = {
      ...response,
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
    };
    const { observer } = observe([named('response.incomplete', { response: incomplete })]);
    expect(observer.finishReasons).toEqual(['max_output_tokens']);
  });

  it('reports response.failed with response.error, once even after an error event', () => {
    const failed = {
      ...response,
      status: 'failed',
      error: { code: 'server_error', message: 'The model failed' },
    };
    const alone = observe([
      named('response.created', { response }),
      named('response.failed', { response: failed }),
    ]);
    expect(alone.errors.map(({ code, message, chunkIndex }) => ({ code, message, chunkIndex }))).toEqual([
      { code: 'server_error', message: 'The model failed', chunkIndex: 1 },
    ]);
    expect(alone.observer.completed).toBe(true);
    const both = observe([
      named('error', { code: 'server_error', message: 'The model failed' }),
      named('response.failed', { response: failed }),
    ]);
    expect(both.errors).toHaveLength(1);
  });
});

// --- property: chunking never changes the observation ---------------------------------------------

const words = fc.string({
  unit: fc.constantFrom('a', ' ', 'é', '世', '😀', '"', '\\', 'error', 'usage', '\n'),
  maxLength: 8,
});
interface Frame {
  text: string;
  /** Expected error code, when the frame is an error. */
  error?: string;
}
const frame: fc.Arbitrary<Frame> = fc.oneof(
  words.map((word) => ({ text: data(chunk([delta({ content: word })], { usage: null })) })),
  fc.constant({ text: ROLE }),
  fc.constant({ text: ': OPENROUTER PROCESSING\n\n' }),
  fc
    .constantFrom('stop', 'length', 'tool_calls')
    .map((reason) => ({ text: data(chunk([delta({}, reason)])) })),
  fc.constantFrom('context_length_exceeded', 'content_filter', 'rate_limit', 'server_error').map((code) => ({
    text: data({ choices: [{ finish_reason: 'error', error: { code, message: 'm' } }] }),
    error: code,
  })),
  fc.constant({
    text: data({ error: { message: 'slow down', type: 'rate_limit_error' } }),
    error: 'rate_limit_error',
  }),
  fc.constant({ text: data({ success: false, error: 'oops' }), error: STREAM_ERROR_CODE_UNSPECIFIED }),
  words.map((word) => ({
    text: `event: error\ndata: x${word.replace(/\n/g, '')}\n\n`,
    error: STREAM_ERROR_CODE_UNSPECIFIED,
  })),
  fc
    .nat(1000)
    .map((tokens) => ({ text: data(chunk([], { usage: { prompt_tokens: 1, completion_tokens: tokens } })) })),
  fc.constant({ text: DONE }),
);

function snapshot(chunks: readonly Uint8Array[]): unknown {
  const errors: Omit<StreamErrorInfo, 'bytesReceived'>[] = [];
  let lastBytes = 0;
  const observer = new StreamObserver({
    onError: ({ bytesReceived, ...error }) => {
      expect(bytesReceived).toBeGreaterThanOrEqual(lastBytes);
      lastBytes = bytesReceived;
      errors.push(error);
    },
    // a clock that reads the stream position, so it does not depend on the chunking
    now: (): number => observer.chunkIndex,
  });
  for (const piece of chunks) observer.write(piece);
  observer.end();
  const { bytesReceived, chunkIndex, completed, responseId, responseModel, finishReasons } = observer;
  const { inputTokens, outputTokens, firstChunkAt, linesDropped, malformedEvents } = observer;
  return {
    errors,
    ...{ bytesReceived, chunkIndex, completed, responseId, responseModel, finishReasons },
    ...{ inputTokens, outputTokens, firstChunkAt, linesDropped, malformedEvents },
  };
}

describe('StreamObserver: properties', () => {
  it('observes the same stream however it is chunked, and reports each error frame once', () => {
    const sizes = fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 25 }), sizes, (frames, chunkSizes) => {
        const bytes = Buffer.from(frames.map((f) => f.text).join(''));
        const whole = snapshot([bytes]) as { errors: { code: string }[] };
        const expectedCodes = frames.flatMap((f) => (f.error === undefined ? [] : [f.error]));
        expect(whole.errors.map((error) => error.code)).toEqual(expectedCodes);
        const pieces: Uint8Array[] = [];
        for (let at = 0, i = 0; at < bytes.length; i++) {
          const size = chunkSizes[i % chunkSizes.length] ?? 1;
          pieces.push(bytes.subarray(at, at + size));
          at += size;
        }
        expect(snapshot(pieces)).toEqual(whole);
        const oneByte = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
        expect(snapshot(oneByte)).toEqual(whole);
      }),
      { numRuns: runs(1000) },
    );
  });
});
