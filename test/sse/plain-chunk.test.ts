import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SseParser } from '../../src/sse/parser.ts';
import { countPlainEvents } from '../../src/sse/plain-chunk.ts';

/**
 * Property-test runs: a tenth under `npm run mutate` (MUTATE_GROUP is set), where every mutant that
 * survives the example tests re-runs them (docs/mutation.md).
 */
const runs = (count: number): number =>
  process.env.MUTATE_GROUP === undefined ? count : Math.ceil(count / 10);

const chunk = (content: string) =>
  `data: {"id":"c1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}},"finish_reason":null}],"usage":null}\n\n`;
const count = (text: string) => countPlainEvents(Buffer.from(text));

describe('countPlainEvents', () => {
  it('counts complete content events, keep-alive comments included', () => {
    expect(count(chunk('Hel'))).toBe(1);
    expect(count(`${chunk('Hel')}: OPENROUTER PROCESSING\n\n${chunk('lo')}${chunk('!')}`)).toBe(3);
    expect(count(chunk('héllo wörld ✓'))).toBe(1);
  });

  it.each([
    ['a lone blank line', '\n\n', 0],
    ['a keep-alive comment', ': ping\n\n', 0],
    ['data without the space', 'data:{"a":1}\n\n', 1],
    ['extra blank lines', `\n${chunk('a')}\n\n`, 1],
    ['spaced null usage and finish reason', 'data: {"finish_reason" :  null,"usage"\t: null}\n\n', 1],
    ['two events in one chunk', 'data: 1\n\ndata: 2\n\n', 2],
  ])('counts %s as plain', (_name, text, events) => {
    expect(count(text)).toBe(events);
  });

  it.each([
    ['a partial event', chunk('a').slice(0, -1)],
    ['a single line end', 'data: a\n'],
    ['a keep-alive comment cut after its colon', `${chunk('a')}:`],
    ['the next event cut after one byte', `${chunk('a')}d`],
    ['an event ending in one line end', 'data: a\n\ndata: b\n'],
    ['an empty chunk', ''],
    ['one byte', '\n'],
    ['[DONE] without the space', 'data:[DONE]\n\n'],
    ['a Responses frame without the space', 'data:{"type":"response.output_text.delta"}\n\n'],
    ['a tab before the finish reason value', 'data: {"finish_reason":\t"stop"}\n\n'],
    ['usage spaced before an object', 'data: {"usage" : {"total_tokens":3}}\n\n'],
    ['usage as a number', 'data: {"usage":0}\n\n'],
    ['a retry field', 'retry: 1000\n\n'],
    ['a bare "error" key with spaces', 'data: { "error" : "boom" }\n\n'],
    ['a "success" key', 'data: {"success":true}\n\n'],
    ['a lone CR inside', 'data: a\rb\n\n'],
    ['a partial line', chunk('a').slice(0, 30)],
    ['[DONE]', 'data: [DONE]\n\n'],
    ['a finish reason', chunk('a').replace('"finish_reason":null', '"finish_reason":"stop"')],
    ['a spaced finish reason', chunk('a').replace('"finish_reason":null', '"finish_reason" : "length"')],
    ['usage', chunk('a').replace('"usage":null', '"usage":{"prompt_tokens":1}')],
    ['an error object', `data: {"error":{"code":"server_error"}}\n\n`],
    [
      'a choice error',
      chunk('a').replace('"finish_reason":null', '"finish_reason":"error","error":{"code":"rate_limit"}'),
    ],
    ['CheapAI success:false', `data: {"success":false}\n\n`],
    ['an event: field', `event: error\ndata: {}\n\n`],
    ['an id: field', `id: 7\n${chunk('a')}`],
    ['multi-line data', `data: a\ndata: b\n\n`],
    ['CRLF line ends', chunk('a').replace(/\n/g, '\r\n')],
    ['a Responses frame', `data: {"type":"response.completed"}\n\n`],
  ])('sends %s to the full parser', (_name, text) => {
    expect(count(text)).toBe(-1);
  });

  it('never calls a chunk plain unless the full parser sees the same number of plain events in it', () => {
    const event = fc.oneof(
      fc.string().map((content) => chunk(content)),
      fc.constantFrom(': keep-alive\n\n', 'data: [DONE]\n\n', 'event: error\ndata: {"error":{}}\n\n', '\n'),
      fc.string({ unit: 'binary' }).map((text) => `data: ${text}\n\n`),
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 6 }), (events) => {
        const text = events.join('');
        const plain = count(text);
        if (plain < 0) return;
        const seen: string[] = [];
        const parser = new SseParser({ onEvent: (e) => seen.push(e.data) });
        parser.feed(Buffer.from(text));
        expect(seen).toHaveLength(plain);
        for (const data of seen) expect(data).not.toMatch(/"error"|\[DONE\]|"finish_reason":"/);
      }),
      { numRuns: runs(2_000) },
    );
  });
});
