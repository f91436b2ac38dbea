/**
 * The fastest path of stream observation, pure: after the first events, an LLM stream's data events
 * usually differ from each other only inside a few JSON strings: the content delta, and on OpenAI's
 * streams the `obfuscation` padding that is on by default:
 *
 *     data: {"id":"c1",...,"delta":{"content":"Hel"},"finish_reason":null}],"obfuscation":"x7"}\n\n
 *     data: {"id":"c1",...,"delta":{"content":"lo!"},"finish_reason":null}],"obfuscation":"Qd0a"}\n\n
 *
 * From two plain events (plain-chunk.ts found nothing in them that can matter) that differ only
 * inside up to MAX_HOLES JSON string values or unsigned integer values (the Responses API's
 * `sequence_number` counts up in every event), this learns their shape: the literal text around
 * those values (the segments), and a hole for each value. A later event that is those segments
 * with a JSON string body (no unescaped quote, no line end) or a run of digits in each hole has
 * exactly the learned events' JSON structure (same keys, same values elsewhere), so it cannot
 * matter either: it is counted after one slice comparison per segment and one short search per
 * hole, without the scan of plain-chunk.ts. Everything else returns -1 and takes the slower paths,
 * so a wrong guess costs time, never an observation.
 *
 * Only a member's value (`"content":"..."`) is learned, never a key: a template learned from
 * `{"a":1}` and `{"b":1}` would let `{"error":1}` through.
 *
 * An event may have an `event:` line before its data line (Anthropic, the Responses API): it is
 * part of the first segment, so only events of the same name match.
 *
 * Texts are latin1 views of the bytes (one character per byte), as in plain-chunk.ts; the caller
 * rules out `\r`. Each search is bounded by the event it runs in, so matching costs linear time.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const LF = '\n';
const EVENT_END = '\n\n';
const DATA_FIELD = 'data:';
const EVENT_FIELD = 'event:';
/** Events longer than this are not learned from. */
export const MAX_LEARNED_EVENT_LENGTH = 4096;
/** Values two events may differ in and still yield a template: content, obfuscation, a sequence number, one more. */
export const MAX_HOLES = 4;
/**
 * Pairs in a row that yield no template before learning stops for good: a stream whose events
 * differ in other ways (a number that counts up, a per-event timestamp) never yields one, and
 * learning costs more per event than the scan it would save.
 */
export const MAX_FAILED_LEARNS = 8;

export class EventTemplate {
  #candidate: string | undefined;
  #template: Template | undefined;
  #failedLearns = 0;

  /** A template has been learned. */
  get ready(): boolean {
    return this.#template !== undefined;
  }

  /** No template yet, and learning has not given up (MAX_FAILED_LEARNS): events are worth noting. */
  get learning(): boolean {
    return this.#template === undefined && this.#failedLearns < MAX_FAILED_LEARNS;
  }

  /**
   * Notes one complete event (`data: ...\n\n`, `\n` line ends, an `event:` line allowed before the
   * data line) that is known to be plain (plain-chunk.ts, named events included). With the
   * event noted before it, it may yield a template, which then replaces the old one. After
   * MAX_FAILED_LEARNS pairs in a row without one, it stops learning.
   */
  learn(event: string): void {
    if (this.#failedLearns >= MAX_FAILED_LEARNS) return;
    if (event.length > MAX_LEARNED_EVENT_LENGTH || dataLineStart(event) === -1) return;
    const previous = this.#candidate;
    // A copy: `event` is a slice of a whole read, and V8 keeps a slice's parent string alive.
    this.#candidate = Buffer.from(event, 'latin1').toString('latin1');
    if (previous === undefined) return;
    const template = buildTemplate(previous, this.#candidate);
    if (template === undefined) {
      this.#failedLearns++;
      return;
    }
    this.#failedLearns = 0;
    this.#template = template;
  }

  /**
   * Where the event that starts at `start` ends (the offset after its blank line), when it matches
   * the template; -1 otherwise. The caller has checked that `text` holds no `\r`.
   */
  match(text: string, start: number): number {
    const template = this.#template;
    if (template === undefined) return -1;
    const { segments, numeric } = template;
    const last = segments.length - 1;
    let position = start;
    const firstHole = start + (segments[0] as string).length;
    for (let hole = 0; hole < last; hole++) {
      const segment = segments[hole] as string;
      if (!regionIs(text, position, segment)) return -1;
      const from = position + segment.length;
      if (numeric[hole]) {
        position = digitsEnd(text, from);
        if (position === from) return -1;
      } else {
        position = stringEnd(text, from);
        if (position === -1) return -1;
      }
    }
    const final = segments[last] as string;
    if (!regionIs(text, position, final)) return -1;
    const end = position + final.length;
    // After the first segment (which holds the `event:` line, if any), the segments hold no line end
    // but the final blank line, so a hole held one if this is earlier.
    return text.indexOf(LF, firstHole) === end - EVENT_END.length ? end : -1;
  }
}

/**
 * Whether `text` holds `expected` at `start`. Not `startsWith(expected, start)`: V8 compares that
 * character by character, about ten times slower than a slice compared with `===` (measured on
 * 150 characters: 1.3 µs against 0.1 µs).
 */
function regionIs(text: string, start: number, expected: string): boolean {
  return text.slice(start, start + expected.length) === expected;
}

/**
 * The offset of the quote that closes a JSON string whose content starts at `from`, just after its
 * opening quote: the first quote not escaped by an odd run of backslashes (a run stops at the
 * opening quote at the latest); -1 when there is none. Each backslash is looked at once per quote
 * after it, and runs are separated by the quotes: linear.
 */
export function stringEnd(text: string, from: number): number {
  for (let quote = text.indexOf('"', from); quote !== -1; quote = text.indexOf('"', quote + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(quote - backslashes - 1) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote;
  }
  return -1;
}

/** The end of the run of ASCII digits that starts at `from` (`from` itself when there is none). */
function digitsEnd(text: string, from: number): number {
  let i = from;
  while (isDigit(text.charCodeAt(i))) i++;
  return i;
}

/** A learned shape. */
export interface Template {
  /** The literal texts between the holes: one more than the holes. */
  readonly segments: readonly string[];
  /** Per hole: it holds digits (else a string's content). */
  readonly numeric: readonly boolean[];
}

/**
 * The template of two plain events that differ only inside one to MAX_HOLES member values
 * (`"key":"..."` or `"key":123`, never a key). A string hole runs from the string's opening quote
 * (kept in the segment before it) to its closing quote (the start of the segment after it); a
 * number hole is a run of digits right after the colon (no sign), both events' included. Each event
 * must be one data line ending in a blank line, and its strings in the holes must hold no line
 * end. Else undefined.
 */
export function buildTemplate(first: string, second: string): Template | undefined {
  const dataStart = dataLineStart(first);
  if (dataStart === -1 || first.includes('\r') || second.includes('\r')) return undefined;
  const segments: string[] = [];
  const numeric: boolean[] = [];
  let segmentStart = 0;
  // Where lexing may start: past `data:` for the first hole (so a different `event:` line is no
  // hole), past a closing quote for later ones.
  let lexFrom = dataStart + DATA_FIELD.length;
  let i = 0;
  let j = 0;
  for (;;) {
    // Past either end, charCodeAt is NaN, which equals nothing.
    while (first.charCodeAt(i) === second.charCodeAt(j)) {
      i++;
      j++;
    }
    if (i === first.length && j === second.length) break;
    if (segments.length === MAX_HOLES) return undefined;
    const open = openStringAt(first, lexFrom, i);
    if (open === -1) {
      // Outside any string: a number that differs, or nothing this can learn.
      let digits = i;
      while (digits > lexFrom && isDigit(first.charCodeAt(digits - 1))) digits--;
      if (!followsColon(first, lexFrom, digits)) return undefined;
      const endFirst = digitsEnd(first, digits);
      const endSecond = digitsEnd(second, digits + (j - i));
      if (endFirst === digits || endSecond === digits + (j - i)) return undefined;
      segments.push(first.slice(segmentStart, digits));
      numeric.push(true);
      segmentStart = lexFrom = i = endFirst;
      j = endSecond;
      continue;
    }
    if (!followsColon(first, lexFrom, open)) return undefined;
    const closeFirst = stringEnd(first, open + 1);
    const closeSecond = stringEnd(second, open + 1 + (j - i));
    if (closeFirst === -1 || closeSecond === -1) return undefined;
    segments.push(first.slice(segmentStart, open + 1));
    numeric.push(false);
    segmentStart = closeFirst;
    lexFrom = closeFirst + 1;
    i = closeFirst;
    j = closeSecond;
  }
  if (segments.length === 0) return undefined;
  segments.push(first.slice(segmentStart));
  // One data line: no line end after its start (holes included) but the final blank line, in both.
  const lineEnd = first.length - EVENT_END.length;
  if (!first.endsWith(EVENT_END) || first.indexOf(LF, dataStart) !== lineEnd) return undefined;
  if (second.indexOf(LF, dataStart) !== second.length - EVENT_END.length) return undefined;
  return { segments, numeric };
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** Where an event's data line starts: 0, or after one `event:` line; -1 for any other shape. */
function dataLineStart(event: string): number {
  if (event.startsWith(DATA_FIELD)) return 0;
  if (!event.startsWith(EVENT_FIELD)) return -1;
  const lineEnd = event.indexOf(LF);
  return lineEnd !== -1 && event.startsWith(DATA_FIELD, lineEnd + 1) ? lineEnd + 1 : -1;
}

/**
 * The offset of the opening quote of the JSON string that `position` lies in, lexing from `from`
 * (outside any string); -1 when `position` is not inside a string.
 */
function openStringAt(event: string, from: number, position: number): number {
  let open = -1;
  let escaped = false;
  for (let i = from; i < position; i++) {
    const code = event.charCodeAt(i);
    if (open === -1) {
      if (code === QUOTE) open = i;
    } else if (escaped) {
      escaped = false;
    } else if (code === BACKSLASH) {
      escaped = true;
    } else if (code === QUOTE) {
      open = -1;
    }
  }
  return open;
}

/**
 * Whether the value starting at `open` is an object member's value: a `:` at or after `from` before
 * it, blanks aside. (For the first hole `from` is past `data:`: a bare JSON value as the whole data
 * is not a member's value.)
 */
function followsColon(event: string, from: number, open: number): boolean {
  let i = open - 1;
  while (event.charCodeAt(i) === 0x20 || event.charCodeAt(i) === 0x09) i--;
  return i >= from && event.charCodeAt(i) === COLON;
}
