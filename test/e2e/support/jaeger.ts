/**
 * Jaeger v2 binary for the end-to-end suite: builds it once (scripts/build-jaeger.sh), validates
 * configs with it, and runs it with one of the repository's configs (collector/otelcol.yaml,
 * collector/jaeger.yaml) on free loopback ports, as its own process group so stop() ends it all.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const COLLECTOR_CONFIG = `${REPO_ROOT}collector/otelcol.yaml`;
export const JAEGER_CONFIG = `${REPO_ROOT}collector/jaeger.yaml`;
const BUILD_SCRIPT = `${REPO_ROOT}scripts/build-jaeger.sh`;

const BUILD_TIMEOUT_MS = 20 * 60_000;
const VALIDATE_TIMEOUT_MS = 60_000;
const HEALTH_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 10_000;
const LOG_TAIL_CHARS = 8_000;

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface JaegerProcess {
  /** Base URL of the OTLP/HTTP receiver, e.g. `http://127.0.0.1:40123` (append `/v1/traces`). */
  otlpHttpUrl: string;
  /** `host:port` of the OTLP/gRPC receiver, for another collector's `otlp` exporter. */
  otlpGrpcEndpoint: string;
  /** Base URL of jaeger_query's HTTP API (only served by the Jaeger role). */
  queryUrl: string;
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
export async function ensureJaegerBinary(): Promise<string> {
  const result = await runCommand('bash', [BUILD_SCRIPT], {}, BUILD_TIMEOUT_MS);
  const binary = result.stdout.trim().split('\n').at(-1) ?? '';
  if (result.code !== 0 || binary === '') {
    throw new Error(
      `scripts/build-jaeger.sh failed (exit ${result.code}); the end-to-end suite needs Go and the Go module proxy.\n${result.stderr}`,
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
  const ports = await freePorts(7);
  const [grpc, http, health, query, queryGrpc, prometheus, telemetry] = ports as [
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
  const child = spawn(binary, ['--config', config], {
    env: { ...process.env, ...merged },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = captureOutput(child);
  const stop = stopper(child);
  const handle: JaegerProcess = {
    otlpHttpUrl: `http://${merged.OTLP_HTTP_ENDPOINT}`,
    otlpGrpcEndpoint: merged.OTLP_GRPC_ENDPOINT,
    queryUrl: `http://${merged.JAEGER_QUERY_ENDPOINT}`,
    prometheusUrl: `http://${merged.PROMETHEUS_EXPORTER_ENDPOINT}/metrics`,
    healthUrl: `http://${merged.HEALTH_ENDPOINT}/`,
    logs: output,
    stop,
  };
  try {
    await waitForHealth(handle.healthUrl, child, output);
  } catch (error) {
    await stop();
    throw error;
  }
  return handle;
}

async function waitForHealth(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `jaeger exited (${child.exitCode ?? child.signalCode}) before ${url} was healthy:\n${output()}`,
      );
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`jaeger did not become healthy at ${url} within ${HEALTH_TIMEOUT_MS} ms:\n${output()}`);
}

const liveGroups = new Set<number>();
process.once('exit', () => {
  for (const pid of liveGroups) killGroup(pid, 'SIGKILL');
});

function stopper(child: ChildProcess): () => Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return async () => {};
  liveGroups.add(pid);
  const exited = once(child, 'exit');
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        killGroup(pid, 'SIGTERM');
        const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      liveGroups.delete(pid);
    })();
    return stopping;
  };
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function captureOutput(child: ChildProcess): () => string {
  let text = '';
  const append = (chunk: Buffer) => {
    text = (text + chunk.toString('utf8')).slice(-LOG_TAIL_CHARS);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return () => text;
}

function runCommand(
  command: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs: number,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', (error) => reject(new Error(`cannot run ${command}: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (signal !== null) {
        reject(
          new Error(`${command} ${args.join(' ')} was killed (${signal}) after ${timeoutMs} ms:\n${stderr}`),
        );
        return;
      }
      resolve({ code, stdout, stderr });
    });
  });
}

/** Ports the OS reports free on 127.0.0.1, all distinct (held open until every one is picked). */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, async () => {
      const server = createServer();
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      return server;
    }),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  return ports;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
