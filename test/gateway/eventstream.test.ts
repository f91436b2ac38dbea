import { crc32 as zlibCrc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  crc32,
  decodeMessages,
  encodeMessage,
  eventMessage,
  exceptionMessage,
} from '../../src/gateway/eventstream.ts';

describe('crc32', () => {
  it('is zlib.crc32, for known vectors and any bytes, also when continued', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array())).toBe(0);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 50 }), (a, b) => {
        expect(crc32(a)).toBe(zlibCrc32(a));
        expect(crc32(b, crc32(a))).toBe(zlibCrc32(Buffer.concat([a, b])));
      }),
    );
  });
});

describe('encodeMessage', () => {
  it('writes the documented layout', () => {
    const bytes = Buffer.from(encodeMessage({ ':event-type': 'x' }, new TextEncoder().encode('{}')));
    // prelude 12 + header (1 + 11 + 1 + 2 + 1) + payload 2 + crc 4
    expect(bytes.length).toBe(34);
    expect(bytes.readUInt32BE(0)).toBe(34);
    expect(bytes.readUInt32BE(4)).toBe(16);
    expect(bytes.readUInt32BE(8)).toBe(zlibCrc32(bytes.subarray(0, 8)));
    expect(bytes.subarray(12, 28)).toEqual(Buffer.from('\x0b:event-type\x07\x00\x01x', 'latin1'));
    expect(bytes.toString('utf8', 28, 30)).toBe('{}');
    expect(bytes.readUInt32BE(30)).toBe(zlibCrc32(bytes.subarray(0, 30)));
  });

  it('refuses a header value longer than 65535 bytes', () => {
    expect(() => encodeMessage({ a: 'x'.repeat(65536) }, new Uint8Array())).toThrow(RangeError);
  });
});

describe('decodeMessages', () => {
  const message = fc.record({
    // `__proto__` (which fast-check generates now and then) cannot be an own key of a plain object.
    headers: fc.dictionary(
      fc.string({ minLength: 1, maxLength: 20 }).filter((name) => name !== '__proto__'),
      fc.string({ maxLength: 40 }),
    ),
    payload: fc.uint8Array({ maxLength: 100 }),
  });

  it('reads back what encodeMessage wrote, whatever the chunk boundaries', () => {
    fc.assert(
      fc.property(
        fc.array(message, { maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (messages, cuts) => {
          const whole = Buffer.concat(messages.map((m) => encodeMessage(m.headers, m.payload)));
          const points = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((a, b) => a - b);
          const decoded = [];
          let rest: Uint8Array = new Uint8Array();
          let from = 0;
          for (const to of [...points, whole.length]) {
            const result = decodeMessages(Buffer.concat([rest, whole.subarray(from, to)]));
            decoded.push(...result.messages);
            rest = result.rest;
            from = to;
          }
          expect(rest.length).toBe(0);
          expect(decoded.map((m) => ({ headers: m.headers, payload: Buffer.from(m.payload) }))).toEqual(
            messages.map((m) => ({ headers: { ...m.headers }, payload: Buffer.from(m.payload) })),
          );
        },
      ),
    );
  });

  it('decodes the Bedrock event and exception helpers', () => {
    const { messages } = decodeMessages(
      Buffer.concat([
        eventMessage('messageStop', { stopReason: 'end_turn' }),
        exceptionMessage('throttlingException', 'slow down'),
      ]),
    );
    expect(messages.map((m) => [m.headers, new TextDecoder().decode(m.payload)])).toEqual([
      [
        { ':event-type': 'messageStop', ':content-type': 'application/json', ':message-type': 'event' },
        '{"stopReason":"end_turn"}',
      ],
      [
        {
          ':exception-type': 'throttlingException',
          ':content-type': 'application/json',
          ':message-type': 'exception',
        },
        '{"message":"slow down"}',
      ],
    ]);
  });

  it('rejects a corrupted prelude or message', () => {
    const bytes = Buffer.from(eventMessage('metadata', {}));
    const prelude = Buffer.from(bytes);
    prelude[8] = (prelude[8] as number) ^ 1;
    expect(() => decodeMessages(prelude)).toThrow('event stream prelude CRC mismatch');
    const body = Buffer.from(bytes);
    body[body.length - 6] = (body[body.length - 6] as number) ^ 1;
    expect(() => decodeMessages(body)).toThrow('event stream message CRC mismatch');
  });
});
