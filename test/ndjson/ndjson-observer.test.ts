import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NdjsonObserver } from '../../src/ndjson/ndjson-observer.ts';
import type { StreamErrorInfo } from '../../src/sse/stream-observer.ts';

const line = (value: object) => `${JSON.stringify(value)}\n`;
const CHAT = [
  line({ model: 'llama3.2', created_at: 't', message: { role: 'assistant', content: '' }, done: false }),
  line({ model: 'llama3.2', created_at: 't', message: { role: 'assistant', content: 'Hel' }, done: false }),
  line({ model: 'llama3.2', created_at: 't', message: { role: 'assistant', content: 'lo' }, done: false }),
  line({
    model: 'llama3.2',
    created_at: 't',
    message: { role: 'assistant', content: '' },
    done: true,
    done_reason: 'stop',
    prompt_eval_count: 26,
    eval_count: 2,
  }),
].join('');

function observe(chunks: readonly Uint8Array[], maxLineBytes?: number) {
  const errors: StreamErrorInfo[] = [];
  // The "clock" is the number of lines seen: firstChunkAt says which line carried the first content.
  const observer: NdjsonObserver = new NdjsonObserver({
    onError: (error) => errors.push(error),
    now: () => observer.chunkIndex,
    ...(maxLineBytes === undefined ? {} : { maxLineBytes }),
  });
  for (const chunk of chunks) observer.write(chunk);
  observer.end();
  return {
    errors,
    facts: {
      completed: observer.completed,
      terminated: observer.terminated,
      isLlmStream: observer.isLlmStream,
      lines: observer.chunkIndex,
      model: observer.responseModel,
      finishReasons: observer.finishReasons,
      inputTokens: observer.inputTokens,
      outputTokens: observer.outputTokens,
      firstChunkAt: observer.firstChunkAt,
      linesDropped: observer.linesDropped,
    },
  };
}

function splitAt(text: string, cuts: number[]): Uint8Array[] {
  const bytes = Buffer.from(text);
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(Uint8Array.from(bytes.subarray(start, point)));
    start = point;
  }
  return chunks;
}

describe('NdjsonObserver: Ollama streams', () => {
  it('a complete chat stream: model, done_reason, counts, first content', () => {
    const { facts, errors } = observe([Buffer.from(CHAT)]);
    expect(errors).toEqual([]);
    expect(facts).toEqual({
      completed: true,
      terminated: true,
      isLlmStream: true,
      lines: 4,
      model: 'llama3.2',
      finishReasons: ['stop'],
      inputTokens: 26,
      outputTokens: 2,
      firstChunkAt: 2,
      linesDropped: 0,
    });
  });

  it('a stream cut before the done line is not completed', () => {
    const cut = CHAT.slice(0, CHAT.lastIndexOf('{'));
    const { facts } = observe([Buffer.from(cut)]);
    expect(facts.completed).toBe(false);
    expect(facts.terminated).toBe(false);
    expect(facts.isLlmStream).toBe(true);
  });

  it('an error line inside a 200 stream is reported once, with its message', () => {
    const body = `${CHAT.split('\n')[1]}\n${line({ error: 'model runner has unexpectedly stopped' })}`;
    const { errors, facts } = observe([Buffer.from(body)]);
    expect(errors).toEqual([
      {
        code: 'stream_error',
        message: 'model runner has unexpectedly stopped',
        chunkIndex: 1,
        bytesReceived: Buffer.byteLength(body),
      },
    ]);
    expect(facts.terminated).toBe(true);
    expect(facts.completed).toBe(false);
  });

  it('a last line without its newline still counts; CRLF and blank lines are fine', () => {
    const body = CHAT.replaceAll('\n', '\r\n\r\n').trimEnd();
    expect(observe([Buffer.from(body)]).facts).toMatchObject({ completed: true, lines: 4, outputTokens: 2 });
  });

  it('a line over the bound is dropped and counted, never buffered', () => {
    const long = line({ model: 'm', message: { content: 'x'.repeat(5000) }, done: false });
    const { facts } = observe([Buffer.from(long + CHAT)], 1024);
    expect(facts.linesDropped).toBe(1);
    expect(facts).toMatchObject({ completed: true, lines: 4 });
  });

  it('property: any chunk boundaries give the same observation', () => {
    const reference = observe([Buffer.from(CHAT)]);
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 2000 }), { maxLength: 40 }), (cuts) => {
        const split = observe(splitAt(CHAT, cuts));
        expect(split.facts).toEqual(reference.facts);
        expect(split.errors).toEqual(reference.errors);
      }),
    );
  });

  it('property: arbitrary bytes never throw, and lines stay bounded', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), (chunks) => {
        const { facts } = observe(chunks, 64);
        expect(facts.lines).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});

/** The observer and what it reported, fed `text` in one chunk (or the given chunks). */
function run(input: string | readonly string[], options: { maxLineBytes?: number } = {}) {
  const errors: StreamErrorInfo[] = [];
  const observer: NdjsonObserver = new NdjsonObserver({
    onError: (error) => errors.push(error),
    now: () => 1000 + observer.chunkIndex,
    ...options,
  });
  for (const chunk of typeof input === 'string' ? [input] : input) observer.write(Buffer.from(chunk));
  observer.end();
  return { observer, errors };
}

describe('NdjsonObserver: which lines count as content, model, done', () => {
  it.each([
    ['a chat content', { model: 'm', message: { role: 'assistant', content: 'x' }, done: false }, true],
    [
      'an empty chat content',
      { model: 'm', message: { role: 'assistant', content: '' }, done: false },
      false,
    ],
    ['tool calls', { model: 'm', message: { content: '', tool_calls: [] }, done: false }, true],
    ['tool calls that are not an array', { model: 'm', message: { tool_calls: {} }, done: false }, false],
    ['thinking', { model: 'm', message: { content: '', thinking: 'hmm' }, done: false }, true],
    ['empty thinking', { model: 'm', message: { thinking: '' }, done: false }, false],
    ['a content that is not a string', { model: 'm', message: { content: 5 }, done: false }, false],
    ['a message that is null', { model: 'm', message: null, response: '' }, false],
    ['a message that is a string', { model: 'm', message: 'text' }, false],
    ['a generate response', { model: 'm', response: 'x', done: false }, true],
    ['an empty generate response', { model: 'm', response: '', done: false }, false],
    ['a response that is not a string', { model: 'm', response: ['x'] }, false],
  ])('%s: first content %s', (_name, value, content) => {
    const { observer } = run(line(value));
    // The clock reads 1000 + the lines seen so far: the first line is line 1.
    expect(observer.firstChunkAt).toBe(content ? 1001 : undefined);
  });

  it('a message content wins even when the response field is empty, and only the first content is timed', () => {
    const { observer } = run([
      line({ model: 'm', message: { content: 'a' }, response: '' }),
      line({ model: 'm', response: 'b' }),
    ]);
    expect(observer.firstChunkAt).toBe(1001);
  });

  it('the first model wins; a line is Ollama-shaped only with both model and done', () => {
    const { observer } = run([line({ model: 'first' }), line({ model: 'second', done: false })]);
    expect(observer.responseModel).toBe('first');
    expect(observer.isLlmStream).toBe(true);
    expect(run(line({ model: 'm', response: 'x' })).observer.isLlmStream).toBe(false);
    expect(run(line({ done: false, response: 'x' })).observer.isLlmStream).toBe(false);
    expect(run(line({ model: 42, done: true })).observer).toMatchObject({
      isLlmStream: false,
      responseModel: undefined,
      completed: true,
    });
  });

  it('a model that arrives after the first content is still read', () => {
    const { observer } = run([line({ response: 'x' }), line({ model: 'late', done: false })]);
    expect(observer.responseModel).toBe('late');
    expect(observer.isLlmStream).toBe(true);
    expect(observer.firstChunkAt).toBe(1001);
  });

  it('done must be the boolean true', () => {
    const { observer } = run([line({ model: 'm', response: 'x' }), line({ model: 'm', done: 'true' })]);
    expect(observer.completed).toBe(false);
    expect(observer.terminated).toBe(false);
    expect(observer.final).toBe(false);
  });

  it('a pretty-printed "done": true line (space after the colon) completes the stream', () => {
    const body = `${line({ model: 'm', response: 'x' })}{"model": "m", "done": true, "done_reason": "stop", "eval_count": 4}\n`;
    const { observer } = run(body);
    expect(observer).toMatchObject({
      completed: true,
      terminated: true,
      final: true,
      finishReasons: ['stop'],
      outputTokens: 4,
    });
  });

  it('the done line: an empty or non-string done_reason is no finish reason; bad counts are none', () => {
    const { observer } = run(
      line({
        model: 'm',
        response: 'x',
        done: true,
        done_reason: '',
        prompt_eval_count: -1,
        eval_count: 'x',
      }),
    );
    expect(observer).toMatchObject({
      completed: true,
      finishReasons: [],
      inputTokens: undefined,
      outputTokens: undefined,
      responseId: undefined,
    });
    expect(run(line({ model: 'm', done: true, done_reason: 7 })).observer.finishReasons).toEqual([]);
    expect(run(line({ model: 'm', done: true, prompt_eval_count: 0, eval_count: 0 })).observer).toMatchObject(
      {
        inputTokens: 0,
        outputTokens: 0,
      },
    );
  });

  it('a later done line without counts keeps the counts already read', () => {
    const { observer } = run([
      line({
        model: 'm',
        response: 'x',
        done: true,
        done_reason: 'stop',
        prompt_eval_count: 3,
        eval_count: 5,
      }),
      line({ model: 'm', done: true, done_reason: 'length' }),
    ]);
    expect(observer).toMatchObject({ inputTokens: 3, outputTokens: 5, finishReasons: ['length'] });
  });

  it('lines that are not JSON objects count as lines and change nothing', () => {
    const { observer, errors } = run('[{"error":"x"}]\nnull\n"done"\n{not json\n42\n');
    expect(errors).toEqual([]);
    expect(observer).toMatchObject({
      chunkIndex: 5,
      completed: false,
      terminated: false,
      responseModel: undefined,
      firstChunkAt: undefined,
    });
  });
});

describe('NdjsonObserver: error lines', () => {
  it.each([
    ['a string', { error: 'boom' }, 'boom'],
    ['an object with a message', { error: { message: 'boom', code: 500 } }, 'boom'],
    ['an object without a message', { error: { code: 500 } }, undefined],
    ['an object whose message is not a string', { error: { message: 5 } }, undefined],
    ['an empty string', { error: '' }, undefined],
    ['a number', { error: 0 }, undefined],
    ['false', { error: false }, undefined],
  ])('error as %s → message %j', (_name, value, message) => {
    const { observer, errors } = run(line(value));
    expect(errors).toEqual([
      { code: 'stream_error', message, chunkIndex: 0, bytesReceived: line(value).length },
    ]);
    expect(observer).toMatchObject({ terminated: true, final: true, completed: false, chunkIndex: 1 });
  });

  it('"error": null is no error', () => {
    const { observer, errors } = run(line({ model: 'm', error: null, response: 'x', done: true }));
    expect(errors).toEqual([]);
    expect(observer).toMatchObject({
      completed: true,
      terminated: true,
      responseModel: 'm',
      firstChunkAt: 1001,
    });
  });

  it('an error line reports the error and nothing else of the line', () => {
    const { observer, errors } = run(
      line({ error: 'boom', model: 'm', response: 'x', done: true, done_reason: 'stop', eval_count: 3 }),
    );
    expect(errors).toHaveLength(1);
    expect(observer).toMatchObject({
      completed: false,
      terminated: true,
      responseModel: undefined,
      isLlmStream: false,
      firstChunkAt: undefined,
      finishReasons: [],
      outputTokens: undefined,
    });
  });

  it('the error carries the bytes received so far, the whole chunk included', () => {
    const first = line({ model: 'm', response: 'x' });
    const error = line({ error: 'late' });
    const { errors } = run([first, `${error}{"model":"m"}\n`]);
    expect(errors).toEqual([
      {
        code: 'stream_error',
        message: 'late',
        chunkIndex: 1,
        bytesReceived: first.length + error.length + 14,
      },
    ]);
  });
});

describe('NdjsonObserver: bytes, chunks and bounded lines', () => {
  it('counts every byte written; reads a view into a larger buffer at its own offset', () => {
    const text = line({ model: 'm', response: 'x', done: true, eval_count: 2 });
    const padded = Buffer.concat([
      Buffer.from('XXXX\n{"error":"no"}\n'),
      Buffer.from(text),
      Buffer.from('ZZ'),
    ]);
    const view = new Uint8Array(padded.buffer, padded.byteOffset + 20, text.length);
    const observer = new NdjsonObserver({ onError: () => expect.unreachable() });
    observer.write(view);
    observer.end();
    expect(observer).toMatchObject({
      bytesReceived: text.length,
      completed: true,
      outputTokens: 2,
      chunkIndex: 1,
    });
  });

  it('a line split over several chunks is read whole', () => {
    const text = line({ model: 'm', response: 'x', done: true, done_reason: 'stop' });
    const { observer } = run([text.slice(0, 5), text.slice(5, 20), text.slice(20)]);
    expect(observer).toMatchObject({ completed: true, finishReasons: ['stop'], chunkIndex: 1 });
  });

  it('copies a partial line: the application may reuse its chunk after write', () => {
    const text = line({ model: 'm', response: 'x', done: true });
    const observer = new NdjsonObserver({ onError: () => {} });
    const chunk = Buffer.from(text.slice(0, 10));
    observer.write(chunk);
    chunk.fill(0x20);
    observer.write(Buffer.from(text.slice(10)));
    expect(observer.completed).toBe(true);
  });

  it('end() reads a last line without a newline once; a second end() changes nothing', () => {
    const observer = new NdjsonObserver({ onError: () => {} });
    observer.write(Buffer.from('{"model":"m","done":true}'));
    expect(observer.completed).toBe(false);
    observer.end();
    observer.end();
    expect(observer).toMatchObject({ completed: true, chunkIndex: 1 });
  });

  it('a line of exactly maxLineBytes is kept; one byte more is dropped', () => {
    const exact = '{"model":"m","done":true}';
    expect(run(`${exact}\n`, { maxLineBytes: exact.length }).observer).toMatchObject({
      completed: true,
      linesDropped: 0,
    });
    expect(run(`${exact} \n`, { maxLineBytes: exact.length }).observer).toMatchObject({
      completed: false,
      linesDropped: 1,
      chunkIndex: 0,
    });
  });

  it('the bound counts a line across chunks', () => {
    const exact = '{"model":"m","done":true}';
    const { observer } = run([exact.slice(0, 10), exact.slice(10), ' \n'], { maxLineBytes: exact.length });
    expect(observer).toMatchObject({ completed: false, linesDropped: 1 });
  });

  it('after a dropped line the next one starts clean, whatever was pending', () => {
    const next = '{"model":"m","response":"x","done":true}\n';
    const { observer } = run(['{"model":"dropped",', 'x'.repeat(100), `\n${next}`], { maxLineBytes: 64 });
    expect(observer).toMatchObject({ linesDropped: 1, completed: true, responseModel: 'm', chunkIndex: 1 });
  });

  it('a dropped overlong last line without a newline is counted at end()', () => {
    const { observer } = run(['{"model":"m","response":"', 'x'.repeat(100)], { maxLineBytes: 64 });
    expect(observer).toMatchObject({ linesDropped: 1, chunkIndex: 0, responseModel: undefined });
  });

  it('the default bound is 1 MiB', () => {
    const value = (size: number) => `{"model":"m","done":true,"pad":"${'x'.repeat(size - 34)}"}`;
    expect(value(1024 * 1024)).toHaveLength(1024 * 1024);
    const kept = new NdjsonObserver({ onError: () => {} });
    kept.write(Buffer.from(`${value(1024 * 1024)}\n`));
    expect(kept).toMatchObject({ completed: true, linesDropped: 0 });
    const dropped = new NdjsonObserver({ onError: () => {} });
    dropped.write(Buffer.from(`${value(1024 * 1024 + 1)}\n`));
    expect(dropped).toMatchObject({ completed: false, linesDropped: 1 });
  });

  it('times the first content with performance.now() by default', () => {
    const observer = new NdjsonObserver({ onError: () => {} });
    const before = performance.now();
    observer.write(Buffer.from(line({ model: 'm', response: 'x' })));
    const after = performance.now();
    expect(observer.firstChunkAt).toBeGreaterThanOrEqual(before);
    expect(observer.firstChunkAt).toBeLessThanOrEqual(after);
  });
});

describe('NdjsonObserver: edges found by mutation testing', () => {
  it('counts that overflow to Infinity are no counts', () => {
    const { observer } = run(
      '{"model":"m","response":"x","done":true,"prompt_eval_count":1e999,"eval_count":1e999}\n',
    );
    expect(observer).toMatchObject({ completed: true, inputTokens: undefined, outputTokens: undefined });
  });

  it('the rest of a dropped line, in a later chunk, is dropped with it', () => {
    const next = '{"model":"m","response":"x","done":true}\n';
    const { observer } = run(['x'.repeat(100), `yy\n${next}`], { maxLineBytes: 64 });
    expect(observer).toMatchObject({ linesDropped: 1, completed: true, responseModel: 'm', chunkIndex: 1 });
  });

  it('the first content keeps its time when the done line carries content too', () => {
    const { observer } = run([
      line({ model: 'm', response: 'a' }),
      line({ model: 'm', response: 'b', done: true }),
    ]);
    expect(observer).toMatchObject({ firstChunkAt: 1001, completed: true });
  });
});
