/**
 * `Content-Encoding` values this package can undo, in the order to undo them.
 */

import zlib from 'node:zlib';

export type Coding = 'gzip' | 'deflate' | 'br' | 'zstd';

const ALIASES: ReadonlyMap<string, Coding | 'identity'> = new Map([
  ['identity', 'identity'],
  ['gzip', 'gzip'],
  ['x-gzip', 'gzip'],
  ['deflate', 'deflate'],
  ['br', 'br'],
  ['zstd', 'zstd'],
]);

/** zstd arrived in node:zlib with Node 22.15 / 23.8; older runtimes report it as unsupported. */
export const ZSTD_SUPPORTED =
  typeof zlib.zstdDecompressSync === 'function' && typeof zlib.createZstdDecompress === 'function';

/**
 * The codings to undo, last applied first (`gzip, br` → `['br', 'gzip']`); `[]` for none or
 * identity; `undefined` when one is unknown or unsupported here (`compress`, zstd on old Node).
 */
export function decodingOrder(contentEncoding: string | undefined): Coding[] | undefined {
  if (contentEncoding === undefined) return [];
  if (typeof contentEncoding !== 'string') return undefined;
  const order: Coding[] = [];
  for (const token of contentEncoding.split(',')) {
    const name = token.trim().toLowerCase();
    if (name === '') continue;
    const coding = ALIASES.get(name);
    if (coding === undefined || (coding === 'zstd' && !ZSTD_SUPPORTED)) return undefined;
    if (coding !== 'identity') order.unshift(coding);
  }
  return order;
}

/** RFC 1950 header check: `deflate` is meant to be zlib-wrapped, but servers send raw deflate too. */
export function hasZlibHeader(first: number, second: number): boolean {
  return (first & 0x0f) === 8 && first >> 4 <= 7 && ((first << 8) | second) % 31 === 0;
}
