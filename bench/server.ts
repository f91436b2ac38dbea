/**
 * The benchmark's loopback LLM server, run as its own process by bench/run.ts so that its CPU time
 * is not billed to the client being measured. Binds 127.0.0.1 on ephemeral ports and prints one
 * JSON line, `{"port":..,"otlpPort":..}`, on stdout. Exits when its stdin closes (the parent died).
 *
 * Routes (POST, see ROUTES): small JSON completions; SSE streams of `--stream-chunks` content
 * chunks, written one event per event-loop turn as a token stream would be; an error storm (30%
 * 5xx with OpenAI error bodies, deterministic by request counter); one long SSE stream of about
 * `--long-mb` MB written in 64 KiB blocks. `GET /stats` reports the requests served, connections accepted, the OTLP sink's counters
 * and the server's CPU time.
 * The OTLP sink answers 200 to `POST /v1/traces` and counts requests and bytes.
 *
 * Run by hand: `npx node bench/server.ts --stream-chunks 500 --long-mb 50`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { chatCompletion, longStream, ROUTES, stormError, streamFrames } from './payloads.ts';

const KEEP_ALIVE_MS = 120_000;

const { values } = parseArgs({
  options: {
    'stream-chunks': { type: 'string', default: '500' },
    'long-mb': { type: 'string', default: '50' },
  },
});
const streamChunks = Number(values['stream-chunks']);
const longBytes = Number(values['long-mb']) * 1024 * 1024;

const completion = Buffer.from(chatCompletion());
const streamBody = streamFrames(streamChunks).map((frame) => Buffer.from(frame));
const longStreamBody = longStreamParts(longBytes);
const stormBodies = new Map<string, Buffer>();

let requestCounter = 0;
let served = 0;
let connections = 0;
let stormCounter = 0;
const sink = { requests: 0, bytes: 0 };

function longStreamParts(targetBytes: number): Buffer[] {
  const stream = longStream(targetBytes);
  const block = Buffer.from(stream.block);
  return [
    Buffer.from(stream.head),
    ...Array.from({ length: stream.blocks }, () => block),
    Buffer.from(stream.tail),
  ];
}

function requestId(): string {
  return `req_${(++requestCounter).toString(16).padStart(12, '0')}`;
}

function waitForDrain(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Writes one buffer per event-loop turn, honouring backpressure; stops if the client goes away. */
async function writeStream(res: ServerResponse, parts: readonly Buffer[]): Promise<void> {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-request-id': requestId(),
  });
  for (const part of parts) {
    if (res.destroyed) return;
    if (!res.write(part)) await waitForDrain(res);
    else await nextTurn();
  }
  res.end();
}

function sendJson(res: ServerResponse, status: number, body: Buffer): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': body.length,
    'x-request-id': requestId(),
  });
  res.end(body);
}

function storm(res: ServerResponse): void {
  const failure = stormError(stormCounter++);
  if (!failure) {
    sendJson(res, 200, completion);
    return;
  }
  let body = stormBodies.get(failure.body);
  if (!body) {
    body = Buffer.from(failure.body);
    stormBodies.set(failure.body, body);
  }
  sendJson(res, failure.status, body);
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'GET' && req.url === '/stats') {
    const cpu = process.cpuUsage();
    sendJson(
      res,
      200,
      Buffer.from(JSON.stringify({ served, connections, otlp: sink, cpuMicros: cpu.user + cpu.system })),
    );
    return;
  }
  // Drain the request body before answering, as a real server reads the prompt first.
  req.resume();
  req.on('end', () => {
    served++;
    switch (req.url) {
      case ROUTES.small:
        return sendJson(res, 200, completion);
      case ROUTES.storm:
        return storm(res);
      case ROUTES.stream:
        return void writeStream(res, streamBody);
      case ROUTES.long:
        return void writeStream(res, longStreamBody);
      default:
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end(`no route ${req.method} ${req.url}`);
    }
  });
}

function handleOtlp(req: IncomingMessage, res: ServerResponse): void {
  req.on('data', (chunk: Buffer) => {
    sink.bytes += chunk.length;
  });
  req.on('end', () => {
    sink.requests++;
    res.writeHead(req.method === 'POST' && req.url === '/v1/traces' ? 200 : 404, {
      'content-type': 'application/json',
    });
    res.end('{}');
  });
}

function listen(server: Server): Promise<number> {
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = KEEP_ALIVE_MS + 1000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

const server = createServer(handle);
server.on('connection', () => {
  connections++;
});
const port = await listen(server);
const otlpPort = await listen(createServer(handleOtlp));
process.stdout.write(`${JSON.stringify({ port, otlpPort })}\n`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
