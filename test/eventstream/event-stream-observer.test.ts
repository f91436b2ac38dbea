import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventStreamObserver } from '../../src/eventstream/event-stream-observer.ts';
import { encodeMessage, eventMessage, exceptionMessage } from '../../src/gateway/eventstream.ts';
import type { StreamErrorInfo } from '../../src/sse/stream-observer.ts';

const CONVERSE = Buffer.concat([
  eventMessage('messageStart', { role: 'assistant' }),
  eventMessage('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hel' } }),
  eventMessage('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'lo' } }),
  eventMessage('contentBlockStop', { contentBlockIndex: 0 }),
  eventMessage('messageStop', { stopReason: 'end_turn' }),
  eventMessage('metadata', {
    usage: { inputTokens: 12, outputTokens: 5, totalTokens: 17 },
    metrics: { latencyMs: 9 },
  }),
]);

function observe(chunks: readonly Uint8Array[], maxLineBytes?: number) {
  const errors: StreamErrorInfo[] = [];
  const observer: EventStreamObserver = new EventStreamObserver({
    onError: (error) => errors.push(error),
    now: () => observer.chunkIndex,
    ...(maxLineBytes === undefined ? {} : { maxLineBytes }),
  });
  const finals: boolean[] = [];
  for (const chunk of chunks) {
    observer.write(chunk);
    finals.push(observer.final);
  }
  observer.end();
  return {
    errors: errors.map((e) => [e.code, e.message, e.chunkIndex]),
    facts: {
      completed: observer.completed,
      final: observer.final,
      llm: observer.isLlmStream,
      corrupt: observer.corrupt,
      messages: observer.chunkIndex,
      dropped: observer.linesDropped,
      finishReasons: observer.finishReasons,
      input: observer.inputTokens,
      output: observer.outputTokens,
      firstChunkAt: observer.firstChunkAt,
    },
    finals,
  };
}

function split(bytes: Buffer, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const to of [...points, bytes.length]) {
    out.push(Uint8Array.from(bytes.subarray(from, to)));
    from = to;
  }
  return out;
}

describe('EventStreamObserver: Bedrock converse-stream', () => {
  it('stop reason from messageStop, usage from metadata (the final event), first content', () => {
    expect(observe([CONVERSE]).facts).toEqual({
      completed: true,
      final: true,
      llm: true,
      corrupt: false,
      messages: 6,
      dropped: 0,
      finishReasons: ['end_turn'],
      input: 12,
      output: 5,
      firstChunkAt: 2,
    });
  });

  it('an exception message mid-stream is reported once, code-shaped, and is final', () => {
    const start = Buffer.concat([
      eventMessage('messageStart', { role: 'assistant' }),
      eventMessage('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hel' } }),
      exceptionMessage('throttlingException', 'Too many requests, please wait before trying again.'),
    ]);
    const { errors, facts } = observe([start]);
    expect(errors).toEqual([
      ['throttlingException', 'Too many requests, please wait before trying again.', 2],
    ]);
    expect(facts).toMatchObject({ final: true, completed: false });
  });

  it('a stream cut before messageStop is recognised but not complete', () => {
    const cut = CONVERSE.subarray(0, CONVERSE.length - 200);
    expect(observe([cut]).facts).toMatchObject({ completed: false, final: false, llm: true });
  });

  it('a CRC mismatch stops observation; nothing is guessed', () => {
    const corrupt = Buffer.from(CONVERSE);
    corrupt[20] = (corrupt[20] as number) ^ 0xff;
    expect(observe([corrupt]).facts).toMatchObject({ corrupt: true, messages: 0, completed: false });
  });

  it('a message over the bound is skipped and counted, without buffering it', () => {
    const big = eventMessage('contentBlockDelta', {
      contentBlockIndex: 0,
      delta: { text: 'x'.repeat(5000) },
    });
    const { facts } = observe(split(Buffer.concat([big, CONVERSE]), [10, 100, 2000, 4000]), 1024);
    expect(facts).toMatchObject({ dropped: 1, completed: true, input: 12, messages: 6 });
  });

  it('invoke-with-response-stream: the model JSON in base64 chunks; invocation metrics last', () => {
    const chunk = (inner: object) =>
      eventMessage('chunk', { bytes: Buffer.from(JSON.stringify(inner)).toString('base64') });
    const body = Buffer.concat([
      chunk({ type: 'content_block_delta', delta: { type: 'text_delta', text: 'Hi' } }),
      chunk({ type: 'message_delta', delta: { stop_reason: 'end_turn' } }),
      chunk({
        type: 'message_stop',
        'amazon-bedrock-invocationMetrics': {
          inputTokenCount: 9,
          outputTokenCount: 3,
          invocationLatency: 100,
        },
      }),
    ]);
    expect(observe([body]).facts).toMatchObject({
      completed: true,
      final: true,
      finishReasons: ['end_turn'],
      input: 9,
      output: 3,
    });
  });

  it('property: any chunk boundaries give the same observation', () => {
    const whole = observe([CONVERSE]);
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 2000 }), { maxLength: 40 }), (cuts) => {
        const split_ = observe(split(CONVERSE, cuts));
        expect(split_.facts).toEqual(whole.facts);
        expect(split_.errors).toEqual(whole.errors);
      }),
    );
  });

  it('property: arbitrary bytes never throw; non-string headers are skipped by size', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 10 }), (chunks) => {
        observe(chunks, 256);
      }),
    );
    const withNumber = encodeMessage(
      { ':event-type': 'messageStop', ':message-type': 'event' },
      Buffer.from('{"stopReason":"max_tokens"}'),
    );
    expect(observe([withNumber]).facts.finishReasons).toEqual(['max_tokens']);
  });
});

// --- raw framing: headers of every type, hand-made lengths and CRCs -------------------------------

const BOOL_TRUE = 0;
const BYTE = 2;
const SHORT = 3;
const INT = 4;
const LONG = 5;
const BYTE_ARRAY = 6;
const STRING = 7;
const TIMESTAMP = 8;
const UUID = 9;

/** One header: name length u8, name, type u8, then the value bytes as given (length prefix included). */
function header(name: string, type: number, value: Uint8Array = new Uint8Array()): Buffer {
  const nameBytes = Buffer.from(name);
  return Buffer.concat([Buffer.from([nameBytes.length]), nameBytes, Buffer.from([type]), value]);
}
function lengthPrefixed(text: string): Buffer {
  const bytes = Buffer.from(text);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}
function stringHeader(name: string, value: string): Buffer {
  return header(name, STRING, lengthPrefixed(value));
}

/**
 * A message from raw header bytes and a payload. `total` overrides the length in the prelude; the
 * message CRC is always right for the bytes before it, the prelude CRC unless `badPreludeCrc`.
 */
function frame(
  headers: Buffer,
  payload: Buffer | string = '',
  { total, badPreludeCrc = false }: { total?: number; badPreludeCrc?: boolean } = {},
): Buffer {
  const body = Buffer.concat([headers, Buffer.from(payload)]);
  const length = total ?? 12 + body.length + 4;
  const message = Buffer.alloc(length);
  message.writeUInt32BE(length, 0);
  message.writeUInt32BE(headers.length, 4);
  message.writeUInt32BE((crc32(message.subarray(0, 8)) ^ (badPreludeCrc ? 1 : 0)) >>> 0, 8);
  body.copy(message, 12, 0, Math.min(body.length, length - 16));
  message.writeUInt32BE(crc32(message.subarray(0, length - 4)), length - 4);
  return message;
}
const eventHeaders = (type: string) =>
  Buffer.concat([stringHeader(':event-type', type), stringHeader(':message-type', 'event')]);
const stop = (reason = 'end_turn') =>
  frame(eventHeaders('messageStop'), JSON.stringify({ stopReason: reason }));

function run(chunks: readonly Uint8Array[], options: { maxLineBytes?: number; now?: () => number } = {}) {
  const errors: StreamErrorInfo[] = [];
  const observer = new EventStreamObserver({
    onError: (error) => errors.push(error),
    now: () => 7,
    ...options,
  });
  for (const chunk of chunks) observer.write(chunk);
  return { errors, observer };
}

describe('EventStreamObserver: headers of every type', () => {
  it('skips bool, byte, short, int, long, timestamp, uuid and byte-array headers by their sizes', () => {
    const headers = Buffer.concat([
      header('t', BOOL_TRUE),
      header('f', 1),
      header('b', BYTE, Buffer.alloc(1, 0xff)),
      header('s', SHORT, Buffer.alloc(2, 0xff)),
      header('i', INT, Buffer.alloc(4, 0xff)),
      header('l', LONG, Buffer.alloc(8, 0xff)),
      header('bytes', BYTE_ARRAY, lengthPrefixed('\u0007\u0007')),
      header('ts', TIMESTAMP, Buffer.alloc(8, 0xff)),
      header('id', UUID, Buffer.alloc(16, 0xff)),
      eventHeaders('messageStop'),
    ]);
    const { observer } = run([frame(headers, '{"stopReason":"tool_use"}')]);
    expect([observer.corrupt, observer.completed, observer.finishReasons]).toEqual([
      false,
      true,
      ['tool_use'],
    ]);
  });

  it('a byte-array header is not a string: it names no event', () => {
    const headers = Buffer.concat([
      header(':event-type', BYTE_ARRAY, lengthPrefixed('messageStop')),
      stringHeader(':message-type', 'event'),
    ]);
    const { observer } = run([frame(headers, '{"stopReason":"end_turn"}')]);
    expect([observer.corrupt, observer.completed, observer.chunkIndex]).toEqual([false, false, 1]);
  });

  it('a string header with an empty value may end the headers', () => {
    const headers = Buffer.concat([eventHeaders('messageStop'), stringHeader(':content-type', '')]);
    const { observer } = run([frame(headers, '{}')]);
    expect([observer.corrupt, observer.completed]).toEqual([false, true]);
  });

  it.each([
    [
      'an unknown header type',
      Buffer.concat([header('x', 10, Buffer.alloc(4)), eventHeaders('messageStop')]),
    ],
    [
      'a name that runs to the end',
      Buffer.concat([eventHeaders('messageStop'), Buffer.from([5, 0x61, 0x62])]),
    ],
    [
      'a string type with no room for its length',
      Buffer.concat([eventHeaders('messageStop'), Buffer.from([1, 0x61, STRING])]),
    ],
    [
      'a string type with one byte of length',
      Buffer.concat([eventHeaders('messageStop'), Buffer.from([1, 0x61, STRING, 0])]),
    ],
    [
      'a string value past the end',
      Buffer.concat([eventHeaders('messageStop'), Buffer.from([1, 0x61, STRING, 0, 9, 0x62])]),
    ],
    [
      'an int value past the end',
      Buffer.concat([eventHeaders('messageStop'), header('n', INT, Buffer.alloc(2))]),
    ],
  ])('%s is corrupt: nothing is read, then or later', (_name, headers) => {
    const { observer } = run([Buffer.concat([frame(headers, '{"stopReason":"x"}'), stop()])]);
    expect({
      corrupt: observer.corrupt,
      messages: observer.chunkIndex,
      completed: observer.completed,
    }).toEqual({
      corrupt: true,
      messages: 0,
      completed: false,
    });
  });
});

describe('EventStreamObserver: the prelude', () => {
  it('a wrong prelude CRC stops observation even when the message CRC matches', () => {
    const { observer } = run([frame(eventHeaders('messageStop'), '{}', { badPreludeCrc: true })]);
    expect([observer.corrupt, observer.chunkIndex, observer.completed]).toEqual([true, 0, false]);
  });

  it('a total too short for its own headers is corrupt, even when both CRCs match', () => {
    // The last header is a one-byte value that the message CRC overlaps: readable if the total were trusted.
    const headers = Buffer.concat([eventHeaders('messageStop'), header('x', BYTE, Buffer.alloc(1))]);
    const short = frame(headers, '', { total: 12 + headers.length + 3 });
    const { observer } = run([short]);
    expect([observer.corrupt, observer.completed]).toEqual([true, false]);
  });

  it('a message with no payload is whole', () => {
    const { observer } = run([frame(eventHeaders('messageStop')), stop('max_tokens')]);
    expect([observer.corrupt, observer.chunkIndex, observer.finishReasons]).toEqual([
      false,
      2,
      ['max_tokens'],
    ]);
  });

  it('a corrupt prelude is seen as soon as its 12 bytes are there', () => {
    const bad = frame(eventHeaders('messageStop'), '{}', { badPreludeCrc: true });
    const { observer } = run([bad.subarray(0, 11)]);
    expect(observer.corrupt).toBe(false);
    observer.write(bad.subarray(11, 12));
    expect(observer.corrupt).toBe(true);
  });

  it('an oversized message is counted as soon as its prelude is there', () => {
    const big = eventMessage('contentBlockDelta', { delta: { text: 'x'.repeat(300) } });
    const { observer } = run([big.subarray(0, 12)], { maxLineBytes: 100 });
    expect(observer.linesDropped).toBe(1);
    observer.write(big.subarray(12));
    observer.write(stop());
    expect([observer.linesDropped, observer.chunkIndex, observer.completed]).toEqual([1, 1, true]);
  });

  it('a message of exactly maxLineBytes is kept; one byte over is skipped', () => {
    const message = stop();
    expect(run([message], { maxLineBytes: message.length }).observer.completed).toBe(true);
    const over = run([message], { maxLineBytes: message.length - 1 }).observer;
    expect([over.completed, over.linesDropped, over.corrupt]).toEqual([false, 1, false]);
  });
});

describe('EventStreamObserver: exceptions and errors', () => {
  it('reports each with its chunk index and the bytes received so far', () => {
    const start = eventMessage('messageStart', { role: 'assistant' });
    const exception = exceptionMessage('modelStreamErrorException', 'The model stream failed');
    const { errors, observer } = run([start, exception, Buffer.from([0, 0])]);
    expect(errors).toEqual([
      {
        code: 'modelStreamErrorException',
        message: 'The model stream failed',
        chunkIndex: 1,
        bytesReceived: start.length + exception.length,
      },
    ]);
    expect(observer.bytesReceived).toBe(start.length + exception.length + 2);
    expect([observer.terminated, observer.final, observer.completed]).toEqual([true, true, false]);
  });

  it(':message-type error with :error-code and :error-message headers', () => {
    const headers = Buffer.concat([
      stringHeader(':message-type', 'error'),
      stringHeader(':error-code', 'InternalFailure'),
      stringHeader(':error-message', 'Something broke'),
    ]);
    expect(run([frame(headers)]).errors.map((e) => [e.code, e.message])).toEqual([
      ['InternalFailure', 'Something broke'],
    ]);
  });

  it.each([
    ['a payload that is not JSON', 'Internal error', 'from the header'],
    ['a payload with no message', '{"code":1}', 'from the header'],
    ['a payload with a non-string message', '{"message":42}', 'from the header'],
    ['an empty message', '{"message":""}', undefined],
  ])('an exception with %s', (_name, payload, message) => {
    const headers = Buffer.concat([
      stringHeader(':message-type', 'exception'),
      stringHeader(':exception-type', 'internalServerException'),
      stringHeader(':error-message', 'from the header'),
    ]);
    const both = Buffer.concat([frame(headers, payload)]);
    expect(run([both]).errors.map((e) => [e.code, e.message])).toEqual([
      ['internalServerException', message],
    ]);
  });

  it('an exception whose type is not code-shaped, or missing, is stream_error', () => {
    const freeText = Buffer.concat([
      stringHeader(':message-type', 'exception'),
      stringHeader(':exception-type', 'Throttled, slow down'),
    ]);
    const none = stringHeader(':message-type', 'exception');
    expect(
      run([frame(freeText, '{"message":"m"}'), frame(none)]).errors.map((e) => [e.code, e.message]),
    ).toEqual([
      ['stream_error', 'm'],
      ['stream_error', undefined],
    ]);
  });
});

describe('EventStreamObserver: what each event means', () => {
  it('before anything: nothing recognised, nothing known', () => {
    const { observer } = run([]);
    expect({
      llm: observer.isLlmStream,
      completed: observer.completed,
      terminated: observer.terminated,
      final: observer.final,
      finishReasons: observer.finishReasons,
      id: observer.responseId,
      model: observer.responseModel,
      bytes: observer.bytesReceived,
    }).toEqual({
      llm: false,
      completed: false,
      terminated: false,
      final: false,
      finishReasons: [],
      id: undefined,
      model: undefined,
      bytes: 0,
    });
  });

  it.each([
    'messageStart',
    'contentBlockStart',
    'contentBlockStop',
    'contentBlockDelta',
    'messageStop',
    'metadata',
  ])('%s alone makes it an LLM stream', (type) => {
    expect(run([frame(eventHeaders(type), '{}')]).observer.isLlmStream).toBe(true);
  });

  it('an unknown event type is read but is not an LLM stream', () => {
    const { observer } = run([frame(eventHeaders('heartbeat'), '{}')]);
    expect([observer.isLlmStream, observer.chunkIndex, observer.corrupt]).toEqual([false, 1, false]);
  });

  it('only contentBlockDelta times the first content', () => {
    let clock = 1;
    const observer = new EventStreamObserver({ onError: () => {}, now: () => clock++ });
    observer.write(frame(eventHeaders('messageStart'), '{}'));
    observer.write(frame(eventHeaders('contentBlockStart'), '{}'));
    expect(observer.firstChunkAt).toBeUndefined();
    observer.write(eventMessage('contentBlockDelta', { delta: { text: 'a' } }));
    observer.write(eventMessage('contentBlockDelta', { delta: { text: 'b' } }));
    expect(observer.firstChunkAt).toBe(1);
  });

  it('the default clock is performance.now', () => {
    const observer = new EventStreamObserver({ onError: () => {} });
    const before = performance.now();
    observer.write(eventMessage('contentBlockDelta', { delta: { text: 'a' } }));
    expect(observer.firstChunkAt).toBeGreaterThanOrEqual(before);
    expect(observer.firstChunkAt).toBeLessThanOrEqual(performance.now());
  });

  it.each([
    ['not JSON', 'end_turn?'],
    ['an empty stopReason', '{"stopReason":""}'],
    ['a numeric stopReason', '{"stopReason":3}'],
  ])('messageStop with %s completes without a reason', (_name, payload) => {
    const { observer } = run([frame(eventHeaders('messageStop'), payload)]);
    expect([observer.completed, observer.finishReasons, observer.final]).toEqual([true, [], false]);
  });

  it('metadata is final; its usage counts must be non-negative finite numbers', () => {
    const metadata = (usage: string) => frame(eventHeaders('metadata'), `{"usage":${usage}}`);
    const read = (...usages: string[]) => {
      const { observer } = run(usages.map(metadata));
      return [observer.inputTokens, observer.outputTokens, observer.final, observer.completed];
    };
    expect(read('{"inputTokens":0,"outputTokens":0}')).toEqual([0, 0, true, false]);
    expect(read('{"inputTokens":"12","outputTokens":null}')).toEqual([undefined, undefined, true, false]);
    expect(read('{"inputTokens":-1,"outputTokens":1e999}')).toEqual([undefined, undefined, true, false]);
    expect(read('null', '[]', '5', '"x"')).toEqual([undefined, undefined, true, false]);
    // a later metadata without a count keeps the earlier one
    expect(read('{"inputTokens":3,"outputTokens":4}', '{"inputTokens":-1}')).toEqual([3, 4, true, false]);
  });
});

describe('EventStreamObserver: invoke-with-response-stream chunks', () => {
  const chunk = (inner: unknown) =>
    eventMessage('chunk', { bytes: Buffer.from(JSON.stringify(inner)).toString('base64') });
  const raw = (payload: string) => frame(eventHeaders('chunk'), payload);

  it('any chunk is content and an LLM stream', () => {
    const { observer } = run([chunk({ type: 'message_start' })]);
    expect([observer.isLlmStream, observer.firstChunkAt, observer.completed]).toEqual([true, 7, false]);
  });

  it('the first chunk times the first content', () => {
    let clock = 10;
    const { observer } = run([chunk({}), chunk({})], { now: () => clock++ });
    expect(observer.firstChunkAt).toBe(10);
  });

  it.each([
    ['a payload that is not JSON', raw('nope')],
    ['bytes that are not a string', raw('{"bytes":5}')],
    ['bytes that are not base64 JSON', raw(`{"bytes":"${Buffer.from('not json').toString('base64')}"}`)],
    ['null invocation metrics', chunk({ 'amazon-bedrock-invocationMetrics': null })],
    ['invocation metrics that are not an object', chunk({ 'amazon-bedrock-invocationMetrics': 5 })],
    ['a null delta', chunk({ delta: null })],
    ['an empty stop_reason', chunk({ delta: { stop_reason: '' } })],
  ])('%s: recognised, nothing else, no throw', (_name, message) => {
    const { observer } = run([message]);
    expect({
      llm: observer.isLlmStream,
      completed: observer.completed,
      final: observer.final,
      finishReasons: observer.finishReasons,
      input: observer.inputTokens,
      corrupt: observer.corrupt,
    }).toEqual({
      llm: true,
      completed: false,
      final: false,
      finishReasons: [],
      input: undefined,
      corrupt: false,
    });
  });

  it('a stopReason spelling in the delta counts too; metrics keep earlier counts they lack', () => {
    const { observer } = run([
      chunk({ delta: { stopReason: 'max_tokens' } }),
      chunk({ 'amazon-bedrock-invocationMetrics': { inputTokenCount: 4, outputTokenCount: 'x' } }),
    ]);
    expect([observer.finishReasons, observer.inputTokens, observer.outputTokens, observer.completed]).toEqual(
      [['max_tokens'], 4, undefined, true],
    );
  });
});
