import { describe, expect, it } from 'vitest';
import { decodeSegment, openai } from '../../src/providers/openai.ts';

describe('openai.route: the route by its last segments, under any prefix', () => {
  it.each([
    ['/v1/chat/completions', 'chat'],
    ['/v1/chat/completions/', 'chat'],
    ['/chat/completions', 'chat'],
    ['/api/v1/chat/completions', 'chat'],
    ['/v1/completions', 'text_completion'],
    ['/v1/completions/', 'text_completion'],
    ['/v1/embeddings', 'embeddings'],
    ['/v1/embeddings/', 'embeddings'],
    ['/v1/responses', 'chat'],
    ['/v1/responses/', 'chat'],
    ['/v1/images/generations', 'generate_content'],
    ['/v1/images/generations/', 'generate_content'],
  ])('%s → %s', (path, operationName) => {
    expect(openai.route(path)).toEqual({ format: openai, operationName });
  });

  it.each([
    '/v1/chat/completionsx',
    '/v1/chat/completions//',
    '/v1/xcompletions',
    '/v1/models',
    '/v1/responses/resp_1',
    '/v1/images/edits',
    '/v1/files',
    'completions',
    '/',
    '',
  ])('%j is not an OpenAI route', (path) => {
    expect(openai.route(path)).toBeUndefined();
  });

  it('does not stream unless the body asks', () => {
    expect(openai.streamsByDefault).toBe(false);
    expect(openai.name).toBe('openai');
  });
});

describe('openai.route: Azure OpenAI deployments', () => {
  it.each([
    ['/openai/deployments/gpt-4o/chat/completions', 'chat', 'gpt-4o'],
    ['/openai/deployments/gpt-4o/chat/completions/', 'chat', 'gpt-4o'],
    ['/openai/deployments/my%20dep/completions', 'text_completion', 'my dep'],
    ['/openai/deployments/bad%E0%A4%A/embeddings', 'embeddings', 'bad%E0%A4%A'],
    ['/gateway/openai/deployments/d1/images/generations', 'generate_content', 'd1'],
    // No deployment segment: Azure all the same, the model comes from the body.
    ['/openai/deployments//chat/completions', 'chat', undefined],
    ['/openai/deployments/embeddings', 'embeddings', undefined],
  ])('%s → %s, deployment %s', (path, operationName, model) => {
    expect(openai.route(path)).toEqual({ format: openai, operationName, model, provider: 'azure.ai.openai' });
  });

  it('the /openai/v1/ routes without a deployment are plain OpenAI', () => {
    expect(openai.route('/openai/v1/chat/completions')).toEqual({ format: openai, operationName: 'chat' });
  });
});

describe('decodeSegment', () => {
  it.each([
    ['plain', 'plain'],
    ['a%3Ab', 'a:b'],
    ['a%2Fb', 'a/b'],
    ['a+b', 'a+b'],
    ['100%', '100%'],
    ['%E0%A4%A', '%E0%A4%A'],
    ['', ''],
  ])('%j → %j', (segment, expected) => {
    expect(decodeSegment(segment)).toBe(expected);
  });
});

describe('openai.parseResponse', () => {
  it('reads chat completions, the Responses API and embeddings', () => {
    expect(
      openai.parseResponse(
        '{"id":"resp_1","object":"response","status":"completed","model":"gpt-5","usage":{"input_tokens":3,"output_tokens":4}}',
        false,
      ),
    ).toEqual({
      id: 'resp_1',
      model: 'gpt-5',
      finishReasons: ['completed'],
      inputTokens: 3,
      outputTokens: 4,
      usage: { input_tokens: 3, output_tokens: 4 },
      outputMessages: undefined,
    });
    expect(
      openai.parseResponse('{"object":"list","usage":{"prompt_tokens":8,"total_tokens":8}}', false),
    ).toMatchObject({ inputTokens: 8, outputTokens: undefined, finishReasons: [] });
    expect(openai.parseResponse('not json', false)).toBeUndefined();
  });
});
