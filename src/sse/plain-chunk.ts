/**
 * The fast path of stream observation, pure: most network chunks of an LLM stream are a few
 * complete `data: {...}` events that change nothing we record (no error, no finish reason, no
 * usage). Such a chunk only needs its events counted; it is never UTF-8 decoded or parsed. It is
 * scanned as latin1 text — a plain byte copy, so every ASCII marker is found where it is and
 * multi-byte characters cannot fake one.
 *
 * Anything unusual — a partial event, `\r` line ends, `event:`/`id:` fields, multi-line data,
 * `[DONE]`, Responses-style `{"type":...}` frames, a possible error, a non-null `finish_reason`
 * or `usage` — returns -1 and the caller parses the chunk as usual. A false -1 only costs time;
 * a chunk that matters never passes as plain.
 */

const DATA_FIELD = 'data:';
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
export function countPlainEvents(bytes: Buffer): number {
  return countPlainText(latin1(bytes, 0, bytes.length));
}

/**
 * `bytes.toString('latin1', start, end)` without `toString`'s argument handling, which costs as much
 * as the copy on small reads: Buffer's own `latin1Slice` (long-standing, though not in the types).
 */
export function latin1(bytes: Buffer, start: number, end: number): string {
  return (bytes as Buffer & { latin1Slice(start: number, end: number): string }).latin1Slice(start, end);
}

/** The same, for the latin1 text of a chunk (one character per byte). */
export function countPlainText(text: string): number {
  // Ends with a blank line (on shorter text, charCodeAt is NaN: not a line end).
  const length = text.length;
  if (text.charCodeAt(length - 1) !== 0x0a || text.charCodeAt(length - 2) !== 0x0a) return -1;
  if (text.includes('\r') || MAY_MATTER.test(text)) return -1;
  return countEvents(text);
}

function countEvents(text: string): number {
  let events = 0;
  let blockHasData = false;
  for (let start = 0; start < text.length; ) {
    const end = text.indexOf('\n', start);
    if (end === start) {
      if (blockHasData) events++;
      blockHasData = false;
    } else if (text.charCodeAt(start) !== 0x3a /* ":" a comment, e.g. a keep-alive */) {
      if (blockHasData || !isPlainDataLine(text, start)) return -1;
      blockHasData = true;
    }
    start = end + 1;
  }
  return events;
}

function isPlainDataLine(text: string, start: number): boolean {
  if (!text.startsWith(DATA_FIELD, start)) return false;
  let value = start + DATA_FIELD.length;
  if (text.charCodeAt(value) === 0x20) value++;
  return !text.startsWith(DONE_VALUE, value) && !text.startsWith(TYPE_FRAME, value);
}
