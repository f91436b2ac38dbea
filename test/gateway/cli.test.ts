import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_OPTIONS, GATEWAY_OPTIONS } from '../../src/cli/usage.ts';
import { SCENARIOS, TASK_SCENARIOS } from '../../src/gateway/server.ts';
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

  it('prints help with every route family, option, scenario and task scenario', async () => {
    const run = cli('gateway', '--help');
    expect(await run.exit).toBe(0);
    const help = run.output().stdout;
    expect(help).toMatch(/^Usage: llm-otel gateway \[options\]\n/);
    for (const route of [
      '/v1/chat/completions',
      '/v1/messages',
      ':streamGenerateContent',
      '/api/chat',
      '/converse-stream',
    ])
      expect(help).toContain(route);
    for (const [name, option] of Object.entries(GATEWAY_OPTIONS))
      expect(help).toMatch(
        new RegExp(`^  ${'short' in option ? `-${option.short}, ` : ''}--${name}[ \n]`, 'm'),
      );
    for (const name of SCENARIOS) {
      const row = /^\d{3}(-cheapai|-cheapai-typed)?$/.test(name) ? `<status>${name.slice(3)}` : name;
      expect(help).toContain(`| \`${row}\` |`);
    }
    for (const name of Object.keys(TASK_SCENARIOS)) expect(help).toContain(`| \`${name}\` |`);
  });

  it('finishes tasks after --task-polls polls', async () => {
    const run = cli('gateway', '--port', '0', '--task-polls', '1', '--quiet');
    const url = await listeningUrl(run);
    const created = await post(url, { prompt: 'x' }, {}, '/v1/videos');
    const { id } = (await created.json()) as { id: string };
    expect(await (await fetch(`${url}/v1/tasks/${id}`)).json()).toMatchObject({ status: 'succeeded' });
    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(0);
  });
});

describe('llm-otel', () => {
  it('prints usage for --help with every option of every command and every scenario, and exits 2 for an unknown command', async () => {
    const help = cli('--help');
    expect(await help.exit).toBe(0);
    const text = help.output().stdout;
    expect(text).toMatch(/^Usage: llm-otel <command>/);
    for (const options of [GATEWAY_OPTIONS, DEMO_OPTIONS])
      for (const name of Object.keys(options))
        expect(text).toMatch(new RegExp(`^  (-h, )?--${name}[ \n]`, 'm'));
    const words = new Set(text.split(/[\s,]+/));
    for (const name of SCENARIOS)
      expect(
        words.has(/^\d{3}(-cheapai|-cheapai-typed)?$/.test(name) ? `<status>${name.slice(3)}` : name),
      ).toBe(true);
    for (const name of Object.keys(TASK_SCENARIOS)) expect(words.has(name)).toBe(true);
    const unknown = cli('frobnicate');
    expect(await unknown.exit).toBe(2);
    expect(unknown.output().stderr).toMatch(/^llm-otel: unknown command "frobnicate"\n\nUsage:/);
  });
});
