/**
 * Jaeger v2 binary for the end-to-end suite: builds it once (scripts/build-jaeger.sh), validates
 * configs with it, and runs it with one of the repository's configs (collector/otelcol.yaml,
 * collector/jaeger.yaml) on free loopback ports, as its own process group so stop() ends it all.
 */
import { fileURLToPath } from 'node:url';
import { type CommandResult, freePorts, runCommand, spawnGroup, waitUntilServing } from './processes.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const COLLECTOR_CONFIG = `${REPO_ROOT}collector/otelcol.yaml`;
export const JAEGER_CONFIG = `${REPO_ROOT}collector/jaeger.yaml`;
const BUILD_SCRIPT = `${REPO_ROOT}scripts/build-jaeger.sh`;

const BUILD_TIMEOUT_MS = 20 * 60_000;
const VALIDATE_TIMEOUT_MS = 60_000;
const HEALTH_TIMEOUT_MS = 30_000;

export interface JaegerProcess {
  /** Base URL of the OTLP/HTTP receiver, e.g. `http://127.0.0.1:40123` (append `/v1/traces`). */
  otlpHttpUrl: string;
  /** `host:port` of the OTLP/gRPC receiver, for another collector's `otlp` exporter. */
  otlpGrpcEndpoint: string;
  /** Base URL of jaeger_query's HTTP API (only served by the Jaeger role). */
  queryUrl: string;
  /** `host:port` of the collector's prometheus exporter (only served by the collector role). */
  prometheusEndpoint: string;
  /** URL of the collector's prometheus exporter (only served by the collector role). */
  prometheusUrl: string;
  healthUrl: string;
  /** Everything the process wrote so far (tail), for diagnostics. */
  logs(): string;
  /** Ends the process group: SIGTERM, then SIGKILL after a grace period. Idempotent. */
  stop(): Promise<void>;
}

export interface StartOptions {
  binary: string;
  config: string;
  /** Extra environment; overrides the free ports picked for the config's listen addresses. */
  env?: Record<string, string>;
}

/** Builds (or finds the cached) Jaeger binary; throws with the build's output when it cannot. */
export function ensureJaegerBinary(): Promise<string> {
  return buildCachedBinary(BUILD_SCRIPT);
}

/**
 * Runs a build script of scripts/ that caches its binary and prints the binary's path last on
 * stdout; throws with the build's output when it fails.
 */
export async function buildCachedBinary(script: string): Promise<string> {
  const result = await runCommand('bash', [script], {}, BUILD_TIMEOUT_MS);
  const binary = result.stdout.trim().split('\n').at(-1) ?? '';
  if (result.code !== 0 || binary === '') {
    const name = script.slice(REPO_ROOT.length);
    throw new Error(
      `${name} failed (exit ${result.code}); the end-to-end suite needs Go and the Go module proxy.\n${result.stderr}`,
    );
  }
  return binary;
}

/** Runs `jaeger validate --config FILE`; exit code 0 means the config is valid. */
export function validateConfig(
  binary: string,
  config: string,
  env: Record<string, string> = {},
): Promise<CommandResult> {
  return runCommand(binary, ['validate', '--config', config], env, VALIDATE_TIMEOUT_MS);
}

/** Starts the binary with `config` on free 127.0.0.1 ports and waits until its health check answers. */
export async function startJaeger({ binary, config, env = {} }: StartOptions): Promise<JaegerProcess> {
  const [grpc, http, health, query, queryGrpc, prometheus, telemetry] = (await freePorts(7)) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const listen = {
    OTLP_GRPC_ENDPOINT: `127.0.0.1:${grpc}`,
    OTLP_HTTP_ENDPOINT: `127.0.0.1:${http}`,
    HEALTH_ENDPOINT: `127.0.0.1:${health}`,
    JAEGER_QUERY_ENDPOINT: `127.0.0.1:${query}`,
    JAEGER_QUERY_GRPC_ENDPOINT: `127.0.0.1:${queryGrpc}`,
    PROMETHEUS_EXPORTER_ENDPOINT: `127.0.0.1:${prometheus}`,
    TELEMETRY_METRICS_HOST: '127.0.0.1',
    TELEMETRY_METRICS_PORT: String(telemetry),
  };
  const merged = { ...listen, ...env };
  const server = spawnGroup(binary, ['--config', config], { env: { ...process.env, ...merged } });
  const handle: JaegerProcess = {
    otlpHttpUrl: `http://${merged.OTLP_HTTP_ENDPOINT}`,
    otlpGrpcEndpoint: merged.OTLP_GRPC_ENDPOINT,
    queryUrl: `http://${merged.JAEGER_QUERY_ENDPOINT}`,
    prometheusEndpoint: merged.PROMETHEUS_EXPORTER_ENDPOINT,
    prometheusUrl: `http://${merged.PROMETHEUS_EXPORTER_ENDPOINT}/metrics`,
    healthUrl: `http://${merged.HEALTH_ENDPOINT}/`,
    logs: server.logs,
    stop: server.stop,
  };
  try {
    await waitUntilServing(handle.healthUrl, server, 'jaeger', HEALTH_TIMEOUT_MS);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return handle;
}

export interface Pipeline {
  /** The Jaeger role: storage and query. */
  jaeger: JaegerProcess;
  /** The collector role, forwarding traces to `jaeger`. */
  collector: JaegerProcess;
  stop(): Promise<void>;
}

/**
 * Tail sampling settings of collector/otelcol.yaml that tests override: the share of
 * unremarkable traces kept (default 10) and the wait before deciding (default 10s).
 */
export interface SamplingEnv {
  TAIL_SAMPLING_PERCENT?: string;
  TAIL_SAMPLING_DECISION_WAIT?: string;
}

/**
 * Starts the Jaeger role, then the collector role forwarding to it (span metrics flushed every
 * second; tail sampling as collector/otelcol.yaml says unless `sampling` overrides it).
 */
export async function startPipeline(binary: string, sampling: SamplingEnv = {}): Promise<Pipeline> {
  const jaeger = await startJaeger({ binary, config: JAEGER_CONFIG });
  try {
    const collector = await startJaeger({
      binary,
      config: COLLECTOR_CONFIG,
      env: {
        JAEGER_OTLP_ENDPOINT: jaeger.otlpGrpcEndpoint,
        SPANMETRICS_FLUSH_INTERVAL: '1s',
        ...sampling,
      },
    });
    return {
      jaeger,
      collector,
      stop: async () => {
        await Promise.all([collector.stop(), jaeger.stop()]);
      },
    };
  } catch (error) {
    await jaeger.stop();
    throw error;
  }
}
