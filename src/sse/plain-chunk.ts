/**
 * The fast path of stream observation, pure: most network chunks of an LLM stream are a few
 * complete `data: {...}` events that change nothing we record (no error, no finish reason, no
 * usage). Such a chunk only needs its events counted; it is never UTF-8 decoded or parsed. It is
 * scanned as latin1 text — a plain byte copy, so every ASCII marker is found where it is and
 * multi-byte characters cannot fake one.
 *
 * Anything unusual — a partial event, `\r` line ends, `id:` fields, multi-line data, `[DONE]`,
 * Responses-style `{"type":...}` frames without an `event:` line, a possible error, a non-null
 * `finish_reason` or `usage` — returns -1 and the caller parses the chunk as usual. A false -1 only
 * costs time; a chunk that matters never passes as plain.
 *
 * Named events (`event: content_block_delta`, `event: response.output_text.delta`) are plain only
 * when the caller says so: StreamObserver ignores the events named in {@link isPlainEventName} once
 * it has seen the first content and recognised the stream, whatever their data.
 */

const DATA_FIELD = 'data:';
const EVENT_FIELD = 'event:';
const DONE_VALUE = '[DONE]';
const TYPE_FRAME = '{"type"';
/**
 * Anything that may matter, in one regular expression (V8 compiles it; several `includes` calls
 * cost more): an `"error"` or `"success"` key, a `finish_reason`/`finishReason` (Gemini) or `usage`
 * whose value is not `null`, or Gemini's `usageMetadata`. Matched on key tails, which is faster and
 * errs only towards the slow path (`"mirror"`, `"message": {`). Each alternative starts with a
 * literal and has at most one `\s*` run between literals: linear time.
 */
const MAY_MATTER = /rror"|uccess"|eason"\s*:\s*[^n\s]|age"\s*:\s*[^n\s]|Metadata"/;

/** Data events in a plain chunk, or -1 when the chunk needs the full parser. */
export function countPlainEvents(bytes: Buffer, namedEvents = false): number {
  return countPlainText(latin1(bytes, 0, bytes.length), namedEvents);
}

/**
 * `bytes.toString('latin1', start, end)` without `toString`'s argument handling, which costs as much
 * as the copy on small reads: Buffer's own `latin1Slice` (long-standing, though not in the types).
 */
export function latin1(bytes: Buffer, start: number, end: number): string {
  return (bytes as Buffer & { latin1Slice(start: number, end: number): string }).latin1Slice(start, end);
}

/**
 * The same, for the latin1 text of a chunk (one character per byte). With `namedEvents`, an event
 * may have one `event:` line before its data line, naming an event that {@link isPlainEventName}.
 */
export function countPlainText(text: string, namedEvents = false): number {
  // Ends with a blank line (on shorter text, charCodeAt is NaN: not a line end).
  const length = text.length;
  if (text.charCodeAt(length - 1) !== 0x0a || text.charCodeAt(length - 2) !== 0x0a) return -1;
  if (text.includes('\r') || MAY_MATTER.test(text)) return -1;
  return countEvents(text, namedEvents);
}

/**
 * The events StreamObserver ignores once it has seen the first content: Anthropic's content blocks
 * and pings, and the Responses API's events other than the five it reads (created, in_progress,
 * completed, incomplete, failed), deltas included.
 */
export function isPlainEventName(name: string): boolean {
  switch (name) {
    case 'content_block_start':
    case 'content_block_delta':
    case 'content_block_stop':
    case 'ping':
      return true;
    case 'response.created':
    case 'response.in_progress':
    case 'response.completed':
    case 'response.incomplete':
    case 'response.failed':
      return false;
    default:
      return name.startsWith('response.') || name.endsWith('.delta');
  }
}

function countEvents(text: string, namedEvents: boolean): number {
  let events = 0;
  let blockHasData = false;
  let blockHasName = false;
  for (let start = 0; start < text.length; ) {
    const end = text.indexOf('\n', start);
    if (end === start) {
      if (blockHasData) events++;
      blockHasData = false;
      blockHasName = false;
    } else if (text.charCodeAt(start) === 0x3a /* ":" a comment, e.g. a keep-alive */) {
      // nothing
    } else if (namedEvents && !blockHasName && !blockHasData && isPlainEventLine(text, start, end)) {
      blockHasName = true;
    } else {
      if (blockHasData || !isPlainDataLine(text, start, blockHasName)) return -1;
      blockHasData = true;
    }
    start = end + 1;
  }
  return events;
}

function isPlainEventLine(text: string, start: number, end: number): boolean {
  if (!text.startsWith(EVENT_FIELD, start)) return false;
  let value = start + EVENT_FIELD.length;
  if (text.charCodeAt(value) === 0x20) value++;
  return isPlainEventName(text.slice(value, end));
}

/** A `data:` line that is not `[DONE]`, nor a typed frame whose type would name it (unless `named`). */
function isPlainDataLine(text: string, start: number, named: boolean): boolean {
  if (!text.startsWith(DATA_FIELD, start)) return false;
  let value = start + DATA_FIELD.length;
  if (text.charCodeAt(value) === 0x20) value++;
  return !text.startsWith(DONE_VALUE, value) && (named || !text.startsWith(TYPE_FRAME, value));
}
