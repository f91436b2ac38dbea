/**
 * The traffic source of the end-to-end suite: one function that makes telemetry reach an OTLP/HTTP
 * endpoint from a separate Node process. Swap its body for the real library (demo / register
 * entry) to test real calls end to end.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SOURCE_SCRIPT = fileURLToPath(new URL('./synthetic-telemetry.ts', import.meta.url));
const SOURCE_TIMEOUT_MS = 60_000;

/** Runs the traffic source against `otlpEndpoint` (OTLP/HTTP base URL) and waits for it to exit. */
export function runTrafficSource(otlpEndpoint: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SOURCE_SCRIPT], {
      env: { ...process.env, OTLP_HTTP_URL: otlpEndpoint },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: SOURCE_TIMEOUT_MS,
      killSignal: 'SIGKILL',
    });
    let output = '';
    const append = (chunk: Buffer) => {
      output += chunk.toString('utf8');
    };
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`traffic source exited (${code ?? signal}):\n${output}`));
    });
  });
}
