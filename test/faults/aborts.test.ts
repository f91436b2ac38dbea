/**
 * Fault matrix, the application walking away: abort before headers, during the body and during a
 * retry backoff; `break` out of a stream; a body never read and garbage collected. The application
 * sees what it sees without telemetry, every span ends once (as `llm.aborted`, not as an error),
 * nothing is left running, and no secret is exported.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SpanStatusCode } from '@opentelemetry/api';
import type { Dispatcher } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTelemetryDispatcher } from '../../src/index.ts';
import { sendJson } from '../support/server.ts';
import { createTestTelemetry } from '../support/telemetry.ts';
import {
  expectNoLeakedHandles,
  expectNoSecrets,
  handleCounts,
  LogCapture,
  settledBalance,
} from './support/invariants.ts';
import {
  type AppOutcome,
  abortAfter,
  breakAfter,
  chatRequest,
  closeOrDestroy,
  compareWithBaseline,
  fetchOutcome,
  openAiOutcome,
} from './support/outcome.ts';
import {
  expectNoOpenSockets,
  FAULT_HEADER,
  type FaultServer,
  requestsReceived,
  sseFrame,
  startFaultServer,
} from './support/servers.ts';
import { callTrace } from './support/trace.ts';

const telemetry = createTestTelemetry();
const logs = new LogCapture();
const handlesBefore = handleCounts();
const telemetryOptions = { tracerProvider: telemetry.tracerProvider, meterProvider: telemetry.meterProvider };
let server: FaultServer;

beforeAll(async () => {
  logs.install();
  server = await startFaultServer({
    never: () => undefined,
    'one-frame-then-stall': (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(sseFrame('Hel'));
    },
    '503': (_request, response) =>
      sendJson(response, 503, { error: { code: 503, message: 'Service temporarily unavailable' } }),
  });
});

afterAll(async () => {
  await server.close();
  logs.restore();
  await expectNoLeakedHandles(handlesBefore);
});

afterEach(async () => {
  await expectNoOpenSockets(server);
  telemetry.reset();
});

const url = () => `${server.url}/v1/chat/completions`;
const fault = (name: string) => ({ [FAULT_HEADER]: name });
const ours = () => createTelemetryDispatcher(telemetryOptions);

/** Aborts once the server has the request (plus `afterMs`). */
const abortWhenReceived =
  (afterMs = 0) =>
  (abort: AbortController) => {
    const count = server.requests.length + 1;
    void requestsReceived(server, count)
      .then(() => new Promise((resolve) => setTimeout(resolve, afterMs)))
      .then(() => abort.abort());
  };

/** Every span ended once; the call is recorded as aborted by the application, not as an error. */
async function expectAbortedTrace(): Promise<ReturnType<typeof callTrace>> {
  expect(await settledBalance(telemetry)).toEqual([]);
  const trace = callTrace(telemetry.spans());
  for (const span of [trace.operation, trace.attempt]) {
    expect(span.attributes['llm.aborted']).toBe(true);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes['error.type']).toBeUndefined();
  }
  await expectNoSecrets(telemetry, logs);
  return trace;
}

describe('abort before headers', () => {
  it("Node's fetch", async () => {
    const { baseline, observed } = await compareWithBaseline(
      (d) => fetchOutcome({ url: url(), headers: fault('never'), onStarted: abortWhenReceived() }, d),
      {},
      ours,
    );
    expect(baseline.error?.error.name).toBe('AbortError');
    expect(observed).toEqual(baseline);
    await expectAbortedTrace();
  });

  it('openai SDK', async () => {
    const { baseline, observed } = await compareWithBaseline(
      (d) =>
        openAiOutcome(
          {
            baseURL: `${server.url}/v1`,
            headers: fault('never'),
            stream: false,
            onStarted: abortWhenReceived(),
          },
          d,
        ),
      {},
      ours,
    );
    expect(baseline.error?.error.constructor).toBe('APIUserAbortError');
    expect(observed).toEqual(baseline);
    await expectAbortedTrace();
  });
});

describe('abort during the body', () => {
  it("Node's fetch: the bytes read before the abort, then AbortError", async () => {
    const { baseline, observed } = await compareWithBaseline(
      (d) =>
        fetchOutcome(
          {
            url: url(),
            headers: fault('one-frame-then-stall'),
            body: chatRequest(true),
            read: abortAfter(1),
          },
          d,
        ),
      {},
      ours,
    );
    expect(baseline.body?.length).toBe(sseFrame('Hel').length);
    expect(baseline.error?.error.name).toBe('AbortError');
    expect(observed).toEqual(baseline);
    const trace = await expectAbortedTrace();
    expect(trace.operation.attributes['llm.stream.chunks']).toBe(1);
  });

  it('openai SDK: the chunks read before the abort; the SDK ends the stream quietly', async () => {
    const { baseline, observed } = await compareWithBaseline(
      (d) =>
        openAiOutcome(
          {
            baseURL: `${server.url}/v1`,
            headers: fault('one-frame-then-stall'),
            stream: true,
            abortAfterChunks: 1,
          },
          d,
        ),
      {},
      ours,
    );
    expect(baseline.result).toHaveLength(1);
    expect(baseline.error).toBeUndefined();
    expect(observed).toEqual(baseline);
    await expectAbortedTrace();
  });
});

describe('early break out of a stream', () => {
  it("Node's fetch: for await ... break", async () => {
    const { baseline, observed } = await compareWithBaseline(
      (d) =>
        fetchOutcome(
          {
            url: url(),
            headers: fault('one-frame-then-stall'),
            body: chatRequest(true),
            read: breakAfter(1),
          },
          d,
        ),
      {},
      ours,
    );
    expect(baseline.body?.length).toBe(sseFrame('Hel').length);
    expect(baseline.error).toBeUndefined();
    expect(observed).toEqual(baseline);
    await expectAbortedTrace();
  });

  it('openai SDK: for await ... break', async () => {
    const { baseline, observed } = await compareWithBaseline(
      (d) =>
        openAiOutcome(
          {
            baseURL: `${server.url}/v1`,
            headers: fault('one-frame-then-stall'),
            stream: true,
            breakAfterChunks: 1,
          },
          d,
        ),
      {},
      ours,
    );
    expect(baseline).toMatchObject({ result: [{ id: 'chatcmpl-fault' }] });
    expect(baseline.error).toBeUndefined();
    expect(observed).toEqual(baseline);
    await expectAbortedTrace();
  });
});

describe('abort during a retry backoff (retry: { baseDelay: 60000, random: () => 1 })', () => {
  const withRetry = () =>
    createTelemetryDispatcher({ ...telemetryOptions, retry: { baseDelay: 60_000, random: () => 1 } });

  /** The app sees exactly what an abort before headers shows it without telemetry. */
  async function expectSameAsBareAbort(
    run: (d: Dispatcher, fault: Record<string, string>) => Promise<AppOutcome>,
  ): Promise<void> {
    const { baseline } = await compareWithBaseline((d) => run(d, fault('never')), {}, ours);
    telemetry.reset();
    const dispatcher = withRetry();
    const started = performance.now();
    const observed = await run(dispatcher, fault('503'));
    const waitedMs = performance.now() - started;
    expect(await closeOrDestroy(dispatcher)).toBe(true);
    expect(observed).toEqual(baseline);
    // The backoff is 30 s (maxDelay); the abort must not wait for it. Generous bound, not a timing test.
    expect(waitedMs).toBeLessThan(10_000);
    expect(await settledBalance(telemetry)).toEqual([]);
    const trace = callTrace(telemetry.spans());
    expect(trace.attempts).toHaveLength(1);
    expect(trace.attempt.attributes).toMatchObject({ 'error.type': '503', 'http.response.status_code': 503 });
    expect(trace.attempt.status.code).toBe(SpanStatusCode.ERROR);
    expect(
      trace.operation.events.map((event) => [event.name, event.attributes?.['llm.retry.delay_ms']]),
    ).toEqual([['llm.retry', 30_000]]);
    expect(trace.operation.attributes['llm.aborted']).toBe(true);
    expect(trace.operation.attributes['error.type']).toBeUndefined();
    expect(trace.operation.status.code).toBe(SpanStatusCode.UNSET);
    await expectNoSecrets(telemetry, logs);
  }

  it("Node's fetch", async () => {
    await expectSameAsBareAbort((d, headers) =>
      fetchOutcome({ url: url(), headers, onStarted: abortWhenReceived(100) }, d),
    );
  });

  it('openai SDK', async () => {
    await expectSameAsBareAbort((d, headers) =>
      openAiOutcome(
        { baseURL: `${server.url}/v1`, headers, stream: false, onStarted: abortWhenReceived(100) },
        d,
      ),
    );
  });
});

describe('body never read, Response garbage collected (child process with --expose-gc)', () => {
  const child = fileURLToPath(new URL('./support/gc-child.ts', import.meta.url));

  interface GcResult {
    status: number;
    started: number;
    unbalanced: number;
    spans: Array<{ name: string; status: number; attributes: Record<string, unknown> }>;
  }

  const runs = new Map<string, Promise<GcResult>>();
  /** One child run per mode, shared by the tests below (each run costs a Node start-up). */
  function runChild(mode: 'fetch' | 'openai'): Promise<GcResult> {
    let run = runs.get(mode);
    if (!run) {
      run = promisify(execFile)(process.execPath, ['--expose-gc', child, mode], { timeout: 20_000 }).then(
        ({ stdout }) => JSON.parse(stdout) as GcResult,
      );
      runs.set(mode, run);
    }
    return run;
  }

  it.each(['fetch', 'openai'] as const)(
    '%s: undici cancels the body on GC and both spans end once',
    async (mode) => {
      const result = await runChild(mode);
      expect(result).toMatchObject({ status: 200, started: 2, unbalanced: 0 });
      expect(result.spans.map((span) => span.name).sort()).toEqual(['POST', 'chat gpt-4o-mini']);
      for (const span of result.spans) expect(span.attributes['llm.stream.chunks']).toBe(1);
    },
  );

  // undici calls onResponseError with the string reason 'Response object has been garbage collected'.
  it('a garbage-collected body is recorded as llm.aborted, not as an error', async () => {
    for (const mode of ['fetch', 'openai'] as const) {
      const result = await runChild(mode);
      for (const span of result.spans) {
        expect(span.attributes['llm.aborted']).toBe(true);
        expect(span.attributes['error.type']).toBeUndefined();
        expect(span.status).toBe(SpanStatusCode.UNSET);
      }
    }
  });
});
