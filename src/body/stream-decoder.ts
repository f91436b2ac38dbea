/**
 * Incremental decoding of a compressed response stream (SSE over gzip/br/zstd/deflate) into plain
 * bytes for the telemetry parser. Works on copies: the application's chunks are copied before
 * node:zlib holds them. Decoded data arrives asynchronously (zlib works off the main thread);
 * identity streams are delivered synchronously, as views of the written chunk, not to be retained.
 *
 * Failure is quiet: corrupt input or a throwing `onData` sets `failed` and stops delivery; no
 * exception escapes and no 'error' event goes unhandled. A stream cut short (connection drop) is
 * flushed on `end()`, delivering whatever could be decoded.
 */

import type { Transform } from 'node:stream';
import zlib from 'node:zlib';
import { type Coding, decodingOrder, hasZlibHeader } from './encoding.ts';

export interface StreamDecoder {
  /** Feeds compressed bytes (copied). Ignored after `end()`, `destroy()` or a failure. */
  write(chunk: Uint8Array): void;
  /** Finishes the input; resolves once every decoded byte was delivered (or decoding failed). */
  end(): Promise<void>;
  /** Stops at once, dropping undelivered data. */
  destroy(): void;
  /** True once the input proved corrupt or `onData` threw; nothing is delivered after that. */
  readonly failed: boolean;
}

interface Stage {
  write(chunk: Buffer): void;
  end(): Promise<void>;
  destroy(): void;
}

function createZlibStream(coding: Coding, head: Buffer): Transform {
  switch (coding) {
    case 'gzip':
      return zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH });
    case 'deflate': {
      const options = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
      const zlibWrapped = head.length >= 2 && hasZlibHeader(head[0] as number, head[1] as number);
      return zlibWrapped ? zlib.createInflate(options) : zlib.createInflateRaw(options);
    }
    case 'br':
      return zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
    case 'zstd':
      return zlib.createZstdDecompress({ finishFlush: zlib.constants.ZSTD_e_flush });
  }
}

/** One coding undone by a node:zlib stream, created on the first bytes (deflate sniffs its header). */
class ZlibStage implements Stage {
  readonly #coding: Coding;
  readonly #deliver: (chunk: Buffer) => void;
  readonly #onFailure: () => void;
  readonly #done: Promise<void>;
  #resolveDone: () => void = () => {};
  #stream: Transform | undefined;
  #head: Buffer = Buffer.alloc(0);
  #stopped = false;

  constructor(coding: Coding, deliver: (chunk: Buffer) => void, onFailure: () => void) {
    this.#coding = coding;
    this.#deliver = deliver;
    this.#onFailure = onFailure;
    this.#done = new Promise((resolve) => {
      this.#resolveDone = resolve;
    });
  }

  write(chunk: Buffer): void {
    if (this.#stopped || chunk.length === 0) return;
    if (this.#stream === undefined) {
      this.#head = Buffer.concat([this.#head, chunk]);
      if (this.#coding === 'deflate' && this.#head.length < 2) return;
      this.#start().write(this.#head);
      return;
    }
    this.#stream.write(chunk);
  }

  end(): Promise<void> {
    if (!this.#stopped) {
      this.#stopped = true;
      if (this.#stream !== undefined) this.#stream.end();
      else if (this.#head.length > 0) this.#start().end(this.#head);
      else this.#resolveDone();
    }
    return this.#done;
  }

  destroy(): void {
    this.#stopped = true;
    this.#stream?.destroy();
    this.#resolveDone();
  }

  #start(): Transform {
    const stream = createZlibStream(this.#coding, this.#head);
    stream.on('data', (decoded: Buffer) => this.#deliver(decoded));
    stream.on('error', () => {
      this.#stopped = true;
      this.#onFailure();
      this.#resolveDone();
    });
    stream.on('end', () => this.#resolveDone());
    stream.on('close', () => this.#resolveDone());
    this.#stream = stream;
    return stream;
  }
}

/** Identity: hands each chunk straight on. */
class PassThroughStage implements Stage {
  readonly #deliver: (chunk: Buffer) => void;

  constructor(deliver: (chunk: Buffer) => void) {
    this.#deliver = deliver;
  }

  write(chunk: Buffer): void {
    this.#deliver(chunk);
  }

  end(): Promise<void> {
    return Promise.resolve();
  }

  destroy(): void {}
}

/**
 * A decoder for `contentEncoding` (same codings as decodeBodySync, lists included) that calls
 * `onData` with decoded bytes; `undefined` when a coding is unknown or unsupported here.
 */
export function createStreamDecoder(
  contentEncoding: string | undefined,
  onData: (chunk: Buffer) => void,
): StreamDecoder | undefined {
  const order = decodingOrder(contentEncoding);
  if (order === undefined) return undefined;

  let failed = false;
  let finished = false;
  const stages: Stage[] = [];
  const fail = (): void => {
    failed = true;
    for (const stage of stages) stage.destroy();
  };
  const deliver = (chunk: Buffer): void => {
    if (failed) return;
    try {
      onData(chunk);
    } catch {
      fail();
    }
  };

  // Built back to front: stage i feeds stage i + 1; the last one feeds `deliver`.
  let next = deliver;
  for (let i = order.length - 1; i >= 0; i--) {
    const stage = new ZlibStage(order[i] as Coding, next, fail);
    stages.unshift(stage);
    next = (chunk) => {
      if (!failed) stage.write(chunk);
    };
  }
  const first: Stage = stages[0] ?? new PassThroughStage(deliver);

  return {
    write(chunk: Uint8Array): void {
      if (failed || finished || !(chunk instanceof Uint8Array)) return;
      try {
        const bytes =
          stages.length === 0
            ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
            : Buffer.from(chunk);
        first.write(bytes);
      } catch {
        fail();
      }
    },
    async end(): Promise<void> {
      finished = true;
      for (const stage of stages) {
        if (failed) break;
        try {
          await stage.end();
        } catch {
          fail();
        }
      }
      if (failed) fail();
    },
    destroy(): void {
      finished = true;
      for (const stage of stages) stage.destroy();
    },
    get failed(): boolean {
      return failed;
    },
  };
}
