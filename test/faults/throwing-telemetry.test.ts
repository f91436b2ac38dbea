/**
 * Fault matrix, telemetry that throws: a SpanProcessor whose onStart or onEnd throws, an exporter
 * that throws, a TracerProvider whose getTracer throws, a MeterProvider whose getMeter throws, an
 * `onTelemetryError` that throws. The application's requests are unchanged (compared with a bare
 * Agent), `llm.telemetry.failures` counts what was swallowed, and every span that started ends once.
 */
import type { TracerProvider as ApiTracerProvider, MeterProvider } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import {
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTelemetryDispatcher, type TelemetryDispatcherOptions } from '../../src/index.ts';
import { METRIC_LLM_TELEMETRY_FAILURES } from '../../src/semconv/names.ts';
import { sendJson, sendSse } from '../support/server.ts';
import { createTestTelemetry, SpanBalance } from '../support/telemetry.ts';
import { expectNoLeakedHandles, expectNoSecrets, handleCounts, LogCapture } from './support/invariants.ts';
import { chatRequest, compareWithBaseline, fetchOutcome, openAiOutcome } from './support/outcome.ts';
import { COMPLETION, FAULT_HEADER, type FaultServer, sseFrame, startFaultServer } from './support/servers.ts';

/** Only the meter provider and the log capture are used from here; tracer providers are per test. */
const telemetry = createTestTelemetry();
const logs = new LogCapture();
const handlesBefore = handleCounts();
let server: FaultServer;

beforeAll(async () => {
  logs.install();
  server = await startFaultServer({
    json: (_request, response) => sendJson(response, 200, COMPLETION),
    sse: (_request, response) =>
      sendSse(response, [sseFrame('a'), sseFrame('b', 'stop'), 'data: [DONE]\n\n']),
    '429': (_request, response) =>
      sendJson(response, 429, { error: { code: 'rate_limit_exceeded', message: 'x' } }),
  });
});

afterAll(async () => {
  await server.close();
  logs.restore();
  await expectNoLeakedHandles(handlesBefore);
});

afterEach(() => telemetry.reset());

class ThrowingProcessor implements SpanProcessor {
  readonly #where: 'onStart' | 'onEnd';
  constructor(where: 'onStart' | 'onEnd') {
    this.#where = where;
  }
  onStart(): void {
    if (this.#where === 'onStart') throw new Error('span processor onStart failed');
  }
  onEnd(): void {
    if (this.#where === 'onEnd') throw new Error('span processor onEnd failed');
  }
  forceFlush = () => Promise.resolve();
  shutdown = () => Promise.resolve();
}

const throwingExporter: SpanExporter = {
  export: () => {
    throw new Error('exporter failed');
  },
  shutdown: () => Promise.resolve(),
};
const failingExporter: SpanExporter = {
  export: (_spans: ReadableSpan[], done) =>
    done({ code: ExportResultCode.FAILED, error: new Error('export failed') }),
  shutdown: () => Promise.resolve(),
};

/** The calls each configuration must leave unchanged: JSON, SSE and an error, with fetch and the SDK. */
const CALLS = [
  ['fetch', 'json'],
  ['fetch', 'sse'],
  ['fetch', '429'],
  ['openai', 'sse'],
] as const;

async function runCalls(options: () => TelemetryDispatcherOptions): Promise<void> {
  for (const [client, fault] of CALLS) {
    const headers = { [FAULT_HEADER]: fault };
    const stream = fault === 'sse';
    const { baseline, observed } = await compareWithBaseline(
      (d) =>
        client === 'fetch'
          ? fetchOutcome({ url: `${server.url}/v1/chat/completions`, headers, body: chatRequest(stream) }, d)
          : openAiOutcome({ baseURL: `${server.url}/v1`, headers, stream }, d),
      {},
      () => createTelemetryDispatcher(options()),
    );
    expect(observed, `${client} ${fault}`).toEqual(baseline);
  }
}

/** `llm.telemetry.failures` by stage (cumulative over the file: compare with `since`). */
async function failuresByStage(since: Record<string, number> = {}): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const point of await telemetry.metricPoints(METRIC_LLM_TELEMETRY_FAILURES)) {
    const stage = String(point.attributes['llm.failure.stage']);
    const count = (point.value as number) - (since[stage] ?? 0);
    if (count > 0) counts[stage] = count;
  }
  return counts;
}

function providerWith(...processors: SpanProcessor[]): TracerProvider {
  return new TracerProvider({ spanProcessors: processors });
}

describe('a SpanProcessor whose onStart throws', () => {
  it('requests unchanged; no span starts; each call counted once at stage "dispatch"', async () => {
    const before = await failuresByStage();
    const reported: string[] = [];
    // The balance sits after the thrower, so it sees only spans the SDK really started.
    const balance = new SpanBalance();
    const tracerProvider = providerWith(new ThrowingProcessor('onStart'), balance);
    await runCalls(() => ({
      tracerProvider,
      meterProvider: telemetry.meterProvider,
      onTelemetryError: (_error, stage) => reported.push(stage),
    }));
    expect(balance.started.size).toBe(0);
    expect(reported).toEqual(CALLS.map(() => 'dispatch'));
    expect(await failuresByStage(before)).toEqual({ dispatch: CALLS.length });
    await expectNoSecrets(telemetry, logs);
  });

  it('an onTelemetryError that throws is swallowed too', async () => {
    const before = await failuresByStage();
    const tracerProvider = providerWith(new ThrowingProcessor('onStart'));
    await runCalls(() => ({
      tracerProvider,
      meterProvider: telemetry.meterProvider,
      onTelemetryError: () => {
        throw new Error('onTelemetryError failed');
      },
    }));
    expect(await failuresByStage(before)).toEqual({ dispatch: CALLS.length });
  });
});

describe('a SpanProcessor whose onEnd throws', () => {
  it('requests unchanged; the failures are counted', async () => {
    const before = await failuresByStage();
    const tracerProvider = providerWith(new ThrowingProcessor('onEnd'));
    await runCalls(() => ({ tracerProvider, meterProvider: telemetry.meterProvider }));
    const counted = Object.values(await failuresByStage(before)).reduce((a, b) => a + b, 0);
    expect(counted).toBeGreaterThanOrEqual(CALLS.length);
    await expectNoSecrets(telemetry, logs);
  });

  it('every span that started is ended exactly once', async () => {
    // The balance sits before the thrower, so it counts every end() call that reached the SDK.
    const balance = new SpanBalance();
    const tracerProvider = providerWith(balance, new ThrowingProcessor('onEnd'));
    await runCalls(() => ({ tracerProvider, meterProvider: telemetry.meterProvider }));
    expect(balance.started.size).toBe(2 * CALLS.length);
    expect(balance.unbalanced()).toEqual([]);
  });
});

describe.each([
  ['throws in export()', throwingExporter],
  ['reports FAILED', failingExporter],
])('an exporter that %s', (_name, exporter) => {
  it('requests unchanged; spans balance', async () => {
    const balance = new SpanBalance();
    const tracerProvider = providerWith(balance, new SimpleSpanProcessor({ exporter }));
    await runCalls(() => ({ tracerProvider, meterProvider: telemetry.meterProvider }));
    expect(balance.started.size).toBe(2 * CALLS.length);
    expect(balance.unbalanced()).toEqual([]);
  });
});

describe('a MeterProvider whose getMeter throws', () => {
  const meterProvider: MeterProvider = {
    getMeter: () => {
      throw new Error('getMeter failed');
    },
  };

  it('requests unchanged; spans balance', async () => {
    const balance = new SpanBalance();
    const tracerProvider = providerWith(balance);
    await runCalls(() => ({ tracerProvider, meterProvider }));
    expect(balance.started.size).toBe(2 * CALLS.length);
    expect(balance.unbalanced()).toEqual([]);
  });

  it('onTelemetryError still hears of the swallowed failures', async () => {
    const reported = new Set<string>();
    await runCalls(() => ({
      tracerProvider: providerWith(new SpanBalance()),
      meterProvider,
      onTelemetryError: (_error, stage) => reported.add(stage),
    }));
    expect(reported.size).toBeGreaterThan(0);
  });
});

describe('a TracerProvider whose getTracer throws', () => {
  const tracerProvider: ApiTracerProvider = {
    getTracer: () => {
      throw new Error('getTracer failed');
    },
  };

  it('construction does not throw; requests unchanged; the failure is counted', async () => {
    expect(() => createTelemetryDispatcher({ tracerProvider })).not.toThrow();
    await runCalls(() => ({ tracerProvider, meterProvider: telemetry.meterProvider }));
    expect(Object.keys(await failuresByStage()).length).toBeGreaterThan(0);
  });
});
