/**
 * Fault matrix, HTTP/2: undici's fetch through `createTelemetryDispatcher({ agent: { allowH2 } })`
 * against a local `node:http2` TLS server whose self-signed certificate `openssl` makes at test
 * time (skipped, with the reason, where no `openssl` exists). Same outcome as without telemetry,
 * `network.protocol.version` is '2', and a stream reset mid-body is recorded.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { constants, createSecureServer, type Http2SecureServer, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanStatusCode } from '@opentelemetry/api';
import { type Agent, fetch as undiciFetch } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTelemetryDispatcher } from '../../src/index.ts';
import { createTestTelemetry } from '../support/telemetry.ts';
import {
  expectNoLeakedHandles,
  expectNoSecrets,
  handleCounts,
  LogCapture,
  SECRETS,
  settledBalance,
} from './support/invariants.ts';
import {
  chatRequest,
  compareWithBaseline,
  type FetchCall,
  fetchOutcome,
  openAiOutcome,
} from './support/outcome.ts';
import { COMPLETION, FAULT_HEADER, sseFrame } from './support/servers.ts';
import { callTrace } from './support/trace.ts';

/** A self-signed certificate for 127.0.0.1, or the reason there is none. */
function makeCertificate(): { key: Buffer; cert: Buffer } | string {
  const dir = mkdtempSync(join(tmpdir(), 'llm-otel-h2-'));
  try {
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
        ...['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1'],
        ...['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
      ],
      { stdio: 'ignore', timeout: 10_000 },
    );
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } catch (error) {
    return `no openssl CLI to make a self-signed certificate (${(error as Error).message})`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const certificate = makeCertificate();
const skipReason = typeof certificate === 'string' ? certificate : undefined;
if (skipReason) console.warn(`test/faults/http2: skipped: ${skipReason}`);

const telemetry = createTestTelemetry();
const logs = new LogCapture();
const handlesBefore = handleCounts();
let server: Http2SecureServer;
let origin: string;

const RESPONSES: Record<string, (stream: ServerHttp2Stream) => void> = {
  json: (stream) => {
    stream.respond({ ':status': 200, 'content-type': 'application/json', 'x-request-id': 'req_h2' });
    stream.end(JSON.stringify(COMPLETION));
  },
  sse: (stream) => {
    stream.respond({ ':status': 200, 'content-type': 'text/event-stream' });
    stream.end([sseFrame('a'), sseFrame('b', 'stop'), 'data: [DONE]\n\n'].join(''));
  },
  '429': (stream) => {
    stream.respond({ ':status': 429, 'content-type': 'application/json' });
    stream.end(JSON.stringify({ error: { code: 'rate_limit_exceeded', message: 'Slow down' } }));
  },
  'reset-mid-body': (stream) => {
    stream.respond({ ':status': 200, 'content-type': 'text/event-stream' });
    stream.write(sseFrame('a'), () => setTimeout(() => stream.close(constants.NGHTTP2_INTERNAL_ERROR), 20));
  },
};

beforeAll(async () => {
  if (typeof certificate === 'string') return;
  logs.install();
  server = createSecureServer({ ...certificate, allowHTTP1: true });
  server.on('request', (request, response) => {
    // HTTP/1.1 fallback (legacy-handler clients): same answers, through the compatibility API.
    if (request.httpVersion !== '2.0') {
      request.resume();
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_h1' });
        response.end(JSON.stringify(COMPLETION));
      });
    }
  });
  server.on('stream', (stream, headers) => {
    stream.resume();
    stream.on('end', () => RESPONSES[String(headers[FAULT_HEADER])]?.(stream));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  if (typeof certificate === 'string') return;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  logs.restore();
  await expectNoLeakedHandles(handlesBefore);
});

afterEach(() => telemetry.reset());

const agent: Agent.Options = { allowH2: true, connect: { rejectUnauthorized: false } };
const ours = () =>
  createTelemetryDispatcher({
    tracerProvider: telemetry.tracerProvider,
    meterProvider: telemetry.meterProvider,
    agent,
  });
const viaUndici = (fault: string, stream: boolean): FetchCall => ({
  url: `${origin}/v1/chat/completions`,
  headers: { [FAULT_HEADER]: fault },
  body: chatRequest(stream),
  fetch: undiciFetch as unknown as FetchCall['fetch'],
});

describe.skipIf(skipReason)('HTTP/2 (allowH2, local node:http2 TLS server)', () => {
  it.each([
    ['json', false, 200, undefined],
    ['sse', true, 200, undefined],
    ['429', false, 429, 'rate_limit_exceeded'],
  ] as const)('%s: same outcome; network.protocol.version is 2', async (fault, stream, status, errorType) => {
    const { baseline, observed } = await compareWithBaseline(
      (d) => fetchOutcome(viaUndici(fault, stream), d),
      agent,
      ours,
      false,
    );
    expect(baseline.status).toBe(status);
    expect(observed).toEqual(baseline);
    expect(await settledBalance(telemetry)).toEqual([]);
    const trace = callTrace(telemetry.spans());
    expect(trace.attempt.attributes).toMatchObject({
      'network.protocol.version': '2',
      'http.response.status_code': status,
    });
    expect(trace.attempt.attributes['error.type']).toBe(errorType);
    expect(trace.operation.attributes['url.full'] ?? trace.attempt.attributes['url.full']).not.toContain(
      SECRETS.query,
    );
    await expectNoSecrets(telemetry, logs);
  });

  it('RST_STREAM mid-body: undici ends the body quietly (same as bare); the trace says stream_truncated', async () => {
    const { baseline, observed } = await compareWithBaseline(
      (d) => fetchOutcome(viaUndici('reset-mid-body', true), d),
      agent,
      ours,
      false,
    );
    expect(baseline.error).toBeUndefined();
    expect(baseline.body?.length).toBe(sseFrame('a').length);
    expect(observed).toEqual(baseline);
    expect(await settledBalance(telemetry)).toEqual([]);
    const trace = callTrace(telemetry.spans());
    expect(trace.attempt.attributes).toMatchObject({
      'network.protocol.version': '2',
      'error.type': 'stream_truncated',
      'llm.error.phase': 'mid_stream',
    });
    expect(trace.attempt.events.map((event) => event.name)).toEqual(['llm.stream.truncated']);
    expect(trace.operation.status.code).toBe(SpanStatusCode.ERROR);
    await expectNoSecrets(telemetry, logs);
  });

  it('the openai SDK (per-call dispatcher, legacy handler API) falls back to HTTP/1.1', async () => {
    const { baseline, observed } = await compareWithBaseline(
      (d) => openAiOutcome({ baseURL: `${origin}/v1`, stream: false }, d),
      agent,
      ours,
    );
    expect(baseline.error).toBeUndefined();
    expect(observed).toEqual(baseline);
    expect(await settledBalance(telemetry)).toEqual([]);
    const trace = callTrace(telemetry.spans());
    expect(trace.attempt.attributes).toMatchObject({
      'network.protocol.version': '1.1',
      'http.response.header.x-request-id': ['req_h1'],
    });
    await expectNoSecrets(telemetry, logs);
  });
});
