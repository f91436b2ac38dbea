/**
 * Server-sent events: an incremental byte-level parser of the event-stream format (parser.ts) and the
 * interpretation of OpenAI-compatible LLM response streams built on it (stream-observer.ts).
 * Pure: no I/O and no OpenTelemetry; the interceptor feeds bytes in and maps the results to telemetry.
 */
export { DEFAULT_MAX_LINE_BYTES, type SseEvent, SseParser, type SseParserOptions } from './parser.ts';
export {
  STREAM_ERROR_CODE_FINISH_REASON,
  STREAM_ERROR_CODE_UNSPECIFIED,
  type StreamErrorInfo,
  StreamObserver,
  type StreamObserverOptions,
} from './stream-observer.ts';
