/**
 * Node's built-in fetch keeps a global dispatcher of its own. Whether npm undici 8 is loaded before
 * or after the first built-in fetch, installFetchTelemetry must take over the built-in fetch.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer, traceparentsOf } from '../support/server.ts';

const run = promisify(execFile);
const app = fileURLToPath(new URL('./fixtures/import-order-app.ts', import.meta.url));
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer((request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ traceparents: traceparentsOf(request).length }));
  });
});
afterAll(() => server.close());

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
