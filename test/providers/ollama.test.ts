import { describe, expect, it } from 'vitest';
import { ollama } from '../../src/providers/ollama.ts';

describe('ollama.route: the native API', () => {
  it.each([
    ['/api/chat', 'chat'],
    ['/api/chat/', 'chat'],
    ['/api/generate', 'text_completion'],
    ['/api/generate/', 'text_completion'],
    ['/api/embed', 'embeddings'],
    ['/api/embeddings', 'embeddings'],
    ['/api/embeddings/', 'embeddings'],
  ])('%s → %s', (path, operationName) => {
    expect(ollama.route(path)).toEqual({ format: ollama, operationName, provider: 'ollama' });
  });

  it.each([
    '/api/tags',
    '/api/show',
    '/api/pull',
    '/api/chat//',
    '/api/chatx',
    '/v1/api/chat',
    'api/chat',
    '/API/chat',
    '/api/',
    '/',
    '',
  ])('%j is not an Ollama route', (path) => {
    expect(ollama.route(path)).toBeUndefined();
  });

  it('streams unless the body says "stream": false', () => {
    expect(ollama.streamsByDefault).toBe(true);
    expect(ollama.name).toBe('ollama');
  });
});

describe('ollama.parseResponse', () => {
  it('/api/generate: the response text is the output', () => {
    const body = JSON.stringify({
      model: 'llama3.2',
      response: 'The sky is blue.',
      done: true,
      done_reason: 'length',
      prompt_eval_count: 0,
      eval_count: 5,
    });
    expect(ollama.parseResponse(body, true)).toEqual({
      id: undefined,
      model: 'llama3.2',
      finishReasons: ['length'],
      inputTokens: 0,
      outputTokens: 5,
      outputMessages: '"The sky is blue."',
    });
    expect(ollama.parseResponse(body, false)?.outputMessages).toBeUndefined();
  });

  it('/api/chat: the message wins over a response field', () => {
    const body = JSON.stringify({ model: 'm', message: { role: 'assistant', content: 'x' }, response: 'y' });
    expect(ollama.parseResponse(body, true)?.outputMessages).toBe('{"role":"assistant","content":"x"}');
  });

  it('/api/embed and odd fields: no reason, no counts, nothing to capture', () => {
    const body = JSON.stringify({
      model: '',
      embeddings: [[0.1, 0.2]],
      done_reason: '',
      prompt_eval_count: -1,
      eval_count: '3',
    });
    expect(ollama.parseResponse(body, true)).toEqual({
      id: undefined,
      model: undefined,
      finishReasons: [],
      inputTokens: undefined,
      outputTokens: undefined,
      outputMessages: undefined,
    });
  });

  it.each(['', '{', '[{"model":"m"}]', 'null', '"text"'])('%j is not a response', (body) => {
    expect(ollama.parseResponse(body, true)).toBeUndefined();
  });
});
