/**
 * startTelemetry() in this process (once: the OpenTelemetry API globals cannot be registered
 * twice): extra processors and readers, the console writer, the export-failure counter, the
 * once-per-process guard, and shutdown restoring the global dispatcher.
 */
import { type ProxyTracerProvider, trace } from '@opentelemetry/api';
import { type DataPoint, MetricReader } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, type TracerProvider } from '@opentelemetry/sdk-trace';
import { getGlobalDispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from '../../src/gateway/server.ts';
import { startTelemetry, type TelemetryHandle } from '../../src/register/start-telemetry.ts';
import { type OtlpReceiver, startOtlpReceiver } from './otlp-receiver.ts';

class OnDemandReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

let gateway: Gateway;
let receiver: OtlpReceiver;
let handle: TelemetryHandle;
const lines: string[] = [];
const memory = new InMemorySpanExporter();
const reader = new OnDemandReader();
const previousDispatcher = getGlobalDispatcher();

function chat(scenario: string): Promise<Response> {
  return fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-mock-scenario': scenario },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [] }),
  });
}

/** Polls (bounded) until `condition` holds: spans end a little after the body is read. */
async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
}

function sdkTracerProvider(): TracerProvider {
  return (trace.getTracerProvider() as ProxyTracerProvider).getDelegate() as TracerProvider;
}

async function failurePoints(): Promise<Array<DataPoint<unknown>>> {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .filter((metric) => metric.descriptor.name === 'llm.telemetry.failures')
    .flatMap((metric) => metric.dataPoints as Array<DataPoint<unknown>>);
}

beforeAll(async () => {
  gateway = await startGateway({ host: '127.0.0.1', port: 0 });
  receiver = await startOtlpReceiver();
  process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/json';
  handle = await startTelemetry({
    endpoint: receiver.url,
    serviceName: 'in-process-test',
    console: true,
    writeSummaryLine: (line) => lines.push(line),
    flushOnExit: false,
    sdk: { spanProcessors: [new SimpleSpanProcessor({ exporter: memory })], metricReaders: [reader] },
  });
});

afterAll(async () => {
  delete process.env.OTEL_EXPORTER_OTLP_PROTOCOL;
  await handle.shutdown();
  await receiver.close();
  await gateway.close();
});

describe('startTelemetry in process', () => {
  it('installs the dispatcher, feeds our exporter, the extra processor and the console writer', async () => {
    expect(handle.installation?.dispatcher).toBe(getGlobalDispatcher());
    const response = await chat('ok');
    await response.text();
    const requestId = response.headers.get('x-request-id');
    await until(() => memory.getFinishedSpans().length >= 2);
    expect(
      memory
        .getFinishedSpans()
        .map((s) => s.name)
        .sort(),
    ).toEqual(['POST', 'chat gpt-4o-mini']);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(`^llm-otel chat gpt-4o-mini 200 ok attempts=1 x-request-id=${requestId} \\d+\\.\\d\\ds$`),
    );
    await sdkTracerProvider().forceFlush();
    const received = receiver.spans();
    expect(received.map((s) => s.name).sort()).toEqual(['POST', 'chat gpt-4o-mini']);
    expect(received.map((s) => s.serviceName)).toEqual(['in-process-test', 'in-process-test']);
  });

  it('counts a failed export in llm.telemetry.failures{llm.failure.stage="export"} and does not throw', async () => {
    expect(await failurePoints()).toEqual([]);
    receiver.failWith = 400;
    try {
      const response = await chat('503');
      expect(response.status).toBe(503);
      await response.text();
      await until(() => memory.getFinishedSpans().length >= 4);
      await sdkTracerProvider()
        .forceFlush()
        .catch(() => undefined);
    } finally {
      receiver.failWith = undefined;
    }
    const points = await failurePoints();
    expect(points.map((p) => [p.attributes, p.value])).toEqual([[{ 'llm.failure.stage': 'export' }, 1]]);
  });

  it('refuses a second start, but a disabled start is a no-op handle', async () => {
    await expect(startTelemetry({ flushOnExit: false })).rejects.toThrow(
      'llm-otel-dispatcher: telemetry was already started in this process',
    );
    process.env.OTEL_SDK_DISABLED = 'true';
    try {
      const disabled = await startTelemetry();
      expect(disabled.installation).toBeUndefined();
      await expect(disabled.shutdown()).resolves.toBeUndefined();
    } finally {
      delete process.env.OTEL_SDK_DISABLED;
    }
  });

  it('shutdown flushes, restores the previous global dispatcher, and is idempotent', async () => {
    const response = await chat('402');
    await response.text();
    await until(() => memory.getFinishedSpans().length >= 6);
    const before = receiver.spans().length;
    const first = handle.shutdown();
    expect(handle.shutdown()).toBe(first);
    await first;
    expect(receiver.spans().length).toBe(before + 2);
    expect(getGlobalDispatcher()).toBe(previousDispatcher);
    await expect(startTelemetry({ flushOnExit: false })).rejects.toThrow('it starts once per process');
  });
});
