/**
 * Property-based faults through the real interceptor (fast-check, modest numRuns: each run is one
 * loopback call):
 *  - the error-body normaliser (describeHttpError): random error bodies from the server — provider
 *    shapes, random JSON, random text and bytes — carrying a generated credential never throw into
 *    the application, reach it byte for byte, and the credential is exported nowhere;
 *  - header and URL redaction: random request header sets, secret query parameters and secret
 *    response headers never put a generated secret into spans, metrics or logs.
 */
import type { ServerResponse } from 'node:http';
import fc from 'fast-check';
import { fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelemetryDispatcher } from '../../src/index.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { createTestTelemetry } from '../support/telemetry.ts';
import {
  expectNoLeakedHandles,
  findSecret,
  handleCounts,
  LogCapture,
  settledBalance,
  telemetryText,
} from './support/invariants.ts';
import { closeOrDestroy } from './support/outcome.ts';

const NUM_RUNS = 100;

const telemetry = createTestTelemetry();
const logs = new LogCapture();
const handlesBefore = handleCounts();
const dispatcher = createTelemetryDispatcher({
  tracerProvider: telemetry.tracerProvider,
  meterProvider: telemetry.meterProvider,
  responseHeaders: ['x-trace-id', 'openai-processing-ms'],
});

interface Reply {
  status: number;
  headers: Array<[string, string]>;
  body: Buffer;
}
let reply: Reply = { status: 200, headers: [], body: Buffer.alloc(0) };
let server: TestServer;

beforeAll(async () => {
  logs.install();
  server = await startTestServer((_request, response: ServerResponse) => {
    const headers: Array<[string, string]> = [
      ...reply.headers,
      ['content-length', String(reply.body.length)],
    ];
    response.writeHead(reply.status, headers.flat());
    response.end(reply.body);
  });
});

afterAll(async () => {
  await closeOrDestroy(dispatcher);
  await server.close();
  logs.restore();
  await expectNoLeakedHandles(handlesBefore);
});

// --- credentials the redactor recognises in free text, and where they may sit ------------------

const alnum = (min: number, max: number) => fc.stringMatching(new RegExp(`^[A-Za-z0-9]{${min},${max}}$`));
const base64url = (min: number, max: number) =>
  fc.stringMatching(new RegExp(`^[A-Za-z0-9_-]{${min},${max}}$`));

/** A credential with a recognisable shape: it may appear anywhere in a message. */
const shapedSecret = fc.oneof(
  fc
    .tuple(fc.constantFrom('sk-', 'sk-proj-', 'sk-or-v1-', 'sk_live_', 'rk-'), alnum(20, 40))
    .map(([p, s]) => p + s),
  base64url(35, 35).map((s) => `AIza${s}`),
  fc.tuple(base64url(12, 30), base64url(12, 30), base64url(12, 40)).map(([a, b, c]) => `eyJ${a}.${b}.${c}`),
);
/** An opaque token: recognisable only by its context (a scheme or a secret-looking name before it). */
const opaqueSecret = alnum(16, 40);
const OPAQUE_CONTEXTS = [
  'Bearer ',
  'Basic ',
  'api_key=',
  'apiKey: ',
  '"access_token": "',
  'password=',
  'x-api-key: ',
];
/** Characters that end a word before a credential (a letter glued to `sk-` would make `xsk-`). */
const separator = fc.constantFrom(' ', ': ', '"', "'", '(', '\n', ', ', '[', '<', '=');

/** Some text, the secret in a context where the redactor must find it, more text. */
const textWithSecret = fc.oneof(
  fc
    .tuple(fc.string({ maxLength: 40 }), separator, shapedSecret, fc.string({ maxLength: 40 }))
    .map(([before, sep, secret, after]) => ({ secret, text: `${before}${sep}${secret} ${after}` })),
  fc
    .tuple(
      fc.string({ maxLength: 40 }),
      fc.constantFrom(...OPAQUE_CONTEXTS),
      opaqueSecret,
      fc.string({ maxLength: 40 }),
    )
    .map(([before, context, secret, after]) => ({ secret, text: `${before} ${context}${secret} ${after}` })),
);

interface ErrorReply {
  readonly status: number;
  readonly body: Buffer;
  readonly secret: string;
}

/** Left out: 407, which fetch turns into a network error, and 421, which fetch resends on its own. */
const errorStatus = fc.oneof(
  fc.constantFrom(400, 401, 402, 403, 404, 429, 500, 502, 503),
  fc.integer({ min: 400, max: 599 }).filter((status) => status !== 407 && status !== 421),
);

/** Error bodies in every shape the normaliser reads, and shapes it must survive. */
const errorReply: fc.Arbitrary<ErrorReply> = fc
  .tuple(errorStatus, textWithSecret, shapedSecret, fc.jsonValue({ maxDepth: 4 }), fc.nat(6))
  .chain(([status, { secret, text }, shaped, noise, shape]) => {
    const json = (value: unknown) => fc.constant(Buffer.from(JSON.stringify(value)));
    const bodies: Record<number, fc.Arbitrary<Buffer>> = {
      0: json({
        error: { code: status, message: text, metadata: { provider_name: text, request_id: text } },
      }),
      1: json({ success: false, error: text }),
      2: json({ error: { message: text, type: shaped, code: shaped }, noise }),
      3: json({ message: text, detail: text, code: shaped, request_id: text }),
      4: json({ type: 'error', error: { type: 'invalid_request_error', message: text }, extra: noise }),
      5: fc.string({ maxLength: 200 }).map((s) => Buffer.from(`${s}${text}`)),
      6: fc
        .uint8Array({ maxLength: 300 })
        .map((bytes) => Buffer.concat([Buffer.from(bytes), Buffer.from(text)])),
    };
    // Shapes 2 and 3 carry the shaped secret in `code`/`type`: it must not become error.type.
    const secrets = shape === 2 || shape === 3 ? [secret, shaped] : [secret];
    return (bodies[shape] as fc.Arbitrary<Buffer>).map((body) => ({
      status,
      body,
      secret: secrets.join('\u0000'),
    }));
  });

async function call(url: string, headers: Record<string, string>): Promise<{ status: number; body: Buffer }> {
  const response = await undiciFetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    dispatcher,
  });
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
}

/** Starts a run with empty telemetry and logs (a failed run, and fast-check's shrinking, leave some behind). */
function freshRun(): void {
  telemetry.reset();
  logs.lines.length = 0;
}

/** Invariants 2 and 3 for one run. */
async function expectCleanTrace(secrets: readonly string[]): Promise<void> {
  expect(await settledBalance(telemetry)).toEqual([]);
  expect(telemetry.spans()).toHaveLength(2);
  expect(findSecret(`${await telemetryText(telemetry)}\n${logs.text()}`, secrets)).toBeUndefined();
}

describe('fuzz: error bodies through the interceptor (describeHttpError)', () => {
  it(`${NUM_RUNS} random error bodies: delivered byte for byte, never throw, never export the credential`, async () => {
    await fc.assert(
      fc.asyncProperty(errorReply, async ({ status, body, secret }) => {
        freshRun();
        const secrets = secret.split('\u0000');
        reply = { status, headers: [['content-type', 'application/json']], body };
        const received = await call(`${server.url}/v1/chat/completions`, {
          authorization: `Bearer ${secrets[0]}`,
        });
        expect(received.status).toBe(status);
        expect(received.body.equals(body)).toBe(true);
        await expectCleanTrace(secrets);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

// --- random header sets and query strings --------------------------------------------------------

const SECRET_REQUEST_HEADERS = [
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'api-key',
  'x-goog-api-key',
  'cookie',
  'x-auth-token',
  'openai-api-key',
];
const SECRET_RESPONSE_HEADERS = [
  'set-cookie',
  'www-authenticate',
  'x-api-key',
  'authorization',
  'x-session-token',
];
const SECRET_QUERY_NAMES = [
  'api_key',
  'key',
  'apiKey',
  'API_KEY',
  'token',
  'access_token',
  'sig',
  'X-Amz-Signature',
  'client_secret',
  'password',
];

const headerSecret = fc.tuple(fc.constantFrom('', 'sk-', 'Bearer '), alnum(16, 40)).map(([p, s]) => ({
  value: p + s,
  secret: s,
}));

const headerCase = fc
  .record({
    request: fc.uniqueArray(fc.tuple(fc.constantFrom(...SECRET_REQUEST_HEADERS), headerSecret), {
      selector: ([name]) => name,
      maxLength: 5,
    }),
    benign: fc.dictionary(fc.stringMatching(/^x-[a-z]{1,10}$/), fc.stringMatching(/^[a-z0-9]{0,20}$/), {
      maxKeys: 4,
    }),
    query: fc.uniqueArray(fc.tuple(fc.constantFrom(...SECRET_QUERY_NAMES), alnum(16, 40)), {
      selector: ([name]) => name,
      maxLength: 4,
    }),
    response: fc.array(fc.tuple(fc.constantFrom(...SECRET_RESPONSE_HEADERS), headerSecret), { maxLength: 5 }),
  })
  .filter((c) => c.request.length + c.query.length + c.response.length > 0);

describe('fuzz: header and URL redaction through the interceptor', () => {
  it(`${NUM_RUNS} random header sets and queries: no secret in spans, metrics or logs`, async () => {
    await fc.assert(
      fc.asyncProperty(headerCase, async (c) => {
        freshRun();
        const body = Buffer.from('{"id":"chatcmpl-h","object":"chat.completion","choices":[]}');
        reply = {
          status: 200,
          headers: [
            ['content-type', 'application/json'],
            ['x-request-id', 'req_fuzz'],
            ['x-trace-id', 'trace-1'],
            ...c.response.map(([name, { value }]): [string, string] => [name, value]),
          ],
          body,
        };
        const query = c.query.map(([name, value]) => `${name}=${value}`).join('&');
        const headers = {
          ...c.benign,
          ...Object.fromEntries(c.request.map(([name, { value }]) => [name, value])),
        };
        const received = await call(`${server.url}/v1/chat/completions${query ? `?${query}` : ''}`, headers);
        expect(received.status).toBe(200);
        expect(received.body.equals(body)).toBe(true);
        const secrets = [
          ...c.request.map(([, { secret }]) => secret),
          ...c.query.map(([, value]) => value),
          ...c.response.map(([, { secret }]) => secret),
        ];
        await expectCleanTrace(secrets);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
