/**
 * Fault matrix, transport faults: refused, DNS failure, resets, stalls, timeouts. Each case runs
 * through a bare Agent and through the telemetry dispatcher, with Node's built-in fetch and with
 * the openai SDK, and checks the three invariants (same outcome, balanced spans and no leftover
 * handles, no secret exported) plus the exact error.type the trace records.
 */
import { type Attributes, SpanStatusCode } from '@opentelemetry/api';
import type { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from '../../src/gateway/server.ts';
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
import {
  closedPort,
  expectNoOpenSockets,
  FAULT_HEADER,
  type FaultServer,
  sseFrame,
  startFaultServer,
} from './support/servers.ts';
import { callTrace } from './support/trace.ts';

const telemetry = createTestTelemetry();
const logs = new LogCapture();
const handlesBefore = handleCounts();
let gateway: Gateway;
let server: FaultServer;
let refusedPort: number;

beforeAll(async () => {
  logs.install();
  gateway = await startGateway({ firstChunkDelayMs: 50 });
  server = await startFaultServer({
    // Headers and one SSE frame, then nothing; the socket is closed after 100 ms.
    'stall-then-close': async (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(sseFrame('Hel'));
      await new Promise((resolve) => setTimeout(resolve, 100));
      response.socket?.end();
    },
    // Never answers (the client gives up).
    never: () => undefined,
    // Headers and one SSE frame, then nothing until the client gives up.
    'one-frame-then-stall': (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(sseFrame('Hel'));
    },
  });
  refusedPort = await closedPort();
});

afterAll(async () => {
  await server.close();
  await gateway.close();
  logs.restore();
  await expectNoLeakedHandles(handlesBefore);
});

afterEach(async () => {
  await expectNoOpenSockets(server);
  telemetry.reset();
});

const dnsFailure: Agent.Options['connect'] = (_options, callback) =>
  callback(Object.assign(new Error('getaddrinfo ENOTFOUND api.fault.invalid'), { code: 'ENOTFOUND' }), null);

interface NetworkCase {
  readonly name: string;
  readonly origin: () => string;
  readonly headers?: Record<string, string>;
  readonly agent?: Agent.Options;
  readonly stream: boolean;
  /** Expected attributes of the attempt span; the operation span carries the same error.type and phase. */
  readonly attempt: Attributes;
  /** Event names on the attempt span. */
  readonly events: readonly string[];
}

const immediate = (errorType: string, retryable: boolean): Attributes => ({
  'error.type': errorType,
  'llm.error.phase': 'immediate',
  'llm.error.retryable': retryable,
});
const midStream = (errorType: string): Attributes => ({
  'error.type': errorType,
  'llm.error.phase': 'mid_stream',
  'llm.error.retryable': false,
  'http.response.status_code': 200,
});

/**
 * A TCP reset after the response started: Node 24 surfaces the socket's ECONNRESET, Node 22 undici's
 * UND_ERR_SOCKET ("other side closed"); the application sees the same with or without telemetry.
 */
const RESET_MID_BODY = expect.stringMatching(/^(ECONNRESET|UND_ERR_SOCKET)$/) as unknown as string;

/**
 * The same reset surfaces, run to run and with or without telemetry, either as `SocketError`
 * (UND_ERR_SOCKET, "other side closed") or as the raw `Error` (ECONNRESET): a race in the kernel and
 * undici's socket handling (seen 2 in 5 runs on Node 22 with bare undici too). Outcomes of such a
 * case are compared with that one difference folded away.
 */
function foldResetRace<T>(outcome: T): T {
  const text = JSON.stringify(outcome)
    .replace(/"(constructor|name)":"(SocketError|Error)"/g, '"$1":"<reset>"')
    .replace(/"message":"(other side closed|read ECONNRESET)"/g, '"message":"<reset>"')
    .replace(/"code":"(UND_ERR_SOCKET|ECONNRESET)"/g, '"code":"<reset>"');
  return JSON.parse(text) as T;
}

const CASES: readonly NetworkCase[] = [
  {
    name: 'connection refused',
    origin: () => `http://127.0.0.1:${refusedPort}`,
    stream: false,
    attempt: immediate('ECONNREFUSED', true),
    events: [],
  },
  {
    name: 'DNS failure (custom connect)',
    origin: () => 'http://api.fault.invalid',
    agent: { connect: dnsFailure },
    stream: false,
    attempt: immediate('ENOTFOUND', false),
    events: [],
  },
  {
    name: 'reset before headers (TCP RST)',
    origin: () => gateway.url,
    headers: { 'x-mock-scenario': 'reset-before-headers' },
    stream: false,
    attempt: immediate('ECONNRESET', true),
    events: [],
  },
  {
    name: 'reset mid-body (SSE)',
    origin: () => gateway.url,
    headers: { 'x-mock-scenario': 'reset-mid-stream' },
    stream: true,
    attempt: midStream(RESET_MID_BODY),
    events: ['llm.stream.truncated'],
  },
  {
    name: 'reset mid-body (JSON)',
    origin: () => gateway.url,
    headers: { 'x-mock-scenario': 'reset-mid-stream' },
    stream: false,
    attempt: midStream(RESET_MID_BODY),
    events: [],
  },
  {
    name: 'server hangs, then closes before headers',
    origin: () => gateway.url,
    headers: { 'x-mock-scenario': 'hang-then-close' },
    stream: false,
    attempt: immediate('UND_ERR_SOCKET', true),
    events: [],
  },
  {
    name: 'server stalls after one SSE frame, then closes',
    origin: () => server.url,
    headers: { [FAULT_HEADER]: 'stall-then-close' },
    stream: true,
    attempt: midStream('UND_ERR_SOCKET'),
    events: ['llm.stream.truncated'],
  },
  {
    name: 'headers timeout',
    origin: () => server.url,
    headers: { [FAULT_HEADER]: 'never' },
    agent: { headersTimeout: 150 },
    stream: false,
    attempt: immediate('UND_ERR_HEADERS_TIMEOUT', false),
    events: [],
  },
  {
    name: 'body timeout (SSE)',
    origin: () => server.url,
    headers: { [FAULT_HEADER]: 'one-frame-then-stall' },
    agent: { bodyTimeout: 150 },
    stream: true,
    attempt: midStream('UND_ERR_BODY_TIMEOUT'),
    events: ['llm.stream.truncated'],
  },
];

async function expectTrace(c: NetworkCase): Promise<void> {
  expect(await settledBalance(telemetry)).toEqual([]);
  const trace = callTrace(telemetry.spans());
  expect(trace.attempts).toHaveLength(1);
  expect(trace.attempt.attributes).toMatchObject(c.attempt);
  expect(trace.attempt.events.map((event) => event.name)).toEqual(c.events);
  expect(trace.attempt.status.code).toBe(SpanStatusCode.ERROR);
  expect(trace.operation.status.code).toBe(SpanStatusCode.ERROR);
  expect(trace.operation.attributes['error.type']).toBe(trace.attempt.attributes['error.type']);
  expect(trace.operation.attributes['llm.error.phase']).toBe(c.attempt['llm.error.phase']);
  await expectNoSecrets(telemetry, logs);
}

const ours = (c: NetworkCase) => () =>
  createTelemetryDispatcher({
    tracerProvider: telemetry.tracerProvider,
    meterProvider: telemetry.meterProvider,
    agent: c.agent,
  });

describe.each(CASES)('$name', (c) => {
  it("Node's fetch: same outcome as without telemetry; trace records it", async () => {
    const { baseline, observed } = await compareWithBaseline(
      (dispatcher) =>
        fetchOutcome(
          { url: `${c.origin()}/v1/chat/completions`, headers: c.headers, body: chatRequest(c.stream) },
          dispatcher,
        ),
      c.agent ?? {},
      ours(c),
    );
    expect(baseline.error).toBeDefined();
    if (c.name.startsWith('reset mid-body')) expect(foldResetRace(observed)).toEqual(foldResetRace(baseline));
    else expect(observed).toEqual(baseline);
    await expectTrace(c);
  });

  it('openai SDK: same outcome as without telemetry; trace records it', async () => {
    const { baseline, observed } = await compareWithBaseline(
      (dispatcher) =>
        openAiOutcome({ baseURL: `${c.origin()}/v1`, headers: c.headers, stream: c.stream }, dispatcher),
      c.agent ?? {},
      ours(c),
    );
    expect(baseline.error).toBeDefined();
    if (c.name.startsWith('reset mid-body')) expect(foldResetRace(observed)).toEqual(foldResetRace(baseline));
    else expect(observed).toEqual(baseline);
    await expectTrace(c);
  });
});
