/**
 * Traffic for the tail sampling end-to-end test: the mock gateway in this process and the
 * application (sampling-app.ts, the real library in its own Node process) calling it, then
 * reading back from Jaeger what the sampler kept, once nothing more arrives.
 */
import { fileURLToPath } from 'node:url';
import { startGateway } from '../../../src/gateway/server.ts';
import { SAMPLING_CALLS, type SampledCall } from './app-contract.ts';
import { findTraces, type Trace } from './jaeger-api.ts';
import { runNodeApp } from './node-app.ts';
import { sleep } from './processes.ts';

const APP_SCRIPT = fileURLToPath(new URL('./sampling-app.ts', import.meta.url));
const APP_TIMEOUT_MS = 120_000;
const SETTLE_POLL_MS = 1_000;
/** Reads of an unchanged span count in a row that count as "nothing more arrives". */
const SETTLED_READS = 3;

/** Runs the application once against a fresh gateway; telemetry goes to `otlpEndpoint` as `serviceName`. */
export async function runSampledTraffic(otlpEndpoint: string, serviceName: string): Promise<SampledCall[]> {
  const gateway = await startGateway({ host: '127.0.0.1', port: 0 });
  try {
    const stdout = await runNodeApp(APP_SCRIPT, {
      env: {
        GATEWAY_URL: gateway.url,
        OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint,
        OTEL_SERVICE_NAME: serviceName,
        OTEL_METRIC_EXPORT_INTERVAL: '1000',
        LLM_OTEL_CONSOLE: 'off',
      },
      timeoutMs: APP_TIMEOUT_MS,
    });
    const calls = JSON.parse(stdout) as SampledCall[];
    if (calls.length !== SAMPLING_CALLS)
      throw new Error(`the app made ${calls.length} calls, not ${SAMPLING_CALLS}`);
    return calls;
  } finally {
    await gateway.close();
  }
}

/**
 * Every trace of `service` in Jaeger once every trace in `mustHave` is there and the number of
 * spans stopped changing (the sampler decides `decision_wait` after a trace's first span).
 */
export async function settledTraces(
  queryUrl: string,
  service: string,
  { mustHave, timeoutMs }: { mustHave: ReadonlySet<string>; timeoutMs: number },
): Promise<Trace[]> {
  const deadline = Date.now() + timeoutMs;
  const read = (remaining: number) =>
    findTraces(queryUrl, service, {
      timeoutMs: Math.max(1_000, remaining),
      limit: SAMPLING_CALLS * 2,
      ready: (traces) => {
        const ids = new Set(traces.map((found) => normalTraceId(found.traceId)));
        return [...mustHave].every((id) => ids.has(id));
      },
    });
  let traces = await read(deadline - Date.now());
  let spans = spanCount(traces);
  for (let unchanged = 1; unchanged < SETTLED_READS; ) {
    if (Date.now() > deadline)
      throw new Error(`Jaeger's traces of ${service} kept changing for ${timeoutMs} ms`);
    await sleep(SETTLE_POLL_MS);
    traces = await read(deadline - Date.now());
    const now = spanCount(traces);
    unchanged = now === spans ? unchanged + 1 : 1;
    spans = now;
  }
  return traces;
}

function spanCount(traces: Trace[]): number {
  return traces.reduce((sum, found) => sum + found.spans.length, 0);
}

/** Trace IDs as 32 lower-case hex characters (the legacy API may drop leading zeros). */
export function normalTraceId(traceId: string): string {
  return traceId.toLowerCase().padStart(32, '0');
}

export interface SamplingOutcome {
  failed: SampledCall[];
  succeeded: SampledCall[];
  /** Kept traces by trace ID. */
  kept: Map<string, Trace>;
  keptSucceeded: SampledCall[];
  /** Failed calls whose trace Jaeger does not have. */
  lostFailures: SampledCall[];
  /** Kept traces that are no call of this run. */
  strangers: string[];
}

/** Sorts the calls by what they were and whether the sampler kept their trace. */
export function samplingOutcome(calls: SampledCall[], traces: Trace[]): SamplingOutcome {
  const kept = new Map(traces.map((found) => [normalTraceId(found.traceId), found]));
  const failed = calls.filter((call) => call.kind !== 'ok');
  const succeeded = calls.filter((call) => call.kind === 'ok');
  const ours = new Set(calls.map((call) => call.traceId));
  return {
    failed,
    succeeded,
    kept,
    keptSucceeded: succeeded.filter((call) => kept.has(call.traceId)),
    lostFailures: failed.filter((call) => !kept.has(call.traceId)),
    strangers: [...kept.keys()].filter((id) => !ours.has(id)),
  };
}
