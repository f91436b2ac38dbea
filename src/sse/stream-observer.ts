/**
 * Interprets an OpenAI-compatible LLM response stream as it passes by: chat/completions and legacy
 * completions chunks, and the Responses API's named events. It records the response id and model,
 * finish reasons, token usage, when the first content arrived and whether the stream completed, and
 * reports mid-stream errors. Pure: no OpenTelemetry; the interceptor maps the results to telemetry.
 *
 * Speed: JSON.parse runs only on the first data event and on events whose text can matter (cheap
 * substring checks: `"error"`, `"success"`, a non-null `"finish_reason"` or `"usage"`, and the Responses
 * events `response.created/in_progress/completed/incomplete/failed` and `error`). Content detection for
 * `firstChunkAt` is a substring check that runs only until the first content is seen. After that,
 * runs of complete events that cannot matter are only counted: by the learned shape of the
 * stream's content events (event-template.ts), else by one scan (plain-chunk.ts), named events
 * the observer ignores (Anthropic's content blocks, the Responses API's deltas) included once the
 * stream is recognised. `eventPaths` says how many events took each path.
 *
 * Error shapes, each reported once through `onError`:
 * - a choice with `finish_reason: "error"` and/or an `error` object (Cline): code from `error.code`, else
 *   `error.type`, else `"error"` ({@link STREAM_ERROR_CODE_FINISH_REASON});
 * - a top-level `error` object (OpenAI, OpenRouter, CheapAI): code from `code`, else `type`, else
 *   `"stream_error"` ({@link STREAM_ERROR_CODE_UNSPECIFIED}); numeric codes become strings;
 * - CheapAI's `{"success":false,"error":"text"}` (or a bare string `error`): code `"stream_error"`,
 *   message the text;
 * - an `event: error` frame: any of the JSON shapes above, the Responses API's `{"type":"error","code",
 *   "message"}`, or plain text (code `"stream_error"`, message the text);
 * - a Responses `response.failed` event: `response.error.code/message`, unless an error was already
 *   reported in this stream (the API may send `error` and then `response.failed` for one failure).
 * A frame with choice errors reports those and not its top-level error. Data that should be JSON but
 * does not parse to an object is counted in `malformedEvents` and otherwise ignored.
 */
import { codeShaped } from '../errors/error-code.ts';
import { EventTemplate } from './event-template.ts';
import { asBuffer, type SseEvent, SseParser } from './parser.ts';
import { countPlainText, latin1 } from './plain-chunk.ts';

/** `code` of an error that names none (CheapAI's `{"success":false}`, plain-text `event: error`). */
export const STREAM_ERROR_CODE_UNSPECIFIED = 'stream_error';
/** `code` of a choice with `finish_reason: "error"` and no error code. */
export const STREAM_ERROR_CODE_FINISH_REASON = 'error';

export interface StreamErrorInfo {
  /** Provider's error code (numbers stringified) or one of the STREAM_ERROR_CODE_* fallbacks. */
  code: string;
  message: string | undefined;
  /** 0-based index of the data event that carried the error (`[DONE]` not counted). */
  chunkIndex: number;
  /** Body bytes received up to and including the network chunk that completed the error event. */
  bytesReceived: number;
}

export interface StreamObserverOptions {
  onError(error: StreamErrorInfo): void;
  /** Clock for `firstChunkAt`. Default `performance.now` (milliseconds, monotonic). */
  now?: () => number;
  /** Passed to the SSE parser. */
  maxLineBytes?: number;
}

type JsonObject = Record<string, unknown>;

/**
 * What the interceptor reads from a response stream observer, whatever the framing: SSE (this
 * module) or NDJSON (src/ndjson/).
 */
export interface ResponseStreamObserver {
  write(chunk: Uint8Array): void;
  end(): void;
  readonly completed: boolean;
  readonly terminated: boolean;
  readonly final: boolean;
  readonly isLlmStream: boolean;
  readonly chunkIndex: number;
  readonly linesDropped: number;
  readonly responseId: string | undefined;
  readonly responseModel: string | undefined;
  readonly finishReasons: readonly string[];
  readonly inputTokens: number | undefined;
  readonly outputTokens: number | undefined;
  readonly firstChunkAt: number | undefined;
  /** The usage object as sent, when the framing has one (cost, cached tokens). */
  readonly usage?: unknown;
}

const DONE = '[DONE]';
const LF = 0x0a;
/** The blank line that ends an event, with `\n` line ends (the only ones the fast path takes). */
const EVENT_END = Buffer.from('\n\n');
const EVENT_END_TEXT = '\n\n';

const TYPE_PREFIX = '{"type":"';

/**
 * A quoted JSON key and the tail of it that `indexOf` looks for: V8 finds a pattern far faster when
 * its first character is rare in the text, and `"` is everywhere in JSON.
 */
interface Key {
  readonly quoted: string;
  readonly probe: string;
}

function key(quoted: string, probe: string): Key {
  return { quoted, probe };
}

const ERROR_KEY = key('"error"', 'rror"');
const SUCCESS_KEY = key('"success"', 'uccess"');
const FINISH_REASON_KEY = key('"finish_reason"', '_reason"');
const USAGE_KEY = key('"usage"', 'ge"');
const GEMINI_FINISH_REASON_KEY = key('"finishReason"', 'Reason"');
const GEMINI_USAGE_KEY = key('"usageMetadata"', 'Metadata"');
const CONTENT_KEYS = [
  key('"content"', 'ntent"'),
  key('"text"', 'ext"'),
  key('"tool_calls"', '_calls"'),
  key('"function_call"', '_call"'),
  key('"refusal"', 'fusal"'),
  key('"reasoning"', 'soning"'),
  key('"reasoning_content"', '_content"'),
];

/** Chunks parsed for an id or model before the observer stops looking (a gateway may send neither). */
const MAX_IDENTITY_LOOKS = 4;

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A code-shaped `error.type` (a short token, never free text or a key: errors/error-code.ts), else undefined. */
function codeOf(value: unknown): string | undefined {
  return codeShaped(value);
}

/** A code that is a word, not a number: `"context_length_exceeded"`, not `429` or `"429"`; code-shaped. */
function textualCodeOf(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const first = value.charCodeAt(0);
  return first >= 0x30 && first <= 0x39 ? undefined : codeShaped(value);
}

/**
 * The error's code: a textual `code` (OpenAI), else a textual `status` (Gemini's `RESOURCE_EXHAUSTED`)
 * or `type` (Anthropic's `overloaded_error`, LiteLLM's `throttling_error` beside `"code":"429"`),
 * else a numeric code as a string, else `fallbackCode`.
 */
function describeError(error: unknown, fallbackCode: string): { code: string; message: string | undefined } {
  if (typeof error === 'string') return { code: fallbackCode, message: error === '' ? undefined : error };
  if (!isObject(error)) return { code: fallbackCode, message: undefined };
  return {
    code:
      textualCodeOf(error.code) ??
      textualCodeOf(error.status) ??
      textualCodeOf(error.type) ??
      codeOf(error.code) ??
      fallbackCode,
    message: typeof error.message === 'string' ? error.message : undefined,
  };
}

function topLevelError(chunk: JsonObject): { code: string; message: string | undefined } | undefined {
  const error = chunk.error;
  if (isObject(error) || (typeof error === 'string' && error !== '') || chunk.success === false) {
    return describeError(error, STREAM_ERROR_CODE_UNSPECIFIED);
  }
  return undefined;
}

function skipWhitespace(text: string, from: number): number {
  let i = from;
  for (
    let c = text.charCodeAt(i);
    c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
    c = text.charCodeAt(++i)
  );
  return i;
}

/** Where the next occurrence of `key` at or after `from` ends, or -1. */
function findKey(text: string, key: Key, from: number): number {
  const head = key.quoted.length - key.probe.length;
  for (let at = text.indexOf(key.probe, from + head); at !== -1; at = text.indexOf(key.probe, at + 1)) {
    if (text.startsWith(key.quoted, at - head)) return at + key.probe.length;
  }
  return -1;
}

/**
 * Where the value of the next `key` at or after `from` starts, or -1. An occurrence not followed by a
 * colon (the same text as a string value) is skipped.
 */
function findValue(text: string, key: Key, from: number): number {
  for (let end = findKey(text, key, from); end !== -1; end = findKey(text, key, end)) {
    const colon = skipWhitespace(text, end);
    if (text.charCodeAt(colon) === 0x3a) return skipWhitespace(text, colon + 1);
  }
  return -1;
}

/** Some occurrence of `key` has a value other than `null`. */
function hasNonNullValue(text: string, key: Key): boolean {
  for (let at = findValue(text, key, 0); at !== -1; at = findValue(text, key, at)) {
    if (!text.startsWith('null', at)) return true;
  }
  return false;
}

/** Some occurrence of `key` has a value other than null, "", [] or {}. */
function hasNonEmptyValue(text: string, key: Key): boolean {
  for (let at = findValue(text, key, 0); at !== -1; at = findValue(text, key, at)) {
    const c = text.charCodeAt(at);
    if (c === 0x6e /* n */) continue;
    const next = text.charCodeAt(c === 0x22 /* " */ ? at + 1 : skipWhitespace(text, at + 1));
    if ((c === 0x22 && next === 0x22) || (c === 0x5b && next === 0x5d) || (c === 0x7b && next === 0x7d))
      continue;
    return true;
  }
  return false;
}

function carriesContent(data: string): boolean {
  for (const contentKey of CONTENT_KEYS) if (hasNonEmptyValue(data, contentKey)) return true;
  return false;
}

/** The text of a chunk that can change what we record: an error, a finish reason or usage. */
function mayMatter(data: string): boolean {
  return (
    findKey(data, ERROR_KEY, 0) !== -1 ||
    findKey(data, SUCCESS_KEY, 0) !== -1 ||
    hasNonNullValue(data, FINISH_REASON_KEY) ||
    hasNonNullValue(data, USAGE_KEY) ||
    hasNonNullValue(data, GEMINI_FINISH_REASON_KEY) ||
    findKey(data, GEMINI_USAGE_KEY, 0) !== -1
  );
}

/** The `type` of a `{"type":"name",...}` data frame that came without an `event:` field. */
function typeFromData(data: string): string | undefined {
  if (!data.startsWith(TYPE_PREFIX)) return undefined;
  const end = data.indexOf('"', TYPE_PREFIX.length);
  return end === -1 ? undefined : data.slice(TYPE_PREFIX.length, end);
}

function parseObject(data: string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(data);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export class StreamObserver {
  readonly #onError: (error: StreamErrorInfo) => void;
  readonly #now: () => number;
  readonly #parser: SseParser;
  /** The shape of this stream's plain events, once learned (event-template.ts). */
  readonly #template = new EventTemplate();

  #bytesReceived = 0;
  #chunkIndex = 0;
  #sawDone = false;
  #sawFinish = false;
  /** The format's last event: Responses terminal events, Anthropic `message_stop`, a Gemini `finishReason`. */
  #sawLast = false;
  /** An event only an LLM stream sends was seen (see `isLlmStream`). */
  #recognized = false;
  /** A JSON-RPC message was seen: an MCP stream, whose errors are not ours to report. */
  #jsonRpc = false;
  /**
   * Done looking for the response id and model: found (Anthropic's `message_start`, a Responses
   * `response.created`/`in_progress`, or a chunk with a non-empty one), or MAX_IDENTITY_LOOKS
   * parsed chunks without. Until then every event is parsed.
   */
  #identitySettled = false;
  #identityLooks = 0;
  #errorsReported = 0;
  #malformedEvents = 0;
  #parsedEvents = 0;
  #scannedEvents = 0;
  #matchedEvents = 0;
  #responseId: string | undefined;
  #responseModel: string | undefined;
  #inputTokens: number | undefined;
  #outputTokens: number | undefined;
  #firstChunkAt: number | undefined;
  readonly #finishReasons = new Map<number, string>();
  /** The usage objects seen, merged (Anthropic splits them over two events): cost and cached tokens. */
  #usage: JsonObject | undefined;

  constructor(options: StreamObserverOptions) {
    this.#onError = options.onError;
    this.#now = options.now ?? (() => performance.now());
    this.#parser = new SseParser({
      onEvent: (event) => this.#onEvent(event),
      ...(options.maxLineBytes === undefined ? {} : { maxLineBytes: options.maxLineBytes }),
    });
  }

  /** Body bytes written so far. */
  get bytesReceived(): number {
    return this.#bytesReceived;
  }
  /** Data events seen so far, `[DONE]` excluded. */
  get chunkIndex(): number {
    return this.#chunkIndex;
  }
  /**
   * The stream ended properly: it sent `[DONE]`, a non-null `finish_reason` on any choice (with n > 1
   * choices, one finished choice suffices), or a terminal Responses event (`response.completed`,
   * `response.incomplete`, `response.failed`). Errors do not change it: check `onError` reports.
   */
  get completed(): boolean {
    return this.#sawDone || this.#sawFinish;
  }
  /**
   * The stream said how it ends: it completed (see `completed`) or reported an error. After that, a
   * client that stops reading and cancels the body has not aborted anything.
   */
  get terminated(): boolean {
    return this.completed || this.#errorsReported > 0;
  }
  /**
   * Nothing after this can change the outcome: `[DONE]`, the format's last event, or an error. (An
   * OpenAI `finish_reason` is not final: a usage chunk and `[DONE]` may follow it.)
   */
  get final(): boolean {
    return this.#sawDone || this.#sawLast || this.#errorsReported > 0;
  }
  /**
   * Its events are an LLM stream's: `[DONE]`, chat or completion chunks (`choices`), Responses
   * events, Anthropic Messages events, Gemini chunks (`candidates`, `usageMetadata`). Any other
   * `text/event-stream` (MCP, notifications) may end whenever it likes.
   */
  get isLlmStream(): boolean {
    return this.#recognized && !this.#jsonRpc;
  }
  get responseId(): string | undefined {
    return this.#responseId;
  }
  get responseModel(): string | undefined {
    return this.#responseModel;
  }
  /**
   * One per choice index that finished, in index order. For the Responses API: the response's `status`,
   * or `incomplete_details.reason` for `response.incomplete`.
   */
  get finishReasons(): readonly string[] {
    return [...this.#finishReasons.entries()].sort((a, b) => a[0] - b[0]).map((entry) => entry[1]);
  }
  /** From the last `usage` seen: `prompt_tokens`, else `input_tokens`. */
  get inputTokens(): number | undefined {
    return this.#inputTokens;
  }
  /** From the last `usage` seen: `completion_tokens`, else `output_tokens`. */
  get outputTokens(): number | undefined {
    return this.#outputTokens;
  }
  /** `now()` at the first data event that carried content (text, tool calls, refusal or reasoning). */
  get firstChunkAt(): number | undefined {
    return this.#firstChunkAt;
  }
  /** The stream's usage objects as sent (merged), for provider-reported cost and cached tokens. */
  get usage(): unknown {
    return this.#usage;
  }
  get linesDropped(): number {
    return this.#parser.linesDropped;
  }
  /**
   * How the events were observed, for the benchmark and the tests that keep the fast paths
   * reachable: decoded by the SSE parser (`[DONE]` included), counted by the plain-chunk scan, or
   * matched by the learned template.
   */
  get eventPaths(): { readonly parsed: number; readonly scanned: number; readonly matched: number } {
    return { parsed: this.#parsedEvents, scanned: this.#scannedEvents, matched: this.#matchedEvents };
  }
  /** Data events that were parsed as JSON and were not a JSON object. */
  get malformedEvents(): number {
    return this.#malformedEvents;
  }

  /** Decoded body bytes, in order. */
  write(chunk: Uint8Array): void {
    this.#bytesReceived += chunk.byteLength;
    let bytes = asBuffer(chunk);
    // Until the id, model and first content are known, every event is parsed: event by event, so
    // the rest of a large read can still take the fast path.
    while (this.#firstChunkAt === undefined || !this.#identitySettled) {
      const boundary = bytes.indexOf(EVENT_END);
      if (boundary === -1 || boundary + EVENT_END.length === bytes.length) {
        this.#parser.feed(bytes);
        return;
      }
      this.#parser.feed(bytes.subarray(0, boundary + EVENT_END.length));
      bytes = bytes.subarray(boundary + EVENT_END.length);
    }
    this.#writeFast(bytes);
  }

  /**
   * Once the id, model and first content are known, runs of complete plain events (nothing that can
   * change the observation, see plain-chunk.ts) are only counted, never decoded. The parser gets
   * the rest: the end of an event begun in an earlier chunk, a partial event at the end, and any run
   * that is not plain.
   */
  #writeFast(bytes: Buffer): void {
    let start = 0;
    if (!this.#parser.atEventBoundary) {
      const boundary = bytes.indexOf(EVENT_END);
      if (boundary === -1) {
        this.#parser.feed(bytes);
        return;
      }
      start = boundary + EVENT_END.length;
      this.#parser.feed(bytes.subarray(0, start));
      if (!this.#parser.atEventBoundary) {
        this.#parser.feed(bytes.subarray(start));
        return;
      }
    }
    const length = bytes.length;
    const endsAtBoundary = bytes[length - 1] === LF && bytes[length - 2] === LF;
    const last = endsAtBoundary ? length - EVENT_END.length : bytes.lastIndexOf(EVENT_END);
    const end = last < start ? start : last + EVENT_END.length;
    if (end > start) this.#countRun(bytes, start, end);
    if (end < length) this.#parser.feed(bytes.subarray(end));
  }

  /**
   * A run of complete events, `bytes[start, end)`: those that match the learned template are only
   * counted; the rest is counted if plain (and its last event taught to the template), else parsed.
   */
  #countRun(bytes: Buffer, start: number, end: number): void {
    const text = latin1(bytes, start, end);
    let position = 0;
    const template = this.#template;
    // A long run teaches the template from its first two events, so that the rest of it can match.
    // Named events are plain once the stream is recognised (plain-chunk.ts).
    const named = this.#recognized;
    if (template.learning && text.length > LEARN_AHEAD_MIN_LENGTH) learnFromStart(template, text, named);
    if (template.ready && !text.includes('\r')) {
      for (let next = template.match(text, 0); next !== -1; ) {
        this.#chunkIndex++;
        this.#matchedEvents++;
        position = next;
        next = position < text.length ? template.match(text, position) : -1;
      }
      if (position === text.length) return;
    }
    const rest = position === 0 ? text : text.slice(position);
    const events = countPlainText(rest, named);
    if (events < 0) {
      this.#parser.feed(bytes.subarray(start + position, end));
      return;
    }
    this.#chunkIndex += events;
    this.#scannedEvents += events;
    // The run's last event (and, to be ready at once, the one before it) for the template.
    const lastStart = eventStartBefore(rest, rest.length);
    if (!template.ready && lastStart > 0)
      template.learn(rest.slice(eventStartBefore(rest, lastStart), lastStart));
    template.learn(rest.slice(lastStart));
  }

  /** The body ended; an unterminated last event is discarded. */
  end(): void {
    this.#parser.end();
  }

  #onEvent(event: SseEvent): void {
    this.#parsedEvents++;
    const data = event.data;
    if (data === DONE) {
      this.#sawDone = true;
      this.#recognized = true;
      return;
    }
    const index = this.#chunkIndex++;
    const type = event.event ?? typeFromData(data);
    if (type === undefined || type === 'message') this.#onChunk(data, index);
    else this.#onNamedEvent(type, data, index);
  }

  #onChunk(data: string, index: number): void {
    if (this.#firstChunkAt === undefined && carriesContent(data)) this.#firstChunkAt = this.#now();
    if (this.#identitySettled && !mayMatter(data)) return;
    const chunk = this.#parse(data);
    if (chunk !== undefined) this.#interpretChunk(chunk, index);
    // Azure's first chunk (content-filter results) has an empty id and model: look further.
    if (this.#responseId !== undefined || this.#responseModel !== undefined) this.#identitySettled = true;
    else if (++this.#identityLooks >= MAX_IDENTITY_LOOKS) this.#identitySettled = true;
  }

  /**
   * The names plain-chunk.ts `isPlainEventName` calls plain are counted without coming here once
   * the first content is seen and the stream recognised: for them, this must then do nothing.
   */
  #onNamedEvent(type: string, data: string, index: number): void {
    switch (type) {
      case 'error':
        this.#onErrorEvent(data, index);
        return;
      case 'response.created':
      case 'response.in_progress':
        this.#recognized = true;
        if (this.#responseId === undefined) this.#readResponse(this.#parse(data)?.response);
        this.#identitySettled = true;
        return;
      case 'response.completed':
      case 'response.incomplete':
      case 'response.failed':
        this.#recognized = true;
        this.#onResponseFinished(type, data, index);
        return;
      // Anthropic Messages: identity and input usage first, stop reason and output usage last.
      case 'message_start':
        this.#recognized = true;
        this.#readResponse(this.#parse(data)?.message);
        this.#identitySettled = true;
        return;
      case 'message_delta':
        this.#recognized = true;
        this.#onMessageDelta(data);
        return;
      case 'message_stop':
        this.#recognized = true;
        this.#sawFinish = true;
        this.#sawLast = true;
        return;
      case 'content_block_start':
      case 'content_block_delta':
      case 'content_block_stop':
        this.#recognized = true;
        if (this.#firstChunkAt === undefined && carriesContent(data)) this.#firstChunkAt = this.#now();
        return;
      case 'ping':
        return;
      default:
        if (type.startsWith('response.')) {
          this.#recognized = true;
          if (type.endsWith('.delta')) this.#firstChunkAt ??= this.#now();
          return;
        }
        if (type.endsWith('.delta')) {
          this.#firstChunkAt ??= this.#now();
          return;
        }
        this.#onChunk(data, index);
    }
  }

  #onMessageDelta(data: string): void {
    const frame = this.#parse(data);
    if (frame === undefined) return;
    const delta = frame.delta;
    const reason = isObject(delta) ? delta.stop_reason : undefined;
    if (typeof reason === 'string' && reason !== '') this.#finishReasons.set(0, reason);
    this.#readUsage(frame.usage);
  }

  #onErrorEvent(data: string, index: number): void {
    const payload = parseObject(data);
    if (payload?.jsonrpc !== undefined) this.#jsonRpc = true;
    if (this.#jsonRpc) return;
    if (payload === undefined) {
      this.#report(STREAM_ERROR_CODE_UNSPECIFIED, data === '' ? undefined : data, index);
      return;
    }
    const reportedBefore = this.#errorsReported;
    this.#interpretChunk(payload, index);
    if (this.#errorsReported === reportedBefore) {
      // The Responses API's shape: {"type":"error","code":...,"message":...}
      const message = typeof payload.message === 'string' ? payload.message : undefined;
      this.#report(codeOf(payload.code) ?? STREAM_ERROR_CODE_UNSPECIFIED, message, index);
    }
  }

  #onResponseFinished(type: string, data: string, index: number): void {
    this.#sawFinish = true;
    this.#sawLast = true;
    const response = this.#parse(data)?.response;
    if (!isObject(response)) return;
    this.#readResponse(response);
    const incomplete = response.incomplete_details;
    const reason =
      type === 'response.incomplete' && isObject(incomplete) && typeof incomplete.reason === 'string'
        ? incomplete.reason
        : response.status;
    if (typeof reason === 'string' && reason !== '') this.#finishReasons.set(0, reason);
    if (type === 'response.failed' && this.#errorsReported === 0) {
      const { code, message } = describeError(response.error, STREAM_ERROR_CODE_UNSPECIFIED);
      this.#report(code, message, index);
    }
  }

  #readResponse(response: unknown): void {
    if (!isObject(response)) return;
    this.#readIdentity(response);
    this.#readUsage(response.usage);
  }

  #interpretChunk(chunk: JsonObject, index: number): void {
    if (chunk.jsonrpc !== undefined) this.#jsonRpc = true;
    if (this.#jsonRpc) return;
    this.#readIdentity(chunk);
    this.#readUsage(chunk.usage);
    // Groq streams its usage in `x_groq.usage` on the last chunk.
    const groq = chunk.x_groq;
    if (isObject(groq)) this.#readUsage(groq.usage);
    if (Array.isArray(chunk.candidates) || isObject(chunk.usageMetadata)) this.#interpretGemini(chunk);
    let choiceErrors = 0;
    const choices = chunk.choices;
    if (Array.isArray(choices)) {
      this.#recognized = true;
      for (let position = 0; position < choices.length; position++) {
        const choice: unknown = choices[position];
        if (!isObject(choice)) continue;
        const reason = choice.finish_reason;
        if (typeof reason === 'string' && reason !== '') {
          const choiceIndex = Number.isSafeInteger(choice.index) ? (choice.index as number) : position;
          this.#finishReasons.set(choiceIndex, reason);
          this.#sawFinish = true;
        }
        if (reason === 'error' || isObject(choice.error)) {
          const { code, message } = describeError(choice.error, STREAM_ERROR_CODE_FINISH_REASON);
          this.#report(code, message, index);
          choiceErrors++;
        }
      }
    }
    if (choiceErrors > 0) return;
    const error = topLevelError(chunk);
    if (error !== undefined) this.#report(error.code, error.message, index);
  }

  /** A Gemini `streamGenerateContent?alt=sse` chunk: finish reasons, `usageMetadata`, identity. */
  #interpretGemini(chunk: JsonObject): void {
    this.#recognized = true;
    const candidates = chunk.candidates;
    if (Array.isArray(candidates)) {
      for (let position = 0; position < candidates.length; position++) {
        const candidate: unknown = candidates[position];
        if (!isObject(candidate)) continue;
        const reason = candidate.finishReason;
        if (typeof reason !== 'string' || reason === '') continue;
        const index = Number.isSafeInteger(candidate.index) ? (candidate.index as number) : position;
        this.#finishReasons.set(index, reason);
        this.#sawFinish = true;
        this.#sawLast = true;
      }
    }
    const usage = chunk.usageMetadata;
    // Gemini repeats the whole usageMetadata in every chunk: the last one is complete.
    if (isObject(usage)) this.#usage = usage;
    if (isObject(usage)) {
      const input = usage.promptTokenCount;
      const output = usage.candidatesTokenCount;
      if (typeof input === 'number' && Number.isFinite(input)) this.#inputTokens = input;
      if (typeof output === 'number' && Number.isFinite(output)) this.#outputTokens = output;
    }
    this.#responseId ??= nonEmptyString(chunk.responseId);
    this.#responseModel ??= nonEmptyString(chunk.modelVersion);
  }

  /** The first non-empty `id` and `model` (Azure's content-filter chunks carry empty ones). */
  #readIdentity(source: JsonObject): void {
    this.#responseId ??= nonEmptyString(source.id);
    this.#responseModel ??= nonEmptyString(source.model);
  }

  /**
   * OpenAI `prompt_tokens`/`completion_tokens`, else `input_tokens`/`output_tokens` (Responses,
   * Anthropic). Anthropic counts cache reads and writes apart from `input_tokens`; they are input
   * tokens too, so they are added (OpenAI's cached tokens are already inside `prompt_tokens`).
   */
  #readUsage(usage: unknown): void {
    if (!isObject(usage)) return;
    this.#usage = this.#usage === undefined ? usage : { ...this.#usage, ...usage };
    let input = usage.prompt_tokens ?? usage.input_tokens;
    const output = usage.completion_tokens ?? usage.output_tokens;
    if (typeof input === 'number' && Number.isFinite(input)) {
      for (const cached of [usage.cache_creation_input_tokens, usage.cache_read_input_tokens]) {
        if (typeof cached === 'number' && Number.isFinite(cached)) input += cached;
      }
      this.#inputTokens = input;
    }
    if (typeof output === 'number' && Number.isFinite(output)) this.#outputTokens = output;
  }

  #parse(data: string): JsonObject | undefined {
    const value = parseObject(data);
    if (value === undefined) this.#malformedEvents++;
    return value;
  }

  #report(code: string, message: string | undefined, chunkIndex: number): void {
    this.#errorsReported++;
    this.#onError({ code, message, chunkIndex, bytesReceived: this.#bytesReceived });
  }
}

/**
 * Runs longer than this (about eight ordinary chunks) are worth learning from before they are
 * matched; shorter ones are scanned whole and teach the template from their end.
 */
const LEARN_AHEAD_MIN_LENGTH = 2048;

/** Teaches `template` the first two events of a run, when they are plain (plain-chunk.ts). */
function learnFromStart(template: EventTemplate, text: string, namedEvents: boolean): void {
  const firstEnd = text.indexOf(EVENT_END_TEXT) + EVENT_END_TEXT.length;
  const secondEnd = text.indexOf(EVENT_END_TEXT, firstEnd) + EVENT_END_TEXT.length;
  if (firstEnd < EVENT_END_TEXT.length || secondEnd < firstEnd + EVENT_END_TEXT.length) return;
  const head = text.slice(0, secondEnd);
  if (countPlainText(head, namedEvents) !== 2) return;
  template.learn(head.slice(0, firstEnd));
  template.learn(head.slice(firstEnd));
}

/** Where the event that ends at `end` (just after its blank line) starts: after the blank line before it, or 0. */
function eventStartBefore(text: string, end: number): number {
  const previousEnd = end > 2 ? text.lastIndexOf(EVENT_END_TEXT, end - 3) : -1;
  return previousEnd === -1 ? 0 : previousEnd + EVENT_END_TEXT.length;
}
