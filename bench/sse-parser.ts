/**
 * Throughput of the SSE parser and the stream observer against eventsource-parser.
 *
 * Streams ~20 MB of realistic OpenAI chat.completion.chunk SSE (with `"usage":null` on every chunk, as
 * with `stream_options.include_usage`) in 64-byte, 200-byte and 16 KiB Buffer chunks through:
 * - `SseParser` (this package, bytes in),
 * - `eventsource-parser` fed strings from a streaming TextDecoder (it takes text, so decoding is its cost),
 * - `eventsource-parser` fed pre-decoded strings (its lower bound, not achievable on a byte stream),
 * - `StreamObserver` (SseParser + interpretation).
 * Prints MB/s and ns per chunk of process CPU time (best of several rounds, so a busy machine skews it
 * less than wall time would). Run: `npx node bench/sse-parser.ts`.
 */
import { createParser } from 'eventsource-parser';
import { SseParser } from '../src/sse/parser.ts';
import { StreamObserver } from '../src/sse/stream-observer.ts';

const TARGET_BYTES = 20 * 1024 * 1024;
const CHUNK_SIZES = [64, 200, 16 * 1024];
const ROUNDS = 5;
const WORDS = [
  ' the',
  ' model',
  ' streams',
  ' tokens',
  ',',
  ' naïve',
  ' café',
  ' 世界',
  ' 🚀',
  '\\n',
  ' "quoted"',
];

function chatChunk(delta: string, finish: string | null): string {
  const json = JSON.stringify({
    id: 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG',
    object: 'chat.completion.chunk',
    created: 1741570283,
    model: 'gpt-4o-2024-08-06',
    service_tier: 'default',
    system_fingerprint: 'fp_eb9dce56a8',
    choices: [{ index: 0, delta: JSON.parse(delta), logprobs: null, finish_reason: finish }],
    usage: null,
  });
  return `data: ${json}\n\n`;
}

function buildStream(): Buffer {
  const parts: string[] = [
    ': OPENROUTER PROCESSING\n\n',
    chatChunk('{"role":"assistant","content":"","refusal":null}', null),
  ];
  let bytes = 0;
  for (let i = 0; bytes < TARGET_BYTES; i++) {
    const word = WORDS[i % WORDS.length] ?? '';
    const part = chatChunk(JSON.stringify({ content: word }), null);
    parts.push(part);
    bytes += Buffer.byteLength(part);
  }
  parts.push(chatChunk('{}', 'stop'));
  parts.push(
    `data: ${JSON.stringify({ id: 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG', object: 'chat.completion.chunk', created: 1741570283, model: 'gpt-4o-2024-08-06', choices: [], usage: { prompt_tokens: 9, completion_tokens: 123456, total_tokens: 123465 } })}\n\n`,
  );
  parts.push('data: [DONE]\n\n');
  return Buffer.from(parts.join(''));
}

function split(stream: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < stream.length; i += size) chunks.push(stream.subarray(i, i + size));
  return chunks;
}

interface Contender {
  name: string;
  /** Runs one whole stream through a fresh instance; returns a count that proves the work was done. */
  run(chunks: readonly Buffer[], text: readonly string[]): number;
}

const contenders: Contender[] = [
  {
    name: 'SseParser (bytes)',
    run(chunks) {
      let events = 0;
      const parser = new SseParser({ onEvent: () => void events++ });
      for (const chunk of chunks) parser.feed(chunk);
      parser.end();
      return events;
    },
  },
  {
    name: 'eventsource-parser + TextDecoder',
    run(chunks) {
      let events = 0;
      const decoder = new TextDecoder();
      const parser = createParser({ onEvent: () => void events++ });
      for (const chunk of chunks) parser.feed(decoder.decode(chunk, { stream: true }));
      return events;
    },
  },
  {
    name: 'eventsource-parser (pre-decoded)',
    run(_chunks, text) {
      let events = 0;
      const parser = createParser({ onEvent: () => void events++ });
      for (const piece of text) parser.feed(piece);
      return events;
    },
  },
  {
    name: 'StreamObserver',
    run(chunks) {
      let errors = 0;
      const observer = new StreamObserver({ onError: () => void errors++ });
      for (const chunk of chunks) observer.write(chunk);
      observer.end();
      if (!observer.completed || observer.outputTokens !== 123456 || errors !== 0) {
        throw new Error('StreamObserver did not observe the stream correctly');
      }
      return observer.chunkIndex;
    },
  },
];

function measure(contender: Contender, chunks: readonly Buffer[], text: readonly string[]): number {
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.cpuUsage();
    contender.run(chunks, text);
    const used = process.cpuUsage(start);
    const elapsed = (used.user + used.system) * 1000;
    if (elapsed < best) best = elapsed;
  }
  return best;
}

const stream = buildStream();
console.log(
  `stream: ${(stream.length / 1e6).toFixed(1)} MB, ${stream.toString().split('\n\n').length - 1} events, node ${process.version}`,
);
console.log('| chunk size | contender | MB/s | ns/chunk |');
console.log('|---:|---|---:|---:|');
for (const size of CHUNK_SIZES) {
  const chunks = split(stream, size);
  const decoder = new TextDecoder();
  const text = chunks.map((chunk) => decoder.decode(chunk, { stream: true }));
  const counts = contenders.map((contender) => contender.run(chunks, text)); // warm-up
  if (counts[0] !== counts[1] || counts[1] !== counts[2]) {
    throw new Error(`parsers disagree on the event count: ${counts.join(', ')}`);
  }
  for (const contender of contenders) {
    const ns = measure(contender, chunks, text);
    const mbPerS = stream.length / 1e6 / (ns / 1e9);
    console.log(
      `| ${size} | ${contender.name} | ${mbPerS.toFixed(0)} | ${(ns / chunks.length).toFixed(0)} |`,
    );
  }
}
