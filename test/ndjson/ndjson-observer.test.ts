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
