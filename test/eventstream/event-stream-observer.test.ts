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
