/**
 * Node's built-in fetch keeps a global dispatcher of its own. Whether npm undici 8 is loaded before
 * or after the first built-in fetch, installFetchTelemetry must take over the built-in fetch, and
 * with NODE_USE_ENV_PROXY=1 every call (before, during and after the installation) still goes
 * through the proxy from HTTP_PROXY, except the hosts in NO_PROXY, as Node does without us.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ForwardProxy, startForwardProxy } from '../dispatcher/forward-proxy.ts';
import { runNode } from '../register/child.ts';
import { sendJson, startTestServer, type TestServer, traceparentsOf } from '../support/server.ts';

const run = promisify(execFile);
const app = fileURLToPath(new URL('./fixtures/import-order-app.ts', import.meta.url));
const envProxyApp = fileURLToPath(new URL('../dispatcher/fixtures/env-proxy-app.ts', import.meta.url));
let server: TestServer;
let proxy: ForwardProxy;
/** Called before, during (two) and after the installation. */
let targets: TestServer[] = [];

beforeAll(async () => {
  server = await startTestServer((request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ traceparents: traceparentsOf(request).length }));
  });
  proxy = await startForwardProxy();
  targets = await Promise.all(
    [1, 2, 3, 4].map(() => startTestServer((_request, response) => sendJson(response, 200, { choices: [] }))),
  );
});
afterAll(async () => {
  await Promise.all([server.close(), proxy.close(), ...targets.map((target) => target.close())]);
});

describe('import order', () => {
  it.each(['fetch-first', 'library-first'])(
    '%s: the built-in fetch is traced after installFetchTelemetry',
    async (order) => {
      const { stdout } = await run(process.execPath, [app, order, `${server.url}/v1/chat/completions`], {
        timeout: 20_000,
      });
      const result = JSON.parse(stdout) as { spans: string[]; echoed: string };
      expect(result.spans.sort()).toEqual(['POST', 'chat gpt-4o-mini']);
      expect(JSON.parse(result.echoed)).toEqual({ traceparents: 1 });
    },
  );
});

describe('import order with NODE_USE_ENV_PROXY=1', () => {
  const SPANS_OF_TWO_CALLS = ['POST', 'POST', 'chat gpt-4o-mini', 'chat gpt-4o-mini'];
  const throughProxy = () => targets.map((target) => proxy.countTo(new URL(target.url).host));

  async function runApp(order: string, env: Record<string, string>) {
    proxy.requests.length = 0;
    const [before, during1, during2, after] = targets.map((target) => target.url);
    const run = runNode([envProxyApp, order, `${before}`, `${during1},${during2}`, `${after}`], {
      NODE_USE_ENV_PROXY: '1',
      HTTP_PROXY: proxy.url,
      ...env,
    });
    const { code } = await run.exit;
    expect(run.stderr().replace(/^.*(Warning|--trace-warnings).*\n/gm, '')).toBe('');
    expect(code).toBe(0);
    return JSON.parse(run.stdout()) as { statuses: number[]; spans: string[] };
  }

  it.each(['fetch-first', 'library-first'])(
    '%s: before, during and after the installation every call goes through the proxy',
    async (order) => {
      const result = await runApp(order, {});
      expect(result).toEqual({ statuses: [200, 200, 200, 200], spans: SPANS_OF_TWO_CALLS });
      expect(throughProxy()).toEqual([1, 1, 1, 1]);
    },
  );

  it.each(['fetch-first', 'library-first'])('%s: NO_PROXY is honoured while installed', async (order) => {
    const result = await runApp(order, { NO_PROXY: new URL(targets[1]?.url ?? '').host });
    expect(result).toEqual({ statuses: [200, 200, 200, 200], spans: SPANS_OF_TWO_CALLS });
    expect(throughProxy()).toEqual([1, 0, 1, 1]);
  });
});
