/**
 * A LiteLLM proxy for the end-to-end suite: installs it once (scripts/install-litellm.sh, a pinned
 * `litellm[proxy]` in a Python venv cached outside the repository) and runs it on a free
 * 127.0.0.1 port in front of an OpenAI-compatible upstream (the mock gateway), as its own process
 * group so stop() ends the Python process and anything it started.
 *
 * The proxy's config: one `openai/<model>` deployment per model, `api_base` the upstream's `/v1`;
 * no database; a random master key per start (LiteLLM refuses to start without one); client `x-`
 * headers forwarded upstream (`forward_client_headers_to_llm_api`, so the gateway's
 * `x-mock-scenario` reaches it); neither LiteLLM's own retries nor its cooldowns (a 429 must not
 * take the only deployment out of service for the next test); the bundled cost map
 * (`LITELLM_LOCAL_MODEL_COST_MAP`, no download at start-up), so its costs follow the pinned version.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { REPO_ROOT } from './jaeger.ts';
import { freePorts, runCommand, spawnGroup, waitUntilServing } from './processes.ts';

const INSTALL_SCRIPT = `${REPO_ROOT}scripts/install-litellm.sh`;
/** A cold install measured 2 to 2.5 min here; the script bounds pip at 900 s itself. */
const INSTALL_TIMEOUT_MS = 14 * 60_000;
/** Start-up measured 15 to 19 s on a loaded 2-core machine (imports, then uvicorn). */
const START_TIMEOUT_MS = 120_000;
/** Upstream timeout LiteLLM applies per request (s). */
const REQUEST_TIMEOUT_S = 30;

export interface LitellmInstall {
  /** The venv's `litellm` executable, or undefined when the install failed. */
  executable: string | undefined;
  /** What the install script said on stderr (its timing, or why it failed). */
  report: string;
  /** Wall time of the script (ms). */
  durationMs: number;
}

/** Runs scripts/install-litellm.sh (fast when cached); never throws, so the caller decides skip or fail. */
export async function installLitellm(): Promise<LitellmInstall> {
  const started = performance.now();
  try {
    const result = await runCommand('bash', [INSTALL_SCRIPT], {}, INSTALL_TIMEOUT_MS);
    const executable = result.stdout.trim().split('\n').at(-1) ?? '';
    const durationMs = performance.now() - started;
    if (result.code !== 0 || executable === '') {
      return { executable: undefined, report: `exit ${result.code}:\n${result.stderr}`, durationMs };
    }
    return { executable, report: result.stderr.trim(), durationMs };
  } catch (error) {
    return { executable: undefined, report: String(error), durationMs: performance.now() - started };
  }
}

export interface LitellmProxy {
  /** e.g. http://127.0.0.1:40123 (the OpenAI-compatible routes are under /v1). */
  url: string;
  /** The master key: clients send it as their API key. */
  masterKey: string;
  /** Wall time from spawn until the health endpoint answered (ms). */
  startupMs: number;
  /** Everything the process wrote so far (tail), for diagnostics. */
  logs(): string;
  /** SIGTERM to the process group, SIGKILL after a grace period; removes the config. Idempotent. */
  stop(): Promise<void>;
}

export interface StartLitellmOptions {
  executable: string;
  /** Base URL of the OpenAI-compatible upstream, e.g. the gateway's `http://127.0.0.1:PORT`. */
  upstreamUrl: string;
  /** Model names the proxy serves, each as `openai/<name>` on the upstream. */
  models: readonly string[];
}

/** The proxy's config.yaml (see the header comment for why each setting). */
export function litellmConfig(upstreamUrl: string, models: readonly string[]): string {
  return stringify({
    model_list: models.map((model) => ({
      model_name: model,
      litellm_params: { model: `openai/${model}`, api_base: `${upstreamUrl}/v1`, api_key: 'sk-upstream' },
    })),
    general_settings: { forward_client_headers_to_llm_api: true },
    litellm_settings: { request_timeout: REQUEST_TIMEOUT_S, telemetry: false },
    router_settings: { num_retries: 0, disable_cooldowns: true },
  });
}

/** Starts the proxy on a free 127.0.0.1 port and waits (bounded) until `/health/liveliness` answers. */
export async function startLitellm({
  executable,
  upstreamUrl,
  models,
}: StartLitellmOptions): Promise<LitellmProxy> {
  const dir = await mkdtemp(join(tmpdir(), 'llm-otel-litellm-'));
  const config = join(dir, 'config.yaml');
  await writeFile(config, litellmConfig(upstreamUrl, models));
  const [port] = (await freePorts(1)) as [number];
  const masterKey = `sk-${randomBytes(32).toString('hex')}`;
  const started = performance.now();
  const server = spawnGroup(executable, ['--config', config, '--host', '127.0.0.1', '--port', String(port)], {
    cwd: dir,
    env: {
      ...process.env,
      LITELLM_MASTER_KEY: masterKey,
      LITELLM_LOCAL_MODEL_COST_MAP: 'True',
      NO_PROXY: '127.0.0.1,localhost',
      no_proxy: '127.0.0.1,localhost',
      PYTHONUNBUFFERED: '1',
    },
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilServing(`${url}/health/liveliness`, server, 'litellm', START_TIMEOUT_MS);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, masterKey, startupMs: performance.now() - started, logs: server.logs, stop };
}
