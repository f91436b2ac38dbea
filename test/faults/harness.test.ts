/**
 * The fault suite's own checks can fail: the secret scan sees span attributes (opt-in content
 * capture does export the prompt), console and diag output; the handle count sees a socket left
 * open; the outcome comparison sees a changed body.
 */
import { createServer } from 'node:net';
import { diag } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import { createTelemetryDispatcher } from '../../src/index.ts';
import { sendJson } from '../support/server.ts';
import { createTestTelemetry } from '../support/telemetry.ts';
import {
  expectNoLeakedHandles,
  findSecret,
  handleCounts,
  LogCapture,
  SECRETS,
  settledBalance,
  telemetryText,
} from './support/invariants.ts';
import { chatRequest, closeOrDestroy, fetchOutcome } from './support/outcome.ts';
import { COMPLETION, FAULT_HEADER, startFaultServer } from './support/servers.ts';

const telemetry = createTestTelemetry();
const serverReady = startFaultServer({ json: (_request, response) => sendJson(response, 200, COMPLETION) });
afterAll(async () => (await serverReady).close());

describe('the invariant checks detect what they look for', () => {
  it('a secret in an exported attribute (captureContent: true exports the prompt)', async () => {
    const server = await serverReady;
    const dispatcher = createTelemetryDispatcher({
      tracerProvider: telemetry.tracerProvider,
      meterProvider: telemetry.meterProvider,
      captureContent: true,
    });
    await fetchOutcome(
      {
        url: `${server.url}/v1/chat/completions`,
        headers: { [FAULT_HEADER]: 'json' },
        body: chatRequest(false),
      },
      dispatcher,
    );
    await closeOrDestroy(dispatcher);
    expect(await settledBalance(telemetry)).toEqual([]);
    expect(findSecret(await telemetryText(telemetry))).toContain(SECRETS.body);
  });

  it('a secret written to the console or to diag', () => {
    const logs = new LogCapture();
    logs.install();
    try {
      console.log('leaked', SECRETS.apiKeyHeader);
      expect(findSecret(logs.text())).toContain(SECRETS.apiKeyHeader);
      logs.lines.length = 0;
      diag.warn(`leaked ${SECRETS.query.slice(-12)}`);
      expect(findSecret(logs.text())).toContain(SECRETS.query);
    } finally {
      logs.restore();
    }
  });

  it('a socket left open', async () => {
    const before = handleCounts();
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    await expect(expectNoLeakedHandles(before, 50)).rejects.toThrow(/TCPServerWrap/);
    await new Promise((resolve) => server.close(resolve));
    await expectNoLeakedHandles(before);
  });
});
