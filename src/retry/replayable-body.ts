/**
 * Makes a request body resendable. Strings and buffers already are. A streamed body (what `fetch`
 * passes: a one-shot async iterable) is read into memory up to a bound; above it, the bytes read so
 * far and the rest of the stream are sent once, unchanged, and the call is not retried.
 */
import { Readable } from 'node:stream';

export type ReplayableBody =
  | { readonly replayable: true; readonly body: unknown }
  | { readonly replayable: false; readonly body: AsyncIterable<Uint8Array | string> };

export function isReplayableAsIs(body: unknown): boolean {
  return body == null || typeof body === 'string' || body instanceof Uint8Array;
}

function isStreamedBody(body: unknown): body is AsyncIterable<Uint8Array | string> {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
  );
}

/** undefined: a body type we cannot replay (FormData, Blob, ...): send it once. */
export async function makeReplayable(body: unknown, limitBytes: number): Promise<ReplayableBody | undefined> {
  if (isReplayableAsIs(body)) return { replayable: true, body };
  if (!isStreamedBody(body)) return undefined;
  const iterator = body[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let size = 0;
  while (true) {
    const next = await iterator.next();
    if (next.done) return { replayable: true, body: Buffer.concat(chunks, size) };
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : Buffer.from(next.value);
    chunks.push(chunk);
    size += chunk.byteLength;
    if (size > limitBytes) return { replayable: false, body: resume(chunks, iterator, body) };
  }
}

async function* resume(
  read: Buffer[],
  iterator: AsyncIterator<Uint8Array | string>,
  source: unknown,
): AsyncGenerator<Uint8Array | string> {
  yield* read;
  try {
    while (true) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  } finally {
    if (source instanceof Readable) source.destroy();
  }
}
