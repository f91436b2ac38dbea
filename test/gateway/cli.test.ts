import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { post } from './helpers.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const children: ChildProcess[] = [];

function cli(...args: string[]) {
  const child = spawn(process.execPath, ['src/cli/main.ts', ...args], { cwd: ROOT, stdio: 'pipe' });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  const output = () => ({ stdout, stderr });
  return { child, exit, output };
}

async function listeningUrl(run: ReturnType<typeof cli>): Promise<string> {
  for (;;) {
    const match = /listening on (http:\/\/127\.0\.0\.1:\d+) \(fail-rate (\S+)\)\n/.exec(run.output().stdout);
    if (match?.[1]) return match[1];
    const exited = await Promise.race([
      run.exit.then(() => true),
      once(run.child.stdout, 'data').then(() => false),
    ]);
    if (exited) throw new Error(`gateway exited early: ${run.output().stderr}`);
  }
}

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('llm-otel gateway', () => {
  it('prints the listening line, serves and logs a request, and exits 0 on SIGTERM', async () => {
    const run = cli('gateway', '--port', '0', '--fail-rate', '0.2', '--seed', '3');
    const url = await listeningUrl(run);
    expect(run.output().stdout).toBe(`llm-otel gateway listening on ${url} (fail-rate 0.2)\n`);
    const res = await post(url, { model: 'm' }, { 'x-mock-scenario': '402' });
    expect(res.status).toBe(402);
    await res.arrayBuffer();
    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    const requestId = res.headers.get('x-request-id');
    expect(run.output().stderr).toContain(`POST /v1/chat/completions model=m scenario=402 402 `);
    expect(run.output().stderr).toContain(`ms ${requestId}\n`);
    expect(run.output().stderr).toContain('llm-otel gateway: stopped on SIGTERM after 1 requests\n');
  });

  it('applies a --scenario-file and stays silent with --quiet', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'llm-otel-gateway-'));
    const file = join(dir, 'rules.json');
    await writeFile(file, JSON.stringify([{ match: { model: 'capped' }, scenario: '429-spend-cap' }]));
    const run = cli('gateway', '--port', '0', '--scenario-file', file, '--quiet');
    const url = await listeningUrl(run);
    const res = await post(url, { model: 'capped' });
    expect(res.status).toBe(429);
    expect(await res.json()).toEqual({ success: false, error: 'Daily spend limit reached for this API key' });
    run.child.kill('SIGINT');
    expect(await run.exit).toBe(0);
    expect(run.output().stderr).toBe('llm-otel gateway: stopped on SIGINT after 1 requests\n');
  });

  it.each([
    [['--bogus'], "Unknown option '--bogus'"],
    [['--port', 'x'], '--port must be an integer from 0 to 65535, got "x"'],
    [['--fail-rate', '2'], '--fail-rate must be a number from 0 to 1, got "2"'],
    [['--scenario-file', '/nonexistent/rules.json'], '--scenario-file /nonexistent/rules.json: ENOENT'],
    [['--scenarios', '500,nope'], 'Unknown mock scenario "nope" in the scenarios option'],
  ])('rejects %j with exit code 2', async (args, message) => {
    const run = cli('gateway', ...args);
    expect(await run.exit).toBe(2);
    expect(run.output().stderr).toContain(message);
  });

  it('prints help with the scenario table', async () => {
    const run = cli('gateway', '--help');
    expect(await run.exit).toBe(0);
    expect(run.output().stdout).toContain('Usage: llm-otel gateway [options]');
    expect(run.output().stdout).toContain('| `mid-stream-error-event` |');
  });
});

describe('llm-otel', () => {
  it('prints usage for --help, and exits 2 for an unknown command', async () => {
    const help = cli('--help');
    expect(await help.exit).toBe(0);
    expect(help.output().stdout).toMatch(/^Usage: llm-otel <command>/);
    const unknown = cli('frobnicate');
    expect(await unknown.exit).toBe(2);
    expect(unknown.output().stderr).toMatch(/^llm-otel: unknown command "frobnicate"\n\nUsage:/);
  });
});
