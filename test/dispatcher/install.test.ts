/**
 * installFetchTelemetry() and the application's own global dispatcher: it composes onto whatever
 * is global at install time (a ProxyAgent, an Agent with its own options), and uninstall() never
 * closes a dispatcher the library did not create and leaves anything layered on top working.
 * Real parts only: a loopback forward proxy, loopback servers, undici agents, Node's built-in fetch.
 */
import { type AddressInfo, createServer as createTcpServer, type Server, type Socket } from 'node:net';
import {
  Agent,
  buildConnector,
  type Dispatcher,
  getGlobalDispatcher,
  ProxyAgent,
  setGlobalDispatcher,
} from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { installFetchTelemetry, type TelemetryDispatcherOptions } from '../../src/index.ts';
import { sendJson, startTestServer, type TestServer } from '../support/server.ts';
import { createTestTelemetry, type TestTelemetry } from '../support/telemetry.ts';
import { type ForwardProxy, startForwardProxy } from './forward-proxy.ts';

const LEGACY_SLOT = Symbol.for('undici.globalDispatcher.1');
const BODY = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });

let telemetry: TestTelemetry;
let server: TestServer;
let other: TestServer;
let proxy: ForwardProxy;
let silent: Server;
let silentUrl: string;
const silentSockets = new Set<Socket>();
const original = getGlobalDispatcher();
const originalLegacy = (globalThis as Record<symbol, unknown>)[LEGACY_SLOT];
const created: Dispatcher[] = [];

function ok(_request: unknown, response: Parameters<typeof sendJson>[0]): void {
  sendJson(response, 200, { id: 'chatcmpl-1', model: 'gpt-4o-mini', choices: [] });
}

beforeAll(async () => {
  telemetry = createTestTelemetry();
  server = await startTestServer(ok);
  other = await startTestServer(ok);
  proxy = await startForwardProxy();
  // Accepts connections and never answers: only a headers timeout ends a request to it.
  silent = createTcpServer((socket) => {
    silentSockets.add(socket);
    socket.on('close', () => silentSockets.delete(socket));
    socket.resume();
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const socket of silentSockets) socket.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
  await Promise.all([server.close(), other.close(), proxy.close(), telemetry.shutdown()]);
});

beforeEach(() => {
  telemetry.reset();
  proxy.requests.length = 0;
});

afterEach(async () => {
  setGlobalDispatcher(original);
  (globalThis as Record<symbol, unknown>)[LEGACY_SLOT] = originalLegacy;
  await Promise.all(created.splice(0).map((d) => d.destroy().catch(() => undefined)));
});

/** A chat completion through Node's built-in fetch, as an application sends it. */
async function chat(origin: string, signal?: AbortSignal): Promise<number> {
  const response = await fetch(`${origin}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: BODY,
    signal,
  });
  await response.text();
  return response.status;
}

function options(extra: TelemetryDispatcherOptions = {}): TelemetryDispatcherOptions {
  return { tracerProvider: telemetry.tracerProvider, meterProvider: telemetry.meterProvider, ...extra };
}

function spanNames(): string[] {
  return telemetry
    .spans()
    .map((span) => span.name)
    .sort();
}

const hostPort = (origin: string) => new URL(origin).host;

/** undici dispatchers have a `closed` getter that its types declare on Agent only. */
const closed = (dispatcher: Dispatcher) => (dispatcher as unknown as { closed: boolean }).closed;

function track<T extends Dispatcher>(dispatcher: T): T {
  created.push(dispatcher);
  return dispatcher;
}

describe('installFetchTelemetry composes onto the global dispatcher present at install time', () => {
  it("an application's ProxyAgent: calls still go through the proxy, and are recorded", async () => {
    const proxyAgent = track(new ProxyAgent(proxy.url));
    setGlobalDispatcher(proxyAgent);
    expect(await chat(server.url)).toBe(200);
    expect(proxy.countTo(hostPort(server.url))).toBe(1);

    const installation = installFetchTelemetry(options());
    expect(await chat(other.url)).toBe(200);
    expect(proxy.countTo(hostPort(other.url))).toBe(1);
    expect(spanNames()).toEqual(['POST', 'chat gpt-4o-mini']);

    await installation.uninstall();
    expect(getGlobalDispatcher()).toBe(proxyAgent);
    expect(closed(proxyAgent)).toBe(false);
    proxy.requests.length = 0;
    const third = await startTestServer(ok);
    try {
      expect(await chat(third.url)).toBe(200);
      expect(proxy.countTo(hostPort(third.url))).toBe(1);
    } finally {
      await third.close();
    }
    expect(spanNames()).toEqual(['POST', 'chat gpt-4o-mini']);
  });

  it("an application's Agent keeps its own options: its connector and its headersTimeout", async () => {
    const connected: string[] = [];
    const connector = buildConnector({});
    const appAgent = track(
      new Agent({
        headersTimeout: 200,
        connect: (opts, callback) => {
          connected.push(`${opts.hostname}:${opts.port}`);
          return connector(opts, callback);
        },
      }),
    );
    setGlobalDispatcher(appAgent);
    const installation = installFetchTelemetry(options());

    expect(await chat(server.url)).toBe(200);
    expect(connected).toEqual([hostPort(server.url)]);
    // The application's 200 ms headers timeout, not a 300 s default (the signal only bounds the test).
    const failure = await chat(silentUrl, AbortSignal.timeout(10_000)).catch((error: unknown) => error);
    expect((failure as Error & { cause?: { code?: string } }).cause?.code).toBe('UND_ERR_HEADERS_TIMEOUT');
    expect(connected).toEqual([hostPort(server.url), hostPort(silentUrl)]);
    const failedAttempt = telemetry
      .spans()
      .find((span) => span.name === 'POST' && span.attributes['server.port'] !== server.port);
    expect(failedAttempt?.attributes['error.type']).toBe('UND_ERR_HEADERS_TIMEOUT');
    await installation.uninstall();
  });

  it('an explicit agent option builds a pool of ours instead, and uninstall closes it', async () => {
    const appAgent = track(new Agent());
    setGlobalDispatcher(appAgent);
    const installation = installFetchTelemetry(options({ agent: { connections: 1 } }));
    const ours = installation.dispatcher;
    expect(await chat(server.url)).toBe(200);
    await installation.uninstall();
    expect(getGlobalDispatcher()).toBe(appAgent);
    expect(closed(ours)).toBe(true);
    expect(appAgent.closed).toBe(false);
    // A stale reference to ours still works: it forwards to the restored global dispatcher.
    const response = await fetch(`${server.url}/v1/models`, { dispatcher: ours } as RequestInit);
    expect(response.status).toBe(200);
    await response.text();
  });
});

describe('uninstall never closes a dispatcher the library did not create', () => {
  it('installFetchTelemetry({ dispatcher: getGlobalDispatcher() }) then uninstall leaves that Agent open', async () => {
    const appAgent = track(new Agent());
    setGlobalDispatcher(appAgent);
    const installation = installFetchTelemetry(options({ dispatcher: getGlobalDispatcher() }));
    expect(await chat(server.url)).toBe(200);
    await installation.uninstall();
    expect(getGlobalDispatcher()).toBe(appAgent);
    expect({ closed: appAgent.closed, destroyed: appAgent.destroyed }).toEqual({
      closed: false,
      destroyed: false,
    });
    expect(await chat(server.url)).toBe(200);
    expect(spanNames()).toEqual(['POST', 'chat gpt-4o-mini']);
  });

  it.each([
    ['composed onto the global dispatcher', {}],
    ['with a pool of its own (agent option)', { agent: {} }],
  ] as const)(
    'another library composed on top of ours (%s): after our uninstall fetch works and we record nothing',
    async (_label, extra) => {
      const appAgent = track(new Agent());
      setGlobalDispatcher(appAgent);
      const installation = installFetchTelemetry(options(extra));
      let seenByTheirs = 0;
      const theirs = getGlobalDispatcher().compose((dispatch) => (opts, handler) => {
        seenByTheirs++;
        return dispatch(opts, handler);
      });
      setGlobalDispatcher(theirs);

      expect(await chat(server.url)).toBe(200);
      expect(spanNames()).toEqual(['POST', 'chat gpt-4o-mini']);

      await installation.uninstall();
      expect(getGlobalDispatcher()).toBe(theirs);
      telemetry.reset();
      expect(await chat(server.url)).toBe(200);
      expect(await chat(server.url)).toBe(200);
      expect(seenByTheirs).toBe(3);
      expect(spanNames()).toEqual([]);
      expect(appAgent.closed).toBe(false);
    },
  );
});
