/**
 * One-shot decoding of a bounded body copy (an error body, usually) for parsing. Bounded output
 * (`maxOutputLength`: a zip bomb fails instead of filling memory) and tolerant of a copy cut at the
 * bound: gzip/deflate/br/zstd are finished with a flush, so a truncated stream yields what could
 * be decoded (zstd only yields whole blocks, so a cut zstd copy often decodes to nothing).
 */

import { kMaxLength } from 'node:buffer';
import zlib from 'node:zlib';
import { type Coding, decodingOrder, hasZlibHeader } from './encoding.ts';

function decodeOnce(bytes: Buffer, coding: Coding, maxOutputLength: number): Buffer {
  switch (coding) {
    case 'gzip':
      return zlib.gunzipSync(bytes, { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength });
    case 'deflate': {
      const options = { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength };
      const zlibWrapped = bytes.length >= 2 && hasZlibHeader(bytes[0] as number, bytes[1] as number);
      return zlibWrapped ? zlib.inflateSync(bytes, options) : zlib.inflateRawSync(bytes, options);
    }
    case 'br':
      return zlib.brotliDecompressSync(bytes, {
        finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
        maxOutputLength,
      });
    case 'zstd':
      return zlib.zstdDecompressSync(bytes, { finishFlush: zlib.constants.ZSTD_e_flush, maxOutputLength });
  }
}

/**
 * Undoes `contentEncoding` (`gzip`, `x-gzip`, `deflate` zlib or raw, `br`, `zstd`, identity, and
 * lists like `gzip, br`). `undefined` for an unknown coding, corrupt input, a coding that does not
 * match the bytes, or output that would exceed `maxOutputBytes`. Identity returns the bytes (cut to
 * `maxOutputBytes`). Never throws.
 */
export function decodeBodySync(
  bytes: Buffer,
  contentEncoding: string | undefined,
  maxOutputBytes: number,
): Buffer | undefined {
  try {
    if (!Buffer.isBuffer(bytes)) return undefined;
    const order = decodingOrder(contentEncoding);
    if (order === undefined) return undefined;
    const max = Math.max(0, Math.floor(Math.min(maxOutputBytes, kMaxLength))) || 0;
    let current = bytes;
    for (const coding of order) {
      if (current.length === 0) return current;
      if (max === 0) return undefined;
      current = decodeOnce(current, coding, max);
    }
    return current.length > max ? current.subarray(0, max) : current;
  } catch {
    return undefined;
  }
}
