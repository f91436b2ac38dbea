/**
 * Spend and headroom through the interceptor: the provider-reported cost (usage.cost, a final
 * streamed usage chunk, LiteLLM's x-litellm-response-cost header), the price table when the
 * provider reports none, and rate-limit headroom gauges from OpenAI- and Anthropic-style headers.
 */
import type { Dispatcher } from 'undici';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTelemetryDispatcher } from '../../src/index.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { createTestTelemetry, type TestTelemetry } from '../support/telemetry.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer((recorded, response) => {
    const scenario = String(recorded.headers['x-test']);
    if (scenario === 'openrouter') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          id: 'gen-1',
          model: 'openai/gpt-4o-mini',
          choices: [{ index: 0, message: { content: 'hi' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12, cost: 0.000123 },
        }),
      );
    } else if (scenario === 'openrouter-stream') {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (extra: object) =>
        `data: ${JSON.stringify({ id: 'gen-2', model: 'openai/gpt-4o-mini', choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: null }], ...extra })}\n\n`;
      response.write(chunk({}));
      response.write(
        chunk({
          choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
          usage: { prompt_tokens: 10, completion_tokens: 2, cost: 0.0005 },
        }),
      );
      response.end('data: [DONE]\n\n');
    } else if (scenario === 'litellm') {
      response.writeHead(200, {
        'content-type': 'application/json',
        'x-litellm-response-cost': '0.00042',
        'x-ratelimit-limit-requests': '10000',
        'x-ratelimit-remaining-requests': '9000',
        'x-ratelimit-reset-requests': '6m0s',
        'x-ratelimit-limit-tokens': '200000',
        'x-ratelimit-remaining-tokens': '150000',
      });
      response.end(
        JSON.stringify({
          id: 'c',
          model: 'gpt-4o-mini',
          choices: [],
          usage: { prompt_tokens: 5, completion_tokens: 1 },
        }),
      );
    } else if (scenario === 'anthropic-429') {
      response.writeHead(429, {
        'content-type': 'application/json',
        'anthropic-ratelimit-requests-limit': '50',
        'anthropic-ratelimit-requests-remaining': '0',
        'anthropic-ratelimit-requests-reset': '2026-12-07T03:00:30Z',
        'anthropic-ratelimit-input-tokens-limit': '40000',
        'anthropic-ratelimit-input-tokens-remaining': '1200',
      });
      response.end(
        JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'Slow down' } }),
      );
    } else {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          id: 'c',
          model: 'gpt-4o-mini-2024-07-18',
          choices: [{ index: 0, message: { content: 'hi' }, finish_reason: 'stop' }],
          usage: {
            prompt_tokens: 1_000_000,
            completion_tokens: 500_000,
            prompt_tokens_details: { cached_tokens: 400_000 },
          },
        }),
      );
    }
  });
});
afterAll(() => server.close());

let telemetry: TestTelemetry;
let dispatcher: Dispatcher;
afterEach(async () => {
  expect(telemetry.balance.unbalanced()).toEqual([]);
  await dispatcher.close();
  await telemetry.shutdown();
});

function setUp(options: object = {}): void {
  telemetry = createTestTelemetry();
  dispatcher = createTelemetryDispatcher({
    tracerProvider: telemetry.tracerProvider,
    meterProvider: telemetry.meterProvider,
    ...options,
  });
}

async function call(
  scenario: string,
  path = '/v1/chat/completions',
  body: object = { model: 'gpt-4o-mini' },
) {
  const response = await request(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-test': scenario },
    body: JSON.stringify(body),
    dispatcher,
  });
  await response.body.text();
  const spans = await telemetry.waitForSpans(2);
  return spans.find((span) => span.parentSpanContext === undefined);
}

describe('cost', () => {
  it('OpenRouter usage.cost: llm.usage.cost from the provider, and the llm.client.cost counter', async () => {
    setUp();
    const op = await call('openrouter');
    expect(op?.attributes).toMatchObject({ 'llm.usage.cost': 0.000123, 'llm.usage.cost_source': 'provider' });
    const points = await telemetry.metricPoints('llm.client.cost');
    expect(points.map((p) => [p.attributes, p.value])).toEqual([
      [{ 'gen_ai.provider.name': '127.0.0.1', 'gen_ai.request.model': 'gpt-4o-mini' }, 0.000123],
    ]);
  });

  it('the final streamed usage chunk carries the cost', async () => {
    setUp();
    const op = await call('openrouter-stream', '/v1/chat/completions', {
      model: 'gpt-4o-mini',
      stream: true,
    });
    expect(op?.attributes).toMatchObject({ 'llm.usage.cost': 0.0005, 'llm.usage.cost_source': 'provider' });
  });

  it("LiteLLM's x-litellm-response-cost header", async () => {
    setUp();
    const op = await call('litellm');
    expect(op?.attributes).toMatchObject({ 'llm.usage.cost': 0.00042, 'llm.usage.cost_source': 'provider' });
  });

  it('the price table when the provider reports none: cached input at its own price', async () => {
    setUp({ prices: { 'gpt-4o-mini-2024-07-18': { input: 0.15, output: 0.6, cachedInput: 0.075 } } });
    const op = await call('priced');
    // 600k uncached x 0.15 + 400k cached x 0.075 + 500k output x 0.6, per million
    expect(op?.attributes['llm.usage.cost_source']).toBe('price_table');
    expect(op?.attributes['llm.usage.cost']).toBeCloseTo(0.09 + 0.03 + 0.3, 10);
  });

  it('no price table and no reported cost: no cost at all (never a built-in price list)', async () => {
    setUp();
    const op = await call('priced');
    expect(op?.attributes['llm.usage.cost']).toBeUndefined();
    expect(await telemetry.metricPoints('llm.client.cost')).toEqual([]);
  });
});

describe('rate-limit headroom', () => {
  it('OpenAI-style headers: remaining and limit gauges by kind', async () => {
    setUp();
    await call('litellm');
    const remaining = await telemetry.metricPoints('llm.client.rate_limit.remaining');
    const limit = await telemetry.metricPoints('llm.client.rate_limit.limit');
    const byKind = (points: typeof remaining) =>
      Object.fromEntries(points.map((p) => [String(p.attributes['llm.rate_limit.kind']), p.value]));
    expect(byKind(remaining)).toEqual({ requests: 9000, tokens: 150000 });
    expect(byKind(limit)).toEqual({ requests: 10000, tokens: 200000 });
    expect(remaining[0]?.attributes['gen_ai.request.model']).toBe('gpt-4o-mini');
  });

  it('Anthropic headers on a 429: headroom 0 for requests, input tokens too', async () => {
    setUp();
    await call('anthropic-429', '/v1/messages', { model: 'claude-sonnet-4-5', max_tokens: 10, messages: [] });
    const remaining = await telemetry.metricPoints('llm.client.rate_limit.remaining');
    expect(
      Object.fromEntries(remaining.map((p) => [String(p.attributes['llm.rate_limit.kind']), p.value])),
    ).toEqual({ requests: 0, input_tokens: 1200 });
  });
});
