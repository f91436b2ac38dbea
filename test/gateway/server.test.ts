import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChooser } from '../../src/gateway/select.ts';
import { type Gateway, startGateway } from '../../src/gateway/server.ts';
import { dataObjects, parseSse, post } from './helpers.ts';

const CHAT = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };
const STREAM = { ...CHAT, stream: true };
const TEXT = 'Hello from the mock gateway';

let gateway: Gateway;
beforeAll(async () => {
  gateway = await startGateway({ firstChunkDelayMs: 1 });
});
afterAll(() => gateway.close());

async function stream(headers: Record<string, string>, body: unknown = STREAM) {
  const res = await post(gateway.url, body, headers);
  const text = await res.text();
  return { res, text, ...parseSse(text) };
}

describe('ok', () => {
  it('answers a chat completion as JSON with a request id and the requested model', async () => {
    const res = await post(gateway.url, CHAT);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{16}$/);
    expect(res.headers.get('x-mock-scenario')).toBe('ok');
    const body = await res.json();
    expect(body).toMatchObject({
      object: 'chat.completion',
      model: 'gpt-4o-mini',
      choices: [{ index: 0, message: { role: 'assistant', content: TEXT }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 8, completion_tokens: 5, total_tokens: 13 },
    });
    expect(body.id).toBe(`chatcmpl-${res.headers.get('x-request-id')?.slice(4)}`);
  });

  it('streams chat.completion.chunk objects ending with finish_reason stop and [DONE]', async () => {
    const { res, events } = await stream({});
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(events.at(-1)?.data).toBe('[DONE]');
    const chunks = dataObjects(events);
    expect(chunks).toHaveLength(6);
    for (const chunk of chunks) {
      expect(chunk).toMatchObject({
        object: 'chat.completion.chunk',
        model: 'gpt-4o-mini',
        id: chunks[0]?.id,
      });
    }
    const deltas = chunks.map(
      (c) => (c.choices as { delta: { content?: string } }[])[0]?.delta.content ?? '',
    );
    expect(deltas.join('')).toBe(TEXT);
    expect(chunks.map((c) => (c.choices as { finish_reason: unknown }[])[0]?.finish_reason)).toEqual([
      null,
      null,
      null,
      null,
      null,
      'stop',
    ]);
  });

  it('adds a usage chunk when stream_options.include_usage is set, and for the usage scenario', async () => {
    const asked = dataObjects(
      (await stream({}, { ...STREAM, stream_options: { include_usage: true } })).events,
    );
    const forced = dataObjects((await stream({ 'x-mock-scenario': 'usage' })).events);
    for (const chunks of [asked, forced]) {
      expect(chunks.at(-1)).toMatchObject({
        choices: [],
        usage: { prompt_tokens: 8, completion_tokens: 5, total_tokens: 13 },
      });
    }
  });

  it('serves the other routes and the CheapAI route families', async () => {
    const models = await fetch(`${gateway.url}/v1/models`);
    expect(((await models.json()) as { data: { id: string }[] }).data.map((m) => m.id)).toContain(
      'mock-model',
    );
    const embeddings = await post(gateway.url, { model: 'e', input: 'hi' }, {}, '/v1e/embeddings');
    expect(await embeddings.json()).toMatchObject({
      object: 'list',
      model: 'e',
      data: [{ object: 'embedding' }],
    });
    const completion = await post(
      gateway.url,
      { model: 'c', prompt: 'hi', stream: true },
      {},
      '/v1i/completions',
    );
    const chunks = dataObjects(parseSse(await completion.text()).events);
    expect(chunks[0]).toMatchObject({ object: 'text_completion', choices: [{ text: 'Hello' }] });
    const response = await post(gateway.url, { model: 'r', input: 'hi' }, {}, '/v1m/responses');
    expect(await response.json()).toMatchObject({
      object: 'response',
      status: 'completed',
      output: [{ type: 'message' }],
    });
  });

  it('answers unknown routes and bad bodies in OpenAI error format', async () => {
    const missing = await fetch(`${gateway.url}/v2/chat/completions`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-request-id')).toMatch(/^req_/);
    expect(await missing.json()).toEqual({
      error: { code: 404, message: 'No route for GET /v2/chat/completions', metadata: {} },
    });
    expect((await fetch(`${gateway.url}/v1/chat/completions`)).status).toBe(404);
    const bad = await post(gateway.url, '{not json');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: { code: 400, message: 'Request body must be a JSON object', metadata: {} },
    });
    const unknown = await post(gateway.url, CHAT, { 'x-mock-scenario': 'nope' });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toMatch(
      /^Unknown mock scenario "nope" in x-mock-scenario; known scenarios: ok, /,
    );
  });
});

describe('successful variants', () => {
  it('gzip-encodes JSON and SSE bodies', async () => {
    const json = await post(gateway.url, CHAT, { 'x-mock-scenario': 'gzip' });
    expect(json.headers.get('content-encoding')).toBe('gzip');
    expect(await json.json()).toMatchObject({ choices: [{ message: { content: TEXT } }] });
    const sse = await stream({ 'x-mock-scenario': 'gzip' });
    expect(sse.res.headers.get('content-encoding')).toBe('gzip');
    expect(sse.events.at(-1)?.data).toBe('[DONE]');
    expect(sse.events).toHaveLength(7);
  });

  it('keepalive sends OPENROUTER PROCESSING comments between the chunks, and leading newlines for JSON', async () => {
    const sse = await stream({ 'x-mock-scenario': 'keepalive' });
    expect(sse.comments).toEqual(Array(7).fill('OPENROUTER PROCESSING'));
    expect(sse.events).toHaveLength(7);
    const json = await post(gateway.url, CHAT, { 'x-mock-scenario': 'keepalive' });
    const text = await json.text();
    expect(text.startsWith('\n\n{')).toBe(true);
    expect(JSON.parse(text)).toMatchObject({ object: 'chat.completion' });
  });

  it('slow-first-chunk delivers the same stream as ok', async () => {
    const slow = await stream({ 'x-mock-scenario': 'slow-first-chunk' });
    expect(slow.events).toHaveLength(7);
    expect(slow.events.at(-1)?.data).toBe('[DONE]');
  });
});

describe('immediate errors', () => {
  const cases = [
    [400, 'Malformed request body or missing required fields', 'invalid_request_error'],
    [401, 'Invalid API key', 'authentication_error'],
    [402, 'Insufficient credits', 'insufficient_balance'],
    [403, 'Key does not have access to this resource', 'permission_error'],
    [404, 'Invalid endpoint or model ID', 'not_found_error'],
    [429, 'Rate limit exceeded', 'rate_limit_error'],
    [500, 'Internal server error', 'server_error'],
    [502, 'Upstream provider error', 'upstream_error'],
    [503, 'Service temporarily unavailable', 'service_unavailable'],
  ] as const;

  it.each(cases)('%i in the three body formats', async (status, message, type) => {
    const metadata = status === 502 ? { provider_name: 'MockUpstream' } : {};
    const expected = {
      [`${status}`]: { error: { code: status, message, metadata } },
      [`${status}-cheapai`]: { success: false, error: message },
      [`${status}-cheapai-typed`]: { error: { message, type } },
    };
    for (const [scenario, body] of Object.entries(expected)) {
      const res = await post(gateway.url, STREAM, { 'x-mock-scenario': scenario });
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(await res.json()).toEqual(body);
    }
  });

  it('429-retry-after carries Retry-After and retry-after-ms', async () => {
    const res = await post(gateway.url, CHAT, { 'x-mock-scenario': '429-retry-after' });
    expect([res.status, res.headers.get('retry-after'), res.headers.get('retry-after-ms')]).toEqual([
      429,
      '1',
      '1000',
    ]);
  });

  it('429-spend-cap is the CheapAI daily spend cap', async () => {
    const res = await post(gateway.url, CHAT, { 'x-mock-scenario': '429-spend-cap' });
    expect(res.status).toBe(429);
    expect(await res.json()).toEqual({ success: false, error: 'Daily spend limit reached for this API key' });
  });

  it('503-maintenance has an HTTP-date Retry-After 2 s after the start of the next second', async () => {
    const nextSecond = () => Math.ceil(Date.now() / 1000) * 1000;
    const earliest = nextSecond() + 2000;
    const res = await post(gateway.url, CHAT, { 'x-mock-scenario': '503-maintenance' });
    const latest = nextSecond() + 2000;
    expect(res.status).toBe(503);
    const retryAt = Date.parse(res.headers.get('retry-after') ?? '');
    expect(retryAt >= earliest && retryAt <= latest).toBe(true);
    expect(await res.json()).toEqual({
      success: false,
      error: 'Service under maintenance. Check /status for maintenance windows.',
    });
  });

  it('error-gzip, error-huge and error-not-json', async () => {
    const gz = await post(gateway.url, CHAT, { 'x-mock-scenario': 'error-gzip' });
    expect([gz.status, gz.headers.get('content-encoding')]).toEqual([500, 'gzip']);
    expect(await gz.json()).toEqual({ error: { code: 500, message: 'Internal server error', metadata: {} } });
    const huge = await post(gateway.url, CHAT, { 'x-mock-scenario': 'error-huge' });
    expect(huge.status).toBe(500);
    const hugeText = await huge.text();
    expect(hugeText.length).toBeGreaterThan(10 * 1024 * 1024);
    expect(Number(huge.headers.get('content-length'))).toBe(hugeText.length);
    const html = await post(gateway.url, CHAT, { 'x-mock-scenario': 'error-not-json' });
    expect([html.status, html.headers.get('content-type')]).toEqual([502, 'text/html']);
    expect(await html.text()).toMatch(/^<html>.*502 Bad Gateway/);
  });
});

describe('mid-stream errors', () => {
  it.each(['context_length_exceeded', 'content_filter', 'rate_limit', 'server_error'])(
    'mid-stream-%s: two chunks, a finish_reason error chunk, then [DONE]',
    async (code) => {
      const { res, events } = await stream({ 'x-mock-scenario': `mid-stream-${code}` });
      expect(res.status).toBe(200);
      expect(events.map((e) => e.data === '[DONE]')).toEqual([false, false, false, true]);
      const last = dataObjects(events)[2] as {
        choices: { finish_reason: string; error: { code: string } }[];
      };
      expect(last.choices[0]?.finish_reason).toBe('error');
      expect(last.choices[0]?.error.code).toBe(code);
    },
  );

  it('mid-stream-error-event sends an event: error frame', async () => {
    const { events } = await stream({ 'x-mock-scenario': 'mid-stream-error-event' });
    expect(events[2]?.event).toBe('error');
    expect(JSON.parse(events[2]?.data ?? '')).toEqual({
      error: { code: 'server_error', message: 'Upstream provider failed during generation' },
    });
  });

  it('mid-stream-top-level-error sends data: {"error":...}', async () => {
    const { events } = await stream({ 'x-mock-scenario': 'mid-stream-top-level-error' });
    expect(events[2]?.event).toBeUndefined();
    expect(JSON.parse(events[2]?.data ?? '')).toMatchObject({ error: { code: 'server_error' } });
    expect(events[3]?.data).toBe('[DONE]');
  });
});

describe('faults', () => {
  it('truncate ends cleanly without a finish reason or [DONE]', async () => {
    const { res, events } = await stream({ 'x-mock-scenario': 'truncate' });
    expect(res.status).toBe(200);
    expect(events).toHaveLength(3);
    expect(events.some((e) => e.data === '[DONE]' || e.data.includes('"finish_reason":"stop"'))).toBe(false);
    const json = await post(gateway.url, CHAT, { 'x-mock-scenario': 'truncate' });
    await expect(json.text().then(JSON.parse)).rejects.toThrow(SyntaxError);
  });

  it('reset-before-headers and hang-then-close make fetch reject', async () => {
    for (const scenario of ['reset-before-headers', 'hang-then-close']) {
      await expect(post(gateway.url, CHAT, { 'x-mock-scenario': scenario })).rejects.toThrow('fetch failed');
    }
  });

  it('reset-mid-stream fails the body after the headers', async () => {
    for (const body of [STREAM, CHAT]) {
      const res = await post(gateway.url, body, { 'x-mock-scenario': 'reset-mid-stream' });
      expect(res.status).toBe(200);
      await expect(res.text()).rejects.toThrow('terminated');
    }
  });

  it('close() ends a stalled response', async () => {
    const own = await startGateway();
    const res = await post(own.url, STREAM, { 'x-mock-scenario': 'stall' });
    expect(res.status).toBe(200);
    const body = res.text();
    await own.close();
    await expect(body).rejects.toThrow('terminated');
  });
});

describe('scenario selection', () => {
  it('walks an x-mock-scenario-sequence per x-mock-sequence-id, then repeats the last entry', async () => {
    const attempt = (id: string) =>
      post(gateway.url, CHAT, {
        'x-mock-scenario-sequence': '503, 429-cheapai,ok',
        'x-mock-sequence-id': id,
      });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await attempt('call-1')).status);
    expect(statuses).toEqual([503, 429, 200, 200]);
    expect((await attempt('call-2')).status).toBe(503);
  });

  it('gives a deterministic mix for a seed, the same as the pure chooser', async () => {
    const options = { failRate: 0.5, seed: 42, scenarios: ['500', '503', 'mid-stream-rate_limit'] };
    const seen: string[][] = [];
    for (let run = 0; run < 2; run++) {
      const seeded = await startGateway(options);
      const names: string[] = [];
      for (let i = 0; i < 20; i++) {
        const res = await post(seeded.url, CHAT);
        await res.arrayBuffer();
        names.push(res.headers.get('x-mock-scenario') ?? '');
      }
      await seeded.close();
      seen.push(names);
    }
    const choose = createChooser(options);
    const expected = Array.from({ length: 20 }, () => {
      const choice = choose({ model: 'gpt-4o-mini', path: '/v1/chat/completions', stream: false });
      return 'scenario' in choice ? choice.scenario : choice.error;
    });
    expect(seen[0]).toEqual(expected);
    expect(seen[1]).toEqual(expected);
    expect(new Set(expected)).toEqual(new Set(['ok', '500', '503']));
  });

  it('applies scenario rules by model and path and counts requests', async () => {
    const ruled = await startGateway({
      rules: [
        { match: { model: 'broke' }, scenario: '402' },
        { match: { path: '/v1/embeddings' }, scenario: '503-cheapai' },
      ],
    });
    expect((await post(ruled.url, { model: 'broke' })).status).toBe(402);
    expect((await post(ruled.url, { model: 'fine' })).status).toBe(200);
    expect((await post(ruled.url, { model: 'fine' }, {}, '/v1/embeddings')).status).toBe(503);
    expect((await post(ruled.url, { model: 'broke' }, { 'x-mock-scenario': 'ok' })).status).toBe(200);
    expect(ruled.requests).toBe(4);
    await ruled.close();
  });

  it('rejects invalid options', async () => {
    await expect(startGateway({ failRate: 1.5 })).rejects.toThrow(
      'failRate must be between 0 and 1, got 1.5',
    );
    await expect(startGateway({ scenarios: ['ok', 'bogus'] })).rejects.toThrow(
      'Unknown mock scenario "bogus"',
    );
  });
});
