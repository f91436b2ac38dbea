/**
 * A real Prometheus server for the alerts end-to-end test: finds the binary (PROMETHEUS, else
 * PATH; scripts/ci/install-prometheus.sh installs Debian's), runs it on a free 127.0.0.1 port with
 * its storage in a given folder, and reads its HTTP API (`/api/v1/alerts`, `/api/v1/rules`,
 * `/api/v1/query`).
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { freePorts, spawnGroup, waitUntilServing } from './processes.ts';

const READY_TIMEOUT_MS = 30_000;
const API_TIMEOUT_MS = 5_000;
export const PROMETHEUS_ENV = 'PROMETHEUS';
export const INSTALL_HINT = 'run scripts/ci/install-prometheus.sh (apt: prometheus)';

/** The `prometheus` executable: $PROMETHEUS (which must then be executable), else PATH; undefined when missing. */
export function locatePrometheus(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const explicit = env[PROMETHEUS_ENV];
  if (explicit !== undefined && explicit !== '') {
    if (!isExecutable(explicit)) throw new Error(`${PROMETHEUS_ENV}=${explicit} is not an executable file`);
    return explicit;
  }
  return (env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => dir !== '')
    .map((dir) => join(dir, 'prometheus'))
    .find(isExecutable);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface PrometheusServer {
  /** e.g. `http://127.0.0.1:40123` */
  url: string;
  logs(): string;
  stop(): Promise<void>;
}

/**
 * Starts `binary --config.file=<config>` with its TSDB in `storageDir` (and `extraFlags`, e.g.
 * `--web.enable-remote-write-receiver`); resolves once `/-/ready` answers.
 */
export async function startPrometheus(
  binary: string,
  config: string,
  storageDir: string,
  extraFlags: string[] = [],
): Promise<PrometheusServer> {
  const [port] = (await freePorts(1)) as [number];
  const server = spawnGroup(binary, [
    `--config.file=${config}`,
    `--storage.tsdb.path=${storageDir}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
    ...extraFlags,
  ]);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilServing(`${url}/-/ready`, server, 'prometheus', READY_TIMEOUT_MS);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { url, logs: server.logs, stop: server.stop };
}

export interface ActiveAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** `pending` or `firing`. */
  state: string;
  value: string;
}

export interface LoadedRule {
  name: string;
  type: 'alerting' | 'recording';
  /** `for:` in seconds (alerting rules). */
  duration?: number;
  health: string;
  lastError?: string;
}

export interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

async function api<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(API_TIMEOUT_MS) });
  const body = (await response.json()) as { status: string; data: T; error?: string };
  if (!response.ok || body.status !== 'success') {
    throw new Error(`GET ${url}: ${response.status} ${body.error ?? JSON.stringify(body)}`);
  }
  return body.data;
}

/** `GET /api/v1/alerts`: every pending and firing alert. */
export async function activeAlerts(prometheusUrl: string): Promise<ActiveAlert[]> {
  return (await api<{ alerts: ActiveAlert[] }>(`${prometheusUrl}/api/v1/alerts`)).alerts;
}

/** `GET /api/v1/rules`: the rules Prometheus loaded, every group flattened. */
export async function loadedRules(prometheusUrl: string): Promise<LoadedRule[]> {
  const data = await api<{ groups: { rules: LoadedRule[] }[] }>(`${prometheusUrl}/api/v1/rules`);
  return data.groups.flatMap((group) => group.rules);
}

/** `GET /api/v1/query?query=...`: an instant vector query. */
export async function queryVector(prometheusUrl: string, promql: string): Promise<VectorSample[]> {
  const params = new URLSearchParams({ query: promql });
  const data = await api<{ resultType: string; result: VectorSample[] }>(
    `${prometheusUrl}/api/v1/query?${params}`,
  );
  if (data.resultType !== 'vector') throw new Error(`${promql} is a ${data.resultType}, not a vector`);
  return data.result;
}
