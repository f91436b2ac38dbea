import { createParser } from 'eventsource-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asBuffer, type SseEvent, SseParser } from '../../src/sse/parser.ts';

/**
 * Property-test runs: a tenth under `npm run mutate` (MUTATE_GROUP is set), where every mutant that
 * survives the example tests re-runs them (docs/mutation.md).
 */
const runs = (count: number): number =>
  process.env.MUTATE_GROUP === undefined ? count : Math.ceil(count / 10);

interface Parsed {
  events: SseEvent[];
  dropped: number[];
  linesDropped: number;
}

function parseChunks(chunks: readonly Uint8Array[], maxLineBytes?: number): Parsed {
  const events: SseEvent[] = [];
  const dropped: number[] = [];
  const parser = new SseParser({
    onEvent: (event) => events.push(event),
    onLineDropped: (byteLength) => dropped.push(byteLength),
    ...(maxLineBytes === undefined ? {} : { maxLineBytes }),
  });
  for (const chunk of chunks) parser.feed(chunk);
  parser.end();
  return { events, dropped, linesDropped: parser.linesDropped };
}

function parse(...chunks: (string | number[])[]): SseEvent[] {
  return parseChunks(
    chunks.map((chunk) => (typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk))),
  ).events;
}

function ev(data: string, event?: string, id?: string): SseEvent {
  return { event, data, id };
}

function bytesOf(text: string, bom: boolean): Buffer {
  const body = Buffer.from(text);
  return bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]) : body;
}

/** Cuts `bytes` into pieces of the given sizes, cycling through them. */
function split(bytes: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length] ?? 1;
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

function oneByteChunks(bytes: Uint8Array): Uint8Array[] {
  return split(bytes, [1]);
}

describe('SseParser: the event-stream rules', () => {
  it('dispatches an event on a blank line', () => {
    expect(parse('data: hello\n\n')).toEqual([ev('hello')]);
  });

  it('removes exactly one leading space from a value', () => {
    expect(parse('data:hello\n\ndata: hello\n\ndata:  hello\n\n')).toEqual([
      ev('hello'),
      ev('hello'),
      ev(' hello'),
    ]);
  });

  it('joins multi-line data with \\n', () => {
    expect(parse('data: first\ndata:\ndata: third\n\n')).toEqual([ev('first\n\nthird')]);
  });

  it('accepts \\n, \\r\\n and \\r line ends, mixed', () => {
    expect(parse('data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\r')).toEqual([ev('a\nb\nc'), ev('d')]);
  });

  it('treats a \\r at a chunk end and a \\n starting the next chunk as one line end', () => {
    expect(parse('data: a\r', '\ndata: b\r', '\n\r', '\n')).toEqual([ev('a\nb')]);
  });

  it('treats a \\r at a chunk end followed by another line as a line end', () => {
    expect(parse('data: a\r', 'data: b\r', '\r')).toEqual([ev('a\nb')]);
  });

  it('ignores comments, also between data lines', () => {
    expect(parse(': OPENROUTER PROCESSING\n\n:\n\ndata: a\n: keep-alive\ndata: b\n\n')).toEqual([ev('a\nb')]);
  });

  it('reports event names and resets them after each event', () => {
    expect(parse('event: error\ndata: x\n\ndata: y\n\nevent:\ndata: z\n\n')).toEqual([
      ev('x', 'error'),
      ev('y'),
      ev('z'),
    ]);
  });

  it('keeps the last event id across events and ignores ids containing NUL', () => {
    expect(parse('id: 1\ndata: a\n\ndata: b\n\nid: 2\u0000\ndata: c\n\nid\ndata: d\n\n')).toEqual([
      ev('a', undefined, '1'),
      ev('b', undefined, '1'),
      ev('c', undefined, '1'),
      ev('d', undefined, ''),
    ]);
  });

  it('ignores retry and unknown fields', () => {
    expect(parse('retry: 1000\nfoo: bar\nDATA: no\ndata : no\ndata: yes\n\n')).toEqual([ev('yes')]);
  });

  it('reads a field without a colon as the field name with an empty value', () => {
    expect(parse('data\n\ndata\ndata\n\nevent\ndata: x\n\n')).toEqual([ev(''), ev('\n'), ev('x')]);
  });

  it('does not dispatch an event without data, and forgets its event name', () => {
    expect(parse('event: ping\n\ndata: x\n\nid: 7\n\n')).toEqual([ev('x')]);
  });

  it('dispatches [DONE] as an ordinary event', () => {
    expect(parse('data: [DONE]\n\n')).toEqual([ev('[DONE]')]);
  });

  it('strips a UTF-8 BOM at the stream start only, even split across chunks', () => {
    expect(parse([0xef], [0xbb], [0xbf], 'data: a\n\n')).toEqual([ev('a')]);
    // a second BOM is text: the line's field name is "\uFEFFdata", an unknown field
    expect(parse([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf], 'data: a\n\ndata: b\n\n')).toEqual([ev('b')]);
    expect(parse('data: \uFEFFa\n\n')).toEqual([ev('\uFEFFa')]);
  });

  it('reads the bytes of an incomplete BOM as text', () => {
    expect(parse([0xef, 0xbb], ':\ndata: a\n\n')).toEqual([ev('a')]);
    expect(parse([0xef, 0xbb, 0x0a], 'data: a\n\n')).toEqual([ev('a')]);
    // Kept as text, the two bytes make the first line's field name unknown.
    expect(parse([0xef, 0xbb], 'data: a\n\ndata: b\n\n')).toEqual([ev('b')]);
  });

  it('decodes characters split across chunks', () => {
    const bytes = Buffer.from('data: €😀𝄞世\n\n');
    expect(parseChunks(oneByteChunks(bytes)).events).toEqual([ev('€😀𝄞世')]);
  });

  it('replaces invalid UTF-8 instead of throwing', () => {
    expect(parse([0x64, 0x61, 0x74, 0x61, 0x3a, 0xff, 0x41, 0xc3, 0x0a, 0x0a])).toEqual([
      ev('\uFFFDA\uFFFD'),
    ]);
    expect(parse([0x64, 0x61, 0x74, 0x61, 0x3a, 0xf0, 0x9f], [0x0a, 0x0a])).toEqual([ev('\uFFFD')]);
  });

  it('reads plain Uint8Array chunks, also views into a larger buffer', () => {
    const backing = new TextEncoder().encode('xxdata: a\n\nxx');
    expect(parseChunks([backing.subarray(2, 12)]).events).toEqual([ev('a')]);
  });

  it('discards an unterminated event and partial line at end(), then reads a new stream', () => {
    const events: SseEvent[] = [];
    const parser = new SseParser({ onEvent: (event) => events.push(event) });
    parser.feed(Buffer.from('id: 1\ndata: a\n\ndata: incomplete\n\ndata: b\ndata: partial'));
    parser.end();
    parser.feed(Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from('data: c\n\n')]));
    expect(events).toEqual([ev('a', undefined, '1'), ev('incomplete', undefined, '1'), ev('c')]);
  });

  it('loses only the rest of the chunk when onEvent throws', () => {
    const seen: string[] = [];
    const parser = new SseParser({
      onEvent: (event) => {
        seen.push(event.data);
        if (event.data === 'a') throw new Error('consumer failed');
      },
    });
    expect(() => parser.feed(Buffer.from('data: a\n\ndata: b\n\n'))).toThrow('consumer failed');
    parser.feed(Buffer.from('data: c\n\n'));
    expect(seen).toEqual(['a', 'c']);
  });

  it('rejects a maxLineBytes that is not a positive integer', () => {
    expect(() => new SseParser({ onEvent: () => {}, maxLineBytes: 0 })).toThrow(
      'SseParser: maxLineBytes must be a positive integer, got 0',
    );
    for (const bad of [-1, 1.5, Number.NaN]) {
      expect(() => new SseParser({ onEvent: () => {}, maxLineBytes: bad })).toThrow(RangeError);
    }
    expect(parseChunks([Buffer.from('data:x\n\n')], 1).events).toEqual([]);
  });

  it('ignores empty chunks', () => {
    expect(parse('data: a', '', '\n', '', '\n')).toEqual([ev('a')]);
  });

  it('reads field names exactly (case and spelling)', () => {
    expect(
      parse(
        'Data: no\ndatA: no\nevent: e\ndata: yes\n\n',
        'Event: x\nevenT: x\nId: 9\niD: 9\nid: 1\ndata: b\n\n',
      ),
    ).toEqual([ev('yes', 'e'), ev('b', undefined, '1')]);
    expect(parse('dat: x\ndata2: x\ndata\n\n')).toEqual([ev('')]);
    expect(parse('dbta: x\ndasa: x\ndatb: x\neventy: x\nevant: x\ni: x\nidd: x\nxd: x\nie: x\n\n')).toEqual(
      [],
    );
    expect(
      parse(
        'data: a\nfvent: x\newent: x\nevant: x\neveot: x\nevena: x\nxata: 1\ndxta: 1\ndaxa: 1\ndatx: 1\n\n',
      ),
    ).toEqual([ev('a')]);
    expect(parse('xd: 1\nie: 2\ndata: a\n\n')).toEqual([ev('a')]);
  });

  it('keeps a value of only a colon or a space', () => {
    expect(parse('data::\n\ndata:  \n\ndata\n\n')).toEqual([ev(':'), ev(' '), ev('')]);
  });

  it('takes the event name and id after the first colon, one leading space removed', () => {
    expect(parse('event:  spaced\nid:  7\ndata: x\n\n')).toEqual([ev('x', ' spaced', ' 7')]);
    expect(parse('event:a:b\nid:c:d\ndata:e:f\n\n')).toEqual([ev('e:f', 'a:b', 'c:d')]);
  });

  it('keeps the last event id once set, even through an empty id', () => {
    expect(parse('id: 5\ndata: a\n\nid\ndata: b\n\n')).toEqual([
      ev('a', undefined, '5'),
      ev('b', undefined, ''),
    ]);
  });

  it('reads an event split after a lone CR followed by more text in the next chunk', () => {
    expect(parse('data: a\r', 'data: b\r', '\r')).toEqual([ev('a\nb')]);
    expect(parse('data: a\r', '\n', '\r\n')).toEqual([ev('a')]);
  });
});

describe('SseParser: atEventBoundary', () => {
  const fed = (...chunks: string[]): SseParser => {
    const parser = new SseParser({ onEvent: () => {} });
    for (const chunk of chunks) parser.feed(Buffer.from(chunk));
    return parser;
  };

  it('is false before the first byte (a BOM may still come) and true after a complete event', () => {
    expect(fed().atEventBoundary).toBe(false);
    expect(fed('data: a\n\n').atEventBoundary).toBe(true);
    expect(fed('data: a\n\n: keep-alive\n').atEventBoundary).toBe(true);
    expect(fed('\n').atEventBoundary).toBe(true);
  });

  it('is false while anything is pending', () => {
    expect(fed('data: a').atEventBoundary).toBe(false);
    expect(fed('data: a\n').atEventBoundary).toBe(false);
    expect(fed('event: x\n').atEventBoundary).toBe(false);
    expect(fed('data: a\n\r').atEventBoundary).toBe(false);
    expect(fed('\xef').atEventBoundary).toBe(false);
    const dropping = new SseParser({ onEvent: () => {}, maxLineBytes: 4 });
    dropping.feed(Buffer.from('data: 12345'));
    expect(dropping.atEventBoundary).toBe(false);
    dropping.feed(Buffer.from('\n'));
    expect(dropping.atEventBoundary).toBe(true);
  });

  it('is true again once a CR line end is resolved, and false again after end()', () => {
    expect(fed('data: a\n\r', '\n').atEventBoundary).toBe(true);
    const parser = fed('data: a\n\n');
    parser.end();
    expect(parser.atEventBoundary).toBe(false);
  });
});

describe('SseParser: memory held', () => {
  it('holds nothing before a partial line, 256 bytes for a short one, never more than maxLineBytes', () => {
    const parser = new SseParser({ onEvent: () => {} });
    expect(parser.retainedBytes).toBe(0);
    parser.feed(Buffer.from('data: a\n\n'));
    expect(parser.retainedBytes).toBe(0);
    parser.feed(Buffer.from('data: partial'));
    expect(parser.retainedBytes).toBe(256);
    const small = new SseParser({ onEvent: () => {}, maxLineBytes: 100 });
    small.feed(Buffer.from('data: partial'));
    expect(small.retainedBytes).toBe(100);
  });

  it('keeps a buffer that fits the completed line exactly', () => {
    const parser = new SseParser({ onEvent: () => {} });
    parser.feed(Buffer.from(`data: ${'x'.repeat(250)}`));
    expect(parser.retainedBytes).toBe(256);
    parser.feed(Buffer.from('\n\n'));
    expect(parser.retainedBytes).toBe(256);
  });

  it('keeps the held bytes when the buffer grows', () => {
    const events: SseEvent[] = [];
    const parser = new SseParser({ onEvent: (event) => events.push(event) });
    parser.feed(Buffer.from(`data: ${'x'.repeat(250)}`));
    parser.feed(Buffer.from('y'.repeat(10)));
    parser.feed(Buffer.from('z\n\n'));
    expect(events).toEqual([ev(`${'x'.repeat(250)}${'y'.repeat(10)}z`)]);
  });

  it('grows by doubling, keeps a buffer up to 64 KiB for the next line and releases a larger one', () => {
    const parser = new SseParser({ onEvent: () => {} });
    parser.feed(Buffer.from(`data: ${'x'.repeat(250)}`));
    parser.feed(Buffer.from('x'.repeat(10)));
    expect(parser.retainedBytes).toBe(512);
    // The line completes at exactly 64 KiB (266 bytes held + 65270): that buffer is kept.
    parser.feed(Buffer.from(`${'x'.repeat(64 * 1024 - 266)}\n\n`));
    expect(parser.retainedBytes).toBe(64 * 1024);
    parser.feed(Buffer.from(`data: ${'y'.repeat(64 * 1024)}`));
    expect(parser.retainedBytes).toBe(128 * 1024);
    parser.feed(Buffer.from('\n\n'));
    expect(parser.retainedBytes).toBe(0);
  });

  it('releases a large buffer when its line turns out too long, and at end()', () => {
    const parser = new SseParser({ onEvent: () => {}, maxLineBytes: 100 * 1024 });
    parser.feed(Buffer.from(`data: ${'x'.repeat(80 * 1024)}`));
    expect(parser.retainedBytes).toBe(80 * 1024 + 6);
    parser.feed(Buffer.from('x'.repeat(30 * 1024)));
    expect(parser.retainedBytes).toBe(0);
    expect(parser.linesDropped).toBe(0);
    parser.feed(Buffer.from('\n'));
    expect(parser.linesDropped).toBe(1);
    parser.feed(Buffer.from(`data: ${'z'.repeat(80 * 1024)}`));
    parser.feed(Buffer.from(`${'z'.repeat(30 * 1024)}\n`));
    expect(parser.linesDropped).toBe(2);
    expect(parser.retainedBytes).toBe(0);
    parser.feed(Buffer.from('data: partial'));
    parser.end();
    expect(parser.retainedBytes).toBe(0);
  });

  it('counts dropped lines without an onLineDropped callback', () => {
    const parser = new SseParser({ onEvent: () => {}, maxLineBytes: 4 });
    parser.feed(Buffer.from('data: 12345\n\n'));
    expect(parser.linesDropped).toBe(1);
  });
});

describe('asBuffer', () => {
  it('returns a Buffer as is and wraps other views without copying', () => {
    const buffer = Buffer.from('abc');
    expect(asBuffer(buffer)).toBe(buffer);
    const backing = new Uint8Array([0x61, 0x62, 0x63, 0x64]);
    const view = asBuffer(backing.subarray(1, 3));
    expect(Buffer.isBuffer(view)).toBe(true);
    expect(view.toString('latin1')).toBe('bc');
    backing[1] = 0x7a;
    expect(view.toString('latin1')).toBe('zc');
  });
});

describe('SseParser: the line bound', () => {
  it('keeps a line of exactly maxLineBytes and drops a longer one', () => {
    const result = parseChunks([Buffer.from('data:12345\n\ndata:123456\n\ndata: ok\n\n')], 10);
    expect(result).toEqual({ events: [ev('12345'), ev('ok')], dropped: [11], linesDropped: 1 });
  });

  it('drops an over-long line that arrives across chunks and ends with \\r at a chunk end', () => {
    const result = parseChunks(
      ['data: 0123', '456789', 'abc\r', '\ndata: ok\r\n\r\n'].map((s) => Buffer.from(s)),
      8,
    );
    expect(result).toEqual({ events: [ev('ok')], dropped: [19], linesDropped: 1 });
  });

  it('keeps event data of exactly maxLineBytes', () => {
    const result = parseChunks([Buffer.from('data:12345\ndata:6789\n\n')], 10);
    expect(result).toEqual({ events: [ev('12345\n6789')], dropped: [], linesDropped: 0 });
  });

  it('drops a data line that would make the event data exceed the bound', () => {
    const result = parseChunks([Buffer.from('data:123456\ndata:789012\ndata:\n\n')], 12);
    expect(result).toEqual({ events: [ev('123456\n')], dropped: [11], linesDropped: 1 });
  });

  it('counts a line still being dropped when the stream ends', () => {
    const result = parseChunks([Buffer.from('data: a\n\ndata: 0123456789')], 8);
    expect(result).toEqual({ events: [ev('a')], dropped: [16], linesDropped: 1 });
  });

  it('drops a 5 MB line that arrives in 64 KiB chunks without buffering it, then reads on', () => {
    const line = `data: ${'x'.repeat(5 * 1024 * 1024)}\n\n`;
    const stream = Buffer.from(`data: before\n\n${line}: comment\ndata: after\n\n`);
    const events: SseEvent[] = [];
    const dropped: number[] = [];
    const parser = new SseParser({
      onEvent: (event) => events.push(event),
      onLineDropped: (byteLength) => dropped.push(byteLength),
    });
    let largestRetained = 0;
    for (const chunk of split(stream, [64 * 1024])) {
      parser.feed(chunk);
      largestRetained = Math.max(largestRetained, parser.retainedBytes);
    }
    parser.end();
    expect(events).toEqual([ev('before'), ev('after')]);
    expect(dropped).toEqual([5 * 1024 * 1024 + 6]);
    expect(parser.linesDropped).toBe(1);
    expect(largestRetained).toBeLessThanOrEqual(1024 * 1024);
    expect(parser.retainedBytes).toBe(0);
  });
});

// --- properties ------------------------------------------------------------------------------------

const character = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('a', 'Z', ' ', ':', '0', '"', '{', '}') },
  { weight: 2, arbitrary: fc.constantFrom('é', '€', '世', '😀', '𝄞', '\u0000', '\uFEFF', '\u00ff') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);
const text = fc.string({ unit: character, maxLength: 12 }).map((value) => value.replace(/[\r\n]/g, '_'));
const fieldName = fc.constantFrom('data', 'data', 'data', 'event', 'id', 'retry', 'x-unknown', 'Data', 'dat');
const line = fc.oneof(
  { weight: 3, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: text.map((comment) => `:${comment}`) },
  { weight: 6, arbitrary: fc.tuple(fieldName, text).map(([name, value]) => `${name}:${value}`) },
  { weight: 1, arbitrary: fieldName },
);
const lineEnd = fc.constantFrom('\n', '\n', '\r\n', '\r');

interface StreamCase {
  lines: string[];
  ends: string[];
  tail: string;
  bom: boolean;
}

/** The stream's text, without BOM. */
function render(c: StreamCase): string {
  return c.lines.map((text, i) => text + (c.ends[i] ?? '\n')).join('') + c.tail;
}

const streamCase: fc.Arbitrary<StreamCase> = fc
  .record({
    lines: fc.array(line, { maxLength: 30 }),
    ends: fc.array(lineEnd, { minLength: 30, maxLength: 30 }),
    tail: fc.oneof(
      fc.constant(''),
      text.map((value) => `data:${value}x`),
    ),
    bom: fc.boolean(),
  })
  .map(({ lines, ends, tail, bom }) => {
    // A "\r" line end followed by an empty "\n"-ended line would read as one "\r\n": make that "\r\r".
    const used = lines.map((_, i) => ends[i] ?? '\n');
    for (let i = 1; i < used.length; i++) {
      if (used[i - 1] === '\r' && lines[i] === '' && used[i] === '\n') used[i] = '\r';
    }
    return { lines, ends: used, tail, bom };
  });
const chunkSizes = fc.array(fc.integer({ min: 1, max: 24 }), { minLength: 1, maxLength: 12 });

/** The spec on whole decoded lines, with the parser's byte bound: the oracle for the properties. */
function model(c: StreamCase, maxLineBytes = Number.POSITIVE_INFINITY): Parsed {
  const events: SseEvent[] = [];
  const dropped: number[] = [];
  let data: string[] = [];
  let dataBytes = 0;
  let eventType = '';
  let lastId: string | undefined;
  for (const raw of c.lines) {
    const lineBytes = Buffer.byteLength(raw);
    if (lineBytes > maxLineBytes) {
      dropped.push(lineBytes);
      continue;
    }
    if (raw === '') {
      if (data.length > 0) events.push(ev(data.join('\n'), eventType === '' ? undefined : eventType, lastId));
      data = [];
      dataBytes = 0;
      eventType = '';
      continue;
    }
    if (raw.startsWith(':')) continue;
    const colon = raw.indexOf(':');
    const name = colon === -1 ? raw : raw.slice(0, colon);
    let value = colon === -1 ? '' : raw.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'data') {
      const total = (data.length > 0 ? dataBytes + 1 : 0) + Buffer.byteLength(value);
      if (total > maxLineBytes) dropped.push(lineBytes);
      else {
        data.push(value);
        dataBytes = total;
      }
    } else if (name === 'event') eventType = value;
    else if (name === 'id' && !value.includes('\u0000')) lastId = value;
  }
  const tailBytes = Buffer.byteLength(c.tail);
  if (tailBytes > maxLineBytes) dropped.push(tailBytes);
  return { events, dropped, linesDropped: dropped.length };
}

describe('SseParser: properties', () => {
  it('yields the spec events for any stream, whole, byte by byte or in random chunks', () => {
    fc.assert(
      fc.property(streamCase, chunkSizes, (c, sizes) => {
        const bytes = bytesOf(render(c), c.bom);
        const expected = model(c);
        expect(parseChunks([bytes])).toEqual(expected);
        expect(parseChunks(oneByteChunks(bytes))).toEqual(expected);
        expect(parseChunks(split(bytes, sizes))).toEqual(expected);
      }),
      { numRuns: runs(4000) },
    );
  });

  it('applies the line bound the same way for any chunking, and never retains more than the bound', () => {
    fc.assert(
      fc.property(streamCase, chunkSizes, fc.integer({ min: 1, max: 24 }), (c, sizes, maxLineBytes) => {
        const bytes = bytesOf(render(c), c.bom);
        const expected = model(c, maxLineBytes);
        expect(parseChunks([bytes], maxLineBytes)).toEqual(expected);
        const parser = new SseParser({ onEvent: () => {}, maxLineBytes });
        for (const chunk of split(bytes, sizes)) {
          parser.feed(chunk);
          expect(parser.retainedBytes).toBeLessThanOrEqual(Math.max(maxLineBytes, 0));
        }
        expect(parseChunks(split(bytes, sizes), maxLineBytes)).toEqual(expected);
      }),
      { numRuns: runs(2000) },
    );
  });

  it('yields the same events for arbitrary bytes (invalid UTF-8 included) however they are split', () => {
    const byte = fc.oneof(
      fc.constantFrom(0x0a, 0x0d, 0x3a, 0x20, 0x64, 0x61, 0x74, 0x65, 0x76, 0x6e, 0x69),
      fc.constantFrom(0xef, 0xbb, 0xbf, 0xf0, 0x9f, 0x98, 0x80, 0xc3, 0xa9, 0xff),
      fc.integer({ min: 0, max: 255 }),
    );
    const dataPrefixed = fc
      .array(byte, { maxLength: 200 })
      .map((bytes) => Buffer.from([...Buffer.from('data:'), ...bytes, 0x0a, 0x0a]));
    fc.assert(
      fc.property(dataPrefixed, chunkSizes, (bytes, sizes) => {
        const whole = parseChunks([bytes]);
        expect(parseChunks(oneByteChunks(bytes))).toEqual(whole);
        expect(parseChunks(split(bytes, sizes))).toEqual(whole);
      }),
      { numRuns: runs(3000) },
    );
  });

  it('agrees with eventsource-parser on event names and data', () => {
    fc.assert(
      fc.property(streamCase, chunkSizes, (c, sizes) => {
        const bytes = bytesOf(render(c), c.bom);
        const theirs: { event: string | undefined; data: string }[] = [];
        const decoder = new TextDecoder();
        const reference = createParser({ onEvent: ({ event, data }) => theirs.push({ event, data }) });
        for (const chunk of split(bytes, sizes)) reference.feed(decoder.decode(chunk, { stream: true }));
        const ours = parseChunks(split(bytes, sizes)).events.map(({ event, data }) => ({ event, data }));
        expect(ours).toEqual(theirs);
      }),
      { numRuns: runs(1000) },
    );
  });
});
