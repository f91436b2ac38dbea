/**
 * The gateway's Bedrock Runtime Converse routes with plain fetch (no Bedrock SDK is installed):
 * the Converse answer, the `application/vnd.amazon.eventstream` stream read back with a small
 * decoder written here (independent of src/gateway/eventstream.ts, CRCs checked with zlib), errors
 * with `x-amzn-errortype`, and an exception message inside a 200 stream.
 */
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from '../../src/gateway/server.ts';
import { post } from './helpers.ts';

const MODEL = 'anthropic.claude-3-haiku-20240307-v1:0';
const BASE = `/model/${encodeURIComponent(MODEL)}`;
const BODY = { messages: [{ role: 'user', content: [{ text: 'hi' }] }] };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TEXT = 'Hello from the mock gateway';

interface Decoded {
  headers: Record<string, string>;
  payload: Record<string, unknown>;
}

/** Reads whole messages: prelude, string headers, JSON payload; both CRCs must match zlib's. */
function decode(bytes: Buffer): Decoded[] {
  const messages: Decoded[] = [];
  for (let offset = 0; offset < bytes.length; ) {
    const total = bytes.readUInt32BE(offset);
    const headersLength = bytes.readUInt32BE(offset + 4);
    expect(bytes.readUInt32BE(offset + 8)).toBe(crc32(bytes.subarray(offset, offset + 8)));
    expect(bytes.readUInt32BE(offset + total - 4)).toBe(crc32(bytes.subarray(offset, offset + total - 4)));
    const headers: Record<string, string> = {};
    let at = offset + 12;
    while (at < offset + 12 + headersLength) {
      const nameLength = bytes.readUInt8(at);
      const name = bytes.toString('utf8', at + 1, at + 1 + nameLength);
      expect(bytes.readUInt8(at + 1 + nameLength)).toBe(7);
      const valueLength = bytes.readUInt16BE(at + 2 + nameLength);
      headers[name] = bytes.toString('utf8', at + 4 + nameLength, at + 4 + nameLength + valueLength);
      at += 4 + nameLength + valueLength;
    }
    messages.push({ headers, payload: JSON.parse(bytes.toString('utf8', at, offset + total - 4)) });
    offset += total;
  }
  return messages;
}

let gateway: Gateway;
beforeAll(async () => {
  gateway = await startGateway();
});
afterAll(() => gateway.close());

describe('Bedrock Converse', () => {
  it('answers with output.message, stopReason, usage and x-amzn-requestid', async () => {
    const res = await post(gateway.url, BODY, {}, `${BASE}/converse`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-amzn-requestid')).toMatch(UUID);
    expect(await res.json()).toEqual({
      metrics: { latencyMs: 412 },
      output: { message: { role: 'assistant', content: [{ text: TEXT }] } },
      stopReason: 'end_turn',
      usage: { inputTokens: 11, outputTokens: 5, totalTokens: 16 },
    });
  });

  it('streams event-stream messages: messageStart, deltas, contentBlockStop, messageStop, metadata', async () => {
    const res = await post(gateway.url, BODY, {}, `${BASE}/converse-stream`);
    expect(res.headers.get('content-type')).toBe('application/vnd.amazon.eventstream');
    const messages = decode(Buffer.from(await res.arrayBuffer()));
    expect(messages.map((m) => m.headers)).toEqual(
      [
        'messageStart',
        ...Array(5).fill('contentBlockDelta'),
        'contentBlockStop',
        'messageStop',
        'metadata',
      ].map((type) => ({
        ':event-type': type,
        ':content-type': 'application/json',
        ':message-type': 'event',
      })),
    );
    const payloads = messages.map(({ payload: { p, ...rest } }) => {
      expect(p).toMatch(/^[a-zA-Z0-9]+$/);
      return rest;
    });
    expect(payloads[0]).toEqual({ role: 'assistant' });
    expect(
      payloads
        .slice(1, 6)
        .map((d) => (d.delta as { text: string }).text)
        .join(''),
    ).toBe(TEXT);
    expect(payloads.slice(6)).toEqual([
      { contentBlockIndex: 0 },
      { stopReason: 'end_turn' },
      { usage: { inputTokens: 11, outputTokens: 5, totalTokens: 16 }, metrics: { latencyMs: 412 } },
    ]);
  });

  it('sends an exception message inside a 200 stream', async () => {
    const res = await post(
      gateway.url,
      BODY,
      { 'x-mock-scenario': 'mid-stream-rate_limit' },
      `${BASE}/converse-stream`,
    );
    expect(res.status).toBe(200);
    const messages = decode(Buffer.from(await res.arrayBuffer()));
    expect(messages).toHaveLength(4);
    expect(messages.at(-1)).toEqual({
      headers: {
        ':exception-type': 'throttlingException',
        ':content-type': 'application/json',
        ':message-type': 'exception',
      },
      payload: { message: 'Too many tokens, please wait before trying again.' },
    });
  });

  it.each([
    ['429', 429, 'ThrottlingException', 'Too many requests, please wait before trying again.'],
    ['403', 403, 'AccessDeniedException', "You don't have access to the model with the specified model ID."],
    [
      'overloaded',
      503,
      'ServiceUnavailableException',
      'Too many connections, please wait before trying again.',
    ],
  ])('answers %s with x-amzn-errortype and {"message"}', async (name, status, type, message) => {
    const res = await post(gateway.url, BODY, { 'x-mock-scenario': name }, `${BASE}/converse-stream`);
    expect(res.status).toBe(status);
    expect(res.headers.get('x-amzn-errortype')).toBe(
      `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
    );
    expect(res.headers.get('x-amzn-requestid')).toMatch(UUID);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ message });
  });

  it('takes the model from the path for scenario rules and the log', async () => {
    const lines: string[] = [];
    const ruled = await startGateway({
      rules: [{ match: { model: MODEL }, scenario: '500' }],
      log: (l) => lines.push(l),
    });
    const res = await post(ruled.url, BODY, {}, `${BASE}/converse`);
    expect([res.status, res.headers.get('x-amzn-errortype')]).toEqual([
      500,
      'InternalServerException:http://internal.amazon.com/coral/com.amazon.bedrock/',
    ]);
    await ruled.close();
    expect(lines[0]).toMatch(
      new RegExp(`^POST ${BASE}/converse model=${MODEL.replace('.', '\\.')} scenario=500 500 `),
    );
  });
});
