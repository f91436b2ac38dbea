/**
 * Prometheus' command-line tools for the collector tests: finds `promtool` and `amtool` (an
 * explicit path in PROMTOOL / AMTOOL, else PATH) and runs them with their output captured.
 * scripts/ci/install-prometheus.sh installs both.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface ToolRun {
  /** Exit code; null when the process was killed. */
  code: number | null;
  /** stdout followed by stderr. */
  output: string;
}

export interface PrometheusTool {
  name: 'promtool' | 'amtool';
  envVar: 'PROMTOOL' | 'AMTOOL';
  /** Absolute path of the executable, or undefined when it is not installed. */
  path: string | undefined;
}

const RUN_TIMEOUT_MS = 60_000;
const INSTALL_HINT = 'run scripts/ci/install-prometheus.sh (apt: prometheus, prometheus-alertmanager)';

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds a tool: the path in `envVar` when set (which must then be executable), else the first
 * executable `name` on PATH, else undefined.
 */
export function locateTool(
  name: PrometheusTool['name'],
  envVar: PrometheusTool['envVar'],
  env: NodeJS.ProcessEnv = process.env,
): PrometheusTool {
  const explicit = env[envVar];
  if (explicit !== undefined && explicit !== '') {
    if (!isExecutable(explicit)) {
      throw new Error(`${envVar}=${explicit} is not an executable file; unset it or point it at ${name}.`);
    }
    return { name, envVar, path: explicit };
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return { name, envVar, path: candidate };
  }
  return { name, envVar, path: undefined };
}

/**
 * True when the tests needing `tool` should be skipped: it is missing and this is not CI.
 * Under CI (CI set) a missing tool is a failure, never a silent skip: see requireTool.
 */
export function shouldSkip(tool: PrometheusTool, env: NodeJS.ProcessEnv = process.env): boolean {
  return tool.path === undefined && !env.CI;
}

/** Why the tests needing `tool` are skipped, for the describe() title and a console warning. */
export function skipReason(tool: PrometheusTool): string {
  return `${tool.name} not found; set ${tool.envVar} or ${INSTALL_HINT} (under CI=true these tests fail instead)`;
}

/** A describe() title that says why its tests are skipped, when they are. */
export function suiteTitle(
  title: string,
  tool: PrometheusTool,
  env: NodeJS.ProcessEnv = process.env,
): string {
  return shouldSkip(tool, env) ? `${title} (skipped: ${skipReason(tool)})` : title;
}

/** The tool's path; throws (failing the test) when it is missing. */
export function requireTool(tool: PrometheusTool): string {
  if (tool.path === undefined) {
    throw new Error(
      `${tool.name} not found on PATH and ${tool.envVar} is not set; CI must not skip these checks: ${INSTALL_HINT}.`,
    );
  }
  return tool.path;
}

/** Runs `path args...` in `cwd`; resolves with the exit code and the combined output. */
export function runTool(path: string, args: readonly string[], cwd: string): Promise<ToolRun> {
  return new Promise((resolve) => {
    execFile(
      path,
      args,
      { cwd, timeout: RUN_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}
