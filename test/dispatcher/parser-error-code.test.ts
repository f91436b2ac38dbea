/**
 * HTTPParserError.code through our dispatchers: Node 22's built-in fetch (undici 6) reports
 * `HPE_INVALID_CHUNK_SIZE` and friends; undici 7 and 8 leave `code` undefined. Through our
 * dispatchers the application and the attempt span's `error.type` get the code Node 22 reports.
 * Real malformed responses from a raw TCP server on 127.0.0.1.
 */
import { type AddressInfo, createServer, type Server } from 'node:net';
import { Agent, getGlobalDispatcher, setGlobalDispatcher } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parserErrorCode } from '../../src/dispatcher/parser-error-code.ts';
import { createTelemetryDispatcher, installFetchTelemetry } from '../../src/index.ts';
import { createTestTelemetry, type TestTelemetry } from '../support/telemetry.ts';

const PREFIX = 'Response does not match the HTTP/1.1 protocol';

/** Malformed responses, and the code bare Node 22 fetch reports for each (checked on 22.23). */
const MALFORMED: ReadonlyArray<[name: string, code: string, raw: string]> = [
  [
    'a bad chunk size',
    'HPE_INVALID_CHUNK_SIZE',
    'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\nxx\r\n0\r\n\r\n',
  ],
  [
    'a control character in a header value',
    'HPE_INVALID_HEADER_TOKEN',
    'HTTP/1.1 200 OK\r\nx-bad: a\x01b\r\n\r\n',
  ],
  ['a status that is not a number', 'HPE_INVALID_STATUS', 'HTTP/1.1 2x0 OK\r\ncontent-length: 2\r\n\r\nok'],
];

let telemetry: TestTelemetry;
let server: Server;
let origin: string;
let reply = '';

beforeAll(async () => {
  telemetry = createTestTelemetry();
  server = createServer((socket) => {
    socket.once('data', () => socket.end(reply));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await telemetry.shutdown();
});

beforeEach(() => telemetry.reset());

async function failingCall(init: RequestInit = {}): Promise<Error & { cause?: { code?: unknown } }> {
  try {
    const response = await fetch(`${origin}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [] }),
      ...init,
    });
    await response.text();
  } catch (error) {
    return error as Error & { cause?: { code?: unknown } };
  }
  throw new Error('the call did not fail');
}

describe('parserErrorCode', () => {
  it.each([
    ['Invalid character in chunk size', 'HPE_INVALID_CHUNK_SIZE'],
    ['Chunk size overflow', 'HPE_INVALID_CHUNK_SIZE'],
    ['Invalid header value char', 'HPE_INVALID_HEADER_TOKEN'],
    ['Invalid status code', 'HPE_INVALID_STATUS'],
    ['Invalid response status', 'HPE_INVALID_STATUS'],
    ['Expected LF after chunk data', 'HPE_STRICT'],
    ['Missing expected CR after chunk size', 'HPE_CR_EXPECTED'],
    ['Invalid EOF state', 'HPE_INVALID_EOF_STATE'],
  ])('%s -> %s', (reason, code) => {
    expect(parserErrorCode(`${PREFIX} (${reason})`)).toBe(code);
  });

  it.each([
    ['a reason llhttp uses for two codes', `${PREFIX} (Expected CRLF after version)`],
    ['an unknown reason', `${PREFIX} (Something new)`],
    ['another message', 'Invalid character in chunk size'],
    ['no closing parenthesis', `${PREFIX} (Invalid character in chunk size`],
  ])('%s -> undefined', (_label, message) => {
    expect(parserErrorCode(message)).toBeUndefined();
  });
});

describe('HTTPParserError.code through our dispatchers', () => {
  it.each(MALFORMED)(
    'installed globally, %s: the app sees %s, and so does error.type',
    async (_name, code, raw) => {
      reply = raw;
      const previous = getGlobalDispatcher();
      const appAgent = new Agent();
      setGlobalDispatcher(appAgent);
      const installation = installFetchTelemetry({
        tracerProvider: telemetry.tracerProvider,
        meterProvider: telemetry.meterProvider,
      });
      try {
        const error = await failingCall();
        expect(error.cause?.code).toBe(code);
        const attempt = (await telemetry.waitForSpans(2)).find((span) => span.name === 'POST');
        expect(attempt?.attributes['error.type']).toBe(code);
      } finally {
        await installation.uninstall();
        setGlobalDispatcher(previous);
        await appAgent.close();
      }
    },
  );

  it.each(MALFORMED)(
    'per call (createTelemetryDispatcher), %s: the app sees %s',
    async (_name, code, raw) => {
      reply = raw;
      const dispatcher = createTelemetryDispatcher({
        tracerProvider: telemetry.tracerProvider,
        meterProvider: telemetry.meterProvider,
      });
      try {
        const error = await failingCall({ dispatcher } as RequestInit);
        expect(error.cause?.code).toBe(code);
      } finally {
        await dispatcher.close();
      }
    },
  );
});
