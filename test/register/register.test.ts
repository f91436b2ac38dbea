/**
 * `node --import llm-otel-dispatcher/register app.mjs`, for real: child processes running a plain
 * fetch application against the mock gateway, exporting to a loopback OTLP receiver, a closed
 * port, the console summary, or nothing.
 */
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from '../../src/gateway/server.ts';
import { type ForwardProxy, startForwardProxy } from '../dispatcher/forward-proxy.ts';
import { killChildren, ROOT, runNode, waitForOutput } from './child.ts';
import { closedPort, type OtlpReceiver, startOtlpReceiver } from './otlp-receiver.ts';

const REGISTER = pathToFileURL(`${ROOT}/src/register/register.ts`).href;
const APP = 'test/register/fixtures/app.mjs';
const SUMMARY =
  /^llm-otel chat gpt-4o-mini (\d{3}) (ok|error=\S+) attempts=1 x-request-id=(req_[0-9a-f]{16}) \d+\.\d{2}s$/;

let gateway: Gateway;
let receiver: OtlpReceiver;
let proxy: ForwardProxy;

beforeAll(async () => {
  gateway = await startGateway({ host: '127.0.0.1', port: 0 });
  receiver = await startOtlpReceiver();
  proxy = await startForwardProxy();
});

afterAll(async () => {
  killChildren();
  await receiver.close();
  await gateway.close();
  await proxy.close();
});

function app(env: Record<string, string>, options: { register?: boolean } = {}) {
  const args = options.register === false ? [APP] : ['--import', REGISTER, APP];
  return runNode(args, { GATEWAY_URL: gateway.url, SCENARIOS: 'ok,503', ...env });
}

/** `[scenario, status, x-request-id]` per line the app printed. */
function calls(stdout: string): string[][] {
  return stdout
    .trim()
    .split('\n')
    .filter((line) => /^\S+ \d{3} req_/.test(line))
    .map((line) => line.split(' '));
}

/** The app's stdout without the per-run request ids. */
function withoutRequestIds(stdout: string): string {
  return stdout.replace(/ req_[0-9a-f]{16}/g, ' req_ID');
}

describe('register: OTLP export', () => {
  it('exports operation and attempt spans and metrics on normal exit, with OTEL_SERVICE_NAME', async () => {
    receiver.requests.length = 0;
    const run = app({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'register-test-app',
      // Nothing is exported before exit unless the exit flush does it.
      OTEL_BSP_SCHEDULE_DELAY: '600000',
      OTEL_METRIC_EXPORT_INTERVAL: '600000',
    });
    const { code } = await run.exit;
    expect(code).toBe(0);
    expect(run.stderr()).toBe('');
    const [ok, failed] = calls(run.stdout());
    expect(ok?.slice(0, 2)).toEqual(['ok', '200']);
    expect(failed?.slice(0, 2)).toEqual(['503', '503']);

    const spans = receiver.spans();
    expect(spans.map((s) => s.name).sort()).toEqual(['POST', 'POST', 'chat gpt-4o-mini', 'chat gpt-4o-mini']);
    for (const span of spans) {
      expect(span.serviceName).toBe('register-test-app');
      expect(span.scope).toBe('llm-otel-dispatcher');
    }
    const operations = spans.filter((s) => s.name === 'chat gpt-4o-mini');
    const failedOp = operations.find((s) => s.attributes['http.response.status_code'] === 503);
    const okOp = operations.find((s) => s.attributes['http.response.status_code'] === 200);
    expect(failedOp?.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o-mini',
      'error.type': '503',
      'llm.retry.attempts': 1,
      'http.response.header.x-request-id': [failed?.[2]],
    });
    expect(failedOp?.statusCode).toBe(2);
    expect(okOp?.attributes['error.type']).toBeUndefined();
    expect(okOp?.attributes['http.response.header.x-request-id']).toEqual([ok?.[2]]);
    for (const operation of [okOp, failedOp]) {
      const attempts = spans.filter((s) => s.name === 'POST' && s.parentSpanId === operation?.spanId);
      expect(attempts).toHaveLength(1);
      expect(attempts[0]?.traceId).toBe(operation?.traceId);
      expect(attempts[0]?.attributes['http.response.status_code']).toBe(
        operation?.attributes['http.response.status_code'],
      );
    }
    expect(
      spans.find((s) => s.name === 'POST' && s.parentSpanId === failedOp?.spanId)?.attributes['error.type'],
    ).toBe('503');
    expect(receiver.metricNames()).toContain('gen_ai.client.operation.duration');
    expect(receiver.metricNames()).toContain('http.client.request.duration');
  });

  it('sends OTLP protobuf by default', async () => {
    receiver.requests.length = 0;
    const run = app({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, SCENARIOS: 'ok' });
    expect((await run.exit).code).toBe(0);
    const traces = receiver.requests.filter((r) => r.path === '/v1/traces');
    expect(traces.length).toBeGreaterThan(0);
    expect(traces[0]?.contentType).toBe('application/x-protobuf');
    expect(traces[0]?.body.includes('chat gpt-4o-mini')).toBe(true);
  });

  it('flushes on SIGTERM, then lets the signal end the process', async () => {
    receiver.requests.length = 0;
    const run = app({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '600000',
      SCENARIOS: 'ok',
      KEEP_ALIVE: '1',
    });
    await waitForOutput(run, 'ready\n');
    expect(receiver.spans()).toEqual([]);
    run.child.kill('SIGTERM');
    const { code, signal } = await run.exit;
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGTERM' });
    expect(
      receiver
        .spans()
        .map((s) => s.name)
        .sort(),
    ).toEqual(['POST', 'chat gpt-4o-mini']);
  });
});

describe('register: collector down', () => {
  it('leaves output and exit code unchanged and exits promptly', async () => {
    const baseline = app({}, { register: false });
    const baselineExit = await baseline.exit;
    const port = await closedPort();
    const run = app({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` });
    const { code, msAfterLastOutput } = await run.exit;
    expect(code).toBe(baselineExit.code);
    expect(code).toBe(0);
    expect(withoutRequestIds(run.stdout())).toBe(withoutRequestIds(baseline.stdout()));
    expect(withoutRequestIds(run.stdout())).toBe('ok 200 req_ID\n503 503 req_ID\n');
    expect(run.stderr()).toBe('');
    expect(msAfterLastOutput).toBeLessThan(10_000);
  });
});

describe('register: console summary (no endpoint)', () => {
  it('prints one line per call with status, error code, attempts and x-request-id', async () => {
    const run = app({ SCENARIOS: 'ok,503,402', PRINT_TRACED: '1' });
    expect((await run.exit).code).toBe(0);
    expect(run.stdout()).toContain('traced=yes\n');
    const printed = calls(run.stdout());
    const lines = run.stderr().trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    const summaries = lines.map((line) => SUMMARY.exec(line)?.slice(1));
    expect(summaries).toEqual([
      ['200', 'ok', printed[0]?.[2]],
      ['503', 'error=503', printed[1]?.[2]],
      ['402', 'error=402', printed[2]?.[2]],
    ]);
  });

  it('prints nothing with LLM_OTEL_CONSOLE=off', async () => {
    const run = app({ LLM_OTEL_CONSOLE: 'off' });
    expect((await run.exit).code).toBe(0);
    expect(withoutRequestIds(run.stdout())).toBe('ok 200 req_ID\n503 503 req_ID\n');
    expect(run.stderr()).toBe('');
  });

  it('warns in one line and runs the app without telemetry when the setup fails', async () => {
    const run = app({ LLM_OTEL_CONSOLE: 'loud', PRINT_TRACED: '1' });
    expect((await run.exit).code).toBe(0);
    expect(withoutRequestIds(run.stdout())).toBe('ok 200 req_ID\n503 503 req_ID\ntraced=no\n');
    expect(run.stderr()).toBe(
      'llm-otel-dispatcher/register: telemetry not started, the application runs without it: ' +
        'llm-otel-dispatcher: LLM_OTEL_CONSOLE must be "on" or "off" (also true/false, 1/0), got "loud"\n',
    );
  });
});

describe('register: OTEL_SDK_DISABLED=true', () => {
  it('installs nothing, exports nothing, prints nothing, and the app works', async () => {
    receiver.requests.length = 0;
    const run = app({
      OTEL_SDK_DISABLED: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      PRINT_TRACED: '1',
    });
    expect((await run.exit).code).toBe(0);
    expect(withoutRequestIds(run.stdout())).toBe('ok 200 req_ID\n503 503 req_ID\ntraced=no\n');
    expect(run.stderr()).toBe('');
    expect(receiver.requests).toEqual([]);
  });
});

describe('register: NODE_USE_ENV_PROXY=1 with HTTP_PROXY', () => {
  const throughProxy = () => proxy.countTo(new URL(gateway.url).host);
  /** Node's own warning that NODE_USE_ENV_PROXY is experimental (Node 22), if any. */
  const withoutNodeWarnings = (stderr: string) => stderr.replace(/^.*(Warning|--trace-warnings).*\n/gm, '');

  it('without the hook: Node itself sends the call through the proxy (the baseline)', async () => {
    proxy.requests.length = 0;
    const run = app({ NODE_USE_ENV_PROXY: '1', HTTP_PROXY: proxy.url, SCENARIOS: 'ok' }, { register: false });
    expect((await run.exit).code).toBe(0);
    expect(withoutRequestIds(run.stdout())).toBe('ok 200 req_ID\n');
    expect(throughProxy()).toBe(1);
  });

  it('with the hook: the call still goes through the proxy, and is recorded', async () => {
    proxy.requests.length = 0;
    const run = app({ NODE_USE_ENV_PROXY: '1', HTTP_PROXY: proxy.url, SCENARIOS: 'ok' });
    expect((await run.exit).code).toBe(0);
    const printed = calls(run.stdout());
    expect(printed.map((call) => call.slice(0, 2))).toEqual([['ok', '200']]);
    expect(throughProxy()).toBe(1);
    const lines = withoutNodeWarnings(run.stderr()).trimEnd().split('\n');
    expect(lines.map((line) => SUMMARY.exec(line)?.slice(1))).toEqual([['200', 'ok', printed[0]?.[2]]]);
  });

  it('with the hook: NO_PROXY is honoured', async () => {
    proxy.requests.length = 0;
    const run = app({
      NODE_USE_ENV_PROXY: '1',
      HTTP_PROXY: proxy.url,
      NO_PROXY: new URL(gateway.url).host,
      SCENARIOS: 'ok',
    });
    expect((await run.exit).code).toBe(0);
    expect(withoutRequestIds(run.stdout())).toBe('ok 200 req_ID\n');
    expect(throughProxy()).toBe(0);
    expect(withoutNodeWarnings(run.stderr()).trimEnd()).toMatch(SUMMARY);
  });
});
