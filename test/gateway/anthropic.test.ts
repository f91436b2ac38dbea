/**
 * The gateway's Anthropic Messages routes through the real `@anthropic-ai/sdk` (and plain fetch
 * for the raw SSE frames): success, stream, immediate errors and a mid-stream error.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from '../../src/gateway/server.ts';
import { parseSse, post } from './helpers.ts';

const MODEL = 'claude-sonnet-4-5';
const BODY = { model: MODEL, max_tokens: 64, messages: [{ role: 'user' as const, content: 'hi' }] };
const TEXT = 'Hello from the mock gateway';
// estimatePromptTokens: the JSON of the messages array is 30 characters, one token per 4.
const INPUT_TOKENS = 8;

let gateway: Gateway;
let client: Anthropic;
beforeAll(async () => {
  gateway = await startGateway();
  client = new Anthropic({ baseURL: gateway.url, apiKey: 'sk-ant-test', maxRetries: 0 });
});
afterAll(() => gateway.close());

const scenario = (name: string) => ({ headers: { 'x-mock-scenario': name } });

describe('Anthropic Messages through @anthropic-ai/sdk', () => {
  it('reads a message with its stop reason, usage and request id', async () => {
    const { data, response } = await client.messages.create(BODY).withResponse();
    expect(data).toEqual({
      id: `msg_${response.headers.get('request-id')?.slice(4)}`,
      type: 'message',
      role: 'assistant',
      model: MODEL,
      content: [{ type: 'text', text: TEXT }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: {
        input_tokens: INPUT_TOKENS,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        output_tokens: 5,
      },
    });
    expect(response.headers.get('request-id')).toMatch(/^req_[0-9a-f]{16}$/);
    expect(response.headers.get('request-id')).toBe(response.headers.get('x-request-id'));
  });

  it('reports cache reads when the request marks a cache breakpoint', async () => {
    const system = [{ type: 'text' as const, text: 'x', cache_control: { type: 'ephemeral' as const } }];
    const message = await client.messages.create({ ...BODY, system });
    expect(message.usage).toMatchObject({ input_tokens: 1, cache_read_input_tokens: INPUT_TOKENS - 1 });
  });

  it('streams events the SDK assembles into the same message', async () => {
    const stream = client.messages.stream(BODY);
    const types: string[] = [];
    stream.on('streamEvent', (event) => types.push(event.type));
    const message = await stream.finalMessage();
    expect(message).toMatchObject({
      model: MODEL,
      content: [{ type: 'text', text: TEXT }],
      stop_reason: 'end_turn',
      usage: { input_tokens: INPUT_TOKENS, output_tokens: 5 },
    });
    expect(types).toEqual([
      'message_start',
      'content_block_start',
      ...Array(5).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
  });

  it('sends the wire events Anthropic sends, ping included, and no [DONE]', async () => {
    const res = await post(gateway.url, { ...BODY, stream: true }, {}, '/v1/messages');
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const { events } = parseSse(await res.text());
    expect(events.map((e) => e.event)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      ...Array(5).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(JSON.parse(events.at(-2)?.data ?? '')).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: 5 },
    });
  });

  it('counts tokens', async () => {
    expect(await client.messages.countTokens(BODY)).toEqual({ input_tokens: INPUT_TOKENS });
  });

  it.each([
    ['401', Anthropic.AuthenticationError, 401, 'authentication_error'],
    ['402', Anthropic.PaymentRequiredError, 402, 'billing_error'],
    ['429', Anthropic.RateLimitError, 429, 'rate_limit_error'],
    ['overloaded', Anthropic.OverloadedError, 529, 'overloaded_error'],
    ['503', Anthropic.ServiceUnavailableError, 503, 'api_error'],
  ])('throws the SDK error class for %s', async (name, errorClass, status, type) => {
    const error = await client.messages.create(BODY, scenario(name)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(errorClass);
    expect(error).toMatchObject({ status, type, requestID: expect.stringMatching(/^req_/) });
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toEqual({
      type: 'error',
      error: { type, message: expect.any(String) },
    });
  });

  it('throws the error event of a stream after the first deltas', async () => {
    const stream = await client.messages.create(
      { ...BODY, stream: true },
      scenario('mid-stream-error-event'),
    );
    const texts: string[] = [];
    const error = await (async () => {
      for await (const event of stream)
        if (event.type === 'content_block_delta' && event.delta.type === 'text_delta')
          texts.push(event.delta.text);
    })().catch((e: unknown) => e);
    expect(texts).toEqual(['Hello', ' from']);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error).toMatchObject({
      status: undefined,
      type: 'overloaded_error',
      error: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
    });
  });

  it('answers a bad body and an unknown scenario with a native 400', async () => {
    const bad = await post(gateway.url, '{', {}, '/v1/messages');
    expect([bad.status, await bad.json()]).toEqual([
      400,
      {
        type: 'error',
        error: { type: 'invalid_request_error', message: 'Request body must be a JSON object' },
      },
    ]);
    const error = await client.messages.create(BODY, scenario('nope')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
  });
});
