/**
 * Real traffic for the Jaeger end-to-end test: the mock gateway in this process, and the
 * application (llm-calls-app.ts, the real library in its own Node process) calling it and
 * exporting over OTLP/HTTP. Returns what the application saw and what the gateway answered.
 */
import { fileURLToPath } from 'node:url';
import { startGateway } from '../../../src/gateway/server.ts';
import type { AppResult } from './app-contract.ts';
import { findTraces, type JaegerApi, type Trace } from './jaeger-api.ts';
import { runNodeApp } from './node-app.ts';

const APP_SCRIPT = fileURLToPath(new URL('./llm-calls-app.ts', import.meta.url));
const APP_TIMEOUT_MS = 60_000;
/** `service.name` of the application: the `job` label of its metrics, the service in Jaeger. */
export const E2E_SERVICE = 'llm-otel-e2e-app';

/** One request as the gateway logged it. */
export interface GatewayAnswer {
  scenario: string;
  status: number;
  requestId: string;
}

export interface Traffic {
  /** What the application saw, per call. */
  app: AppResult;
  /** Every request the gateway answered, in order. */
  gateway: GatewayAnswer[];
}

// `POST /v1/chat/completions model=gpt-4o-mini scenario=503 503 12ms req_7d2eb2ee1ea619d1`
const LOG_LINE = /^\S+ \S+ model=\S+ scenario=(\S+) (\d{3}) \d+ms (\S+)$/;

export function parseGatewayLog(line: string): GatewayAnswer {
  const match = LOG_LINE.exec(line);
  if (match === null) throw new Error(`unexpected gateway log line: ${line}`);
  const [, scenario = '', status = '', requestId = ''] = match;
  return { scenario, status: Number(status), requestId };
}

/** Runs the application against a fresh gateway; telemetry goes to `otlpEndpoint` as `serviceName`. */
export async function runTraffic(otlpEndpoint: string, serviceName: string): Promise<Traffic> {
  const lines: string[] = [];
  const gateway = await startGateway({ host: '127.0.0.1', port: 0, log: (line) => lines.push(line) });
  try {
    const stdout = await runNodeApp(APP_SCRIPT, {
      env: {
        GATEWAY_URL: gateway.url,
        OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint,
        OTEL_SERVICE_NAME: serviceName,
      },
      timeoutMs: APP_TIMEOUT_MS,
    });
    return { app: JSON.parse(stdout) as AppResult, gateway: lines.map(parseGatewayLog) };
  } finally {
    await gateway.close();
  }
}

/** Every trace of `traffic` in Jaeger, once all spans arrived: one operation span per call, one attempt span per request. */
export function findTrafficTraces(
  queryUrl: string,
  traffic: Traffic,
  options: { api: JaegerApi; timeoutMs: number },
): Promise<Trace[]> {
  const expectedSpans = Object.keys(traffic.app).length + traffic.gateway.length;
  return findTraces(queryUrl, E2E_SERVICE, {
    ...options,
    ready: (traces) => traces.reduce((sum, found) => sum + found.spans.length, 0) === expectedSpans,
  });
}
