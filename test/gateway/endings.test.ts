/**
 * How the gateway ends a streamed body: the last event first, the end of the body (the chunked
 * terminator) in a write of its own after endGapMs. With a gap far longer than the test, the read
 * that brings the terminal event cannot bring the terminator too.
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from '../../src/gateway/server.ts';

const TERMINATOR = '\r\n0\r\n\r\n';
let gateway: Gateway;
beforeAll(async () => {
  gateway = await startGateway({ endGapMs: 600_000 });
});
afterAll(() => gateway.close());

/** Raw HTTP/1.1: reads until `until` has arrived, then hangs up; returns everything received. */
async function readUntil(path: string, scenario: string, until: string): Promise<string> {
  const socket = connect(gateway.port, '127.0.0.1');
  const text = JSON.stringify({ model: 'm', stream: true, messages: [] });
  const headers = `host: gateway\r\nx-mock-scenario: ${scenario}\r\ncontent-type: application/json`;
  socket.write(
    `POST ${path} HTTP/1.1\r\n${headers}\r\ncontent-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
  let received = '';
  while (!received.includes(until)) {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    received += chunk.toString('latin1');
  }
  socket.destroy();
  return received;
}

describe('the end of a streamed body', () => {
  it.each([
    ['/v1/chat/completions', 'ok', 'data: [DONE]\n\n'],
    ['/v1/messages', 'ok', 'data: {"type":"message_stop"}\n\n'],
    ['/api/chat', 'ok', '"done":true'],
    ['/v1beta/models/g:streamGenerateContent?alt=sse', 'ok', '"finishReason":"STOP"'],
    ['/model/m/converse-stream', 'ok', 'metadata'],
    ['/v1/messages', 'mid-stream-error-event', '"overloaded_error","message":"Overloaded"}}\n\n'],
    ['/api/chat', 'mid-stream-server_error', 'unexpected EOF"}\n'],
  ])('%s %s: the last event arrives without the terminator', async (path, scenario, until) => {
    const received = await readUntil(path, scenario, until);
    expect(received).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(received.includes(TERMINATOR)).toBe(false);
  });

  it('ends the body after the default 1 ms gap', async () => {
    const quick = await startGateway();
    const res = await fetch(`${quick.url}/api/chat`, { method: 'POST', body: '{"model":"m"}' });
    expect((await res.text()).split('\n').at(-2)).toContain('"done":true');
    await quick.close();
  });
});
