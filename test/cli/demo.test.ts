/**
 * `llm-otel demo`: its pure parts (the request plan, the outcome table) and the real command as a
 * child process, with the console summary and with OTLP export to a loopback receiver.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outcomeTable, planRequests, SHOWCASE_SCENARIOS } from '../../src/cli/demo-command.ts';
import { killChildren, runNode } from '../register/child.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../register/otlp-receiver.ts';

const SUMMARY =
  /^llm-otel chat \S+ (\d{3}|---) (ok|aborted|error=\S+) attempts=\d+( x-request-id=req_[0-9a-f]{16})? \d+\.\d{2}s$/;

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
    // 12 chat completions and the asynchronous image task's creation.
    expect(rows.reduce((sum, [, calls]) => sum + Number(calls), 0)).toBe(13);
    expect(run.stdout()).toMatch(/^total\s+13\s+\d+\s*$/m);
    expect(run.stdout()).toMatch(
      /^Task task_\S+: created under \/v1i, polled once on \/v1 \(HTTP 404, flagged llm\.task\.unknown\), then 3 times/m,
    );
    // The explicit 503 is resent until the retry interceptor gives up (4 attempts by default).
    const failed503 = rows.find(([outcome]) => outcome === 'error=503');
    expect(Number(failed503?.[2])).toBeGreaterThanOrEqual(4 * Number(failed503?.[1]));
    expect(run.stdout()).toContain(
      '13 LLM calls sent, 13 operation spans recorded. No OTEL_EXPORTER_OTLP_ENDPOINT set',
    );
    const summaries = run
      .stderr()
      .split('\n')
      .filter((line) => line.startsWith('llm-otel chat '));
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
      `13 LLM calls sent, 13 operation spans recorded. Spans and metrics were exported to ${receiver.url}.`,
    );
    expect(run.stderr()).not.toMatch(/^llm-otel chat /m);
    const operations = receiver.spans().filter((span) => span.attributes['gen_ai.operation.name'] === 'chat');
    expect(operations).toHaveLength(12);
    for (const span of operations) {
      expect(span.serviceName).toBe('llm-otel-demo');
      expect(span.attributes['gen_ai.provider.name']).toBe('mock-gateway');
    }
    expect(operations.filter((s) => s.attributes['error.type'] === 'context_length_exceeded')).toHaveLength(
      1,
    );
    const attempts = operations.reduce((sum, s) => sum + Number(s.attributes['llm.retry.attempts']), 0);
    // Plus the task creation's attempt.
    expect(receiver.spans().filter((span) => span.name === 'POST')).toHaveLength(attempts + 1);
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
