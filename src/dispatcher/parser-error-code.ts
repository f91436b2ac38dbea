/**
 * Puts back `HTTPParserError.code` (`HPE_INVALID_CHUNK_SIZE`, ...), which undici 7 and 8 leave
 * undefined: they look the llhttp error number up in `constants.ERROR`, a name-to-number map since
 * llhttp 9, so the lookup by number finds nothing. Node 22's built-in fetch (undici 6) still reports
 * the code, so an application on Node 22 lost it when its fetch went through undici 8. The number
 * is gone by the time the error reaches a handler; the llhttp reason inside the message is not, and
 * each reason below belongs to exactly one error code in llhttp 9.x (src/llhttp/http.ts, src/native/api.c).
 * Reasons shared by several codes are left out: then `code` stays undefined, as undici made it.
 */
import type { Dispatcher } from 'undici';

type Handler = Dispatcher.DispatchHandler;

const PREFIX = 'Response does not match the HTTP/1.1 protocol (';

const CODE_BY_REASON: ReadonlyMap<string, string> = new Map(
  Object.entries({
    'Chunk size overflow': 'INVALID_CHUNK_SIZE',
    'Invalid character in chunk size': 'INVALID_CHUNK_SIZE',
    'Expected LF after chunk size': 'STRICT',
    'Expected LF after chunk data': 'STRICT',
    'Expected LF after headers': 'STRICT',
    'Expected LF after CR': 'STRICT',
    'Invalid character in chunk extensions': 'STRICT',
    'Invalid character in chunk extensions name': 'STRICT',
    'Invalid character in chunk extensions value': 'STRICT',
    'Invalid character in chunk extensions quote value': 'STRICT',
    'Invalid character in chunk extensions quoted value': 'STRICT',
    'Invalid quoted-pair in chunk extensions quoted value': 'STRICT',
    'Missing expected CR after chunk size': 'CR_EXPECTED',
    'Missing expected CR after chunk data': 'CR_EXPECTED',
    'Missing expected CR after chunk extension name': 'CR_EXPECTED',
    'Missing expected CR after chunk extension value': 'CR_EXPECTED',
    'Missing expected CR after header value': 'CR_EXPECTED',
    'Missing expected CR after response line': 'CR_EXPECTED',
    'Missing expected LF after header value': 'LF_EXPECTED',
    'Empty Content-Length': 'INVALID_CONTENT_LENGTH',
    "Content-Length can't be present with Transfer-Encoding": 'INVALID_CONTENT_LENGTH',
    'Duplicate Content-Length': 'UNEXPECTED_CONTENT_LENGTH',
    "Transfer-Encoding can't be present with Content-Length": 'INVALID_TRANSFER_ENCODING',
    'Invalid `Transfer-Encoding` header value': 'INVALID_TRANSFER_ENCODING',
    'Data after `Connection: close`': 'CLOSED_CONNECTION',
    'Invalid header token': 'INVALID_HEADER_TOKEN',
    'Invalid header field char': 'INVALID_HEADER_TOKEN',
    'Invalid header value char': 'INVALID_HEADER_TOKEN',
    'Unexpected whitespace after header value': 'INVALID_HEADER_TOKEN',
    'Invalid response status': 'INVALID_STATUS',
    'Invalid status code': 'INVALID_STATUS',
    'Invalid HTTP version': 'INVALID_VERSION',
    'Invalid major version': 'INVALID_VERSION',
    'Invalid minor version': 'INVALID_VERSION',
    'Expected dot': 'INVALID_VERSION',
    'Expected space after version': 'INVALID_VERSION',
    'Expected HTTP/, RTSP/ or ICE/': 'INVALID_CONSTANT',
    'Invalid word encountered': 'INVALID_CONSTANT',
    'Unexpected space after start line': 'UNEXPECTED_SPACE',
    'Invalid EOF state': 'INVALID_EOF_STATE',
  }).map(([reason, code]) => [reason, `HPE_${code}`]),
);

/** The `HPE_*` code for an undici HTTPParserError message, or undefined. Pure. */
export function parserErrorCode(message: string): string | undefined {
  if (!message.startsWith(PREFIX) || !message.endsWith(')')) return undefined;
  return CODE_BY_REASON.get(message.slice(PREFIX.length, -1));
}

/** Sets `code` on an HTTPParserError that lacks one and whose reason is known. Never throws. */
export function restoreParserErrorCode(err: unknown): void {
  try {
    if (!(err instanceof Error) || err.name !== 'HTTPParserError') return;
    const carrier = err as Error & { code?: unknown };
    if (carrier.code !== undefined) return;
    const code = parserErrorCode(err.message);
    if (code !== undefined) carrier.code = code;
  } catch {
    // A frozen or exotic error object: leave it as it is.
  }
}

/** Delegates every callback and restores the code on the way to `onResponseError`. */
class ParserErrorCodeHandler implements Handler {
  readonly #handler: Handler;

  constructor(handler: Handler) {
    this.#handler = handler;
  }

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.#handler.onRequestStart?.(controller, context);
  }

  onRequestUpgrade(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Parameters<NonNullable<Handler['onRequestUpgrade']>>[2],
    socket: Parameters<NonNullable<Handler['onRequestUpgrade']>>[3],
  ): void {
    this.#handler.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Parameters<NonNullable<Handler['onResponseStart']>>[2],
    statusMessage?: string,
  ): void {
    this.#handler.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }

  onResponseStarted(): void {
    this.#handler.onResponseStarted?.();
  }

  onBodySent(chunk: Buffer): void {
    this.#handler.onBodySent?.(chunk);
  }

  onRequestSent(): void {
    this.#handler.onRequestSent?.();
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#handler.onResponseData?.(controller, chunk);
  }

  onResponseEnd(
    controller: Dispatcher.DispatchController,
    trailers: Parameters<NonNullable<Handler['onResponseEnd']>>[1],
  ): void {
    this.#handler.onResponseEnd?.(controller, trailers);
  }

  onResponseError(controller: Dispatcher.DispatchController, err: Error): void {
    restoreParserErrorCode(err);
    this.#handler.onResponseError?.(controller, err);
  }
}

/** Innermost interceptor of our dispatchers: the application and the telemetry see the code. */
export function parserErrorCodeInterceptor(): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) =>
    function dispatchWithParserErrorCodes(opts: Dispatcher.DispatchOptions, handler: Handler): boolean {
      return dispatch(opts, new ParserErrorCodeHandler(handler));
    };
}
