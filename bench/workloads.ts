/**
 * The four workloads, each a bounded batch of calls through one Dispatcher against the bench
 * server. Every call checks what it received (status, byte count), so a contender that breaks a
 * response fails the run instead of being measured.
 *
 * Clients: non-streaming workloads use `undici.request()` (the cheapest client, so any overhead
 * shows at its largest); `smallFetch` repeats the small workload with `undici.fetch()`, which is
 * what the openai SDK and the AI SDK call; streaming workloads use `undici.fetch()` and read the
 * body with a stream reader. `stream` and `long` do not parse the SSE (the strictest floor: any
 * per-event work of ours shows in full); `streamParsed` consumes the same streams as an SDK does,
 * decoding the bytes, splitting events (eventsource-parser) and `JSON.parse`-ing each chunk.
 */
import { createParser } from 'eventsource-parser';
import { type Dispatcher, fetch, request } from 'undici';
import {
  type LongStream,
  longStream,
  REQUEST_HEADERS,
  ROUTES,
  requestBody,
  streamFrames,
} from './payloads.ts';

export type WorkloadName = 'small' | 'smallFetch' | 'stream' | 'streamParsed' | 'storm' | 'long';

export interface WorkloadSizes {
  readonly concurrency: number;
  readonly smallRequests: number;
  readonly smallFetchRequests: number;
  readonly streams: number;
  readonly streamChunks: number;
  readonly stormRequests: number;
  readonly longMegabytes: number;
}

export interface Sample {
  /** Logical calls completed (requests or streams). */
  readonly calls: number;
  /** SSE events received (streaming workloads). */
  readonly chunks: number;
  readonly bytes: number;
  /** Body reads the client made (streaming workloads): how finely the stream arrived. */
  readonly reads: number;
  readonly latenciesMs: number[];
  readonly ttfcMs: number[];
  readonly statuses: Record<string, number>;
  /** Largest heap and RSS growth seen while reading (long stream only), bytes. */
  readonly heapGrowth: number;
  readonly rssGrowth: number;
}

export interface Workload {
  readonly name: WorkloadName;
  readonly title: string;
  readonly client: 'undici.request' | 'undici.fetch';
  run(dispatcher: Dispatcher, origin: string, scale: number): Promise<Sample>;
}

function emptySample(): Sample {
  return {
    calls: 0,
    chunks: 0,
    bytes: 0,
    reads: 0,
    latenciesMs: [],
    ttfcMs: [],
    statuses: {},
    heapGrowth: 0,
    rssGrowth: 0,
  };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Runs `total` tasks with at most `concurrency` in flight. */
async function pool(total: number, concurrency: number, task: () => Promise<void>): Promise<void> {
  let started = 0;
  const worker = async () => {
    while (started < total) {
      started++;
      await task();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
}

function count(sample: Mutable<Sample>, status: number): void {
  sample.statuses[status] = (sample.statuses[status] ?? 0) + 1;
}

const JSON_BODY = requestBody(false);
const STREAM_BODY = requestBody(true);

async function requestJson(dispatcher: Dispatcher, url: string, sample: Mutable<Sample>): Promise<void> {
  const start = performance.now();
  const response = await request(url, {
    dispatcher,
    method: 'POST',
    headers: REQUEST_HEADERS,
    body: JSON_BODY,
  });
  const body = (await response.body.json()) as { id?: unknown; error?: unknown };
  if (response.statusCode === 200 ? typeof body.id !== 'string' : typeof body.error !== 'object') {
    throw new Error(`unexpected ${response.statusCode} body from ${url}: ${JSON.stringify(body)}`);
  }
  sample.latenciesMs.push(performance.now() - start);
  sample.calls++;
  count(sample, response.statusCode);
}

async function fetchJson(dispatcher: Dispatcher, url: string, sample: Mutable<Sample>): Promise<void> {
  const start = performance.now();
  const response = await fetch(url, {
    dispatcher,
    method: 'POST',
    headers: REQUEST_HEADERS,
    body: JSON_BODY,
  });
  const body = (await response.json()) as { id?: unknown };
  if (response.status !== 200 || typeof body.id !== 'string') {
    throw new Error(`unexpected ${response.status} body from ${url}: ${JSON.stringify(body)}`);
  }
  sample.latenciesMs.push(performance.now() - start);
  sample.calls++;
  count(sample, response.status);
}

interface StreamExpectation {
  readonly bytes: number;
  readonly frames: number;
}

/** What an SDK does with each read: decode, split into events, parse each chunk's JSON. */
function sdkConsumer(expected: StreamExpectation): { onRead(chunk: Uint8Array): void; finish(): void } {
  const decoder = new TextDecoder();
  let events = 0;
  let done = false;
  const parser = createParser({
    onEvent(event) {
      events++;
      if (event.data === '[DONE]') done = true;
      else JSON.parse(event.data);
    },
  });
  return {
    onRead: (chunk) => parser.feed(decoder.decode(chunk, { stream: true })),
    finish() {
      if (events !== expected.frames || !done) {
        throw new Error(`parsed ${events} events (done: ${done}), expected ${expected.frames}`);
      }
    },
  };
}

/** Reads one SSE response to the end; `onRead` sees each chunk and the running byte count. */
async function fetchStream(
  dispatcher: Dispatcher,
  url: string,
  expected: StreamExpectation,
  sample: Mutable<Sample>,
  onRead?: (chunk: Uint8Array, bytes: number) => void,
): Promise<void> {
  const start = performance.now();
  const response = await fetch(url, {
    dispatcher,
    method: 'POST',
    headers: REQUEST_HEADERS,
    body: STREAM_BODY,
  });
  if (response.status !== 200 || !response.body)
    throw new Error(`stream from ${url} answered ${response.status}`);
  const reader = response.body.getReader();
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (bytes === 0) sample.ttfcMs.push(performance.now() - start);
    bytes += value.length;
    sample.reads++;
    onRead?.(value, bytes);
  }
  if (bytes !== expected.bytes) {
    throw new Error(`stream from ${url} carried ${bytes} bytes, expected ${expected.bytes}`);
  }
  sample.latenciesMs.push(performance.now() - start);
  sample.calls++;
  sample.bytes += bytes;
  sample.chunks += expected.frames;
  count(sample, response.status);
}

export function createWorkloads(sizes: WorkloadSizes): Workload[] {
  const frames = streamFrames(sizes.streamChunks);
  const streamExpectation = { bytes: Buffer.byteLength(frames.join('')), frames: frames.length };
  const long: LongStream = longStream(sizes.longMegabytes * 1024 * 1024);
  const { concurrency } = sizes;
  const scaled = (n: number, scale: number) => Math.max(1, Math.round(n * scale));
  return [
    {
      name: 'small',
      title: `${concurrency} concurrent small JSON completions`,
      client: 'undici.request',
      async run(dispatcher, origin, scale) {
        const sample = emptySample();
        const url = origin + ROUTES.small;
        await pool(scaled(sizes.smallRequests, scale), concurrency, () =>
          requestJson(dispatcher, url, sample),
        );
        return sample;
      },
    },
    {
      name: 'smallFetch',
      title: `${concurrency} concurrent small JSON completions via fetch`,
      client: 'undici.fetch',
      async run(dispatcher, origin, scale) {
        const sample = emptySample();
        const url = origin + ROUTES.small;
        await pool(scaled(sizes.smallFetchRequests, scale), concurrency, () =>
          fetchJson(dispatcher, url, sample),
        );
        return sample;
      },
    },
    {
      name: 'stream',
      title: `${concurrency} concurrent SSE streams x ${frames.length} chunks`,
      client: 'undici.fetch',
      async run(dispatcher, origin, scale) {
        const sample = emptySample();
        const url = origin + ROUTES.stream;
        await pool(scaled(sizes.streams, scale), concurrency, () =>
          fetchStream(dispatcher, url, streamExpectation, sample),
        );
        return sample;
      },
    },
    {
      name: 'streamParsed',
      title: `${concurrency} concurrent SSE streams x ${frames.length} chunks, parsed as an SDK does`,
      client: 'undici.fetch',
      async run(dispatcher, origin, scale) {
        const sample = emptySample();
        const url = origin + ROUTES.stream;
        await pool(scaled(sizes.streams, scale), concurrency, async () => {
          const consumer = sdkConsumer(streamExpectation);
          await fetchStream(dispatcher, url, streamExpectation, sample, (chunk) => consumer.onRead(chunk));
          consumer.finish();
        });
        return sample;
      },
    },
    {
      name: 'storm',
      title: `error storm: ${concurrency} concurrent, 30% 5xx`,
      client: 'undici.request',
      async run(dispatcher, origin, scale) {
        const sample = emptySample();
        const url = origin + ROUTES.storm;
        await pool(scaled(sizes.stormRequests, scale), concurrency, () =>
          requestJson(dispatcher, url, sample),
        );
        return sample;
      },
    },
    {
      name: 'long',
      title: `one ${(long.bytes / 1e6).toFixed(0)} MB SSE stream`,
      client: 'undici.fetch',
      async run(dispatcher, origin) {
        const sample: Mutable<Sample> = emptySample();
        const before = process.memoryUsage();
        let nextSample = 0;
        await fetchStream(dispatcher, origin + ROUTES.long, long, sample, (_chunk, bytes) => {
          if (bytes < nextSample) return;
          nextSample = bytes + 2 * 1024 * 1024;
          const now = process.memoryUsage();
          sample.heapGrowth = Math.max(sample.heapGrowth, now.heapUsed - before.heapUsed);
          sample.rssGrowth = Math.max(sample.rssGrowth, now.rss - before.rss);
        });
        return sample;
      },
    },
  ];
}
