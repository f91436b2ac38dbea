/**
 * Child processes of the end-to-end suite: each runs in its own process group, so stopping it ends
 * everything it started (SIGTERM, then SIGKILL after a grace period). Groups still alive when the
 * test process exits are killed then. Also: free loopback ports and a one-shot command runner.
 */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

const STOP_GRACE_MS = 10_000;
const LOG_TAIL_CHARS = 16_000;

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface GroupProcess {
  readonly child: ChildProcess;
  /** What the process wrote so far on stdout and stderr (the tail), for diagnostics. */
  logs(): string;
  /** True once the process exited. */
  exited(): boolean;
  /** Ends the process group: SIGTERM, then SIGKILL after a grace period. Idempotent. */
  stop(): Promise<void>;
}

const liveGroups = new Set<number>();
process.once('exit', () => {
  for (const pid of liveGroups) killGroup(pid, 'SIGKILL');
});

/** Spawns `command` as the leader of a new process group, stdout and stderr piped. */
export function spawnGroup(
  command: string,
  args: readonly string[],
  options: Pick<SpawnOptions, 'env' | 'cwd'> & { stdin?: boolean } = {},
): GroupProcess {
  const child = spawn(command, args, {
    env: options.env,
    cwd: options.cwd,
    detached: true,
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const append = (chunk: Buffer) => {
    text = (text + chunk.toString('utf8')).slice(-LOG_TAIL_CHARS);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  child.on('error', (error) => {
    text += `\n[spawn ${command} failed: ${error.message}]`;
  });
  return {
    child,
    logs: () => text,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    stop: stopper(child),
  };
}

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
      // The leader may be gone while something it started is not.
      killGroup(pid, 'SIGKILL');
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

/** Runs a command to its end (killed after `timeoutMs`); resolves with its exit code and output. */
export function runCommand(
  command: string,
  args: readonly string[],
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
export async function freePorts(count: number): Promise<number[]> {
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

/** Polls `url` until it answers 2xx; throws when `server` exits first or after `timeoutMs`. */
export async function waitUntilServing(
  url: string,
  server: GroupProcess,
  name: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exited()) {
      const { exitCode, signalCode } = server.child;
      throw new Error(`${name} exited (${exitCode ?? signalCode}) before ${url} answered:\n${server.logs()}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${name} did not answer at ${url} within ${timeoutMs} ms:\n${server.logs()}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Calls `probe` until `done` holds for its result (every `intervalMs`); throws after `timeoutMs`, naming `what`. */
export async function pollUntil<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs, intervalMs = 500, what }: { timeoutMs: number; intervalMs?: number; what: string },
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (done(last)) return last;
    await sleep(intervalMs);
  }
  throw new Error(`${what}: not reached within ${timeoutMs} ms; last seen: ${JSON.stringify(last)}`);
}
