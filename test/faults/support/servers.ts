/**
 * Loopback endpoints for the fault matrix: a port nobody listens on, and a test server whose
 * behaviour each request picks with an `x-fault` header (so the built-in fetch and the openai SDK
 * hit the same fault), counting the sockets it holds open.
 */
import type { ServerResponse } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { expect } from 'vitest';
import { type RecordedRequest, startTestServer, type TestServer } from '../../support/server.ts';

export const FAULT_HEADER = 'x-fault';

/** A port that was just free on 127.0.0.1 (nothing listens on it). */
export async function closedPort(): Promise<number> {
  const probe: Server = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

export const sseFrame = (content: string, finishReason: string | null = null): string =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-fault',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, delta: { content }, finish_reason: finishReason }],
  })}\n\n`;

export const COMPLETION = {
  id: 'chatcmpl-fault',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hi' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
};

export type FaultHandler = (request: RecordedRequest, response: ServerResponse) => void | Promise<void>;

export interface FaultServer extends TestServer {
  /** Sockets currently open on the server side. */
  openSockets(): number;
}

/** A test server that dispatches on the `x-fault` request header to `faults[name]`. */
export async function startFaultServer(faults: Record<string, FaultHandler>): Promise<FaultServer> {
  const sockets = new Set<Socket>();
  const server = await startTestServer(async (request, response) => {
    const name = String(request.headers[FAULT_HEADER] ?? '');
    const fault = faults[name];
    if (!fault) {
      response.writeHead(400).end(`unknown fault "${name}"`);
      return;
    }
    const socket = response.socket;
    if (socket && !sockets.has(socket)) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    }
    await fault(request, response);
  });
  return { ...server, openSockets: () => sockets.size };
}

/** Resolves once `server` has received `count` requests in all (bounded). */
export async function requestsReceived(
  server: { requests: readonly unknown[] },
  count: number,
): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (server.requests.length < count) {
    if (Date.now() > deadline)
      throw new Error(`the server got ${server.requests.length} of ${count} requests`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Waits (bounded) until the fault server has no open socket left, and fails if one stays open. */
export async function expectNoOpenSockets(server: FaultServer, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (server.openSockets() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  expect(server.openSockets()).toBe(0);
}
