/**
 * `groq-sdk` through the telemetry dispatcher (`fetchOptions.dispatcher`): test/support/sdk-clients.ts
 * runs the matrix against the mock gateway. Groq's routes live under `/openai/v1/`, which the gateway
 * does not serve, so each gateway is put behind a loopback proxy that strips the `/openai` prefix
 * (the dispatcher sees the real Groq path). The gateway streams usage the OpenAI way (its `usage`
 * scenario); Groq's own `x_groq.usage` is tested at the end against a server that sends it. The SDK
 * numbers its resends in `x-stainless-retry-count`, so its retries are `llm.retry.source=sdk`.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Groq from 'groq-sdk';
import type { Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bothWays,
  type CallOptions,
  collect,
  describeSdk,
  expectCall,
  type Received,
  type RecordedCall,
  recordedCalls,
  type SdkSpec,
  useHarness,
} from '../support/sdk-clients.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/** A loopback proxy that forwards `/openai/…` to `target` without the prefix, piping both ways. */
async function startPrefixProxy(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const forward = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: (req.url ?? '/').replace(/^\/openai\//, '/'),
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    res.on('close', () => forward.destroy());
    req.pipe(forward);
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Gateway URL → its proxy's URL (started on first use, closed after all tests). */
const proxies = new Map<string, { url: string; close(): Promise<void> }>();
afterAll(async () => {
  await Promise.all([...proxies.values()].map((proxy) => proxy.close()));
});
async function viaProxy(gatewayUrl: string): Promise<string> {
  let proxy = proxies.get(gatewayUrl);
  if (!proxy) {
    proxy = await startPrefixProxy(gatewayUrl);
    proxies.set(gatewayUrl, proxy);
  }
  return proxy.url;
}

type ChunkUsage = { prompt_tokens?: number; completion_tokens?: number } | null | undefined;

function chat(options: CallOptions, baseURL?: string): Promise<Received> {
  return collect(async (received) => {
    const groq = new Groq({
      apiKey: 'gsk_test_sdks',
      baseURL: baseURL ?? (await viaProxy(options.url)),
      maxRetries: options.maxRetries,
      fetchOptions: { dispatcher: options.dispatcher } as never,
    });
    const body = {
      model: 'llama-3.3-70b-versatile',
      messages: [{ role: 'user' as const, content: 'Say hello' }],
    };
    if (!options.stream) {
      const completion = await groq.chat.completions.create(body, { headers: options.headers });
      received.text = completion.choices[0]?.message.content ?? '';
      received.finishReason = completion.choices[0]?.finish_reason;
      received.usage = {
        input: completion.usage?.prompt_tokens,
        output: completion.usage?.completion_tokens,
      };
      received.id = completion.id;
      return;
    }
    // The gateway's `usage` scenario streams a usage chunk (Groq has no stream_options).
    const headers = { 'x-mock-scenario': 'usage', ...options.headers };
    const stream = await groq.chat.completions.create({ ...body, stream: true }, { headers });
    for await (const chunk of stream) {
      received.chunks++;
      received.text += chunk.choices[0]?.delta?.content ?? '';
      received.finishReason = chunk.choices[0]?.finish_reason ?? received.finishReason;
      const usage = ((chunk as { usage?: ChunkUsage }).usage ?? chunk.x_groq?.usage) as ChunkUsage;
      if (usage) received.usage = { input: usage.prompt_tokens, output: usage.completion_tokens };
      received.id = chunk.id;
      if (received.chunks === options.breakAfter) break;
    }
  });
}

const SPEC: SdkSpec = {
  name: 'groq-sdk: chat completions',
  operationName: 'chat',
  model: 'llama-3.3-70b-versatile',
  provider: '127.0.0.1',
  call: (options) => chat(options),
  finishReason: 'stop',
  sdkReportsRawFinishReason: true,
  immediateError: { scenario: '429', status: 429, errorType: '429' },
  midStreamError: { scenario: 'mid-stream-top-level-error', errorType: 'server_error' },
  retries: { source: 'sdk', errorType: '503' },
};

describeSdk(SPEC);

describe('groq-sdk: usage streamed in x_groq.usage', () => {
  const harness = useHarness();
  let groqServer: TestServer;
  const chunk = (delta: object, finish: string | null, extra: object = {}) =>
    `data: ${JSON.stringify({
      id: 'chatcmpl-groq1',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'llama-3.3-70b-versatile',
      choices: [{ index: 0, delta, finish_reason: finish }],
      ...extra,
    })}\n\n`;
  beforeAll(async () => {
    groqServer = await startTestServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream', 'x-request-id': 'req_groq1' });
      response.write(chunk({ role: 'assistant', content: 'Hel' }, null, { x_groq: { id: 'req_groq1' } }));
      response.write(chunk({ content: 'lo' }, null));
      response.write(
        chunk({}, 'stop', {
          x_groq: { id: 'req_groq1', usage: { prompt_tokens: 17, completion_tokens: 2, total_tokens: 19 } },
        }),
      );
      response.end('data: [DONE]\n\n');
    });
  });
  afterAll(() => groqServer.close());

  it('the tokens the SDK hands over in x_groq.usage are the span usage', async () => {
    const call = (dispatcher: Dispatcher, headers: Record<string, string>) =>
      chat({ url: groqServer.url, dispatcher, headers, stream: true, maxRetries: 0 }, `${groqServer.url}`);
    const received = await bothWays(harness, call, {});
    expect(received).toMatchObject({ text: 'Hello', finishReason: 'stop', usage: { input: 17, output: 2 } });
    const [recorded] = await recordedCalls(harness, 1);
    expectCall(SPEC, recorded as RecordedCall, {
      stream: true,
      statusCode: 200,
      finishReasons: ['stop'],
      inputTokens: 17,
      outputTokens: 2,
    });
  });
});
