import { describe, expect, it } from 'vitest';
import { anthropic, anthropicInputTokens } from '../../src/providers/anthropic.ts';

describe('anthropic.route', () => {
  it.each([
    ['/v1/messages', 'chat'],
    ['/v1/messages/', 'chat'],
    ['/messages', 'chat'],
    ['/anthropic/v1/messages', 'chat'],
    ['/v1/messages/count_tokens', 'count_tokens'],
    ['/v1/messages/count_tokens/', 'count_tokens'],
  ])('%s → %s', (path, operationName) => {
    const route = anthropic.route(path);
    expect(route).toEqual({ format: anthropic, operationName });
    expect(route?.format.name).toBe('anthropic');
  });

  it.each([
    '/v1/messagesx',
    '/v1/xmessages',
    '/v1/messages/batches',
    '/v1/messages/count_tokensx',
    '/v1/messages//',
    '/v1/message',
    'messages',
    '/',
    '',
  ])('%j is not an Anthropic route', (path) => {
    expect(anthropic.route(path)).toBeUndefined();
  });

  it('does not stream unless the body asks', () => {
    expect(anthropic.streamsByDefault).toBe(false);
  });
});

describe('anthropicInputTokens: input plus cache writes plus cache reads', () => {
  it.each([
    [{ input_tokens: 10, cache_creation_input_tokens: 100, cache_read_input_tokens: 1000 }, 1110],
    [{ input_tokens: 10, cache_read_input_tokens: 1000 }, 1010],
    [{ input_tokens: 10, cache_creation_input_tokens: 100 }, 110],
    [{ input_tokens: 10 }, 10],
    [{ input_tokens: 0 }, 0],
    [{ input_tokens: 7, cache_creation_input_tokens: -5, cache_read_input_tokens: '3' }, 7],
    [{ cache_creation_input_tokens: 100, cache_read_input_tokens: 1000 }, undefined],
    [{ input_tokens: -1, cache_read_input_tokens: 1000 }, undefined],
    [{ input_tokens: '10' }, undefined],
    [{}, undefined],
  ])('%j → %s', (usage, expected) => {
    expect(anthropicInputTokens(usage)).toBe(expected);
  });
});

describe('anthropic.parseResponse', () => {
  const message = {
    id: 'msg_01',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5',
    content: [{ type: 'text', text: 'Hi' }],
    stop_reason: 'max_tokens',
    usage: { input_tokens: 4, cache_read_input_tokens: 6, output_tokens: 9 },
  };

  it('reads id, model, stop_reason and usage; content only when captured', () => {
    expect(anthropic.parseResponse(JSON.stringify(message), false)).toEqual({
      id: 'msg_01',
      model: 'claude-sonnet-4-5',
      finishReasons: ['max_tokens'],
      inputTokens: 10,
      outputTokens: 9,
      usage: { input_tokens: 4, cache_read_input_tokens: 6, output_tokens: 9 },
      outputMessages: undefined,
    });
    expect(anthropic.parseResponse(JSON.stringify(message), true)?.outputMessages).toBe(
      '[{"type":"text","text":"Hi"}]',
    );
  });

  it('a message without content captures nothing, even with capture on', () => {
    const { content: _content, ...rest } = message;
    expect(anthropic.parseResponse(JSON.stringify(rest), true)?.outputMessages).toBeUndefined();
  });

  it('count_tokens answers a bare input_tokens', () => {
    expect(anthropic.parseResponse('{"input_tokens":42}', true)).toEqual({
      id: undefined,
      model: undefined,
      finishReasons: [],
      inputTokens: 42,
      outputTokens: undefined,
      usage: undefined,
      outputMessages: undefined,
    });
  });

  it('a usage that is not an object is ignored, and so are empty strings and bad counts', () => {
    const body = JSON.stringify({
      id: '',
      model: 7,
      stop_reason: '',
      input_tokens: 3,
      usage: [{ input_tokens: 1, output_tokens: 2 }],
    });
    expect(anthropic.parseResponse(body, false)).toEqual({
      id: undefined,
      model: undefined,
      finishReasons: [],
      inputTokens: 3,
      outputTokens: undefined,
      usage: undefined,
      outputMessages: undefined,
    });
    expect(anthropic.parseResponse('{"usage":null,"input_tokens":3}', false)?.inputTokens).toBe(3);
    expect(
      anthropic.parseResponse('{"usage":{"input_tokens":2,"output_tokens":-1},"input_tokens":50}', false),
    ).toMatchObject({ inputTokens: 2, outputTokens: undefined });
    expect(
      anthropic.parseResponse('{"usage":{"input_tokens":1e999,"output_tokens":0}}', false),
    ).toMatchObject({ inputTokens: undefined, outputTokens: 0 });
  });

  it.each(['', 'not json', '[]', '"text"', 'null', '42'])('%j is not a response', (body) => {
    expect(anthropic.parseResponse(body, true)).toBeUndefined();
  });
});
