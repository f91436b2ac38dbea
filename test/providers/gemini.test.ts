import { describe, expect, it } from 'vitest';
import { gemini } from '../../src/providers/gemini.ts';

describe('gemini.route: …/models/{model}:{method}', () => {
  it.each([
    [
      '/v1beta/models/gemini-2.0-flash:generateContent',
      'generate_content',
      'gemini-2.0-flash',
      false,
      'gcp.gemini',
    ],
    [
      '/v1beta/models/gemini-2.0-flash:streamGenerateContent',
      'generate_content',
      'gemini-2.0-flash',
      true,
      'gcp.gemini',
    ],
    [
      '/v1beta/models/text-embedding-004:embedContent',
      'embeddings',
      'text-embedding-004',
      false,
      'gcp.gemini',
    ],
    [
      '/v1beta/models/text-embedding-004:batchEmbedContents',
      'embeddings',
      'text-embedding-004',
      false,
      'gcp.gemini',
    ],
    ['/v1/models/gemini-pro:countTokens', 'count_tokens', 'gemini-pro', false, 'gcp.gemini'],
    [
      '/v1beta/tunedModels/x/models/my%20model:generateContent',
      'generate_content',
      'my model',
      false,
      'gcp.gemini',
    ],
    ['/v1beta/models/bad%E0%A4%A:generateContent', 'generate_content', 'bad%E0%A4%A', false, 'gcp.gemini'],
    ['/v1beta/models/a:b:generateContent', 'generate_content', 'a:b', false, 'gcp.gemini'],
    [
      '/v1/projects/p/locations/europe-west4/publishers/google/models/gemini-2.5-flash:generateContent',
      'generate_content',
      'gemini-2.5-flash',
      false,
      'gcp.vertex_ai',
    ],
    [
      '/v1/projects/p/locations/global/publishers/google/models/gemini-2.5-pro:streamGenerateContent',
      'generate_content',
      'gemini-2.5-pro',
      true,
      'gcp.vertex_ai',
    ],
  ])('%s → %s %s streams=%s %s', (path, operationName, model, streams, provider) => {
    expect(gemini.route(path)).toEqual({ format: gemini, operationName, model, streams, provider });
  });

  it.each([
    '/v1beta/models/gemini-2.0-flash',
    '/v1beta/models/gemini-2.0-flash:',
    '/v1beta/models/gemini-2.0-flash:generatecontent',
    '/v1beta/models/gemini-2.0-flash:generateContentx',
    '/v1beta/models/gemini-2.0-flash:streamGenerateContent/',
    '/v1beta/models/:generateContent',
    '/v1beta/models/a/b:generateContent',
    '/v1beta/model/gemini:generateContent',
    'models/gemini:generateContent',
    '/v1beta/gemini:generateContent',
    '/v1betagemini-pro:generateContent',
    'generateContent',
    ':generateContent',
    '',
  ])('%j is not a Gemini route', (path) => {
    expect(gemini.route(path)).toBeUndefined();
  });

  it('streams by path only', () => {
    expect(gemini.streamsByDefault).toBe(false);
    expect(gemini.name).toBe('gemini');
  });
});

describe('gemini.parseResponse: one object', () => {
  it('content per candidate when captured; a candidate that is not an object counts as null', () => {
    const body = JSON.stringify({
      candidates: [
        { content: { parts: [{ text: 'a' }], role: 'model' }, finishReason: 'STOP' },
        'junk',
        { finishReason: 'SAFETY' },
      ],
      usageMetadata: { promptTokenCount: 2, candidatesTokenCount: 1 },
    });
    expect(gemini.parseResponse(body, true)).toEqual({
      id: undefined,
      model: undefined,
      finishReasons: ['STOP', 'SAFETY'],
      inputTokens: 2,
      outputTokens: 1,
      usage: { promptTokenCount: 2, candidatesTokenCount: 1 },
      outputMessages: '[{"parts":[{"text":"a"}],"role":"model"},null,null]',
    });
  });

  it('finish reasons that are missing, empty or not strings are skipped', () => {
    const body = JSON.stringify({
      candidates: [{ finishReason: '' }, { finishReason: 3 }, {}, null, { finishReason: 'MAX_TOKENS' }],
    });
    expect(gemini.parseResponse(body, false)?.finishReasons).toEqual(['MAX_TOKENS']);
  });

  it('no candidates: nothing to capture; countTokens answers totalTokens', () => {
    expect(gemini.parseResponse('{"totalTokens":31,"candidates":[]}', true)).toEqual({
      id: undefined,
      model: undefined,
      finishReasons: [],
      inputTokens: 31,
      outputTokens: undefined,
      usage: undefined,
      outputMessages: undefined,
    });
    expect(gemini.parseResponse('{"candidates":{"0":{"finishReason":"STOP"}}}', true)).toEqual({
      id: undefined,
      model: undefined,
      finishReasons: [],
      inputTokens: undefined,
      outputTokens: undefined,
      usage: undefined,
      outputMessages: undefined,
    });
  });

  it('usageMetadata.promptTokenCount wins over totalTokens; one without it falls back', () => {
    expect(
      gemini.parseResponse('{"usageMetadata":{"promptTokenCount":5},"totalTokens":99}', false)?.inputTokens,
    ).toBe(5);
    expect(
      gemini.parseResponse('{"usageMetadata":{"candidatesTokenCount":4},"totalTokens":99}', false),
    ).toMatchObject({ inputTokens: 99, outputTokens: 4 });
    expect(gemini.parseResponse('{"usageMetadata":[5],"totalTokens":-1}', false)).toMatchObject({
      inputTokens: undefined,
      usage: undefined,
    });
  });
});

describe('gemini.parseResponse: a JSON array of chunks (streamGenerateContent without alt=sse)', () => {
  it('id and model from the first chunk that has them, else the last', () => {
    const body = JSON.stringify([
      { candidates: [{ content: { parts: [{ text: 'a' }] } }] },
      {
        candidates: [{ content: { parts: [{ text: 'b' }] }, finishReason: 'STOP' }],
        responseId: 'last-id',
        modelVersion: 'last-model',
        usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 2 },
      },
    ]);
    expect(gemini.parseResponse(body, true)).toEqual({
      id: 'last-id',
      model: 'last-model',
      finishReasons: ['STOP'],
      inputTokens: 1,
      outputTokens: 2,
      usage: { promptTokenCount: 1, candidatesTokenCount: 2 },
      outputMessages: '[{"parts":[{"text":"b"}]}]',
    });
  });

  it('the first chunk wins for id and model', () => {
    const body = JSON.stringify([
      { responseId: 'first-id', modelVersion: 'first-model' },
      { responseId: 'last-id', modelVersion: 'last-model', candidates: [{ finishReason: 'STOP' }] },
    ]);
    expect(gemini.parseResponse(body, false)).toMatchObject({
      id: 'first-id',
      model: 'first-model',
      finishReasons: ['STOP'],
    });
  });

  it('a single chunk is both first and last', () => {
    const body =
      '[{"responseId":"r","candidates":[{"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":3}}]';
    expect(gemini.parseResponse(body, false)).toMatchObject({
      id: 'r',
      finishReasons: ['STOP'],
      inputTokens: 3,
    });
  });

  it.each([
    '[]',
    '[1]',
    '[{}, 1]',
    '[1, {}]',
    '[null]',
    '[[{}]]',
    'not json',
    '',
    '"s"',
    'null',
    '42',
    'true',
  ])('%j is not a response', (body) => {
    expect(gemini.parseResponse(body, true)).toBeUndefined();
  });
});
