import { describe, expect, it, vi } from 'vitest';
import { anthropic } from '../../src/providers/anthropic.ts';
import { bedrock } from '../../src/providers/bedrock.ts';
import { gemini } from '../../src/providers/gemini.ts';
import { ollama } from '../../src/providers/ollama.ts';
import { openai } from '../../src/providers/openai.ts';
import { routeOf } from '../../src/providers/table.ts';

describe('routeOf: one table, most specific format first', () => {
  it.each([
    // path, format, operation, model from the path, streams by path, provider by path
    ['/v1/chat/completions', 'openai', 'chat', undefined, undefined, undefined],
    ['/api/v1/chat/completions?x=1', 'openai', 'chat', undefined, undefined, undefined],
    ['/v1m/chat/completions/', 'openai', 'chat', undefined, undefined, undefined],
    ['/v1/completions', 'openai', 'text_completion', undefined, undefined, undefined],
    ['/v1/embeddings', 'openai', 'embeddings', undefined, undefined, undefined],
    ['/v1/responses', 'openai', 'chat', undefined, undefined, undefined],
    ['/v1i/images/generations', 'openai', 'generate_content', undefined, undefined, undefined],
    [
      '/openai/deployments/my-gpt4o/chat/completions?api-version=2024-10-21',
      'openai',
      'chat',
      'my-gpt4o',
      undefined,
      'azure.ai.openai',
    ],
    ['/openai/deployments/emb%2D1/embeddings', 'openai', 'embeddings', 'emb-1', undefined, 'azure.ai.openai'],
    ['/v1/messages', 'anthropic', 'chat', undefined, undefined, undefined],
    ['/v1/messages/count_tokens', 'anthropic', 'count_tokens', undefined, undefined, undefined],
    [
      '/v1beta/models/gemini-2.0-flash:generateContent',
      'gemini',
      'generate_content',
      'gemini-2.0-flash',
      false,
      'gcp.gemini',
    ],
    [
      '/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse',
      'gemini',
      'generate_content',
      'gemini-2.0-flash',
      true,
      'gcp.gemini',
    ],
    [
      '/v1beta/models/text-embedding-004:embedContent',
      'gemini',
      'embeddings',
      'text-embedding-004',
      false,
      'gcp.gemini',
    ],
    [
      '/v1beta/models/gemini-2.0-flash:countTokens',
      'gemini',
      'count_tokens',
      'gemini-2.0-flash',
      false,
      'gcp.gemini',
    ],
    [
      '/v1/projects/p1/locations/us-central1/publishers/google/models/gemini-2.5-pro:streamGenerateContent',
      'gemini',
      'generate_content',
      'gemini-2.5-pro',
      true,
      'gcp.vertex_ai',
    ],
    ['/api/chat', 'ollama', 'chat', undefined, undefined, 'ollama'],
    ['/api/generate', 'ollama', 'text_completion', undefined, undefined, 'ollama'],
    ['/api/embed', 'ollama', 'embeddings', undefined, undefined, 'ollama'],
    [
      '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse',
      'bedrock',
      'chat',
      'anthropic.claude-3-5-sonnet-20240620-v1:0',
      false,
      'aws.bedrock',
    ],
    [
      '/model/amazon.nova-lite-v1:0/converse-stream',
      'bedrock',
      'chat',
      'amazon.nova-lite-v1:0',
      true,
      'aws.bedrock',
    ],
    ['/model/m1/invoke-with-response-stream', 'bedrock', 'chat', 'm1', true, 'aws.bedrock'],
  ])('%s → %s %s', (path, format, operationName, model, streams, provider) => {
    const route = routeOf(path);
    expect(route?.format.name).toBe(format);
    expect(route?.operationName).toBe(operationName);
    expect(route?.model).toBe(model);
    expect(route?.streams).toBe(streams);
    expect(route?.provider).toBe(provider);
  });

  it.each([
    '/v1/models',
    '/health',
    '/v1/chat/completions-archive',
    '/api/tags',
    '/api/chat/history',
    '/v1beta/models/gemini-2.0-flash',
    '/v1beta/models/:generateContent',
    '/v1beta/models/a/b:generateContent',
    '/v1beta/models/gemini:deleteEverything',
    '/model//converse',
    '/model/a/b/converse',
    '/prefix/model/m/converse',
    '/mcp',
    '/',
    '',
  ])('%s is not an LLM API call', (path) => {
    expect(routeOf(path)).toBeUndefined();
  });

  it('answers a path that is not an LLM call the same the second time (cached as none)', () => {
    expect(routeOf('/v1/not-llm-twice')).toBeUndefined();
    expect(routeOf('/v1/not-llm-twice')).toBeUndefined();
    expect(routeOf('/v1/not-llm-twice?x=1')).toBeUndefined();
  });

  it('the first format that knows a path wins: Gemini and Bedrock before the suffix matchers', () => {
    // Both end like an OpenAI or Ollama route too.
    expect(routeOf('/v1beta/models/m:generateContent')?.format.name).toBe('gemini');
    expect(routeOf('/api/chat/completions')?.format.name).toBe('openai');
    expect(routeOf('/model/m/invoke')?.format.name).toBe('bedrock');
  });

  it('caches at most 512 paths: the 513th distinct path empties the cache', async () => {
    vi.resetModules();
    const fresh = await import('../../src/providers/table.ts');
    const first = fresh.routeOf('/v1/chat/completions');
    for (let n = 1; n <= 511; n++) fresh.routeOf(`/other/${n}`);
    // 512 paths cached: still the very same route object.
    expect(fresh.routeOf('/v1/chat/completions')).toBe(first);
    fresh.routeOf('/other/512');
    const again = fresh.routeOf('/v1/chat/completions');
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
  });

  it('answers the same from its cache', () => {
    const first = routeOf('/v1beta/models/cached:generateContent');
    expect(routeOf('/v1beta/models/cached:generateContent')).toBe(first);
    expect(routeOf('/v1beta/models/cached:generateContent?key=x')).toBe(first);
  });
});

describe('non-streaming responses, per wire format', () => {
  it('OpenAI chat', () => {
    const body = JSON.stringify({
      id: 'chatcmpl-1',
      model: 'gpt-4o-mini',
      choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 5, completion_tokens: 1 },
    });
    expect(openai.parseResponse(body, false)).toEqual({
      id: 'chatcmpl-1',
      model: 'gpt-4o-mini',
      finishReasons: ['stop'],
      inputTokens: 5,
      outputTokens: 1,
      outputMessages: undefined,
      usage: { prompt_tokens: 5, completion_tokens: 1 },
    });
  });

  it('Anthropic Messages: stop_reason, cache tokens counted as input', () => {
    const body = JSON.stringify({
      id: 'msg_1',
      type: 'message',
      model: 'claude-sonnet-4-5',
      content: [{ type: 'text', text: 'Hello' }],
      stop_reason: 'end_turn',
      usage: {
        input_tokens: 10,
        cache_creation_input_tokens: 100,
        cache_read_input_tokens: 1000,
        output_tokens: 3,
      },
    });
    expect(anthropic.parseResponse(body, true)).toEqual({
      id: 'msg_1',
      model: 'claude-sonnet-4-5',
      finishReasons: ['end_turn'],
      inputTokens: 1110,
      outputTokens: 3,
      outputMessages: '[{"type":"text","text":"Hello"}]',
      usage: {
        input_tokens: 10,
        cache_creation_input_tokens: 100,
        cache_read_input_tokens: 1000,
        output_tokens: 3,
      },
    });
    expect(anthropic.parseResponse('{"input_tokens":42}', false)?.inputTokens).toBe(42);
    expect(anthropic.parseResponse('[1]', false)).toBeUndefined();
  });

  it('Gemini generateContent: responseId, modelVersion, finishReason per candidate, usageMetadata', () => {
    const body = JSON.stringify({
      candidates: [
        { content: { parts: [{ text: 'a' }], role: 'model' }, finishReason: 'STOP', index: 0 },
        { content: { parts: [{ text: 'b' }] }, finishReason: 'MAX_TOKENS', index: 1 },
      ],
      usageMetadata: { promptTokenCount: 7, candidatesTokenCount: 4, totalTokenCount: 11 },
      modelVersion: 'gemini-2.0-flash-001',
      responseId: 'gem_1',
    });
    expect(gemini.parseResponse(body, false)).toEqual({
      id: 'gem_1',
      model: 'gemini-2.0-flash-001',
      finishReasons: ['STOP', 'MAX_TOKENS'],
      inputTokens: 7,
      outputTokens: 4,
      outputMessages: undefined,
      usage: { promptTokenCount: 7, candidatesTokenCount: 4, totalTokenCount: 11 },
    });
    expect(gemini.parseResponse('{"totalTokens":31}', false)?.inputTokens).toBe(31);
  });

  it('Ollama chat: done_reason, prompt_eval_count, eval_count', () => {
    const body = JSON.stringify({
      model: 'llama3.2',
      message: { role: 'assistant', content: 'hi' },
      done: true,
      done_reason: 'stop',
      prompt_eval_count: 26,
      eval_count: 298,
    });
    expect(ollama.parseResponse(body, true)).toEqual({
      id: undefined,
      model: 'llama3.2',
      finishReasons: ['stop'],
      inputTokens: 26,
      outputTokens: 298,
      outputMessages: '{"role":"assistant","content":"hi"}',
    });
    expect(ollama.streamsByDefault).toBe(true);
  });

  it('Bedrock Converse: stopReason, usage.inputTokens/outputTokens', () => {
    const body = JSON.stringify({
      output: { message: { role: 'assistant', content: [{ text: 'hi' }] } },
      stopReason: 'end_turn',
      usage: { inputTokens: 12, outputTokens: 5, totalTokens: 17 },
    });
    expect(bedrock.parseResponse(body, false)).toEqual({
      id: undefined,
      model: undefined,
      finishReasons: ['end_turn'],
      inputTokens: 12,
      outputTokens: 5,
      outputMessages: undefined,
    });
  });
});

describe('Gemini streamGenerateContent without alt=sse: one JSON array', () => {
  it('reads the last chunk for finish reason and usage, the first for id and model', () => {
    const body = JSON.stringify([
      {
        candidates: [{ content: { parts: [{ text: 'Hel' }] } }],
        modelVersion: 'gemini-2.0-flash',
        responseId: 'r1',
        usageMetadata: { promptTokenCount: 3 },
      },
      {
        candidates: [{ content: { parts: [{ text: 'lo' }] }, finishReason: 'STOP' }],
        usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 2 },
      },
    ]);
    expect(gemini.parseResponse(body, false)).toEqual({
      id: 'r1',
      model: 'gemini-2.0-flash',
      finishReasons: ['STOP'],
      inputTokens: 3,
      outputTokens: 2,
      outputMessages: undefined,
      usage: { promptTokenCount: 3, candidatesTokenCount: 2 },
    });
    expect(gemini.parseResponse('[]', false)).toBeUndefined();
    expect(gemini.parseResponse('[1]', false)).toBeUndefined();
  });
});
