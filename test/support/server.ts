/**
 * A scriptable loopback HTTP server for tests (127.0.0.1, ephemeral port) that records every
 * request it receives, headers and body included, and closes its sockets on close().
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** Raw header pairs as sent, to count duplicates. */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
}

export type TestHandler = (
  request: RecordedRequest,
  response: ServerResponse,
  raw: IncomingMessage,
) => void | Promise<void>;

export interface TestServer {
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startTestServer(handler: TestHandler): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer(async (raw, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of raw) chunks.push(chunk as Buffer);
    const request: RecordedRequest = {
      method: raw.method ?? 'GET',
      url: raw.url ?? '/',
      headers: raw.headers,
      rawHeaders: raw.rawHeaders,
      body: Buffer.concat(chunks),
    };
    requests.push(request);
    try {
      await handler(request, response, raw);
    } catch (error) {
      response.destroy(error as Error);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: origin,
    origin,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Sends a JSON body with the given status and headers. */
export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    ...headers,
  });
  response.end(payload);
}

/** Writes SSE events one by one (each `data:` frame as given), then ends unless told not to. */
export async function sendSse(
  response: ServerResponse,
  frames: readonly string[],
  options: { headers?: Record<string, string>; end?: boolean; delayMs?: number } = {},
): Promise<void> {
  response.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    ...options.headers,
  });
  for (const frame of frames) {
    response.write(frame);
    if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
  }
  if (options.end !== false) response.end();
}

/** The `traceparent` values a request carried, in order (duplicates included). */
export function traceparentsOf(request: RecordedRequest): string[] {
  const values: string[] = [];
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    if (request.rawHeaders[i]?.toLowerCase() === 'traceparent')
      values.push(request.rawHeaders[i + 1] as string);
  }
  return values;
}

export interface ScriptedServer {
  /** The running server (available inside tests, after the file's beforeAll). */
  readonly server: TestServer;
  /** How the server answers; each test sets it. */
  respond: TestHandler;
}

/**
 * A loopback server for one test file whose answer each test scripts (`scripted.respond = ...`):
 * started before the file's tests, closed after them.
 */
export function useScriptedServer(): ScriptedServer {
  let server: TestServer | undefined;
  const scripted = {
    get server(): TestServer {
      if (!server) throw new Error('the scripted server starts in beforeAll; use it inside a test');
      return server;
    },
    respond: (() => {
      throw new Error('no response scripted for this test');
    }) as TestHandler,
  };
  beforeAll(async () => {
    server = await startTestServer((request, response, raw) => scripted.respond(request, response, raw));
  });
  afterAll(() => server?.close());
  return scripted;
}
