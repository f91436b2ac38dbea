/**
 * Applications of the end-to-end suite: Node programs in their own process group (this test's Node,
 * which runs TypeScript), optionally started with `--import` of the library's register entry, as a
 * user would. Either run to completion (runNodeApp) or driven line by line over stdin/stdout with
 * one JSON command and one JSON reply per line (startNodeApp).
 */
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './jaeger.ts';
import { type GroupProcess, spawnGroup } from './processes.ts';

/** `node --import <this>`: the library's register entry, from source. */
export const REGISTER_URL = pathToFileURL(`${REPO_ROOT}src/register/register.ts`).href;

export interface NodeAppOptions {
  /** Added to this process's environment. */
  env: Record<string, string>;
  /** Start it with `--import` of the register entry. */
  register?: boolean;
}

function spawnApp(script: string, options: NodeAppOptions, stdin: boolean): GroupProcess {
  const args = [...(options.register ? ['--import', REGISTER_URL] : []), script];
  return spawnGroup(process.execPath, args, { env: { ...process.env, ...options.env }, stdin });
}

/** Runs `script` to its end; resolves with its stdout, rejects with its output on failure or timeout. */
export async function runNodeApp(
  script: string,
  options: NodeAppOptions & { timeoutMs: number },
): Promise<string> {
  const app = spawnApp(script, options, false);
  let stdout = '';
  app.child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  const closed = new Promise<number | null>((resolve) => app.child.on('close', resolve));
  const timer = setTimeout(() => void app.stop(), options.timeoutMs);
  try {
    const code = await closed;
    if (code !== 0) {
      throw new Error(
        `${script} exited (${code ?? 'killed'}; timeout ${options.timeoutMs} ms):\n${app.logs()}`,
      );
    }
    return stdout;
  } finally {
    clearTimeout(timer);
    await app.stop();
  }
}

export interface NodeApp {
  /** Writes `command` as a JSON line and resolves with the next JSON line the app prints. */
  request<T>(command: unknown, timeoutMs: number): Promise<T>;
  logs(): string;
  stop(): Promise<void>;
}

/** Starts `script` as a long-running app that answers one JSON line per JSON command on stdin. */
export function startNodeApp(script: string, options: NodeAppOptions): NodeApp {
  const app = spawnApp(script, options, true);
  const stdout = app.child.stdout;
  const stdin = app.child.stdin;
  if (stdout === null || stdin === null) throw new Error('the app has no stdin/stdout pipes');
  const replies = createInterface({ input: stdout })[Symbol.asyncIterator]();
  return {
    async request<T>(command: unknown, timeoutMs: number): Promise<T> {
      stdin.write(`${JSON.stringify(command)}\n`);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `${script} did not answer ${JSON.stringify(command)} within ${timeoutMs} ms:\n${app.logs()}`,
              ),
            ),
          timeoutMs,
        );
      });
      try {
        const line = await Promise.race([replies.next(), timeout]);
        if (line.done) throw new Error(`${script} exited before answering:\n${app.logs()}`);
        return JSON.parse(line.value) as T;
      } finally {
        clearTimeout(timer);
      }
    },
    logs: app.logs,
    stop: app.stop,
  };
}
