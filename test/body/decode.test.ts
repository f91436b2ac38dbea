import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeBodySync } from '../../src/body/decode.ts';
import { decodingOrder } from '../../src/body/encoding.ts';

/** Hard to compress, so a cut stream still holds whole deflate blocks' worth of text. */
const PLAIN = Buffer.from(
  JSON.stringify({
    error: { message: Array.from({ length: 4000 }, () => randomBytes(4).toString('hex')).join(' ') },
  }),
);
const MAX = 1024 * 1024;

const ENCODERS: Record<string, (b: Buffer) => Buffer> = {
  gzip: (b) => zlib.gzipSync(b),
  'x-gzip': (b) => zlib.gzipSync(b),
  deflate: (b) => zlib.deflateSync(b),
  br: (b) => zlib.brotliCompressSync(b),
  zstd: (b) => zlib.zstdCompressSync(b),
};

describe('decodingOrder', () => {
  it.each([
    [undefined, []],
    ['', []],
    ['identity', []],
    ['GZIP', ['gzip']],
    ['gzip, br', ['br', 'gzip']],
    [' deflate ,zstd,identity', ['zstd', 'deflate']],
    ['compress', undefined],
    ['gzip, sdch', undefined],
    ['constructor', undefined],
    ['__proto__', undefined],
  ])('%j → %j', (value, expected) => {
    expect(decodingOrder(value)).toEqual(expected);
  });
});

describe('decodeBodySync', () => {
  it.each(Object.keys(ENCODERS))('round-trips %s', (encoding) => {
    const encode = ENCODERS[encoding] as (b: Buffer) => Buffer;
    expect(decodeBodySync(encode(PLAIN), encoding, MAX)?.equals(PLAIN)).toBe(true);
  });

  it('decodes raw deflate (no zlib header) too', () => {
    expect(decodeBodySync(zlib.deflateRawSync(PLAIN), 'deflate', MAX)?.equals(PLAIN)).toBe(true);
  });

  it('undoes a list in reverse order', () => {
    const twice = zlib.brotliCompressSync(zlib.gzipSync(PLAIN));
    expect(decodeBodySync(twice, 'gzip, br', MAX)?.equals(PLAIN)).toBe(true);
    expect(decodeBodySync(twice, 'br, gzip', MAX)).toBeUndefined();
  });

  it('returns identity bodies as they are, cut to the bound', () => {
    const body = Buffer.from('{"error":"x"}');
    expect(decodeBodySync(body, undefined, MAX)).toBe(body);
    expect(decodeBodySync(body, 'identity', 5)?.toString()).toBe('{"err');
  });

  it.each(['gzip', 'deflate', 'br'])('decodes a %s copy cut at the bound as far as it goes', (encoding) => {
    const encoded = (ENCODERS[encoding] as (b: Buffer) => Buffer)(PLAIN);
    const cut = encoded.subarray(0, Math.floor(encoded.length / 2));
    const out = decodeBodySync(cut, encoding, MAX);
    expect(out).toBeDefined();
    expect((out as Buffer).length).toBeGreaterThan(PLAIN.length / 4);
    expect((out as Buffer).length).toBeLessThan(PLAIN.length);
    expect(PLAIN.subarray(0, (out as Buffer).length).equals(out as Buffer)).toBe(true);
  });

  it('a cut zstd copy yields only whole blocks (here: nothing), without throwing', () => {
    const encoded = zlib.zstdCompressSync(PLAIN);
    expect(decodeBodySync(encoded.subarray(0, encoded.length >> 1), 'zstd', MAX)?.length).toBe(0);
  });

  it.each(Object.keys(ENCODERS))('corrupt %s → undefined', (encoding) => {
    const corrupt = Buffer.from((ENCODERS[encoding] as (b: Buffer) => Buffer)(PLAIN));
    for (let i = 10; i < 60; i++) corrupt[i] = (corrupt[i] as number) ^ 0xa5;
    expect(decodeBodySync(corrupt, encoding, MAX)).toBeUndefined();
  });

  it.each(['gzip', 'deflate', 'br', 'zstd'])(
    'a lying content-encoding: %s on plain JSON → undefined',
    (encoding) => {
      expect(decodeBodySync(Buffer.from('{"error":{"message":"plain"}}'), encoding, MAX)).toBeUndefined();
    },
  );

  it('an unknown coding → undefined', () => {
    expect(decodeBodySync(zlib.gzipSync(PLAIN), 'compress', MAX)).toBeUndefined();
  });

  it.each(['gzip', 'deflate', 'br', 'zstd'])('a %s zip bomb is bounded by maxOutputBytes', (encoding) => {
    const bomb = (ENCODERS[encoding] as (b: Buffer) => Buffer)(Buffer.alloc(64 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(200 * 1024);
    expect(decodeBodySync(bomb, encoding, 64 * 1024)).toBeUndefined();
  });

  it('an empty body decodes to an empty body', () => {
    expect(decodeBodySync(Buffer.alloc(0), 'gzip', MAX)?.length).toBe(0);
  });

  it('never throws on bad arguments', () => {
    expect(decodeBodySync('x' as unknown as Buffer, 'gzip', MAX)).toBeUndefined();
    expect(decodeBodySync(zlib.gzipSync(PLAIN), 'gzip', 0)).toBeUndefined();
    expect(decodeBodySync(zlib.gzipSync(PLAIN), 'gzip', Number.NaN)).toBeUndefined();
    expect(decodeBodySync(zlib.gzipSync(PLAIN), 42 as unknown as string, MAX)).toBeUndefined();
    expect(decodeBodySync(zlib.gzipSync(PLAIN), 'gzip', Number.POSITIVE_INFINITY)?.equals(PLAIN)).toBe(true);
  });
});
