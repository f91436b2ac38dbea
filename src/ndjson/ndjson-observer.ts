/**
 * Interprets a newline-delimited JSON response stream (Ollama's `/api/chat` and `/api/generate`,
 * `application/x-ndjson`) as it passes by, with the SSE observer's guarantees: any chunk boundary,
 * lines bounded in bytes (a longer line is dropped and counted, never buffered), linear time. It
 * records the model, the first content's time, `done_reason`, `prompt_eval_count`/`eval_count`, and
 * reports an `{"error":"…"}` line (Ollama sends one inside a 200 stream when generation fails).
 * Pure: no OpenTelemetry.
 *
 * Speed: a line is JSON-parsed only while the model or first content is unknown, or when it
 * mentions `"done":true`-like text or `"error"`; other lines are only counted.
 */

import { DEFAULT_MAX_LINE_BYTES } from '../sse/parser.ts';
import { STREAM_ERROR_CODE_UNSPECIFIED, type StreamErrorInfo } from '../sse/stream-observer.ts';

export interface NdjsonObserverOptions {
  onError(error: StreamErrorInfo): void;
  now?: () => number;
  maxLineBytes?: number;
}

const LF = 0x0a;
const EMPTY = Buffer.alloc(0);

type JsonObject = Record<string, unknown>;

function parseObject(text: string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(text);
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

function hasContent(line: JsonObject): boolean {
  const message = line.message;
  if (typeof message === 'object' && message !== null) {
    const { content, tool_calls: toolCalls, thinking } = message as JsonObject;
    if ((typeof content === 'string' && content !== '') || Array.isArray(toolCalls)) return true;
    if (typeof thinking === 'string' && thinking !== '') return true;
  }
  return typeof line.response === 'string' && line.response !== '';
}

export class NdjsonObserver {
  readonly #onError: (error: StreamErrorInfo) => void;
  readonly #now: () => number;
  readonly #maxLineBytes: number;
  /** The current partial line (bounded by maxLineBytes), or undefined while dropping an overlong one. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #dropping = false;
  #linesDropped = 0;
  #bytesReceived = 0;
  #lines = 0;
  #done = false;
  #errors = 0;
  #recognized = false;
  #model: string | undefined;
  #finishReason: string | undefined;
  #inputTokens: number | undefined;
  #outputTokens: number | undefined;
  #firstChunkAt: number | undefined;

  constructor(options: NdjsonObserverOptions) {
    this.#onError = options.onError;
    this.#now = options.now ?? (() => performance.now());
    this.#maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  }

  get bytesReceived(): number {
    return this.#bytesReceived;
  }
  /** Lines that carried a JSON value, the error line included. */
  get chunkIndex(): number {
    return this.#lines;
  }
  /** A line with `"done": true` arrived. */
  get completed(): boolean {
    return this.#done;
  }
  get terminated(): boolean {
    return this.#done || this.#errors > 0;
  }
  /** The `done` line or an error line: nothing after it changes the outcome. */
  get final(): boolean {
    return this.terminated;
  }
  /** A line shaped like Ollama's (`model` and `done`) arrived. */
  get isLlmStream(): boolean {
    return this.#recognized;
  }
  get responseId(): string | undefined {
    return undefined;
  }
  get responseModel(): string | undefined {
    return this.#model;
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
  get linesDropped(): number {
    return this.#linesDropped;
  }

  write(chunk: Uint8Array): void {
    this.#bytesReceived += chunk.byteLength;
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    for (let newline = bytes.indexOf(LF, start); newline !== -1; newline = bytes.indexOf(LF, start)) {
      this.#append(bytes.subarray(start, newline));
      this.#finishLine();
      start = newline + 1;
    }
    if (start < bytes.length) this.#append(bytes.subarray(start));
  }

  /** The body ended: a last line without its newline still counts (Ollama ends with one, others may not). */
  end(): void {
    this.#finishLine();
  }

  #append(part: Buffer): void {
    if (this.#dropping || part.length === 0) return;
    if (this.#pendingBytes + part.length > this.#maxLineBytes) {
      this.#dropping = true;
      this.#pending = [];
      this.#pendingBytes = 0;
      return;
    }
    // Copied: the chunk belongs to the application and may be reused after this call.
    this.#pending.push(Buffer.from(part));
    this.#pendingBytes += part.length;
  }

  #finishLine(): void {
    if (this.#dropping) {
      this.#dropping = false;
      this.#linesDropped++;
      return;
    }
    if (this.#pendingBytes === 0) return;
    const pending = this.#pending;
    const line = (pending.length === 1 ? (pending[0] ?? EMPTY) : Buffer.concat(pending))
      .toString('utf8')
      .trim();
    this.#pending = [];
    this.#pendingBytes = 0;
    if (line !== '') this.#onLine(line);
  }

  #onLine(line: string): void {
    const index = this.#lines++;
    const mayMatter =
      this.#model === undefined ||
      this.#firstChunkAt === undefined ||
      line.includes('"error"') ||
      line.includes('"done":true') ||
      line.includes('"done": true');
    if (!mayMatter) return;
    const value = parseObject(line);
    if (value === undefined) return;
    if (value.error !== undefined && value.error !== null) {
      const error = value.error;
      const message =
        typeof error === 'string'
          ? error
          : typeof (error as JsonObject).message === 'string'
            ? ((error as JsonObject).message as string)
            : undefined;
      this.#errors++;
      this.#onError({
        code: STREAM_ERROR_CODE_UNSPECIFIED,
        message: message === '' ? undefined : message,
        chunkIndex: index,
        bytesReceived: this.#bytesReceived,
      });
      return;
    }
    if (typeof value.model === 'string') {
      this.#model ??= value.model;
      if ('done' in value) this.#recognized = true;
    }
    if (this.#firstChunkAt === undefined && hasContent(value)) this.#firstChunkAt = this.#now();
    if (value.done !== true) return;
    this.#done = true;
    if (typeof value.done_reason === 'string' && value.done_reason !== '')
      this.#finishReason = value.done_reason;
    this.#inputTokens = count(value.prompt_eval_count) ?? this.#inputTokens;
    this.#outputTokens = count(value.eval_count) ?? this.#outputTokens;
  }
}
