/**
 * The `application/vnd.amazon.eventstream` framing that AWS Bedrock's `converse-stream` (and
 * `invoke-with-response-stream`) answers use, for the mock gateway: CRC32, the encoder, and a
 * small decoder (for the demo and for reading answers back). Pure functions; no I/O.
 *
 * One message: prelude (total length u32 BE, headers length u32 BE, CRC32 of those 8 bytes),
 * headers, payload, CRC32 of everything before it. A header: name length u8, name (UTF-8), value
 * type u8 (7 = string), value length u16 BE, value (UTF-8). Only string headers are written; the
 * decoder also skips the other types by their documented sizes.
 */

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3, the one zlib computes) of `bytes`, continuing from `previous`. */
export function crc32(bytes: Uint8Array, previous = 0): number {
  let crc = ~previous >>> 0;
  for (const byte of bytes) crc = (CRC_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return ~crc >>> 0;
}

const PRELUDE_LENGTH = 12;
const CRC_LENGTH = 4;
const STRING_TYPE = 7;
const MAX_HEADER_NAME = 255;
const MAX_HEADER_VALUE = 65535;

export type EventStreamHeaders = Readonly<Record<string, string>>;

export interface EventStreamMessage {
  readonly headers: EventStreamHeaders;
  readonly payload: Uint8Array;
}

/** Encodes one message with string headers. */
export function encodeMessage(headers: EventStreamHeaders, payload: Uint8Array): Uint8Array {
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const nameBytes = encoder.encode(name);
    const valueBytes = encoder.encode(value);
    if (nameBytes.length > MAX_HEADER_NAME || valueBytes.length > MAX_HEADER_VALUE)
      throw new RangeError(`event stream header ${name} is too long`);
    const header = new Uint8Array(1 + nameBytes.length + 3 + valueBytes.length);
    const view = new DataView(header.buffer);
    header[0] = nameBytes.length;
    header.set(nameBytes, 1);
    header[1 + nameBytes.length] = STRING_TYPE;
    view.setUint16(2 + nameBytes.length, valueBytes.length);
    header.set(valueBytes, 4 + nameBytes.length);
    parts.push(header);
  }
  const headersLength = parts.reduce((sum, part) => sum + part.length, 0);
  const total = PRELUDE_LENGTH + headersLength + payload.length + CRC_LENGTH;
  const message = new Uint8Array(total);
  const view = new DataView(message.buffer);
  view.setUint32(0, total);
  view.setUint32(4, headersLength);
  view.setUint32(8, crc32(message.subarray(0, 8)));
  let offset = PRELUDE_LENGTH;
  for (const part of parts) {
    message.set(part, offset);
    offset += part.length;
  }
  message.set(payload, offset);
  view.setUint32(total - CRC_LENGTH, crc32(message.subarray(0, total - CRC_LENGTH)));
  return message;
}

/** A Bedrock event: `:event-type` NAME, JSON payload. */
export function eventMessage(eventType: string, payload: unknown): Uint8Array {
  return encodeMessage(
    { ':event-type': eventType, ':content-type': 'application/json', ':message-type': 'event' },
    new TextEncoder().encode(JSON.stringify(payload)),
  );
}

/** A Bedrock exception inside a stream: `:exception-type` NAME, `{"message":...}` payload. */
export function exceptionMessage(exceptionType: string, message: string): Uint8Array {
  return encodeMessage(
    { ':exception-type': exceptionType, ':content-type': 'application/json', ':message-type': 'exception' },
    new TextEncoder().encode(JSON.stringify({ message })),
  );
}

/** Value sizes of the non-string header types (0-1 bool, 2 byte, 3 short, 4 int, 5 long, 8 timestamp, 9 uuid). */
const FIXED_SIZES: Readonly<Record<number, number>> = { 0: 0, 1: 0, 2: 1, 3: 2, 4: 4, 5: 8, 8: 8, 9: 16 };

function decodeHeaders(bytes: Uint8Array): Record<string, string> {
  const decoder = new TextDecoder();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headers: Record<string, string> = {};
  let offset = 0;
  while (offset < bytes.length) {
    const nameLength = bytes[offset] as number;
    const name = decoder.decode(bytes.subarray(offset + 1, offset + 1 + nameLength));
    const type = bytes[offset + 1 + nameLength];
    offset += 2 + nameLength;
    if (type === 6 || type === STRING_TYPE) {
      const length = view.getUint16(offset);
      if (type === STRING_TYPE)
        headers[name] = decoder.decode(bytes.subarray(offset + 2, offset + 2 + length));
      offset += 2 + length;
    } else {
      const size = type === undefined ? undefined : FIXED_SIZES[type];
      if (size === undefined) throw new Error(`event stream header ${name} has unknown type ${type}`);
      offset += size;
    }
  }
  if (offset !== bytes.length) throw new Error('event stream headers overrun their length');
  return headers;
}

/**
 * Decodes every whole message in `bytes`; `rest` is the incomplete tail. Throws on a CRC or
 * length mismatch.
 */
export function decodeMessages(bytes: Uint8Array): { messages: EventStreamMessage[]; rest: Uint8Array } {
  const messages: EventStreamMessage[] = [];
  let offset = 0;
  while (bytes.length - offset >= PRELUDE_LENGTH) {
    const view = new DataView(bytes.buffer, bytes.byteOffset + offset, bytes.length - offset);
    const total = view.getUint32(0);
    const headersLength = view.getUint32(4);
    if (view.getUint32(8) !== crc32(bytes.subarray(offset, offset + 8)))
      throw new Error('event stream prelude CRC mismatch');
    if (total < PRELUDE_LENGTH + headersLength + CRC_LENGTH) throw new Error('event stream length too small');
    if (bytes.length - offset < total) break;
    if (view.getUint32(total - CRC_LENGTH) !== crc32(bytes.subarray(offset, offset + total - CRC_LENGTH)))
      throw new Error('event stream message CRC mismatch');
    const headersStart = offset + PRELUDE_LENGTH;
    const payloadStart = headersStart + headersLength;
    messages.push({
      headers: decodeHeaders(bytes.subarray(headersStart, payloadStart)),
      payload: bytes.subarray(payloadStart, offset + total - CRC_LENGTH),
    });
    offset += total;
  }
  return { messages, rest: bytes.subarray(offset) };
}
