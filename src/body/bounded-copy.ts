/**
 * Response bodies (src/body/) owns the copies telemetry parses, never the application's stream:
 * a bounded byte copy (this file), a one-shot decoder for a compressed copy (decode.ts) and an
 * incremental decoder for a compressed SSE stream (stream-decoder.ts). No OTel, never throws.
 */

/**
 * Keeps a copy of the first `limitBytes` bytes pushed and counts the rest. Each chunk is copied
 * (undici may hand out views of buffers it reuses), and nothing beyond the limit is allocated.
 */
export class BoundedCopy {
  readonly #limit: number;
  #parts: Buffer[] = [];
  #stored = 0;
  #total = 0;

  constructor(limitBytes: number) {
    this.#limit = Number.isFinite(limitBytes) && limitBytes > 0 ? Math.floor(limitBytes) : 0;
  }

  push(chunk: Uint8Array): void {
    if (!(chunk instanceof Uint8Array)) return;
    this.#total += chunk.byteLength;
    const room = this.#limit - this.#stored;
    if (room <= 0 || chunk.byteLength === 0) return;
    const take = Math.min(room, chunk.byteLength);
    this.#parts.push(Buffer.from(chunk.subarray(0, take)));
    this.#stored += take;
  }

  /** True once more bytes were pushed than the copy holds. */
  get truncated(): boolean {
    return this.#total > this.#stored;
  }

  /** All bytes pushed, kept or not. */
  get totalBytes(): number {
    return this.#total;
  }

  /** The kept bytes (at most `limitBytes`), as one buffer. */
  bytes(): Buffer {
    if (this.#parts.length !== 1) this.#parts = [Buffer.concat(this.#parts, this.#stored)];
    return this.#parts[0] as Buffer;
  }
}
