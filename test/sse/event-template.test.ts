import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildTemplate,
  EventTemplate,
  MAX_FAILED_LEARNS,
  MAX_HOLES,
  MAX_LEARNED_EVENT_LENGTH,
  stringEnd,
} from '../../src/sse/event-template.ts';
import { anthropicTextDelta, chatChunk, obfuscatedChunk } from '../support/sse-events.ts';

/** A tenth of the property runs under `npm run mutate` (docs/mutation.md). */
const runs = (count: number): number =>
  process.env.MUTATE_GROUP === undefined ? count : Math.ceil(count / 10);

const bytes = (text: string) => Buffer.from(text);
/** The template works on the latin1 view of the bytes (one character per byte). */
const latin1 = (text: string) => Buffer.from(text).toString('latin1');

/** A template learned from two events. */
function learned(first: string, second: string): EventTemplate {
  const template = new EventTemplate();
  template.learn(latin1(first));
  template.learn(latin1(second));
  return template;
}

/** `match` over one whole text: its end offset, or -1. */
const matchAll = (template: EventTemplate, text: string) => template.match(latin1(text), 0);

describe('EventTemplate', () => {
  it('is not ready after one event, and ready after two that differ inside one string', () => {
    const template = new EventTemplate();
    template.learn(latin1(chatChunk('Hel')));
    expect(template.ready).toBe(false);
    template.learn(latin1(chatChunk('lo')));
    expect(template.ready).toBe(true);
  });

  it('matches an event with other content, ending where its blank line ends', () => {
    const template = learned(chatChunk('Hel'), chatChunk('lo'));
    const text = chatChunk(' wörld ✓, a \\ and \n escaped');
    expect(matchAll(template, text)).toBe(bytes(text).length);
    expect(matchAll(template, chatChunk(''))).toBe(bytes(chatChunk('')).length);
  });

  it('matches event by event inside a larger read', () => {
    const template = learned(chatChunk('a'), chatChunk('b'));
    const run = latin1(chatChunk('c') + chatChunk('dd') + chatChunk('eee'));
    const first = template.match(run, 0);
    expect(first).toBe(bytes(chatChunk('c')).length);
    const second = template.match(run, first);
    expect(second).toBe(first + bytes(chatChunk('dd')).length);
    expect(template.match(run, second)).toBe(run.length);
    expect(template.match(run.slice(0, -1), second)).toBe(-1);
  });

  it('matches content with escaped quotes and backslashes, and learns from such content', () => {
    const template = learned(chatChunk('say "hi"'), chatChunk('a\\'));
    expect(template.ready).toBe(true);
    for (const content of ['', 'x "y" \\ z\\', '\\"', '{"error":1}', '\\\\"']) {
      expect(matchAll(template, chatChunk(content))).toBe(bytes(chatChunk(content)).length);
    }
  });

  it('learns the content and the obfuscation padding of OpenAI chunks as two holes', () => {
    const template = learned(obfuscatedChunk('Hel', 'x7'), obfuscatedChunk('lo!', 'Qd0a'));
    expect(template.ready).toBe(true);
    const next = obfuscatedChunk(' world', '');
    expect(matchAll(template, next)).toBe(bytes(next).length);
    expect(matchAll(template, chatChunk(' world'))).toBe(-1);
    expect(matchAll(template, next.replace('"obfuscation"', '"error"'))).toBe(-1);
    expect(matchAll(template, obfuscatedChunk('a', 'b"c'))).toBe(bytes(obfuscatedChunk('a', 'b"c')).length);
  });

  it(`learns up to ${MAX_HOLES} strings that differ, and keeps the strings that do not as they are`, () => {
    const shaped = (values: readonly string[]) =>
      `data: {${values.map((value, k) => `"k${k}":"${value}"`).join(',')}}\n\n`;
    const atLimit = learned(shaped(['a', 'b', 'c', 'd']), shaped(['e', 'f', 'g', 'h']));
    const other = shaped(['1', '22', '', '4444']);
    expect(matchAll(atLimit, other)).toBe(other.length);
    expect(learned(shaped(['a', 'b', 'c', 'd', 'e']), shaped(['f', 'g', 'h', 'i', 'j'])).ready).toBe(false);

    const partly = learned(shaped(['a', 'b', 'c', 'd', 'e']), shaped(['f', 'b', 'c', 'd', 'j']));
    const sameMiddle = shaped(['x', 'b', 'c', 'd', 'y']);
    expect(matchAll(partly, sameMiddle)).toBe(sameMiddle.length);
    expect(matchAll(partly, shaped(['x', 'B', 'c', 'd', 'y']))).toBe(-1);
  });

  it('learns an unsigned integer that differs (the Responses sequence_number) as a hole of digits', () => {
    const delta = (text: string, sequence: string) =>
      `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":${sequence},"item_id":"msg_1","delta":${JSON.stringify(text)},"obfuscation":"p${sequence}"}\n\n`;
    const template = learned(delta('a', '4'), delta('b', '5'));
    expect(template.ready).toBe(true);
    expect(matchAll(template, delta('xyz', '10234'))).toBe(delta('xyz', '10234').length);
    for (const sequence of ['', '-1', '1.5', '1e3', '"7"', 'null', ' 7'])
      expect([sequence, matchAll(template, delta('x', sequence))]).toEqual([sequence, -1]);
    // Digits that run on from the common text: 19 and 21 differ in the run "19"/"21".
    const runOn = learned(delta('a', '19'), delta('b', '21'));
    expect(matchAll(runOn, delta('c', '3'))).toBe(delta('c', '3').length);
  });

  it('never takes a raw line end inside a hole', () => {
    const template = learned(obfuscatedChunk('a', 'b'), obfuscatedChunk('c', 'd'));
    expect(matchAll(template, obfuscatedChunk('x', 'y').replace('"x"', '"x\n"'))).toBe(-1);
    const twoEvents = latin1(obfuscatedChunk('x\n', 'y').replace('x\\n', 'x\n') + obfuscatedChunk('z', 'w'));
    expect(template.match(twoEvents, 0)).toBe(-1);
  });

  it.each([
    ['a finish reason', chatChunk('x', 'stop')],
    ['an error key', `data: {"error":{"code":"server_error","message":"boom"}}\n\n`],
    ['a content string ending in a backslash', chatChunk('a\\').replace('a\\\\', 'a\\')],
    ['an extra key after the content', chatChunk('x').replace('"content":"x"', '"content":"x","error":"y"')],
    ['a second line', chatChunk('x').replace('"content":"x', '"content":"x\ndata: {}')],
    ['a partial event', chatChunk('x').slice(0, -1)],
    ['[DONE]', 'data: [DONE]\n\n'],
    ['an event: field before the data', `event: error\n${chatChunk('x')}`],
  ])('does not match %s', (_name, text) => {
    expect(matchAll(learned(chatChunk('a'), chatChunk('b')), text)).toBe(-1);
  });

  it('never learns a key: events that differ in a key name teach nothing', () => {
    const template = learned('data: {"aaa":"x"}\n\n', 'data: {"bbb":"x"}\n\n');
    expect(template.ready).toBe(false);
    expect(matchAll(template, 'data: {"error":"x"}\n\n')).toBe(-1);
    // A string in an array is not a member's value either.
    expect(learned('data: {"a":["x"]}\n\n', 'data: {"a":["y"]}\n\n').ready).toBe(false);
  });

  it('learns the whole string even when the two contents share their first or last characters', () => {
    const template = learned(chatChunk(' the'), chatChunk(' model'));
    expect(matchAll(template, chatChunk(','))).toBe(bytes(chatChunk(',')).length);
    expect(matchAll(template, chatChunk(''))).toBe(bytes(chatChunk('')).length);
  });

  it.each([
    ['a negative number', '"n":-1', '"n":-2'],
    ['a fraction that differs after the point', '"n":1.5', '"n":1.7'],
    ['an exponent', '"n":1e5', '"n":1e6'],
    ['a boolean', '"n":true', '"n":false'],
    ['a number in an array', '"n":[1]', '"n":[2]'],
    ['null against a number', '"n":null', '"n":1'],
    ['a string against a number', '"n":"1"', '"n":1'],
  ])('learns nothing from values that are not strings or unsigned integers: %s', (_name, a, b) => {
    const shaped = (member: string) => latin1(`data: {"c":"x",${member}}\n\n`);
    expect(buildTemplate(shaped(a), shaped(b))).toBe(undefined);
  });

  it('learns nothing from events whose difference is not inside a member value', () => {
    // Two lines.
    expect(buildTemplate(latin1(': x\ndata: {"c":"a"}\n\n'), latin1(': x\ndata: {"c":"b"}\n\n'))).toBe(
      undefined,
    );
    // A string that never closes.
    expect(buildTemplate(latin1('data: {"c":"a\\"}\n\n'), latin1('data: {"c":"b\\"}\n\n'))).toBe(undefined);
    // CR line ends.
    expect(buildTemplate(latin1('data: {"c":"a"}\r\n\r\n'), latin1('data: {"c":"b"}\r\n\r\n'))).toBe(
      undefined,
    );
  });

  it('does not learn from an event that is not a data line, or too long', () => {
    const template = new EventTemplate();
    template.learn(latin1(': keep-alive\n\n'));
    template.learn(latin1(': keep-alive\n\n'));
    expect(template.ready).toBe(false);
    const long = chatChunk('x'.repeat(5000));
    template.learn(latin1(long));
    template.learn(latin1(long.replace('xxx', 'yyy')));
    expect(template.ready).toBe(false);
  });

  it('matches nothing before it has learned', () => {
    expect(matchAll(new EventTemplate(), chatChunk('a'))).toBe(-1);
  });

  it('learns from events up to MAX_LEARNED_EVENT_LENGTH characters, not longer', () => {
    const sized = (content: string, length: number) => {
      const text = chatChunk(content);
      return text.replace(
        `"content":"${content}"`,
        `"content":"${content}${'x'.repeat(length - text.length)}"`,
      );
    };
    const atLimit = learned(sized('a', MAX_LEARNED_EVENT_LENGTH), sized('b', MAX_LEARNED_EVENT_LENGTH));
    expect(atLimit.ready).toBe(true);
    const over = learned(sized('a', MAX_LEARNED_EVENT_LENGTH + 1), sized('b', MAX_LEARNED_EVENT_LENGTH + 1));
    expect(over.ready).toBe(false);
  });

  it('finds the differing string past escaped quotes earlier in the event', () => {
    const shaped = (content: string) => `data: {"a":"say \\"hi\\" {\\"x\\":1}","c":"${content}","d":1}\n\n`;
    const template = learned(shaped('A'), shaped('B'));
    expect(template.ready).toBe(true);
    expect(matchAll(template, shaped('zz'))).toBe(shaped('zz').length);
    expect(matchAll(template, shaped('zz').replace('"d":1', '"e":1'))).toBe(-1);
  });

  it.each([
    ['a space after the colon', (c: string) => `data: {"c": "${c}"}\n\n`],
    ['a tab after the colon', (c: string) => `data: {"c":\t"${c}"}\n\n`],
  ])('learns a member value with %s', (_name, shaped) => {
    const template = learned(shaped('A'), shaped('B'));
    expect(matchAll(template, shaped('zz'))).toBe(shaped('zz').length);
  });

  it.each([
    ['a bare JSON string as the whole value', (c: string) => `data: "${c}"\n\n`],
    ['an array element', (c: string) => `data: {"c":["${c}"]}\n\n`],
    ['a key', (c: string) => `data: {"${c}":1}\n\n`],
  ])('does not learn %s', (_name, shaped) => {
    expect(learned(shaped('A'), shaped('B')).ready).toBe(false);
  });

  it.each([
    ["a raw line end in the first event's string", 'data: {"c":"a\nb"}\n\n', 'data: {"c":"x"}\n\n'],
    ["a raw line end in the second event's string", 'data: {"c":"x"}\n\n', 'data: {"c":"a\nb"}\n\n'],
    ['a CR in the string', 'data: {"c":"a\rb"}\n\n', 'data: {"c":"x"}\n\n'],
    [
      'a second line after the string',
      'data: {"c":"a",\ndata: "d":1}\n\n',
      'data: {"c":"b",\ndata: "d":1}\n\n',
    ],
    ['no blank line at the end', 'data: {"c":"a"}\n', 'data: {"c":"b"}\n'],
    ['different endings', 'data: {"c":"a","d":true}\n\n', 'data: {"c":"b","d":false}\n\n'],
    ['a second event shorter than the shape', 'data: {"c":"abc"}\n\n', 'data: {"c":'],
    ['identical events', 'data: {"c":"a"}\n\n', 'data: {"c":"a"}\n\n'],
    ['a comment line, not a data line', ': x {"c":"a"}\n\n', ': x {"c":"b"}\n\n'],
    ['an empty number in the first event', 'data: {"n":,"c":"a"}\n\n', 'data: {"n":5,"c":"a"}\n\n'],
    ['an empty number in the second event', 'data: {"n":5,"c":"a"}\n\n', 'data: {"n":,"c":"a"}\n\n'],
    ['a difference right after a number', 'data: {"n":1,"c":"a"}\n\n', 'data: {"n":2}\n\n'],
    [
      'an empty number after a string of another length',
      'data: {"c":"a","n":5}\n\n',
      'data: {"c":"bbb","n":}\n\n',
    ],
  ])('builds no template from %s', (_name, first, second) => {
    expect(buildTemplate(latin1(first), latin1(second))).toBe(undefined);
  });

  it(`stops learning after ${MAX_FAILED_LEARNS} pairs in a row that yield no template (events that differ in two places)`, () => {
    const numbered = (n: number, c = 'x') => `data: {"n":[${n}],"c":"${c}"}\n\n`;
    // Learning `count` numbered events, then two that differ only in the string: the first of those
    // two still fails against the last numbered one.
    const learnedAfter = (count: number) => {
      const template = new EventTemplate();
      for (let n = 0; n < count; n++) template.learn(latin1(numbered(n)));
      template.learn(latin1(numbered(99, 'a')));
      template.learn(latin1(numbered(99, 'b')));
      return template;
    };
    // count - 1 failures among the numbered events, one more against (99, 'a').
    expect(learnedAfter(MAX_FAILED_LEARNS).ready).toBe(false);
    expect(learnedAfter(MAX_FAILED_LEARNS).learning).toBe(false);
    expect(learnedAfter(MAX_FAILED_LEARNS - 1).ready).toBe(true);
    expect(learnedAfter(MAX_FAILED_LEARNS - 1).learning).toBe(false);
    expect(new EventTemplate().learning).toBe(true);
    const failedOnce = new EventTemplate();
    for (let n = 0; n < MAX_FAILED_LEARNS; n++) failedOnce.learn(latin1(numbered(n)));
    expect(failedOnce.learning).toBe(true);
    failedOnce.learn(latin1(numbered(MAX_FAILED_LEARNS)));
    expect(failedOnce.learning).toBe(false);

    // A template resets the count: failures before and after it do not add up.
    const template = learnedAfter(MAX_FAILED_LEARNS - 1);
    for (let n = 0; n < MAX_FAILED_LEARNS - 2; n++) template.learn(latin1(numbered(n)));
    template.learn(latin1(chatChunk('a')));
    template.learn(latin1(chatChunk('b')));
    expect(matchAll(template, chatChunk('c'))).toBe(bytes(chatChunk('c')).length);
  });

  it('keeps its template when a later pair yields none', () => {
    const template = learned(chatChunk('a'), chatChunk('b'));
    template.learn(latin1('data: {"n":[1]}\n\n'));
    template.learn(latin1('data: {"n":[2]}\n\n'));
    expect(matchAll(template, chatChunk('c'))).toBe(bytes(chatChunk('c')).length);
  });

  it('learns the shape of named events, and matches only events with the same name', () => {
    const template = learned(anthropicTextDelta('a'), anthropicTextDelta('b'));
    expect(template.ready).toBe(true);
    expect(matchAll(template, anthropicTextDelta('say "hi"'))).toBe(
      bytes(anthropicTextDelta('say "hi"')).length,
    );
    expect(matchAll(template, anthropicTextDelta('x').replace('content_block_delta\n', 'error\n'))).toBe(-1);
    expect(matchAll(template, anthropicTextDelta('xQy').replace('Q', '\n'))).toBe(-1);
    expect(
      learned(anthropicTextDelta('a'), anthropicTextDelta('a').replace('content_block_delta\n', 'ping\n'))
        .ready,
    ).toBe(false);
    expect(learned(`: x\n${anthropicTextDelta('a')}`, `: x\n${anthropicTextDelta('b')}`).ready).toBe(false);
  });

  it.each([
    ['a plain string', '"abc"', 4],
    ['an escaped quote', '"a\\"b"', 5],
    ['an escaped backslash before the quote', '"a\\\\"b"', 4],
    ['three backslashes: an escaped backslash and an escaped quote', '"a\\\\\\"b"', 7],
    ['an empty string', '""', 1],
    ['no closing quote', '"abc', -1],
    ['only an escaped quote', '"ab\\"', -1],
  ])('stringEnd: %s', (_name, text, end) => {
    expect(stringEnd(text, 1)).toBe(end);
  });

  it('learns and matches events with non-ASCII text outside the holes (their latin1 view)', () => {
    const shaped = (content: string) => `data: {"model":"modèle-ü","c":${JSON.stringify(content)}}\n\n`;
    const template = learned(shaped('a'), shaped('b'));
    expect(matchAll(template, shaped('zz'))).toBe(bytes(shaped('zz')).length);
  });

  it('finds the differing string after an odd number of escaped quotes', () => {
    const shaped = (content: string) => `data: {"a":"1\\"","c":"${content}"}\n\n`;
    const template = learned(shaped('A'), shaped('B'));
    expect(template.ready).toBe(true);
    expect(matchAll(template, shaped('zz'))).toBe(shaped('zz').length);
    // One hole, the value of "c": the string before it stays literal.
    expect(buildTemplate(latin1(shaped('A')), latin1(shaped('B')))?.segments).toEqual([
      'data: {"a":"1\\"","c":"',
      '"}\n\n',
    ]);
    // Past an odd number of escaped quotes, a key is still not a value.
    const keyed = (key: string) => `data: {"a":"1\\"","${key}":1}\n\n`;
    expect(learned(keyed('A'), keyed('B')).ready).toBe(false);
  });

  it('learns a number after a string hole whose contents differ in length', () => {
    const shaped = (content: string, n: number) => `data: {"c":"${content}","n":${n},"d":"x"}\n\n`;
    const template = learned(shaped('a', 1), shaped('bbbb', 2));
    expect(buildTemplate(latin1(shaped('a', 1)), latin1(shaped('bbbb', 2)))?.numeric).toEqual([false, true]);
    expect(matchAll(template, shaped('zz', 345))).toBe(shaped('zz', 345).length);
    expect(matchAll(template, shaped('zz', 345).replace('"d":"x"', '"d":"y"'))).toBe(-1);
  });

  /** Arbitrary text, heavy on the characters that matter to JSON's structure. */
  const middleBytes = fc
    .array(
      fc.oneof(
        fc.constantFrom('"', '\\', '\\"', '\\\\', '\n', '\r', 'a', ' ', '{', '}', ':', ',', 'é', '"error":1'),
        fc.string({ unit: 'binary', maxLength: 3 }),
      ),
      { maxLength: 12 },
    )
    .map((parts) => parts.join(''));

  /** The JSON of an event's data line, or undefined where JSON.parse (what SDKs call) rejects it. */
  function dataOf(text: string): unknown {
    try {
      return JSON.parse(text.slice('data: '.length, -2));
    } catch {
      return undefined;
    }
  }

  it('matches exactly the events with the learned JSON structure, whatever the bytes in the strings (property)', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 12 });
    const empty = obfuscatedChunk('', '');
    const contentAt = empty.indexOf('"content":"') + '"content":"'.length;
    const paddingAt = empty.indexOf('"obfuscation":"') + '"obfuscation":"'.length;
    fc.assert(
      fc.property(text, text, text, text, middleBytes, middleBytes, (a, b, pa, pb, content, padding) => {
        fc.pre(a !== b && pa !== pb && !`${content}${padding}`.includes('\r')); // the caller rules out CR
        const template = learned(obfuscatedChunk(a, pa), obfuscatedChunk(b, pb));
        const candidate = `${empty.slice(0, contentAt)}${content}${empty.slice(contentAt, paddingAt)}${padding}${empty.slice(paddingAt)}`;
        const end = matchAll(template, candidate);
        // Same document as a generated event with the parsed strings in their places.
        const parsed = dataOf(candidate) as {
          choices?: { delta?: { content?: unknown } }[];
          obfuscation?: unknown;
        };
        const parsedContent = parsed?.choices?.[0]?.delta?.content;
        const sameShape =
          typeof parsedContent === 'string' &&
          typeof parsed?.obfuscation === 'string' &&
          JSON.stringify(parsed) ===
            JSON.stringify(dataOf(obfuscatedChunk(parsedContent, parsed.obfuscation)));
        if (sameShape) expect(end).toBe(bytes(candidate).length);
        if (end === -1) return;
        expect(end).toBe(bytes(candidate).length);
        // Never another structure, never a second line: what a match lets through, an SDK cannot parse.
        expect(parsed === undefined || sameShape).toBe(true);
        expect(candidate.indexOf('\n')).toBe(candidate.length - 2);
      }),
      { numRuns: runs(3_000) },
    );
  });

  it('matches exactly the events with the learned JSON structure, numbers in their holes included (property)', () => {
    const delta = (text: string, sequence: string, padding: string) =>
      `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":${sequence},"delta":${text},"obfuscation":${padding}}\n\n`;
    const jsonString = fc.string({ unit: 'grapheme', maxLength: 8 }).map((text) => JSON.stringify(text));
    const numberText = fc.oneof(
      fc.nat().map(String),
      fc.constantFrom('', '-1', '1.5', '01', '1e3', '"1"', 'null', '1 ', '9'.repeat(20)),
    );
    const stringText = fc.oneof(
      jsonString,
      middleBytes.map((middle) => `"${middle}"`),
    );
    fc.assert(
      fc.property(
        fc.tuple(fc.nat(), fc.nat()),
        fc.tuple(jsonString, jsonString),
        numberText,
        stringText,
        stringText,
        ([s1, s2], [t1, t2], sequence, text, padding) => {
          fc.pre(s1 !== s2 && t1 !== t2 && !`${text}${padding}`.includes('\r'));
          const template = learned(delta(t1, String(s1), t2), delta(t2, String(s2), t1));
          const candidate = delta(text, sequence, padding);
          const end = matchAll(template, candidate);
          const dataLine = candidate.slice(candidate.indexOf('\n') + 1);
          const parsed = dataOf(dataLine) as {
            sequence_number?: unknown;
            delta?: unknown;
            obfuscation?: unknown;
          };
          const sameShape =
            typeof parsed?.sequence_number === 'number' &&
            typeof parsed?.delta === 'string' &&
            typeof parsed?.obfuscation === 'string' &&
            JSON.stringify(parsed) ===
              JSON.stringify(
                dataOf(
                  delta(
                    JSON.stringify(parsed.delta),
                    String(parsed.sequence_number),
                    JSON.stringify(parsed.obfuscation),
                  ).slice(candidate.indexOf('\n') + 1),
                ),
              );
          // Where the number is written as a plain unsigned integer, the event must match.
          if (sameShape && /^(0|[1-9][0-9]*)$/.test(sequence)) expect(end).toBe(bytes(candidate).length);
          if (end === -1) return;
          expect(end).toBe(bytes(candidate).length);
          expect(parsed === undefined || sameShape).toBe(true);
          expect(dataLine.indexOf('\n')).toBe(dataLine.length - 2);
        },
      ),
      { numRuns: runs(3_000) },
    );
  });
});
