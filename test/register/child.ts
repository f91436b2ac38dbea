/**
 * Runs Node child processes for the register and demo tests: a clean environment (no inherited
 * OTEL_* or LLM_OTEL_* variables, no NODE_OPTIONS), captured output, a hard time limit, and a
 * registry so afterAll can kill whatever is still running.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ChildRun {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Exit code and signal; the child is killed with SIGKILL after `timeoutMs`. */
  readonly exit: Promise<ChildExit>;
}

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** From the child's last stdout output to its exit: how long it lingered after its work. */
  readonly msAfterLastOutput: number;
}

const running = new Set<ChildProcess>();

export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(OTEL_|LLM_OTEL_|NODE_OPTIONS$|VITEST|FORCE_COLOR$)/.test(name)) continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

export function runNode(args: readonly string[], env: Record<string, string>, timeoutMs = 20_000): ChildRun {
  const child = spawn(process.execPath, [...args], { cwd: ROOT, env: cleanEnv(env), stdio: 'pipe' });
  running.add(child);
  let stdout = '';
  let stderr = '';
  let lastOutputAt = performance.now();
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    lastOutputAt = performance.now();
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exit = new Promise<ChildExit>((resolve) => {
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, signal, msAfterLastOutput: performance.now() - lastOutputAt });
    });
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exit };
}

/** Waits (bounded) until the child's stdout contains `text`. */
export async function waitForOutput(run: ChildRun, text: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!run.stdout().includes(text)) {
    if (Date.now() > deadline || run.child.exitCode !== null) {
      throw new Error(`child never printed "${text}"; stdout: ${run.stdout()} stderr: ${run.stderr()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function killChildren(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}
