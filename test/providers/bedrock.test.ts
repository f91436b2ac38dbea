import { describe, expect, it } from 'vitest';
import { bedrock } from '../../src/providers/bedrock.ts';

describe('bedrock.route: /model/{modelId}/{action}', () => {
  it.each([
    ['/model/amazon.nova-lite-v1:0/converse', 'amazon.nova-lite-v1:0', false],
    ['/model/amazon.nova-lite-v1:0/converse-stream', 'amazon.nova-lite-v1:0', true],
    [
      '/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke',
      'anthropic.claude-3-haiku-20240307-v1:0',
      false,
    ],
    ['/model/m/invoke-with-response-stream', 'm', true],
    // A model id that does not percent-decode stays as written.
    ['/model/bad%E0%A4%A/converse', 'bad%E0%A4%A', false],
    [
      '/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123%3Ainference-profile%2Fus.meta.llama3/converse',
      'arn:aws:bedrock:us-east-1:123:inference-profile/us.meta.llama3',
      false,
    ],
  ])('%s → model %s, streams %s', (path, model, streams) => {
    expect(bedrock.route(path)).toEqual({
      format: bedrock,
      operationName: 'chat',
      model,
      streams,
      provider: 'aws.bedrock',
    });
  });

  it.each([
    '/model/m/converse/',
    '/model/m/converse-streamx',
    '/model/m/delete',
    '/model/m',
    '/model/converse',
    '/model//converse',
    '/model/a/b/invoke',
    '/v1/model/m/converse',
    'model/m/converse',
    '/models/m/converse',
    '/converse',
    '',
  ])('%j is not a Bedrock route', (path) => {
    expect(bedrock.route(path)).toBeUndefined();
  });

  it('streams by path only, not by default', () => {
    expect(bedrock.streamsByDefault).toBe(false);
    expect(bedrock.name).toBe('bedrock');
  });
});

describe('bedrock.parseResponse', () => {
  const converse = {
    output: { message: { role: 'assistant', content: [{ text: 'hi' }] } },
    stopReason: 'max_tokens',
    usage: { inputTokens: 12, outputTokens: 5, totalTokens: 17 },
    metrics: { latencyMs: 300 },
  };

  it('Converse: stopReason and usage; the output message only when captured', () => {
    expect(bedrock.parseResponse(JSON.stringify(converse), false)).toEqual({
      id: undefined,
      model: undefined,
      finishReasons: ['max_tokens'],
      inputTokens: 12,
      outputTokens: 5,
      outputMessages: undefined,
    });
    expect(bedrock.parseResponse(JSON.stringify(converse), true)?.outputMessages).toBe(
      '{"role":"assistant","content":[{"text":"hi"}]}',
    );
  });

  it('InvokeModel with an Anthropic body: stop_reason and snake_case usage', () => {
    const body = JSON.stringify({
      id: 'msg_1',
      model: 'claude',
      content: [{ type: 'text', text: 'x' }],
      stop_reason: 'end_turn',
      usage: { input_tokens: 8, output_tokens: 2 },
    });
    expect(bedrock.parseResponse(body, true)).toEqual({
      id: undefined,
      model: undefined,
      finishReasons: ['end_turn'],
      inputTokens: 8,
      outputTokens: 2,
      outputMessages: undefined,
    });
  });

  it('camelCase wins over snake_case when both are present', () => {
    const body = JSON.stringify({
      stopReason: 'tool_use',
      stop_reason: 'end_turn',
      usage: { inputTokens: 1, input_tokens: 100, outputTokens: 2, output_tokens: 200 },
    });
    expect(bedrock.parseResponse(body, false)).toMatchObject({
      finishReasons: ['tool_use'],
      inputTokens: 1,
      outputTokens: 2,
    });
  });

  it('no stop reason, no usage, an output that is not an object', () => {
    expect(bedrock.parseResponse('{"output":"text","usage":[1]}', true)).toEqual({
      id: undefined,
      model: undefined,
      finishReasons: [],
      inputTokens: undefined,
      outputTokens: undefined,
      outputMessages: undefined,
    });
    expect(bedrock.parseResponse('{"output":{"other":1},"stopReason":""}', true)).toMatchObject({
      finishReasons: [],
      outputMessages: undefined,
    });
    expect(bedrock.parseResponse('{"usage":{"inputTokens":-3,"outputTokens":"5"}}', false)).toMatchObject({
      inputTokens: undefined,
      outputTokens: undefined,
    });
  });

  it.each(['', '{', '[{"stopReason":"end_turn"}]', 'null', 'true'])('%j is not a response', (body) => {
    expect(bedrock.parseResponse(body, true)).toBeUndefined();
  });
});
