/**
 * Request headers (issue 16 item 10 and item 2): the application's `tracestate` is kept unless our
 * propagator injects one, `traceparent` is always ours, an odd-length flat header array fails as it
 * does with bare undici, and the credentials the request carries are collected for the redactor.
 */
import { context, TraceFlags, trace } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { Agent, type Dispatcher, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTelemetryDispatcher } from '../../src/index.ts';
import { addHeaders, prepareRequestHeaders } from '../../src/interceptor/request-headers.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { createTestTelemetry, spanNamed } from '../support/telemetry.ts';

const APP_TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('prepareRequestHeaders', () => {
  it('drops traceparent, keeps tracestate, collects credentials (object headers)', () => {
    const headers = {
      'content-type': 'application/json',
      TraceParent: APP_TRACEPARENT,
      TraceState: 'app=1',
      authorization: 'Bearer gsk_abcdefgh12345678',
      'x-api-key': 'anthropic-key-1',
      'X-Goog-Api-Key': 'AIzaSyExample12345',
      'api-key': 'azure-key-12345',
      'x-custom-token': 'custom-token-value',
      'x-stainless-retry-count': '2',
      accept: 'text/event-stream',
    };
    const facts = prepareRequestHeaders(headers);
    expect(facts.headers).toEqual({
      'content-type': 'application/json',
      TraceState: 'app=1',
      authorization: 'Bearer gsk_abcdefgh12345678',
      'x-api-key': 'anthropic-key-1',
      'X-Goog-Api-Key': 'AIzaSyExample12345',
      'api-key': 'azure-key-12345',
      'x-custom-token': 'custom-token-value',
      'x-stainless-retry-count': '2',
      accept: 'text/event-stream',
    });
    expect(facts.credentials).toEqual([
      'Bearer gsk_abcdefgh12345678',
      'gsk_abcdefgh12345678',
      'anthropic-key-1',
      'AIzaSyExample12345',
      'azure-key-12345',
      'custom-token-value',
    ]);
    expect(facts.sdkRetryCount).toBe(2);
    expect(facts.authorizationSchemeMissing).toBe(false);
    expect(headers.TraceParent).toBe(APP_TRACEPARENT);
  });

  it('does the same for flat arrays and iterables', () => {
    const flat = ['traceparent', APP_TRACEPARENT, 'tracestate', 'app=1', 'Authorization', 'sk-noscheme-123'];
    for (const headers of [
      flat,
      new Map([
        ['traceparent', APP_TRACEPARENT],
        ['tracestate', 'app=1'],
        ['Authorization', 'sk-noscheme-123'],
      ]),
    ]) {
      const facts = prepareRequestHeaders(headers as Dispatcher.DispatchOptions['headers']);
      expect(facts.headers).toEqual(['tracestate', 'app=1', 'Authorization', 'sk-noscheme-123']);
      expect(facts.credentials).toEqual(['sk-noscheme-123']);
      expect(facts.authorizationSchemeMissing).toBe(true);
    }
  });

  it('collects nothing from ordinary headers, and skips values under 8 characters', () => {
    expect(
      prepareRequestHeaders({ 'content-type': 'application/json', 'x-api-key': 'short' }).credentials,
    ).toEqual([]);
    expect(prepareRequestHeaders(undefined).credentials).toEqual([]);
  });

  it('copies an odd-length flat array unchanged, for undici to reject', () => {
    const odd = ['content-type', 'application/json', 'traceparent', APP_TRACEPARENT, 'x-dangling'];
    const facts = prepareRequestHeaders(odd);
    expect(facts.headers).toEqual(odd);
    expect(facts.headers).not.toBe(odd);
    addHeaders(facts.headers, { traceparent: 'ours' });
    expect((facts.headers as string[]).length % 2).toBe(1);
    expect(odd).toHaveLength(5);
  });
});

describe('addHeaders', () => {
  it("our tracestate replaces the application's, in any case, in objects and arrays", () => {
    const object = prepareRequestHeaders({ TraceState: 'app=1', a: 'b' }).headers;
    addHeaders(object, { traceparent: 'tp', tracestate: 'ours=2' });
    expect(object).toEqual({ a: 'b', traceparent: 'tp', tracestate: 'ours=2' });
    const flat = prepareRequestHeaders(['a', 'b', 'TRACESTATE', 'app=1', 'tracestate', 'app=2']).headers;
    addHeaders(flat, { traceparent: 'tp', tracestate: 'ours=2' });
    expect(flat).toEqual(['a', 'b', 'traceparent', 'tp', 'tracestate', 'ours=2']);
  });

  it("without a tracestate of ours, the application's stays", () => {
    const object = prepareRequestHeaders({ tracestate: 'app=1' }).headers;
    addHeaders(object, { traceparent: 'tp' });
    expect(object).toEqual({ tracestate: 'app=1', traceparent: 'tp' });
  });
});

describe('through the real interceptor', () => {
  const telemetry = createTestTelemetry();
  const dispatcher = createTelemetryDispatcher({
    tracerProvider: telemetry.tracerProvider,
    meterProvider: telemetry.meterProvider,
  });
  const bare = new Agent();
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"ok":true}');
    });
  });
  afterAll(async () => {
    await server.close();
    await dispatcher.close();
    await bare.close();
  });
  afterEach(() => {
    expect(telemetry.balance.unbalanced()).toEqual([]);
    telemetry.reset();
    server.requests.length = 0;
  });

  function rawHeader(name: string): string[] {
    const raw = server.requests[0]?.rawHeaders ?? [];
    const values: string[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) {
      if (raw[i]?.toLowerCase() === name) values.push(raw[i + 1] as string);
    }
    return values;
  }

  it("the application's tracestate reaches the server; traceparent is the attempt's", async () => {
    const response = await request(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        traceparent: APP_TRACEPARENT,
        tracestate: 'app=1,other=2',
      },
      body: '{"model":"m","messages":[]}',
      dispatcher,
    });
    await response.body.text();
    const attempt = spanNamed(await telemetry.waitForSpans(2), 'POST');
    const { traceId, spanId } = attempt.spanContext();
    expect(rawHeader('traceparent')).toEqual([`00-${traceId}-${spanId}-01`]);
    expect(rawHeader('tracestate')).toEqual(['app=1,other=2']);
  });

  it("when our context carries a tracestate, ours replaces the application's", async () => {
    const parent = trace.setSpanContext(context.active(), {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
      traceState: new TraceState('ours=1'),
      isRemote: true,
    });
    await context.with(parent, async () => {
      const response = await request(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', TraceState: 'app=1' },
        body: '{"model":"m","messages":[]}',
        dispatcher,
      });
      await response.body.text();
    });
    const attempt = spanNamed(await telemetry.waitForSpans(2), 'POST');
    expect(attempt.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(rawHeader('tracestate')).toEqual(['ours=1']);
  });

  it('an odd-length flat header array fails exactly as it does with bare undici', async () => {
    const send = (via: Dispatcher) =>
      request(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: ['content-type', 'application/json', 'x-dangling'] as unknown as string[],
        body: '{"model":"m","messages":[]}',
        dispatcher: via,
      }).then(
        () => 'resolved',
        (error: Error & { code?: string }) => `${error.name} ${error.code} ${error.message}`,
      );
    const expected = 'InvalidArgumentError UND_ERR_INVALID_ARG headers array must be even';
    expect(await send(bare)).toBe(expected);
    expect(await send(dispatcher)).toBe(expected);
    expect(server.requests).toHaveLength(0);
  });
});
