import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedCopy } from '../../src/body/bounded-copy.ts';

describe('BoundedCopy', () => {
  it('keeps everything under the limit', () => {
    const copy = new BoundedCopy(10);
    copy.push(Buffer.from('abc'));
    copy.push(new Uint8Array([0x64, 0x65]));
    expect(copy.bytes().toString()).toBe('abcde');
    expect(copy.totalBytes).toBe(5);
    expect(copy.truncated).toBe(false);
  });

  it('cuts at the limit and counts the rest', () => {
    const copy = new BoundedCopy(4);
    copy.push(Buffer.from('abc'));
    copy.push(Buffer.from('defg'));
    copy.push(Buffer.from('hij'));
    expect(copy.bytes().toString()).toBe('abcd');
    expect(copy.totalBytes).toBe(10);
    expect(copy.truncated).toBe(true);
  });

  it('exactly at the limit is not truncated', () => {
    const copy = new BoundedCopy(3);
    copy.push(Buffer.from('abc'));
    copy.push(Buffer.alloc(0));
    expect(copy.truncated).toBe(false);
    expect(copy.bytes().toString()).toBe('abc');
  });

  it('copies: later changes to a pushed chunk do not show', () => {
    const chunk = Buffer.from('hello');
    const copy = new BoundedCopy(100);
    copy.push(chunk);
    chunk.fill(0x78);
    expect(copy.bytes().toString()).toBe('hello');
  });

  it('copies only the window of a view into a larger buffer', () => {
    const backing = Buffer.from('0123456789');
    const copy = new BoundedCopy(100);
    copy.push(backing.subarray(3, 6));
    expect(copy.bytes().toString()).toBe('345');
  });

  it('treats a non-positive or non-finite limit as 0 and ignores non-bytes', () => {
    for (const limit of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const copy = new BoundedCopy(limit);
      copy.push(Buffer.from('ab'));
      copy.push('cd' as unknown as Uint8Array);
      expect(copy.bytes().length).toBe(0);
      expect(copy.totalBytes).toBe(2);
      expect(copy.truncated).toBe(true);
    }
  });

  it('bytes() can be called between pushes', () => {
    const copy = new BoundedCopy(6);
    copy.push(Buffer.from('ab'));
    copy.push(Buffer.from('cd'));
    expect(copy.bytes().toString()).toBe('abcd');
    copy.push(Buffer.from('efgh'));
    expect(copy.bytes().toString()).toBe('abcdef');
  });

  it('equals the prefix of the concatenation (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }),
        fc.nat(400),
        (chunks, limit) => {
          const copy = new BoundedCopy(limit);
          for (const chunk of chunks) copy.push(chunk);
          const all = Buffer.concat(chunks);
          expect(copy.bytes().equals(all.subarray(0, limit))).toBe(true);
          expect(copy.totalBytes).toBe(all.length);
          expect(copy.truncated).toBe(all.length > limit);
        },
      ),
    );
  });
});
