/**
 * Fault matrix, hostile bodies: 10 MB error bodies, binary and non-UTF-8 bytes, invalid and deeply
 * nested JSON, huge fields, a 5 MB SSE line, invalid UTF-8 in a stream, gzip/br/zstd encodings,
 * a corrupt gzip stream and a `content-encoding` that lies. The application receives exactly the
 * bytes (or the error) it receives without telemetry; the trace records what the table says.
 */
import { createHash } from 'node:crypto';
import { brotliCompressSync, gzipSync, zstdCompressSync } from 'node:zlib';
import { type Attributes, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTelemetryDispatcher } from '../../src/index.ts';
import { createTestTelemetry } from '../support/telemetry.ts';
import {
  expectNoLeakedHandles,
  expectNoSecrets,
  handleCounts,
  LogCapture,
  settledBalance,
} from './support/invariants.ts';
import { chatRequest, compareWithBaseline, fetchOutcome, openAiOutcome } from './support/outcome.ts';
import { FAULT_HEADER, type FaultServer, sseFrame, startFaultServer } from './support/servers.ts';
import { callTrace } from './support/trace.ts';

const telemetry = createTestTelemetry();
const logs = new LogCapture();
const handlesBefore = handleCounts();
let server: FaultServer;

/** Deterministic pseudo-random bytes (a hash chain), so both runs of a case get the same body. */
function binary(length: number): Buffer {
  const blocks: Buffer[] = [];
  let block = createHash('sha256').update('fault').digest();
  for (let total = 0; total < length; total += block.length) {
    blocks.push(block);
    block = createHash('sha256').update(block).digest();
  }
  return Buffer.concat(blocks).subarray(0, length);
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const completion = (content: string) =>
  json({
    id: 'chatcmpl-body',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
  });
const INVALID_UTF8 = Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1]);
/** `"content":"<invalid UTF-8 bytes>"` inside otherwise valid JSON. */
const withInvalidUtf8 = (text: Buffer) => {
  const marker = text.indexOf('@@');
  return Buffer.concat([text.subarray(0, marker), INVALID_UTF8, text.subarray(marker + 2)]);
};
const DEPTH = 10_000;
const deep = `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`;
const STREAM_END = [sseFrame('!', 'stop'), 'data: [DONE]\n\n'];

interface BodyCase {
  readonly name: string;
  readonly status: number;
  readonly headers: Record<string, string>;
  /** One body, or SSE pieces written one by one. */
  readonly body: Buffer | readonly (string | Buffer)[];
  readonly stream: boolean;
  /** Attributes the attempt span must carry (undefined: must be absent). */
  readonly attempt: Attributes;
  readonly events?: readonly string[];
  /** Skip the openai SDK (say why). */
  readonly noSdk?: string;
}

const JSON_TYPE = { 'content-type': 'application/json' };
const SSE_TYPE = { 'content-type': 'text/event-stream' };
const ok = (extra: Attributes = {}): Attributes => ({
  'http.response.status_code': 200,
  'error.type': undefined,
  ...extra,
});
/** A complete 200 JSON body the application's client cannot decode or parse either. */
const invalidBody = (): Attributes => ({
  'http.response.status_code': 200,
  'error.type': 'invalid_response_body',
  'llm.error.phase': 'mid_stream',
});
const failed = (status: number, errorType: string, extra: Attributes = {}): Attributes => ({
  'http.response.status_code': status,
  'error.type': errorType,
  'llm.error.phase': 'immediate',
  ...extra,
});

const CASES: readonly BodyCase[] = [
  {
    name: '10 MB error body (JSON, code at the start)',
    status: 500,
    headers: JSON_TYPE,
    body: json({ error: { code: 'server_error', message: `boom ${'x'.repeat(10 * 1024 * 1024)}` } }),
    stream: false,
    // Only the first 64 KiB are kept: the truncated JSON does not parse, the status stands in.
    attempt: failed(500, '500', { 'llm.error.message': undefined }),
  },
  {
    name: 'non-UTF-8 bytes in a 200 JSON body',
    status: 200,
    headers: JSON_TYPE,
    body: withInvalidUtf8(completion('@@')),
    stream: false,
    attempt: ok(),
  },
  {
    name: 'binary 200 body (application/octet-stream)',
    status: 200,
    headers: { 'content-type': 'application/octet-stream' },
    body: binary(256 * 1024),
    stream: false,
    attempt: ok(),
  },
  {
    name: 'binary 400 error body',
    status: 400,
    headers: { 'content-type': 'application/octet-stream' },
    body: binary(100 * 1024),
    stream: false,
    attempt: failed(400, '400', { 'llm.error.message': undefined }),
  },
  {
    name: 'non-UTF-8 bytes in a JSON error message',
    status: 400,
    headers: JSON_TYPE,
    body: withInvalidUtf8(json({ error: { code: 'invalid_request_error', message: 'bad @@ input' } })),
    stream: false,
    attempt: failed(400, 'invalid_request_error', {
      'llm.error.message': new TextDecoder().decode(withInvalidUtf8(Buffer.from('bad @@ input'))),
    }),
  },
  {
    name: 'invalid JSON error body (HTML page)',
    status: 502,
    headers: { 'content-type': 'text/html' },
    body: Buffer.from('<html><body><h1>502 Bad Gateway</h1></body></html>'),
    stream: false,
    attempt: failed(502, '502', { 'llm.error.message': undefined }),
  },
  {
    name: 'invalid JSON error body (truncated JSON)',
    status: 500,
    headers: JSON_TYPE,
    body: Buffer.from('{"error":{"code":"server_error","message":"Inter'),
    stream: false,
    attempt: failed(500, '500'),
  },
  {
    name: 'JSON error body with wrong types',
    status: 429,
    headers: JSON_TYPE,
    body: json({ error: { code: { nested: true }, message: 42, metadata: [] } }),
    stream: false,
    attempt: failed(429, '429', { 'llm.error.message': undefined }),
  },
  {
    name: 'JSON error body nested 10k levels deep',
    status: 400,
    headers: JSON_TYPE,
    body: Buffer.from(`{"error":{"code":"too_deep","message":"nested","metadata":${deep}}}`),
    stream: false,
    attempt: failed(400, 'too_deep', { 'llm.error.message': 'nested' }),
  },
  {
    name: '200 JSON nested 10k levels deep',
    status: 200,
    headers: JSON_TYPE,
    body: Buffer.from(`{"id":"chatcmpl-deep","model":"gpt-4o-mini","choices":${deep}}`),
    stream: false,
    attempt: ok(),
  },
  {
    name: 'JSON error with a 60 KB message (message cut to 1024 chars)',
    status: 400,
    headers: JSON_TYPE,
    body: json({ error: { code: 'invalid_request_error', message: 'm'.repeat(60 * 1024) } }),
    stream: false,
    attempt: failed(400, 'invalid_request_error', { 'llm.error.message': 'm'.repeat(1024) }),
  },
  {
    name: '200 JSON with a 2 MB field (over maxResponseBodyBytes)',
    status: 200,
    headers: JSON_TYPE,
    body: completion('y'.repeat(2 * 1024 * 1024)),
    stream: false,
    attempt: ok(),
  },
  {
    name: 'SSE with a 5 MB single line (dropped, counted)',
    status: 200,
    headers: SSE_TYPE,
    body: [sseFrame('a'), sseFrame('z'.repeat(5 * 1024 * 1024)), ...STREAM_END],
    stream: true,
    attempt: ok({ 'llm.stream.lines_dropped': 1 }),
  },
  {
    name: 'SSE with invalid UTF-8 in a chunk',
    status: 200,
    headers: SSE_TYPE,
    body: [sseFrame('a'), withInvalidUtf8(Buffer.from(sseFrame('@@'))), ...STREAM_END],
    stream: true,
    attempt: ok({ 'llm.stream.chunks': 3 }),
  },
  {
    name: 'gzip 200 JSON',
    status: 200,
    headers: { ...JSON_TYPE, 'content-encoding': 'gzip' },
    body: gzipSync(completion('zipped')),
    stream: false,
    attempt: ok(),
  },
  {
    name: 'br SSE stream',
    status: 200,
    headers: { ...SSE_TYPE, 'content-encoding': 'br' },
    body: brotliCompressSync(Buffer.from([sseFrame('a'), sseFrame('b'), ...STREAM_END].join(''))),
    stream: true,
    attempt: ok({ 'llm.stream.chunks': 3 }),
  },
  {
    name: 'zstd 200 JSON',
    status: 200,
    headers: { ...JSON_TYPE, 'content-encoding': 'zstd' },
    body: zstdCompressSync(completion('zstd')),
    stream: false,
    attempt: ok(),
  },
  {
    name: 'br 429 error body',
    status: 429,
    headers: { ...JSON_TYPE, 'content-encoding': 'br' },
    body: brotliCompressSync(json({ error: { code: 'rate_limit_exceeded', message: 'Slow down' } })),
    stream: false,
    attempt: failed(429, 'rate_limit_exceeded', { 'llm.error.message': 'Slow down' }),
  },
  {
    name: 'zstd 400 error body',
    status: 400,
    headers: { ...JSON_TYPE, 'content-encoding': 'zstd' },
    body: zstdCompressSync(json({ error: { message: 'Bad model', type: 'invalid_request_error' } })),
    stream: false,
    attempt: failed(400, 'invalid_request_error', { 'llm.error.message': 'Bad model' }),
  },
  {
    name: 'corrupt gzip 200 JSON',
    status: 200,
    headers: { ...JSON_TYPE, 'content-encoding': 'gzip' },
    body: corrupt(gzipSync(completion('corrupt'))),
    stream: false,
    attempt: invalidBody(),
  },
  {
    name: 'corrupt gzip SSE stream',
    status: 200,
    headers: { ...SSE_TYPE, 'content-encoding': 'gzip' },
    body: [corrupt(gzipSync(Buffer.from([sseFrame('a'), sseFrame('b'), ...STREAM_END].join(''))))],
    stream: true,
    // Telemetry's own decoder fails too: it never sees [DONE].
    attempt: {
      'http.response.status_code': 200,
      'error.type': 'stream_truncated',
      'llm.error.phase': 'mid_stream',
    },
    events: ['llm.stream.truncated'],
  },
  {
    name: 'corrupt gzip 500 error body',
    status: 500,
    headers: { ...JSON_TYPE, 'content-encoding': 'gzip' },
    body: corrupt(gzipSync(json({ error: { code: 'server_error', message: 'x' } }))),
    stream: false,
    attempt: failed(500, '500'),
  },
  {
    name: 'content-encoding: gzip that lies (plain JSON)',
    status: 200,
    headers: { ...JSON_TYPE, 'content-encoding': 'gzip' },
    body: completion('plain'),
    stream: false,
    attempt: invalidBody(),
  },
  {
    name: 'content-encoding: gzip that lies (plain JSON error)',
    status: 401,
    headers: { ...JSON_TYPE, 'content-encoding': 'gzip' },
    body: json({ error: { code: 'invalid_api_key', message: 'Bad key' } }),
    stream: false,
    attempt: failed(401, '401'),
  },
  {
    name: 'content-encoding: unknown-coding (passed through)',
    status: 200,
    headers: { ...JSON_TYPE, 'content-encoding': 'x-custom' },
    body: completion('custom'),
    stream: false,
    attempt: ok(),
  },
];

/** Flips bytes in the middle of a compressed body (the header stays valid, the data does not). */
function corrupt(compressed: Buffer): Buffer {
  const copy = Buffer.from(compressed);
  for (let i = 12; i < copy.length - 8; i += 3) copy[i] = (copy[i] ?? 0) ^ 0x5a;
  return copy;
}

beforeAll(async () => {
  logs.install();
  const faults = Object.fromEntries(
    CASES.map((c) => [
      c.name,
      async (_request: unknown, response: import('node:http').ServerResponse) => {
        if (Buffer.isBuffer(c.body)) {
          response.writeHead(c.status, { ...c.headers, 'content-length': String(c.body.length) });
          response.end(c.body);
          return;
        }
        response.writeHead(c.status, c.headers);
        for (const piece of c.body) {
          if (!response.write(piece)) await new Promise((resolve) => response.once('drain', resolve));
        }
        response.end();
      },
    ]),
  );
  server = await startFaultServer(faults);
});

afterAll(async () => {
  await server.close();
  logs.restore();
  await expectNoLeakedHandles(handlesBefore);
});

afterEach(() => telemetry.reset());

const ours = () =>
  createTelemetryDispatcher({
    tracerProvider: telemetry.tracerProvider,
    meterProvider: telemetry.meterProvider,
  });

async function expectTrace(c: BodyCase): Promise<void> {
  expect(await settledBalance(telemetry)).toEqual([]);
  const trace = callTrace(telemetry.spans());
  for (const [key, value] of Object.entries(c.attempt)) {
    expect.soft(trace.attempt.attributes[key], key).toEqual(value);
  }
  expect(trace.attempt.events.map((event) => event.name)).toEqual(c.events ?? []);
  const error = c.attempt['error.type'] !== undefined;
  expect(trace.attempt.status.code).toBe(error ? SpanStatusCode.ERROR : SpanStatusCode.UNSET);
  expect(trace.operation.attributes['error.type']).toBe(c.attempt['error.type']);
  await expectNoSecrets(telemetry, logs);
}

describe.each(CASES)('$name', (c) => {
  const headers = { [FAULT_HEADER]: c.name };

  it("Node's fetch: same bytes or error as without telemetry", async () => {
    const { baseline, observed } = await compareWithBaseline(
      (d) =>
        fetchOutcome({ url: `${server.url}/v1/chat/completions`, headers, body: chatRequest(c.stream) }, d),
      {},
      ours,
    );
    expect(observed).toEqual(baseline);
    await expectTrace(c);
  });

  it.skipIf(c.noSdk)('openai SDK: same result or error as without telemetry', async () => {
    const { baseline, observed } = await compareWithBaseline(
      (d) => openAiOutcome({ baseURL: `${server.url}/v1`, headers, stream: c.stream }, d),
      {},
      ours,
    );
    expect(observed).toEqual(baseline);
    await expectTrace(c);
  });
});
