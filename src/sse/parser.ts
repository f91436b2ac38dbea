/**
 * Incremental, byte-level parser of the WHATWG `text/event-stream` format
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation).
 *
 * It scans bytes for line ends and decodes only complete field values, so a chunk made of whole
 * lines costs no buffer copies. It holds at most one partial line (`maxLineBytes`) and one event's
 * data (`maxLineBytes` too); a line over the bound is dropped without being buffered and counted.
 *
 * Choices the spec leaves to us or that differ from a browser's EventSource:
 * - `id` on an event is the stream's last event ID (the spec's "last event ID buffer", which persists
 *   across events until an `id:` field changes it); `undefined` until the first `id:` field.
 * - `event` is `undefined` when no (or an empty) `event:` field preceded the data, where EventSource
 *   would say "message".
 * - `end()` discards the incomplete event and partial line, as the spec says, then resets the parser
 *   so it can read a new stream (a leading BOM is stripped again).
 * - A `data:` line that would make the current event's data exceed `maxLineBytes` is dropped and
 *   counted like an over-long line; the event is still dispatched with the data it kept.
 * - Callbacks must not throw: an exception propagates out of `feed()` and the rest of that chunk
 *   is lost (the parser itself stays usable).
 */

export interface SseEvent {
  readonly event: string | undefined;
  readonly data: string;
  readonly id: string | undefined;
}

export interface SseParserOptions {
  onEvent(event: SseEvent): void;
  /** Longest line kept, in bytes without its line end; longer lines are dropped (not buffered) and counted. Default 1 MiB. */
  maxLineBytes?: number;
  /** Called once per dropped line with its length in bytes (without its line end). */
  onLineDropped?(byteLength: number): void;
}

export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
/** `#bomMatched` once the stream's first bytes have been checked for a BOM. */
const BOM_CHECKED = -1;
/** A partial-line buffer larger than this is released after its line completes. */
const RETAINED_BUFFER_BYTES = 64 * 1024;
const MIN_BUFFER_BYTES = 256;
const EMPTY = Buffer.alloc(0);

/** Node's Buffer class: comparing `constructor` with it is cheaper than `Buffer.isBuffer` on the hot path. */
const BUFFER_CLASS = EMPTY.constructor;

export function asBuffer(chunk: Uint8Array): Buffer {
  return chunk.constructor === BUFFER_CLASS
    ? (chunk as Buffer)
    : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

export class SseParser {
  readonly #onEvent: (event: SseEvent) => void;
  readonly #onLineDropped: ((byteLength: number) => void) | undefined;
  readonly #maxLineBytes: number;

  /** Bytes of the current partial line: `#partial[0, #partialLength)`. */
  #partial: Buffer = EMPTY;
  #partialLength = 0;
  /** Bytes seen so far of a line being dropped for its length; -1 when not dropping. */
  #droppingBytes = -1;
  /** The previous chunk ended with a CR: a LF starting the next chunk belongs to it. */
  #skipLeadingLF = false;
  #bomMatched = 0;

  #data = '';
  #dataBytes = 0;
  #hasData = false;
  #eventType = '';
  #lastEventId: string | undefined = undefined;
  #linesDropped = 0;

  constructor(options: SseParserOptions) {
    const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) {
      throw new RangeError(`SseParser: maxLineBytes must be a positive integer, got ${maxLineBytes}`);
    }
    this.#onEvent = options.onEvent;
    this.#onLineDropped = options.onLineDropped;
    this.#maxLineBytes = maxLineBytes;
  }

  /** Lines dropped so far because they (or the event data they would make) exceeded `maxLineBytes`. */
  get linesDropped(): number {
    return this.#linesDropped;
  }

  /** Nothing is pending: no partial line, no undispatched event data. The next byte starts a line. */
  get atEventBoundary(): boolean {
    return (
      this.#partialLength === 0 &&
      this.#droppingBytes < 0 &&
      !this.#skipLeadingLF &&
      !this.#hasData &&
      this.#eventType === '' &&
      this.#bomMatched === BOM_CHECKED
    );
  }

  /** Bytes allocated for the partial line; never above `maxLineBytes`. */
  get retainedBytes(): number {
    return this.#partial.length;
  }

  feed(chunk: Uint8Array): void {
    const length = chunk.byteLength;
    if (length === 0) return;
    const bytes = asBuffer(chunk);
    let pos = this.#bomMatched === BOM_CHECKED ? 0 : this.#skipBom(bytes);
    if (this.#skipLeadingLF && pos < length) {
      this.#skipLeadingLF = false;
      if (bytes[pos] === LF) pos++;
    }
    let nextLF = bytes.indexOf(LF, pos);
    let nextCR = bytes.indexOf(CR, pos);
    while (pos < length) {
      if (bytes[pos] === LF && this.#partialLength === 0 && this.#droppingBytes < 0) {
        // A blank line (the usual "\n\n" after an event): no search needed.
        this.#dispatch();
        pos++;
        continue;
      }
      if (nextLF !== -1 && nextLF < pos) nextLF = bytes.indexOf(LF, pos);
      if (nextCR !== -1 && nextCR < pos) nextCR = bytes.indexOf(CR, pos);
      let lineEnd: number;
      let next: number;
      if (nextCR === -1 || (nextLF !== -1 && nextLF < nextCR)) {
        if (nextLF === -1) break;
        lineEnd = nextLF;
        next = nextLF + 1;
      } else {
        lineEnd = nextCR;
        next = nextCR + 1;
        if (next === length) this.#skipLeadingLF = true;
        else if (bytes[next] === LF) next++;
      }
      this.#completeLine(bytes, pos, lineEnd);
      pos = next;
    }
    if (pos < length) this.#keepPartial(bytes, pos, length);
  }

  /** The stream ended: drops the partial line and the undispatched event, then resets for a new stream. */
  end(): void {
    if (this.#droppingBytes >= 0) this.#drop(this.#droppingBytes);
    this.#droppingBytes = -1;
    this.#partialLength = 0;
    this.#partial = EMPTY;
    this.#skipLeadingLF = false;
    this.#bomMatched = 0;
    this.#resetEvent();
    this.#lastEventId = undefined;
  }

  /** Consumes a leading UTF-8 BOM (possibly split across chunks); returns where the stream's text starts. */
  #skipBom(bytes: Buffer): number {
    let pos = 0;
    while (this.#bomMatched !== BOM_CHECKED && pos < bytes.length) {
      if (bytes[pos] === BOM[this.#bomMatched]) {
        pos++;
        this.#bomMatched = this.#bomMatched === 2 ? BOM_CHECKED : this.#bomMatched + 1;
      } else {
        // Not a BOM after all: the bytes matched so far are ordinary text.
        if (this.#bomMatched > 0) this.#keepPartial(BOM, 0, this.#bomMatched);
        this.#bomMatched = BOM_CHECKED;
      }
    }
    return pos;
  }

  /** The line `bytes[start, end)` ended, and continues whatever partial line is held. */
  #completeLine(bytes: Buffer, start: number, end: number): void {
    if (this.#droppingBytes >= 0) {
      const total = this.#droppingBytes + end - start;
      this.#droppingBytes = -1;
      this.#drop(total);
      return;
    }
    if (this.#partialLength === 0) {
      if (end - start > this.#maxLineBytes) this.#drop(end - start);
      else this.#interpretLine(bytes, start, end);
      return;
    }
    const held = this.#partialLength;
    const total = held + end - start;
    if (total > this.#maxLineBytes) {
      this.#partialLength = 0;
      this.#releaseLargeBuffer();
      this.#drop(total);
      return;
    }
    this.#reserve(total);
    bytes.copy(this.#partial, held, start, end);
    this.#partialLength = 0;
    const line = this.#partial;
    this.#releaseLargeBuffer();
    this.#interpretLine(line, 0, total);
  }

  /** `bytes[start, end)` begins or continues a line whose end has not arrived yet. */
  #keepPartial(bytes: Buffer, start: number, end: number): void {
    if (this.#droppingBytes >= 0) {
      this.#droppingBytes += end - start;
      return;
    }
    const total = this.#partialLength + end - start;
    if (total > this.#maxLineBytes) {
      this.#droppingBytes = total;
      this.#partialLength = 0;
      this.#releaseLargeBuffer();
      return;
    }
    this.#reserve(total);
    bytes.copy(this.#partial, this.#partialLength, start, end);
    this.#partialLength = total;
  }

  #reserve(byteLength: number): void {
    if (this.#partial.length >= byteLength) return;
    const grown = Math.max(byteLength, this.#partial.length * 2, MIN_BUFFER_BYTES);
    const next = Buffer.allocUnsafe(Math.min(grown, this.#maxLineBytes));
    this.#partial.copy(next, 0, 0, this.#partialLength);
    this.#partial = next;
  }

  #releaseLargeBuffer(): void {
    if (this.#partial.length > RETAINED_BUFFER_BYTES) this.#partial = EMPTY;
  }

  #drop(byteLength: number): void {
    this.#linesDropped++;
    this.#onLineDropped?.(byteLength);
  }

  #interpretLine(bytes: Buffer, start: number, end: number): void {
    if (start === end) {
      this.#dispatch();
      return;
    }
    if (bytes[start] === COLON) return; // comment
    let colon = start + 1;
    while (colon < end && bytes[colon] !== COLON) colon++;
    let valueStart = colon + 1;
    if (valueStart < end && bytes[valueStart] === SPACE) valueStart++;
    if (valueStart > end) valueStart = end;
    switch (colon - start) {
      case 4: // data
        if (
          bytes[start] === 0x64 &&
          bytes[start + 1] === 0x61 &&
          bytes[start + 2] === 0x74 &&
          bytes[start + 3] === 0x61
        ) {
          this.#appendData(bytes, valueStart, end, end - start);
        }
        return;
      case 5: // event
        if (
          bytes[start] === 0x65 &&
          bytes[start + 1] === 0x76 &&
          bytes[start + 2] === 0x65 &&
          bytes[start + 3] === 0x6e &&
          bytes[start + 4] === 0x74
        ) {
          this.#eventType = bytes.toString('utf8', valueStart, end);
        }
        return; // or retry, which is ignored
      case 2: // id
        if (bytes[start] === 0x69 && bytes[start + 1] === 0x64) {
          const id = bytes.toString('utf8', valueStart, end);
          if (!id.includes('\0')) this.#lastEventId = id;
        }
        return;
      default:
        return; // unknown field
    }
  }

  #appendData(bytes: Buffer, valueStart: number, end: number, lineBytes: number): void {
    const dataBytes = (this.#hasData ? this.#dataBytes + 1 : 0) + end - valueStart;
    if (dataBytes > this.#maxLineBytes) {
      this.#drop(lineBytes);
      return;
    }
    const value = bytes.toString('utf8', valueStart, end);
    this.#data = this.#hasData ? `${this.#data}\n${value}` : value;
    this.#hasData = true;
    this.#dataBytes = dataBytes;
  }

  #dispatch(): void {
    if (!this.#hasData) {
      this.#eventType = '';
      return;
    }
    const event: SseEvent = {
      event: this.#eventType === '' ? undefined : this.#eventType,
      data: this.#data,
      id: this.#lastEventId,
    };
    this.#resetEvent();
    this.#onEvent(event);
  }

  #resetEvent(): void {
    this.#data = '';
    this.#dataBytes = 0;
    this.#hasData = false;
    this.#eventType = '';
  }
}
