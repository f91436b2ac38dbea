/**
 * How a server ends a streamed body, varied the way real servers vary it. Tests written against one
 * server that ends the body in the same write as the last event encode an assumption: real servers
 * usually send the chunked terminator in a write of its own, and SDKs cancel the body as soon as
 * they have seen the terminal event, so the cancel often reaches the dispatcher before the end.
 *
 * `sendStream(response, body, delivery)` writes one event sequence in one of these ways:
 * - `same-write`: the whole body and its end in one write;
 * - `end-0ms` / `end-1ms` / `end-50ms`: the body, then the end in its own write that much later;
 * - `never-end`: the body, then nothing until the client goes away (bounded by a safety timer);
 * - `byte-split`: one write per byte, then the end in its own write.
 */
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export type Delivery = 'same-write' | 'end-0ms' | 'end-1ms' | 'end-50ms' | 'never-end' | 'byte-split';

export const DELIVERIES: readonly Delivery[] = [
  'same-write',
  'end-0ms',
  'end-1ms',
  'end-50ms',
  'never-end',
  'byte-split',
];

/** Deliveries a client that reads to the end can wait for (`never-end` would hang it). */
export const ENDING_DELIVERIES: readonly Delivery[] = DELIVERIES.filter((d) => d !== 'never-end');

/** How long a `never-end` response stays open when the client does not go away. */
const NEVER_END_SAFETY_MS = 5_000;

function closed(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    if (response.destroyed || response.writableEnded) resolve();
    else response.once('close', () => resolve());
  });
}

/** Writes `body` (already status and headers set) the way `delivery` says. */
export async function sendStream(response: ServerResponse, body: string, delivery: Delivery): Promise<void> {
  const bytes = Buffer.from(body);
  switch (delivery) {
    case 'same-write':
      response.end(bytes);
      return;
    case 'end-0ms':
    case 'end-1ms':
    case 'end-50ms': {
      response.write(bytes);
      const delay = delivery === 'end-0ms' ? 0 : delivery === 'end-1ms' ? 1 : 50;
      // setTimeout(0) still lets the first write leave as its own TCP segment.
      await sleep(delay);
      if (!response.destroyed) response.end();
      return;
    }
    case 'never-end': {
      response.write(bytes);
      const timer = setTimeout(() => response.end(), NEVER_END_SAFETY_MS);
      await closed(response);
      clearTimeout(timer);
      return;
    }
    case 'byte-split':
      response.flushHeaders();
      for (let i = 0; i < bytes.length && !response.destroyed; i++) {
        response.write(bytes.subarray(i, i + 1));
        await new Promise((resolve) => setImmediate(resolve));
      }
      await sleep(1);
      if (!response.destroyed) response.end();
      return;
  }
}

/** SSE framing: `data: …` lines, optionally named by `event: …`, each followed by a blank line. */
export function sse(events: ReadonlyArray<string | { event: string; data: unknown }>): string {
  return events
    .map((item) => {
      if (typeof item === 'string') return `data: ${item}\n\n`;
      const data = typeof item.data === 'string' ? item.data : JSON.stringify(item.data);
      return `event: ${item.event}\ndata: ${data}\n\n`;
    })
    .join('');
}

/** `data: {json}` events without names (OpenAI chat, Gemini). */
export function sseData(chunks: readonly unknown[], done = false): string {
  return sse([...chunks.map((chunk) => JSON.stringify(chunk)), ...(done ? ['[DONE]'] : [])]);
}
