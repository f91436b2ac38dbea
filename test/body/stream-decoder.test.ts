import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createStreamDecoder } from '../../src/body/stream-decoder.ts';

/** An SSE stream like a chat completion's: many small `data:` frames. */
const FRAMES = Array.from(
  { length: 400 },
  (_, i) =>
    `data: {"id":"c1","choices":[{"index":0,"delta":{"content":"${randomBytes(6).toString('hex')} ${i}"}}]}\n\n`,
);
const SSE = Buffer.from(`${FRAMES.join('')}data: [DONE]\n\n`);

const ENCODERS: Record<string, (b: Buffer) => Buffer> = {
  gzip: (b) => zlib.gzipSync(b),
  deflate: (b) => zlib.deflateSync(b),
  'deflate(raw)': (b) => zlib.deflateRawSync(b),
  br: (b) => zlib.brotliCompressSync(b),
  zstd: (b) => zlib.zstdCompressSync(b),
  'gzip, br': (b) => zlib.brotliCompressSync(zlib.gzipSync(b)),
  identity: (b) => b,
};
const headerValue = (name: string): string => (name === 'deflate(raw)' ? 'deflate' : name);

function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let start = 0;
  for (const p of [...points, bytes.length]) {
    parts.push(bytes.subarray(start, p));
    start = p;
  }
  return parts;
}

async function decodeAll(
  encoding: string | undefined,
  parts: Buffer[],
): Promise<{ out: Buffer; failed: boolean }> {
  const received: Buffer[] = [];
  const decoder = createStreamDecoder(encoding, (chunk) => received.push(Buffer.from(chunk)));
  if (decoder === undefined) throw new Error(`no decoder for ${encoding}`);
  for (const part of parts) decoder.write(part);
  await decoder.end();
  return { out: Buffer.concat(received), failed: decoder.failed };
}

describe('createStreamDecoder', () => {
  it.each(Object.keys(ENCODERS))(
    'reproduces the plain SSE text from %s split into random chunks',
    async (name) => {
      const encoded = (ENCODERS[name] as (b: Buffer) => Buffer)(SSE);
      await fc.assert(
        fc.asyncProperty(fc.array(fc.nat(), { maxLength: 40 }), async (cuts) => {
          const { out, failed } = await decodeAll(headerValue(name), split(encoded, cuts));
          expect(failed).toBe(false);
          expect(out.equals(SSE)).toBe(true);
        }),
        { numRuns: 25 },
      );
    },
  );

  it('decodes one byte at a time (deflate header sniffing across writes)', async () => {
    const encoded = zlib.deflateSync(SSE);
    const parts = Array.from(encoded, (byte) => Buffer.from([byte]));
    const { out, failed } = await decodeAll('deflate', parts);
    expect(failed).toBe(false);
    expect(out.equals(SSE)).toBe(true);
  });

  it('copies written chunks (a reused buffer does not corrupt the output)', async () => {
    const encoded = zlib.gzipSync(SSE);
    const received: Buffer[] = [];
    const decoder = createStreamDecoder('gzip', (chunk) => received.push(Buffer.from(chunk)));
    const scratch = Buffer.alloc(512);
    for (let offset = 0; offset < encoded.length; offset += scratch.length) {
      const n = encoded.copy(scratch, 0, offset);
      decoder?.write(scratch.subarray(0, n));
      scratch.fill(0);
    }
    await decoder?.end();
    expect(Buffer.concat(received).equals(SSE)).toBe(true);
  });

  it.each(['gzip', 'br'])('delivers the decodable prefix of a %s stream cut short', async (name) => {
    const encoded = (ENCODERS[name] as (b: Buffer) => Buffer)(SSE);
    const { out, failed } = await decodeAll(name, [encoded.subarray(0, Math.floor(encoded.length / 2))]);
    expect(failed).toBe(false);
    expect(out.length).toBeGreaterThan(0);
    expect(out.length).toBeLessThan(SSE.length);
    expect(SSE.subarray(0, out.length).equals(out)).toBe(true);
  });

  it.each(['gzip', 'br', 'zstd', 'deflate'])('corrupt %s: stops, sets failed, never throws', async (name) => {
    const encoded = Buffer.from((ENCODERS[name] as (b: Buffer) => Buffer)(SSE));
    for (let i = 10; i < 80; i++) encoded[i] = (encoded[i] as number) ^ 0x5a;
    const { out, failed } = await decodeAll(name, split(encoded, [100, 300, 900]));
    expect(failed).toBe(true);
    expect(SSE.subarray(0, out.length).equals(out)).toBe(true);
  });

  it('a lying content-encoding fails quietly', async () => {
    const { out, failed } = await decodeAll('gzip', [SSE]);
    expect(failed).toBe(true);
    expect(out.length).toBe(0);
  });

  it('a throwing onData marks the decoder failed and stops delivery', async () => {
    let calls = 0;
    const decoder = createStreamDecoder('gzip', () => {
      calls++;
      throw new Error('parser bug');
    });
    const encoded = zlib.gzipSync(Buffer.concat([SSE, SSE, SSE, SSE]));
    for (const part of split(encoded, [50, 100, 2000, 4000])) decoder?.write(part);
    await decoder?.end();
    expect(decoder?.failed).toBe(true);
    expect(calls).toBe(1);
  });

  it('identity delivers synchronously', () => {
    const received: string[] = [];
    const decoder = createStreamDecoder(undefined, (chunk) => received.push(chunk.toString()));
    decoder?.write(Buffer.from('data: x\n\n'));
    expect(received).toEqual(['data: x\n\n']);
  });

  it('destroy() stops delivery and end() still resolves', async () => {
    const received: Buffer[] = [];
    const decoder = createStreamDecoder('gzip', (chunk) => received.push(chunk));
    decoder?.write(zlib.gzipSync(SSE));
    decoder?.destroy();
    await decoder?.end();
    decoder?.write(zlib.gzipSync(SSE));
    // zlib decodes off the main thread: destroyed in the same tick, nothing was delivered.
    expect(received).toEqual([]);
    expect(decoder?.failed).toBe(false);
  });

  it('end() without any input resolves with nothing delivered', async () => {
    const { out, failed } = await decodeAll('br', []);
    expect(out.length).toBe(0);
    expect(failed).toBe(false);
  });

  it('returns undefined for an unknown coding', () => {
    expect(createStreamDecoder('compress', () => {})).toBeUndefined();
  });
});
