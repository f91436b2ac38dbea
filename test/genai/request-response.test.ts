import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { operationNameForPath, parseGenAiRequest, providerNameForHost } from '../../src/genai/request.ts';
import { parseGenAiResponse } from '../../src/genai/response.ts';

describe('operationNameForPath', () => {
  it.each([
    ['/v1/chat/completions', 'chat'],
    ['/api/v1/chat/completions?x=1', 'chat'],
    ['/v1m/chat/completions/', 'chat'],
    ['/v1/completions', 'text_completion'],
    ['/v1e/embeddings', 'embeddings'],
    ['/v1/responses', 'chat'],
    ['/v1/messages', 'chat'],
    ['/v1i/images/generations', 'generate_content'],
    ['/v1/models', undefined],
    ['/health', undefined],
    ['/v1/chat/completions-archive', undefined],
  ])('%s -> %s', (path, operation) => {
    expect(operationNameForPath(path)).toBe(operation);
  });
});

describe('providerNameForHost', () => {
  it.each([
    ['api.openai.com', 'openai'],
    ['openrouter.ai', 'openrouter'],
    ['api.cline.bot', 'cline'],
    ['my-resource.openai.azure.com', 'azure.ai.openai'],
    ['API.ANTHROPIC.COM', 'anthropic'],
    ['gateway.cheapai.example', 'cheapai'],
    ['litellm.internal', 'litellm.internal'],
    ['notopenrouter.ai', 'notopenrouter.ai'],
  ])('%s -> %s', (host, provider) => {
    expect(providerNameForHost(host)).toBe(provider);
  });
});

describe('parseGenAiRequest', () => {
  it('reads model and stream; captures the prompt only when asked', () => {
    const body = JSON.stringify({
      model: 'gpt-4o-mini',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(parseGenAiRequest(body, false)).toEqual({
      model: 'gpt-4o-mini',
      stream: true,
      inputMessages: undefined,
    });
    expect(parseGenAiRequest(body, true)?.inputMessages).toBe('[{"role":"user","content":"hi"}]');
    expect(parseGenAiRequest(JSON.stringify({ input: 'x', model: 'text-embedding-3-small' }), false)).toEqual(
      {
        model: 'text-embedding-3-small',
        stream: false,
        inputMessages: undefined,
      },
    );
  });

  it.each(['', 'not json', '[1,2]', '{"model":', '\u0000\u0001'])('ignores %j quietly', (body) => {
    expect(parseGenAiRequest(body, false)).toBeUndefined();
  });

  it('never throws on arbitrary text or JSON', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (body) => {
        parseGenAiRequest(body, true);
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('parseGenAiResponse', () => {
  it('reads a chat completion', () => {
    const body = JSON.stringify({
      id: 'chatcmpl-1',
      model: 'gpt-4o-mini-2024-07-18',
      choices: [
        { index: 0, message: { content: 'a' }, finish_reason: 'stop' },
        { index: 1, message: { content: 'b' }, finish_reason: 'length' },
      ],
      usage: { prompt_tokens: 9, completion_tokens: 2 },
    });
    expect(parseGenAiResponse(body, false)).toEqual({
      id: 'chatcmpl-1',
      model: 'gpt-4o-mini-2024-07-18',
      finishReasons: ['stop', 'length'],
      inputTokens: 9,
      outputTokens: 2,
      outputMessages: undefined,
    });
  });

  it('reads a Responses API object and embeddings usage', () => {
    const responses = JSON.stringify({
      id: 'resp_1',
      object: 'response',
      status: 'completed',
      model: 'gpt-4.1',
      usage: { input_tokens: 3, output_tokens: 4 },
    });
    expect(parseGenAiResponse(responses, false)).toMatchObject({
      finishReasons: ['completed'],
      inputTokens: 3,
      outputTokens: 4,
    });
    const embeddings = JSON.stringify({
      object: 'list',
      data: [{ embedding: [0.1] }],
      model: 'text-embedding-3-small',
      usage: { prompt_tokens: 5 },
    });
    expect(parseGenAiResponse(embeddings, false)).toMatchObject({
      model: 'text-embedding-3-small',
      inputTokens: 5,
      finishReasons: [],
    });
  });

  it('returns undefined for what is not a JSON object, and never throws', () => {
    for (const body of ['', '[]', '42', '{"id":', '<html>'])
      expect(parseGenAiResponse(body, false)).toBeUndefined();
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (body) => {
        parseGenAiResponse(body, true);
      }),
      { numRuns: 1_000 },
    );
  });
});
