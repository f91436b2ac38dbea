/**
 * Agent-tier collector for the end-to-end suite (collector/scale/agent.yaml): builds it once
 * (scripts/build-agent-collector.sh, OCB), validates and resolves configs with it, and runs it on
 * free loopback ports. It takes the same listen-address variables as collector/otelcol.yaml, so
 * starting it reuses startJaeger's mechanism (own process group, health-checked start).
 */
import { parse } from 'yaml';
import { buildCachedBinary, type JaegerProcess, REPO_ROOT, startJaeger } from './jaeger.ts';
import { type CommandResult, runCommand } from './processes.ts';

export const AGENT_CONFIG = `${REPO_ROOT}collector/scale/agent.yaml`;
const BUILD_SCRIPT = `${REPO_ROOT}scripts/build-agent-collector.sh`;

const VALIDATE_TIMEOUT_MS = 60_000;

/** The agent's endpoints: OTLP in, its prometheus exporter, health; no query API. */
export type AgentProcess = Pick<
  JaegerProcess,
  'otlpHttpUrl' | 'otlpGrpcEndpoint' | 'prometheusEndpoint' | 'prometheusUrl' | 'healthUrl' | 'logs' | 'stop'
>;

export interface StartAgentOptions {
  binary: string;
  /** Default: collector/scale/agent.yaml. */
  config?: string;
  /** Extra environment (SAMPLER_ENDPOINTS, ...); overrides the free ports picked for listening. */
  env?: Record<string, string>;
}

/** Builds (or finds the cached) agent binary; throws with the build's output when it cannot. */
export function ensureAgentBinary(): Promise<string> {
  return buildCachedBinary(BUILD_SCRIPT);
}

/** Runs `<agent> validate --config FILE`; exit code 0 means the config is valid. */
export function validateAgentConfig(
  binary: string,
  config: string = AGENT_CONFIG,
  env: Record<string, string> = {},
): Promise<CommandResult> {
  return runCommand(binary, ['validate', '--config', config], env, VALIDATE_TIMEOUT_MS);
}

/**
 * The configuration as the binary resolved it (`print-config`: environment variables expanded,
 * defaults filled in, secrets redacted); throws when the binary rejects it.
 */
export async function resolvedAgentConfig(
  binary: string,
  config: string = AGENT_CONFIG,
  env: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const result = await runCommand(binary, ['print-config', '--config', config], env, VALIDATE_TIMEOUT_MS);
  if (result.code !== 0) {
    throw new Error(`print-config --config ${config} failed (exit ${result.code}):\n${result.stderr}`);
  }
  return parse(result.stdout) as Record<string, unknown>;
}

/** Starts the agent on free 127.0.0.1 ports and waits until its health check answers. */
export async function startAgent({
  binary,
  config = AGENT_CONFIG,
  env = {},
}: StartAgentOptions): Promise<AgentProcess> {
  const { otlpHttpUrl, otlpGrpcEndpoint, prometheusEndpoint, prometheusUrl, healthUrl, logs, stop } =
    await startJaeger({ binary, config, env });
  return { otlpHttpUrl, otlpGrpcEndpoint, prometheusEndpoint, prometheusUrl, healthUrl, logs, stop };
}
