/**
 * Reads a copy of the request body for GenAI request attributes without delaying or altering
 * what is sent. Strings and buffers are read at once; async iterables (what `fetch` passes) are
 * wrapped in a pass-through generator that keeps a bounded copy and reports it when the body has
 * been sent. Node streams and other body types are left alone.
 */
import { BoundedCopy } from '../body/bounded-copy.ts';

type Body = unknown;

export function observeRequestBody(body: Body, limitBytes: number, onBody: (text: string) => void): Body {
  if (typeof body === 'string') {
    if (body.length <= limitBytes) onBody(body);
    return body;
  }
  if (body instanceof Uint8Array) {
    if (body.byteLength <= limitBytes)
      onBody(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
    return body;
  }
  if (isPlainAsyncIterable(body)) return teeIterable(body, limitBytes, onBody);
  return body;
}

function isPlainAsyncIterable(body: Body): body is AsyncIterable<Uint8Array | string> {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function' &&
    typeof (body as { pipe?: unknown }).pipe !== 'function'
  );
}

async function* teeIterable(
  source: AsyncIterable<Uint8Array | string>,
  limitBytes: number,
  onBody: (text: string) => void,
): AsyncGenerator<Uint8Array | string> {
  const copy = new BoundedCopy(limitBytes);
  for await (const chunk of source) {
    copy.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    yield chunk;
  }
  if (!copy.truncated) onBody(copy.bytes().toString('utf8'));
}
