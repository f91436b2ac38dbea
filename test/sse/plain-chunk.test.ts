import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SseParser } from '../../src/sse/parser.ts';
import { countPlainEvents, isPlainEventName } from '../../src/sse/plain-chunk.ts';

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

  describe('with named events allowed (a recognised stream past its first content)', () => {
    const countNamed = (text: string) => countPlainEvents(Buffer.from(text), true);
    const delta =
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}\n\n';

    it.each([
      ['an Anthropic text delta', delta, 1],
      [
        'deltas, a ping and a block stop',
        `${delta}event: ping\ndata: {"type":"ping"}\n\n${delta}event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n`,
        4,
      ],
      [
        'a Responses text delta',
        'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"x"}\n\n',
        1,
      ],
      [
        'a Responses item event',
        'event: response.output_item.added\ndata: {"type":"response.output_item.added"}\n\n',
        1,
      ],
      ['an event line without the space', 'event:content_block_delta\ndata: {}\n\n', 1],
      ['an event line with no data (not dispatched)', 'event: ping\n\n', 0],
      ['named and unnamed events', `${delta}${chunk('a')}`, 2],
    ])('counts %s', (_name, text, events) => {
      expect(countNamed(text)).toBe(events);
    });

    it.each([
      ['an error event', 'event: error\ndata: {"type":"error"}\n\n'],
      [
        'message_start (identity, input usage)',
        'event: message_start\ndata: {"type":"message_start","message":{}}\n\n',
      ],
      ['message_stop (the end)', 'event: message_stop\ndata: {"type":"message_stop"}\n\n'],
      ['response.completed', 'event: response.completed\ndata: {}\n\n'],
      ['response.created', 'event: response.created\ndata: {}\n\n'],
      ['the default name', 'event: message\ndata: {}\n\n'],
      ['an event line after the data', 'data: {}\nevent: ping\n\n'],
      ['two event lines', 'event: ping\nevent: error\ndata: {}\n\n'],
      ['[DONE] under a plain name', 'event: ping\ndata: [DONE]\n\n'],
      ['a name cut by a CR', 'event: ping\r\ndata: {}\n\n'],
    ])('sends %s to the full parser', (_name, text) => {
      expect(countNamed(text)).toBe(-1);
    });

    it('counts no named event unless allowed', () => {
      expect(count(delta)).toBe(-1);
    });

    it.each([
      ['content_block_start', true],
      ['content_block_delta', true],
      ['content_block_stop', true],
      ['ping', true],
      ['response.output_text.delta', true],
      ['response.reasoning_summary_text.delta', true],
      ['response.function_call_arguments.done', true],
      ['thread.message.delta', true],
      ['response.created', false],
      ['response.in_progress', false],
      ['response.completed', false],
      ['response.incomplete', false],
      ['response.failed', false],
      ['error', false],
      ['message_start', false],
      ['message_delta', false],
      ['message_stop', false],
      ['message', false],
      ['', false],
    ])('calls %s plain: %s', (name, plain) => {
      expect(isPlainEventName(name)).toBe(plain);
    });
  });
});
