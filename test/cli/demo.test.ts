/**
 * `llm-otel demo`: its pure parts (the request plan, the outcome table) and the real command as a
 * child process, with the console summary and with OTLP export to a loopback receiver.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outcomeTable, planRequests, SHOWCASE_SCENARIOS } from '../../src/cli/demo-command.ts';
import { nativeRouteOf } from '../../src/gateway/native.ts';
import { killChildren, runNode } from '../register/child.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../register/otlp-receiver.ts';

const SUMMARY =
  /^llm-otel chat \S+ (\d{3}|---) (ok|aborted|error=\S+) attempts=\d+( x-request-id=req_[0-9a-f]{16})? \d+\.\d{2}s$/;
/** The models of the OpenAI-compatible chat completions (the native calls use others). */
const OPENAI_SUMMARY = /^llm-otel chat (gpt-4o-mini|gpt-4\.1-mini|claude-3-5-haiku) /;
/** 12 chat completions, the image task's creation, 8 native calls. */
const CALLS = 21;
/** What each native call returned to the application: identical whatever the library records. */
const NATIVE_LINES = [
  'anthropic claude-sonnet-4-5     messages stream                                ok: "Hello from the mock gateway" stop_reason=end_turn input_tokens=11 output_tokens=5',
  'anthropic claude-sonnet-4-5     messages (overloaded)                          OverloadedError 529 overloaded_error',
  'gemini    gemini-2.5-flash      streamGenerateContent                          ok: "Hello from the mock gateway" finishReason=STOP promptTokenCount=13 candidatesTokenCount=5',
  'gemini    gemini-2.5-flash      streamGenerateContent (mid-stream-rate_limit)  after 2 chunks, ApiError 429: got status: RESOURCE_EXHAUSTED. {"error":{"code":429,"message":"Resource has bee...',
  'ollama    llama3.2              chat stream                                    ok: "Hello from the mock gateway" done_reason=stop prompt_eval_count=11 eval_count=5',
  'ollama    llama3.2              chat stream (mid-stream-server_error)          after 2 lines, Error: an error was encountered while running the model: unexpected EOF',
  'bedrock   amazon.nova-lite-v1:0 converse-stream                                ok: "Hello from the mock gateway" stopReason=end_turn inputTokens=14 outputTokens=5',
  'bedrock   amazon.nova-lite-v1:0 converse (429)                                 ThrottlingException 429: Too many requests, please wait before trying again.',
].map((line) => `  ${line}`);

/** Whether an OTLP span's url.full is one of the gateway's native routes. */
function isNativeUrl(url: unknown): boolean {
  if (typeof url !== 'string') return false;
  const { pathname, searchParams } = new URL(url);
  return nativeRouteOf('POST', pathname, searchParams) !== undefined;
}

let receiver: OtlpReceiver;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
});

afterAll(async () => {
  killChildren();
  await receiver.close();
});

function demo(env: Record<string, string> = {}) {
  return runNode(['src/cli/main.ts', 'demo', '--requests', '12', '--seed', '1'], env, 25_000);
}

/** Table rows as `[outcome, calls, attempts]`, header and total excluded. */
function tableRows(stdout: string): string[][] {
  const lines = stdout.split('\n');
  const start = lines.findIndex((line) => /^outcome\s+calls\s+attempts\s+p50$/.test(line));
  const end = lines.findIndex((line) => line.startsWith('total '));
  return lines.slice(start + 1, end).map((line) => line.split(/\s+/).slice(0, 3));
}

describe('planRequests', () => {
  it('spreads the showcase scenarios and streams every other call and every stream-only scenario', () => {
    const plan = planRequests(12, false);
    expect(plan.map((r) => r.scenario)).toEqual([
      '402',
      undefined,
      '429-spend-cap',
      undefined,
      'mid-stream-context_length_exceeded',
      undefined,
      '503',
      undefined,
      'truncate',
      undefined,
      undefined,
      undefined,
    ]);
    expect(plan.map((r) => r.stream)).toEqual([
      false,
      true,
      false,
      true,
      true,
      true,
      false,
      true,
      true,
      true,
      false,
      true,
    ]);
    expect(planRequests(3, true).map((r) => [r.scenario, r.stream])).toEqual([
      ['402', true],
      ['429-spend-cap', true],
      ['mid-stream-context_length_exceeded', true],
    ]);
    expect(planRequests(40, false).filter((r) => r.scenario !== undefined)).toHaveLength(
      SHOWCASE_SCENARIOS.length,
    );
  });
});

describe('outcomeTable', () => {
  it('lists ok first, then outcomes by calls, with attempts summed and the median duration', () => {
    expect(
      outcomeTable([
        { outcome: 'error=503', attempts: 3, seconds: 1.5 },
        { outcome: 'ok', attempts: 1, seconds: 0.3 },
        { outcome: 'error=context_length_exceeded', attempts: 1, seconds: 0.2 },
        { outcome: 'error=503', attempts: 2, seconds: 0.5 },
        { outcome: 'ok', attempts: 2, seconds: 0.1 },
        { outcome: 'ok', attempts: 1, seconds: 0.2 },
      ]),
    ).toEqual([
      'outcome                        calls  attempts      p50',
      'ok                                 3         4   0.200s',
      'error=503                          2         5   0.500s',
      'error=context_length_exceeded      1         1   0.200s',
      'total                              6        10         ',
    ]);
    expect(outcomeTable([])).toEqual([
      'outcome  calls  attempts      p50',
      'total        0         0         ',
    ]);
  });
});

describe('llm-otel demo', () => {
  it('rejects an unknown provider with exit code 2', async () => {
    const run = runNode(['src/cli/main.ts', 'demo', '--providers', 'openai,nope'], {});
    expect((await run.exit).code).toBe(2);
    expect(run.stderr()).toBe(
      'llm-otel demo: --providers: unknown provider "nope"; known: openai, anthropic, gemini, ollama, bedrock\n(see llm-otel demo --help)\n',
    );
  });

  it('runs against the in-process gateway and prints the outcome table and one summary line per call', async () => {
    const run = demo();
    const { code } = await run.exit;
    expect(run.stderr()).not.toContain('Error');
    expect(code).toBe(0);
    const rows = tableRows(run.stdout());
    const outcomes = rows.map(([outcome]) => outcome);
    for (const showcase of [
      'error=402',
      'error=context_length_exceeded',
      'error=503',
      'error=stream_truncated',
    ]) {
      expect(outcomes).toContain(showcase);
    }
    // 12 chat completions, the asynchronous image task's creation and the 8 native calls.
    expect(rows.reduce((sum, [, calls]) => sum + Number(calls), 0)).toBe(CALLS);
    expect(run.stdout()).toMatch(new RegExp(`^total\\s+${CALLS}\\s+\\d+\\s*$`, 'm'));
    const stdout = run.stdout().split('\n');
    const native = stdout.indexOf('Native provider calls, as the application saw them:');
    expect(stdout.slice(native + 1, native + 1 + NATIVE_LINES.length)).toEqual(NATIVE_LINES);
    expect(run.stdout()).toMatch(
      /^Task task_\S+: created under \/v1i, polled once on \/v1 \(HTTP 404, flagged llm\.task\.unknown\), then 3 times/m,
    );
    // The explicit 503 is resent until the retry interceptor gives up (4 attempts by default).
    const failed503 = rows.find(([outcome]) => outcome === 'error=503');
    expect(Number(failed503?.[2])).toBeGreaterThanOrEqual(4 * Number(failed503?.[1]));
    expect(run.stdout()).toContain(
      `${CALLS} LLM calls sent, ${CALLS} operation spans recorded. No OTEL_EXPORTER_OTLP_ENDPOINT set`,
    );
    const summaries = run
      .stderr()
      .split('\n')
      .filter((line) => OPENAI_SUMMARY.test(line));
    expect(summaries).toHaveLength(12);
    for (const line of summaries) expect(line).toMatch(SUMMARY);
    expect(run.stderr()).toContain('llm-otel demo: 12/12 calls, ');
  });

  it('exports its spans over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, without console lines', async () => {
    receiver.requests.length = 0;
    const run = demo({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    const { code } = await run.exit;
    expect(code).toBe(0);
    expect(run.stdout()).toContain(
      `${CALLS} LLM calls sent, ${CALLS} operation spans recorded. Spans and metrics were exported to ${receiver.url}.`,
    );
    expect(run.stderr()).not.toMatch(/^llm-otel (?!demo:)/m);
    const operations = receiver
      .spans()
      .filter(
        (span) =>
          span.attributes['gen_ai.operation.name'] === 'chat' &&
          span.attributes['gen_ai.provider.name'] === 'mock-gateway',
      );
    expect(operations).toHaveLength(12);
    for (const span of operations) expect(span.serviceName).toBe('llm-otel-demo');
    // Every native call reached the gateway: at least one attempt span per call on a native route.
    const nativeAttempts = receiver.spans().filter((span) => isNativeUrl(span.attributes['url.full']));
    expect(nativeAttempts.length).toBeGreaterThanOrEqual(8);
    for (const span of nativeAttempts)
      expect(span.attributes['gen_ai.provider.name']).not.toBe('mock-gateway');
    expect(operations.filter((s) => s.attributes['error.type'] === 'context_length_exceeded')).toHaveLength(
      1,
    );
    const attempts = operations.reduce((sum, s) => sum + Number(s.attributes['llm.retry.attempts']), 0);
    // Plus the task creation's attempt; the native calls' attempts are not counted here.
    const openaiAttempts = receiver
      .spans()
      .filter((span) => span.name === 'POST' && typeof span.attributes['url.full'] === 'string')
      .filter((span) => !isNativeUrl(span.attributes['url.full']));
    expect(openaiAttempts).toHaveLength(attempts + 1);
    const polls = receiver
      .spans()
      .filter((span) => span.name === 'GET' && span.attributes['llm.task.id'] !== undefined);
    expect(polls.some((span) => span.attributes['llm.task.unknown'] === true)).toBe(true);
    expect(polls.some((span) => span.attributes['llm.task.status'] === 'succeeded')).toBe(true);
    const retried503 = operations.filter(
      (s) => s.attributes['error.type'] === '503' && s.attributes['llm.retry.attempts'] === 4,
    );
    expect(retried503).not.toHaveLength(0);
    expect(receiver.metricNames()).toContain('gen_ai.client.operation.duration');
  });
});
