/**
 * The stream observer's fast paths (plain-chunk.ts, event-template.ts, named events) judged against
 * the parser alone: whatever the stream and however it is split into reads, the observer must see
 * what it sees when fed one byte at a time, which never reaches a fast path.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type StreamErrorInfo, StreamObserver } from '../../src/sse/stream-observer.ts';
import {
  anthropicTextDelta,
  chatChunk,
  namedEvent,
  obfuscatedChunk,
  responsesTextDelta,
} from '../support/sse-events.ts';

/** A tenth of the property runs under `npm run mutate` (docs/mutation.md). */
const runs = (count: number): number =>
  process.env.MUTATE_GROUP === undefined ? count : Math.ceil(count / 10);

const bytes = (text: string) => Buffer.from(text);

/** What a stream observer saw, for comparing the fast paths with the parser alone. */
function observe(reads: readonly Buffer[]) {
  const errors: StreamErrorInfo[] = [];
  const observer = new StreamObserver({ onError: (error) => errors.push(error), now: () => 1 });
  for (const read of reads) observer.write(read);
  observer.end();
  return {
    chunks: observer.chunkIndex,
    finishReasons: observer.finishReasons,
    completed: observer.completed,
    outputTokens: observer.outputTokens,
    inputTokens: observer.inputTokens,
    responseId: observer.responseId,
    responseModel: observer.responseModel,
    final: observer.final,
    isLlmStream: observer.isLlmStream,
    firstChunkAt: observer.firstChunkAt,
    errors: errors.map(({ code, chunkIndex }) => ({ code, chunkIndex })),
  };
}

/** The same stream, split into reads at the given cut points. */
function split(text: string, cuts: readonly number[]): Buffer[] {
  const buffer = bytes(text);
  const points = [...new Set(cuts.map((cut) => cut % (buffer.length + 1)))].sort((x, y) => x - y);
  const reads: Buffer[] = [];
  let start = 0;
  for (const point of [...points, buffer.length]) {
    if (point > start) reads.push(buffer.subarray(start, point));
    start = point;
  }
  return reads;
}

/**
 * The observation of `text` split at `cuts`, and in one read, equals the observation of it fed one
 * byte per read, which never reaches the fast paths: the parser alone is the reference.
 */
function expectSameAsParserAlone(text: string, cuts: readonly number[]): void {
  const reference = observe([...bytes(text)].map((byte) => Buffer.from([byte])));
  expect(observe(split(text, cuts))).toEqual(reference);
  expect(observe([bytes(text)])).toEqual(reference);
}

describe('StreamObserver with a learned template', () => {
  const content = fc.string({ unit: 'grapheme', maxLength: 8 });
  const middleEvent = fc.oneof(
    { weight: 8, arbitrary: content.map((text) => chatChunk(text)) },
    {
      weight: 8,
      arbitrary: fc.tuple(content, content).map(([text, padding]) => obfuscatedChunk(text, padding)),
    },
    { weight: 1, arbitrary: fc.constant(`data: {"error":{"code":"server_error","message":"boom"}}\n\n`) },
    { weight: 1, arbitrary: content.map((text) => chatChunk(text, 'error')) },
    { weight: 1, arbitrary: fc.constant(': keep-alive\n\n') },
  );

  it('sees every chunk, error and finish reason the parser alone sees, however the stream is split (property)', () => {
    fc.assert(
      fc.property(
        fc.array(middleEvent, { minLength: 3, maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (events, cuts) => {
          const text = [
            chatChunk('Hello'),
            ...events,
            chatChunk('', 'stop'),
            'data: {"choices":[],"usage":{"prompt_tokens":2,"completion_tokens":7}}\n\n',
            'data: [DONE]\n\n',
          ].join('');
          expectSameAsParserAlone(text, cuts);
        },
      ),
      { numRuns: runs(500) },
    );
  });

  it('counts a long run of content events and still reports an error after them', () => {
    const contents = Array.from({ length: 200 }, (_, i) => chatChunk(`token ${i} "q" \\ é`));
    const error = `data: {"error":{"code":"server_error","message":"boom"}}\n\n`;
    const text = [chatChunk('Hi'), ...contents, error].join('');
    const seen = observe(split(text, [1000, 5000, 9000]));
    expect(seen.chunks).toBe(202);
    expect(seen.errors).toEqual([{ code: 'server_error', chunkIndex: 201 }]);
  });
});

describe('StreamObserver on streams of named events (Anthropic Messages, OpenAI Responses)', () => {
  const content = fc.string({ unit: 'grapheme', maxLength: 8 });
  const anthropicMiddle = fc.oneof(
    { weight: 10, arbitrary: content.map(anthropicTextDelta) },
    { weight: 1, arbitrary: fc.constant(namedEvent('ping')) },
    { weight: 1, arbitrary: fc.constant(namedEvent('content_block_stop', { index: 0 })) },
    {
      weight: 1,
      arbitrary: fc.constant(
        namedEvent('content_block_start', { index: 1, content_block: { type: 'text', text: '' } }),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constant(
        namedEvent('error', { error: { type: 'overloaded_error', message: 'Overloaded' } }),
      ),
    },
    { weight: 1, arbitrary: content.map((text) => anthropicTextDelta(`"error": ${text}`)) },
    {
      weight: 1,
      arbitrary: fc.constant(
        namedEvent('message_delta', { delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: 9 } }),
      ),
    },
    { weight: 1, arbitrary: fc.constant(`event: content_block_delta\ndata: [DONE]\n\n`) },
    { weight: 1, arbitrary: content.map((text) => `event: content_block_delta\n${chatChunk(text)}`) },
    {
      weight: 1,
      arbitrary: content.map((text) => `data: {"type":"message_stop"}\n\n${anthropicTextDelta(text)}`),
    },
  );

  it('Anthropic: sees what the parser alone sees, however the stream is split (property)', () => {
    fc.assert(
      fc.property(
        fc.array(anthropicMiddle, { minLength: 3, maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.boolean(),
        (events, cuts, introduced) => {
          const text = [
            ...(introduced
              ? [
                  namedEvent('message_start', {
                    message: { id: 'msg_1', model: 'claude-x', usage: { input_tokens: 5, output_tokens: 1 } },
                  }),
                ]
              : []),
            anthropicTextDelta('Hello'),
            ...events,
            namedEvent('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 7 } }),
            namedEvent('message_stop'),
          ].join('');
          expectSameAsParserAlone(text, cuts);
        },
      ),
      { numRuns: runs(500) },
    );
  });

  const responsesMiddle = fc.oneof(
    {
      weight: 10,
      arbitrary: fc
        .tuple(content, content, fc.nat(100_000))
        .map(([text, padding, sequence]) => responsesTextDelta(text, padding, sequence)),
    },
    { weight: 1, arbitrary: fc.constant(namedEvent('response.output_text.done', { text: 'Hi' })) },
    { weight: 1, arbitrary: fc.constant(namedEvent('error', { code: 'server_error', message: 'boom' })) },
    {
      weight: 1,
      arbitrary: fc.constant(
        namedEvent('response.failed', {
          response: { status: 'failed', error: { code: 'server_error', message: 'x' } },
        }),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constant(
        namedEvent('response.in_progress', { response: { id: 'resp_2', model: 'other' } }),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constant(`event: response.output_text.delta\nevent: error\ndata: {"code":"x"}\n\n`),
    },
    {
      weight: 1,
      arbitrary: fc.constant(`event: response.output_text.delta\nid: 7\ndata: {"delta":"x"}\n\n`),
    },
    { weight: 1, arbitrary: fc.constant(`event: response.output_text.delta\n\n`) },
  );

  it('OpenAI Responses: sees what the parser alone sees, however the stream is split (property)', () => {
    fc.assert(
      fc.property(
        fc.array(responsesMiddle, { minLength: 3, maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (events, cuts) => {
          const text = [
            namedEvent('response.created', {
              response: { id: 'resp_1', model: 'gpt-x', status: 'in_progress' },
            }),
            responsesTextDelta('Hello', 'ab'),
            ...events,
            namedEvent('response.completed', {
              response: { id: 'resp_1', status: 'completed', usage: { input_tokens: 3, output_tokens: 8 } },
            }),
          ].join('');
          expectSameAsParserAlone(text, cuts);
        },
      ),
      { numRuns: runs(500) },
    );
  });

  it('counts a long Anthropic stream read in large chunks and still reports a late error', () => {
    const deltas = Array.from({ length: 300 }, (_, i) => anthropicTextDelta(`token ${i} "q" \\ é`));
    const error = namedEvent('error', { error: { type: 'overloaded_error', message: 'Overloaded' } });
    const text = [
      namedEvent('message_start', {
        message: { id: 'msg_1', model: 'claude-x', usage: { input_tokens: 5 } },
      }),
      anthropicTextDelta('Hi'),
      ...deltas,
      error,
    ].join('');
    const reads = split(text, [9000, 20_000]);
    const seen = observe(reads);
    expect(seen.chunks).toBe(303);
    expect(seen.errors).toEqual([{ code: 'overloaded_error', chunkIndex: 302 }]);
    expect(seen.outputTokens).toBe(undefined);
    expect([seen.responseId, seen.inputTokens, seen.final, seen.completed]).toEqual([
      'msg_1',
      5,
      true,
      false,
    ]);
    expect(seen).toEqual(observe([...bytes(text)].map((byte) => Buffer.from([byte]))));
  });

  it('parses named events until the stream is recognised: they are what recognises it', () => {
    // A first chunk with content but no `choices`: content seen, the stream not yet recognised.
    const text = [
      'data: {"text":"Hi"}\n\n',
      ...Array.from({ length: 40 }, (_, i) => anthropicTextDelta(`t${i}`)),
    ].join('');
    for (const reads of [[bytes(text)], split(text, [100, 3000])]) {
      const seen = observe(reads);
      expect(seen.isLlmStream).toBe(true);
      expect(seen.chunks).toBe(41);
    }
  });
});

describe('StreamObserver keeps every provider format on its fast paths', () => {
  const WORDS = [' the', ' model', ' streams', ' "quoted"', ' tokens', ',', ' \\', ' é', '.'];
  const word = (i: number) => WORDS[i % WORDS.length] as string;
  const padding = (i: number) => 'q3Xv9LpZt0aR'.slice(0, 3 + (i % 7));
  const CONTENT_EVENTS = 500;
  const content = (make: (i: number) => string) => Array.from({ length: CONTENT_EVENTS }, (_, i) => make(i));
  const streams: Record<string, string[]> = {
    'OpenAI chat': [
      chatChunk(''),
      ...content((i) => chatChunk(word(i))),
      chatChunk('', 'stop'),
      'data: [DONE]\n\n',
    ],
    'OpenAI chat with obfuscation (the default)': [
      obfuscatedChunk('', 'x'),
      ...content((i) => obfuscatedChunk(word(i), padding(i))),
      chatChunk('', 'stop'),
      'data: [DONE]\n\n',
    ],
    'OpenAI-compatible chunks with neither id nor model (the observer stops looking)': [
      ...Array.from({ length: 3 }, () => chatChunk('').replace('"id":"c1",', '').replace('"model":"m",', '')),
      ...content((i) => chatChunk(word(i)).replace('"id":"c1",', '').replace('"model":"m",', '')),
      chatChunk('', 'stop'),
      'data: [DONE]\n\n',
    ],
    'Azure OpenAI (a content-filter chunk with an empty id and model first)': [
      'data: {"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[]}\n\n',
      chatChunk(''),
      ...content((i) => chatChunk(word(i))),
      chatChunk('', 'stop'),
      'data: [DONE]\n\n',
    ],
    'Anthropic Messages': [
      namedEvent('message_start', {
        message: { id: 'msg_1', model: 'claude-x', usage: { input_tokens: 5 } },
      }),
      namedEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      namedEvent('ping'),
      ...content((i) => anthropicTextDelta(word(i))),
      namedEvent('content_block_stop', { index: 0 }),
      namedEvent('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 500 } }),
      namedEvent('message_stop'),
    ],
    'OpenAI Responses': [
      namedEvent('response.created', { response: { id: 'resp_1', model: 'gpt-x', status: 'in_progress' } }),
      ...content((i) => responsesTextDelta(word(i), padding(i), i + 1)),
      namedEvent('response.completed', { response: { id: 'resp_1', status: 'completed' } }),
    ],
  };
  /**
   * The events each format must have parsed, at most: the identity (the first ones, until one names
   * the id or model, at most four), the first content, and the closing events.
   */
  const MUST_PARSE: Record<string, number> = {
    'OpenAI chat': 4, // the role chunk, the first content, the stop chunk, [DONE]
    'OpenAI chat with obfuscation (the default)': 4,
    'OpenAI-compatible chunks with neither id nor model (the observer stops looking)': 6, // four looks
    'Azure OpenAI (a content-filter chunk with an empty id and model first)': 5, // the filter chunk too
    // message_start, content_block_start, ping, the first delta, content_block_stop (parsed when
    // it shares a read with message_delta), message_delta, message_stop
    'Anthropic Messages': 7,
    'OpenAI Responses': 3, // response.created, the first delta, response.completed
  };
  const reads = (events: readonly string[], perRead: number) => {
    const out: Buffer[] = [];
    for (let i = 0; i < events.length; i += perRead) out.push(bytes(events.slice(i, i + perRead).join('')));
    return out;
  };

  for (const [format, events] of Object.entries(streams)) {
    it.each([
      ['one event per read', 1],
      ['four events per read', 4],
      ['the whole stream in one read (a long run learns from its start)', events.length],
    ])(`${format}: %s`, (_name, perRead) => {
      const observer = new StreamObserver({ onError: () => {} });
      for (const read of reads(events, perRead)) observer.write(read);
      observer.end();
      const { parsed, scanned, matched } = observer.eventPaths;
      expect(observer.completed).toBe(true);
      // Every event observed once, by one of the three paths.
      expect(parsed + scanned + matched).toBe(events.length);
      // The parser sees the first events and the closing ones; the template the content.
      expect(parsed).toBeLessThanOrEqual(MUST_PARSE[format] as number);
      expect(matched).toBeGreaterThanOrEqual(CONTENT_EVENTS - 8);
    });
  }
});
