/**
 * Fault matrix, the telemetry pipeline failing: the OTLP/HTTP collector is down, slow (answers
 * after 10 s), or answers 500 / 429, behind a real `BatchSpanProcessor` + `OTLPTraceExporter`.
 * The application's calls get the same answers and do not wait for the collector, nothing throws
 * into the application, spans still balance, and what reaches the collector holds no secret.
 */
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTelemetryDispatcher } from '../../src/index.ts';
import { sendJson, startTestServer, type TestServer } from '../support/server.ts';
import { installGlobalContext, SpanBalance } from '../support/telemetry.ts';
import { expectNoLeakedHandles, findSecret, handleCounts, LogCapture } from './support/invariants.ts';
import { chatRequest, closeOrDestroy, fetchOutcome } from './support/outcome.ts';
import { COMPLETION, closedPort } from './support/servers.ts';

const CALLS = 20;
const COLLECTOR_DELAY_MS = 10_000;

const logs = new LogCapture();
const handlesBefore = handleCounts();
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
let api: TestServer;

beforeAll(async () => {
  installGlobalContext();
  logs.install();
  process.on('unhandledRejection', onUnhandled);
  api = await startTestServer((_request, response) => sendJson(response, 200, COMPLETION));
});

afterAll(async () => {
  await api.close();
  process.off('unhandledRejection', onUnhandled);
  logs.restore();
  await expectNoLeakedHandles(handlesBefore);
});

afterEach(() => {
  logs.lines.length = 0;
});

type CollectorMode = 'down' | 'slow' | '500' | '429';

interface Collector {
  readonly url: string;
  /** Raw OTLP request bodies received. */
  readonly payloads: Buffer[];
  /** From now on (pending requests included) answer 200 at once, so the SDK can shut down quickly. */
  recover(): void;
  close(): Promise<void>;
}

async function startCollector(mode: CollectorMode): Promise<Collector> {
  if (mode === 'down') {
    const url = `http://127.0.0.1:${await closedPort()}`;
    return { url, payloads: [], recover: () => undefined, close: async () => undefined };
  }
  const recovered = new AbortController();
  const payloads: Buffer[] = [];
  const server = await startTestServer(async (request, response: ServerResponse) => {
    payloads.push(request.body);
    if (mode === 'slow') {
      await sleep(COLLECTOR_DELAY_MS, undefined, { signal: recovered.signal }).catch(() => undefined);
    }
    if (mode === 'slow' || recovered.signal.aborted) sendJson(response, 200, {});
    else sendJson(response, Number(mode), { error: mode }, mode === '429' ? { 'retry-after': '1' } : {});
  });
  return {
    url: server.url,
    payloads,
    recover: () => recovered.abort(),
    close: () => server.close(),
  };
}

describe.each(['down', 'slow', '500', '429'] as const)('OTLP collector %s', (mode) => {
  it("the application's calls are unchanged and do not wait for the collector", async () => {
    const collector = await startCollector(mode);
    const balance = new SpanBalance();
    // A slow export may run its 10 s; otherwise the exporter's own retries end within 1 s.
    const timeoutMillis = mode === 'slow' ? 15_000 : 1_000;
    const exporter = new OTLPTraceExporter({ url: `${collector.url}/v1/traces`, timeoutMillis });
    const tracerProvider = new TracerProvider({
      spanProcessors: [
        balance,
        new BatchSpanProcessor({ exporter, scheduledDelayMillis: 10, maxExportBatchSize: 4 }),
      ],
    });
    const dispatcher = createTelemetryDispatcher({ tracerProvider });

    const started = performance.now();
    const outcomes = [];
    for (let i = 0; i < CALLS; i++) {
      outcomes.push(
        await fetchOutcome({ url: `${api.url}/v1/chat/completions`, body: chatRequest(false) }, dispatcher),
      );
      await sleep(5); // let the batch processor start exports while calls are still being made
    }
    const elapsedMs = performance.now() - started;

    const expected = Buffer.from(JSON.stringify(COMPLETION));
    for (const outcome of outcomes) {
      expect(outcome.status).toBe(200);
      expect(outcome.error).toBeUndefined();
      expect(outcome.body?.length).toBe(expected.length);
    }
    // Generous bound: one slow export alone takes 10 s; the calls must not have waited for it.
    expect(elapsedMs).toBeLessThan(COLLECTOR_DELAY_MS / 2);
    expect(balance.unbalanced()).toEqual([]);
    expect(balance.started.size).toBe(2 * CALLS);
    if (mode !== 'down') expect(collector.payloads.length).toBeGreaterThan(0);

    expect(await closeOrDestroy(dispatcher)).toBe(true);
    collector.recover();
    await tracerProvider.shutdown().catch(() => undefined);
    await collector.close();
    expect(unhandled).toEqual([]);
    const wire = collector.payloads.map((payload) => payload.toString('utf8')).join('\n');
    expect(findSecret(`${wire}\n${logs.text()}`)).toBeUndefined();
  });
});
