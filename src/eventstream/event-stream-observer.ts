/**
 * Interprets an AWS Bedrock response stream (`application/vnd.amazon.eventstream`: Converse's
 * `converse-stream`, and `invoke-with-response-stream`) as it passes by, with the other
 * observers' guarantees: any chunk boundary, messages bounded in bytes (a longer one is skipped
 * and counted, never buffered), linear time, never throws. Pure: no OpenTelemetry.
 *
 * Framing, per message: prelude (total length u32 BE, headers length u32 BE, CRC32 of those 8
 * bytes), headers (name length u8, name, type u8, value; type 7 is a string with a u16 BE length),
 * payload, CRC32 of everything before it. A CRC mismatch stops observation (no guessing).
 *
 * Converse events (`:event-type`): `messageStart`, `contentBlockDelta` (first content),
 * `messageStop` (`stopReason`: the stream completed), `metadata` (`usage`: the last event). An
 * `invoke-with-response-stream` `chunk` carries the model's own JSON in base64 `bytes`; its
 * `amazon-bedrock-invocationMetrics` (token counts) come last. `:message-type` `exception`
 * (`:exception-type` such as `throttlingException`, `{"message"}`) is a mid-stream error.
 */
import { crc32 } from 'node:zlib';
import { codeShaped } from '../errors/error-code.ts';
import { DEFAULT_MAX_LINE_BYTES } from '../sse/parser.ts';
import { STREAM_ERROR_CODE_UNSPECIFIED, type StreamErrorInfo } from '../sse/stream-observer.ts';

export interface EventStreamObserverOptions {
  onError(error: StreamErrorInfo): void;
  now?: () => number;
  /** Largest message kept; larger ones are skipped and counted. Default 1 MiB. */
  maxLineBytes?: number;
}

type JsonObject = Record<string, unknown>;

const PRELUDE = 12;
const CRC = 4;
const STRING_TYPE = 7;
/** Value sizes of the non-string header types (0-1 bool, 2 byte, 3 short, 4 int, 5 long, 8 timestamp, 9 uuid). */
const FIXED_SIZES: Readonly<Record<number, number>> = { 0: 0, 1: 0, 2: 1, 3: 2, 4: 4, 5: 8, 8: 8, 9: 16 };

function parseObject(bytes: Uint8Array | string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(
      typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'),
    );
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as JsonObject)
      : undefined;
  } catch {
    return undefined;
  }
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** The string headers of a message; undefined when they overrun their length (corrupt). */
function readHeaders(bytes: Buffer): Map<string, string> | undefined {
  const headers = new Map<string, string>();
  let offset = 0;
  while (offset < bytes.length) {
    const nameLength = bytes[offset] as number;
    const typeAt = offset + 1 + nameLength;
    if (typeAt >= bytes.length) return undefined;
    const name = bytes.toString('utf8', offset + 1, typeAt);
    const type = bytes[typeAt] as number;
    offset = typeAt + 1;
    if (type === 6 || type === STRING_TYPE) {
      if (offset + 2 > bytes.length) return undefined;
      const length = bytes.readUInt16BE(offset);
      if (offset + 2 + length > bytes.length) return undefined;
      if (type === STRING_TYPE) headers.set(name, bytes.toString('utf8', offset + 2, offset + 2 + length));
      offset += 2 + length;
    } else {
      const size = FIXED_SIZES[type];
      if (size === undefined) return undefined;
      offset += size;
    }
  }
  return offset === bytes.length ? headers : undefined;
}

export class EventStreamObserver {
  readonly #onError: (error: StreamErrorInfo) => void;
  readonly #now: () => number;
  readonly #maxMessageBytes: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Bytes of an oversized message still to skip. */
  #skip = 0;
  /** Bytes the message being assembled needs: no re-joining of the pieces until they are there. */
  #needed = PRELUDE;
  #corrupt = false;
  #messagesDropped = 0;
  #messages = 0;
  #bytesReceived = 0;
  #recognized = false;
  #stopped = false;
  #last = false;
  #errors = 0;
  #finishReason: string | undefined;
  #inputTokens: number | undefined;
  #outputTokens: number | undefined;
  #firstChunkAt: number | undefined;

  constructor(options: EventStreamObserverOptions) {
    this.#onError = options.onError;
    this.#now = options.now ?? (() => performance.now());
    this.#maxMessageBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  }

  get bytesReceived(): number {
    return this.#bytesReceived;
  }
  /** Messages read (events and exceptions). */
  get chunkIndex(): number {
    return this.#messages;
  }
  /** Oversized messages skipped. */
  get linesDropped(): number {
    return this.#messagesDropped;
  }
  /** A `messageStop` arrived, or the invocation metrics of an invoke stream. */
  get completed(): boolean {
    return this.#stopped;
  }
  get terminated(): boolean {
    return this.#stopped || this.#errors > 0;
  }
  /** The last event (`metadata`, the invocation metrics) or an exception: nothing after it matters. */
  get final(): boolean {
    return this.#last || this.#errors > 0;
  }
  get isLlmStream(): boolean {
    return this.#recognized;
  }
  /** True once the framing proved corrupt; nothing is read after that. */
  get corrupt(): boolean {
    return this.#corrupt;
  }
  get responseId(): string | undefined {
    return undefined;
  }
  get responseModel(): string | undefined {
    return undefined;
  }
  get finishReasons(): readonly string[] {
    return this.#finishReason === undefined ? [] : [this.#finishReason];
  }
  get inputTokens(): number | undefined {
    return this.#inputTokens;
  }
  get outputTokens(): number | undefined {
    return this.#outputTokens;
  }
  get firstChunkAt(): number | undefined {
    return this.#firstChunkAt;
  }

  write(chunk: Uint8Array): void {
    this.#bytesReceived += chunk.byteLength;
    if (this.#corrupt) return;
    let bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.#skip > 0) {
      const skipped = Math.min(this.#skip, bytes.length);
      this.#skip -= skipped;
      bytes = bytes.subarray(skipped);
    }
    if (bytes.length === 0) return;
    // Copied: the chunk belongs to the application.
    this.#pending.push(Buffer.from(bytes));
    this.#pendingBytes += bytes.length;
    if (this.#pendingBytes >= this.#needed) this.#drain();
  }

  end(): void {
    this.#pending = [];
    this.#pendingBytes = 0;
  }

  #drain(): void {
    while (!this.#corrupt && this.#pendingBytes >= PRELUDE) {
      const buffer = this.#pending.length === 1 ? (this.#pending[0] as Buffer) : Buffer.concat(this.#pending);
      this.#pending = [buffer];
      const total = buffer.readUInt32BE(0);
      const headersLength = buffer.readUInt32BE(4);
      if (buffer.readUInt32BE(8) !== crc32(buffer.subarray(0, 8)) || total < PRELUDE + headersLength + CRC) {
        this.#stop();
        return;
      }
      if (total > this.#maxMessageBytes) {
        this.#messagesDropped++;
        const skipped = Math.min(total, buffer.length);
        this.#skip = total - skipped;
        this.#setPending(buffer.subarray(skipped));
        continue;
      }
      if (buffer.length < total) {
        this.#needed = total;
        return;
      }
      const message = buffer.subarray(0, total);
      if (message.readUInt32BE(total - CRC) !== crc32(message.subarray(0, total - CRC))) {
        this.#stop();
        return;
      }
      const headers = readHeaders(message.subarray(PRELUDE, PRELUDE + headersLength));
      if (!headers) {
        this.#stop();
        return;
      }
      this.#onMessage(headers, message.subarray(PRELUDE + headersLength, total - CRC));
      this.#setPending(buffer.subarray(total));
    }
  }

  #setPending(rest: Buffer): void {
    this.#pending = rest.length === 0 ? [] : [rest];
    this.#pendingBytes = rest.length;
    this.#needed = PRELUDE;
  }

  #stop(): void {
    this.#corrupt = true;
    this.#pending = [];
    this.#pendingBytes = 0;
  }

  #onMessage(headers: Map<string, string>, payload: Buffer): void {
    const index = this.#messages++;
    const kind = headers.get(':message-type');
    if (kind === 'exception' || kind === 'error') {
      const body = parseObject(payload);
      const message = body && typeof body.message === 'string' ? body.message : headers.get(':error-message');
      const code = codeShaped(headers.get(':exception-type') ?? headers.get(':error-code'));
      this.#errors++;
      this.#onError({
        code: code ?? STREAM_ERROR_CODE_UNSPECIFIED,
        message: message === '' ? undefined : message,
        chunkIndex: index,
        bytesReceived: this.#bytesReceived,
      });
      return;
    }
    switch (headers.get(':event-type')) {
      case 'messageStart':
      case 'contentBlockStart':
      case 'contentBlockStop':
        this.#recognized = true;
        return;
      case 'contentBlockDelta':
        this.#recognized = true;
        this.#firstChunkAt ??= this.#now();
        return;
      case 'messageStop': {
        this.#recognized = true;
        this.#stopped = true;
        const reason = parseObject(payload)?.stopReason;
        if (typeof reason === 'string' && reason !== '') this.#finishReason = reason;
        return;
      }
      case 'metadata': {
        this.#recognized = true;
        this.#last = true;
        const usage = parseObject(payload)?.usage as JsonObject | undefined;
        if (usage && typeof usage === 'object') {
          this.#inputTokens = count(usage.inputTokens) ?? this.#inputTokens;
          this.#outputTokens = count(usage.outputTokens) ?? this.#outputTokens;
        }
        return;
      }
      case 'chunk':
        this.#onInvokeChunk(payload);
        return;
    }
  }

  /** An `invoke-with-response-stream` chunk: the model's own JSON, base64 in `bytes`. */
  #onInvokeChunk(payload: Buffer): void {
    this.#recognized = true;
    this.#firstChunkAt ??= this.#now();
    const encoded = parseObject(payload)?.bytes;
    if (typeof encoded !== 'string') return;
    const inner = parseObject(Buffer.from(encoded, 'base64').toString('utf8'));
    const metrics = inner?.['amazon-bedrock-invocationMetrics'];
    if (metrics && typeof metrics === 'object') {
      const m = metrics as JsonObject;
      this.#inputTokens = count(m.inputTokenCount) ?? this.#inputTokens;
      this.#outputTokens = count(m.outputTokenCount) ?? this.#outputTokens;
      this.#stopped = true;
      this.#last = true;
    }
    const delta = inner?.delta as JsonObject | undefined;
    const reason = delta && typeof delta === 'object' ? (delta.stop_reason ?? delta.stopReason) : undefined;
    if (typeof reason === 'string' && reason !== '') this.#finishReason = reason;
  }
}
