/**
 * The mock gateway's spend scenarios over real HTTP, read back with src/spend's own parsers: cost
 * in the body, in the final usage chunk and in the LiteLLM header; headroom that shrinks call by
 * call in OpenAI and Anthropic shapes, and refills when its window ends.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from '../../src/gateway/server.ts';
import { goDuration, HeadroomLedger, mockCost } from '../../src/gateway/spend.ts';
import { providerCost } from '../../src/spend/provider-cost.ts';
import { goDurationMs, rateLimits } from '../../src/spend/rate-limits.ts';

const runs = (count: number): number =>
  process.env.MUTATE_GROUP === undefined ? count : Math.ceil(count / 10);

let gateway: Gateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

async function call(
  path: string,
  scenario: string,
  body: Record<string, unknown>,
): Promise<{ status: number; headers: Record<string, string>; text: string }> {
  const response = await fetch(`${gateway?.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-mock-scenario': scenario },
    body: JSON.stringify(body),
  });
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return { status: response.status, headers, text: await response.text() };
}

const CHAT = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };

describe('gateway spend scenarios', () => {
  it('cost: usage.cost in the JSON body, at the configured amount', async () => {
    gateway = await startGateway({ costUsd: 12.5 });
    const answer = await call('/v1/chat/completions', 'cost', CHAT);
    const usage = (JSON.parse(answer.text) as { usage: unknown }).usage;
    expect(usage).toEqual({ prompt_tokens: 8, completion_tokens: 5, total_tokens: 13, cost: 12.5 });
    expect(providerCost(usage, answer.headers)).toEqual({ usd: 12.5, source: 'provider' });
  });

  it('cost: usage.cost in the final streamed usage chunk, priced from the tokens by default', async () => {
    gateway = await startGateway();
    const answer = await call('/v1/chat/completions', 'cost', { ...CHAT, stream: true });
    const frames = answer.text.split('\n\n').filter((frame) => frame.startsWith('data: {'));
    const last = JSON.parse((frames.at(-1) ?? '').slice(6)) as { usage?: unknown; choices: unknown[] };
    expect(last.choices).toEqual([]);
    expect(providerCost(last.usage)?.usd).toBe(mockCost(undefined, 8, 5));
    expect(mockCost(undefined, 8, 5)).toBe((8 * 0.5 + 5 * 1.5) / 1e6);
    expect(answer.text.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('cost-litellm: x-litellm-response-cost on OpenAI and native routes; no cost in the body', async () => {
    gateway = await startGateway({ costUsd: 0.000415 });
    const openai = await call('/v1/chat/completions', 'cost-litellm', CHAT);
    expect(openai.headers['x-litellm-response-cost']).toBe('0.000415');
    const usage = (JSON.parse(openai.text) as { usage: Record<string, unknown> }).usage;
    expect(usage.cost).toBeUndefined();
    expect(providerCost(usage, openai.headers)).toEqual({ usd: 0.000415, source: 'provider' });
    const anthropic = await call('/v1/messages', 'cost-litellm', { ...CHAT, max_tokens: 8 });
    expect(anthropic.status).toBe(200);
    expect(providerCost(undefined, anthropic.headers)?.usd).toBe(0.000415);
    // Native `cost`: the providers report no cost.
    const native = await call('/v1/messages', 'cost', { ...CHAT, max_tokens: 8 });
    expect(
      providerCost((JSON.parse(native.text) as { usage: unknown }).usage, native.headers),
    ).toBeUndefined();
  });

  it('headroom: OpenAI-style remaining shrinks call by call, down to 0 and no further', async () => {
    gateway = await startGateway({ rateLimit: { requests: 3, tokens: 30 } });
    const seen = [];
    for (let i = 0; i < 4; i++) {
      const answer = await call('/v1/chat/completions', 'headroom', CHAT);
      expect(answer.status).toBe(200);
      seen.push(rateLimits(answer.headers).map(({ kind, remaining, limit }) => [kind, remaining, limit]));
    }
    // 13 tokens per call (8 prompt + 5 completion).
    expect(seen).toEqual([
      [
        ['requests', 2, 3],
        ['tokens', 17, 30],
      ],
      [
        ['requests', 1, 3],
        ['tokens', 4, 30],
      ],
      [
        ['requests', 0, 3],
        ['tokens', 0, 30],
      ],
      [
        ['requests', 0, 3],
        ['tokens', 0, 30],
      ],
    ]);
    // Other scenarios use none of the allowance and carry no headers.
    const ok = await call('/v1/chat/completions', 'ok', CHAT);
    expect(rateLimits(ok.headers)).toEqual([]);
  });

  it('headroom: the reset is a Go duration on OpenAI routes and an RFC 3339 instant on Anthropic', async () => {
    gateway = await startGateway({ rateLimit: { requests: 10, tokens: 1000, windowMs: 60_000 } });
    const before = Date.now();
    const openai = await call('/v1/chat/completions', 'headroom', CHAT);
    expect(openai.headers['x-ratelimit-reset-requests']).toMatch(/^(59(\.\d+)?s|1m0s)$/);
    const [requests] = rateLimits(openai.headers);
    expect(requests?.resetAt).toBeGreaterThanOrEqual(before + 59_000);
    expect(requests?.resetAt).toBeLessThanOrEqual(Date.now() + 60_000);
    const anthropic = await call('/v1/messages', 'headroom', { ...CHAT, max_tokens: 8 });
    expect(anthropic.headers['anthropic-ratelimit-requests-reset']).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );
    const readings = rateLimits(anthropic.headers);
    expect(readings.map(({ kind, remaining, limit }) => [kind, remaining, limit])).toEqual([
      ['requests', 8, 10],
      ['tokens', 1000 - 2 * 13, 1000],
      ['input_tokens', 1000 - 8 - 8, 1000],
      ['output_tokens', 1000 - 5 - 5, 1000],
    ]);
    // Gemini sends no rate-limit headers.
    const gemini = await call('/v1beta/models/gemini-2.5-flash:generateContent', 'headroom', {
      contents: [{ parts: [{ text: 'hi' }] }],
    });
    expect(gemini.status).toBe(200);
    expect(rateLimits(gemini.headers)).toEqual([]);
  });

  it('rejects a bad costUsd or rate limit at start', async () => {
    await expect(startGateway({ costUsd: -1 })).rejects.toThrow(
      'costUsd must be a finite number >= 0, got -1',
    );
    await expect(startGateway({ rateLimit: { requests: 0 } })).rejects.toThrow(
      'rateLimit.requests must be a positive integer, got 0',
    );
  });
});

describe('HeadroomLedger and goDuration', () => {
  it('refills when the window ends', () => {
    const ledger = new HeadroomLedger({ requests: 2, tokens: 10, windowMs: 1000 });
    expect(ledger.consume(3, 1, 5000)).toMatchObject({
      requests: { remaining: 1 },
      tokens: { remaining: 6 },
      resetAt: 6000,
    });
    expect(ledger.consume(3, 1, 5999)).toMatchObject({
      requests: { remaining: 0 },
      tokens: { remaining: 2 },
    });
    expect(ledger.consume(3, 1, 6000)).toMatchObject({
      requests: { remaining: 1 },
      tokens: { remaining: 6 },
      resetAt: 7000,
    });
  });

  it('writes durations that the header parser reads back exactly (property)', () => {
    expect([goDuration(360_000), goDuration(1500), goDuration(59), goDuration(3_723_000)]).toEqual([
      '6m0s',
      '1.5s',
      '59ms',
      '1h2m3s',
    ]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 * 3_600_000 }), (ms) => {
        expect(goDurationMs(goDuration(ms))).toBeCloseTo(ms, 6);
      }),
      { numRuns: runs(2000) },
    );
  });
});
