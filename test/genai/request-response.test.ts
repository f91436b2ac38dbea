import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { operationNameForPath, parseGenAiRequest, providerNameForHost } from '../../src/genai/request.ts';
import { parseGenAiResponse } from '../../src/genai/response.ts';

/**
 * Property-test runs: a tenth under `npm run mutate` (MUTATE_GROUP is set), where every mutant that
 * survives the example tests re-runs them (docs/mutation.md).
 */
const runs = (count: number): number =>
  process.env.MUTATE_GROUP === undefined ? count : Math.ceil(count / 10);

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
    ['/v1/chat/completions/?stream=true', 'chat'],
    ['/v1/embeddings?', 'embeddings'],
    ['/v1/text/completions', 'text_completion'],
    ['/v1/messages/count', undefined],
    ['/', undefined],
    ['', undefined],
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
    ['LiteLLM.Internal', 'litellm.internal'],
    ['cline.bot', 'cline'],
    ['cheapai.dev', 'cheapai'],
    ['api.cheapai.dev', 'cheapai'],
    ['cheapai.com', 'cheapai'],
    ['eu.cheapai.com', 'cheapai'],
    ['api.anthropic.com', 'anthropic'],
    ['generativelanguage.googleapis.com', 'gcp.gemini'],
    ['api.groq.com', 'groq'],
    ['api.deepseek.com', 'deepseek'],
    ['api.mistral.ai', 'mistral_ai'],
    ['api.x.ai', 'x_ai'],
    ['api.together.xyz', 'together'],
    ['api.fireworks.ai', 'fireworks'],
    ['eu.api.fireworks.ai', 'fireworks'],
    ['groq.com', 'groq.com'],
    ['fakeapi.groq.com', 'fakeapi.groq.com'],
    ['googleapis.com', 'googleapis.com'],
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

  it.each(['\n', ' ', '\t', '\r', '\r\n  \t'])('reads a body that starts with whitespace %j', (space) => {
    expect(parseGenAiRequest(`${space}{"model":"m","stream":true}`, false)).toEqual({
      model: 'm',
      stream: true,
      inputMessages: undefined,
    });
  });

  it('looks for the opening brace within the first 64 characters only', () => {
    expect(parseGenAiRequest(`${' '.repeat(63)}{"model":"m"}`, false)?.model).toBe('m');
    expect(parseGenAiRequest(`${' '.repeat(64)}{"model":"m"}`, false)).toBeUndefined();
  });

  it('reads a body that starts with a UTF-8 BOM (Buffer#toString keeps it), with or without capture', () => {
    expect(parseGenAiRequest('\ufeff{"model":"m"}', false)?.model).toBe('m');
    expect(parseGenAiRequest('\ufeff{"model":"m","messages":[]}', true)?.inputMessages).toBe('[]');
  });

  it.each([
    ['an empty model', '{"model":"","stream":false}'],
    ['a numeric model', '{"model":4}'],
    ['no model', '{"messages":[]}'],
  ])('has no model for %s', (_label, body) => {
    expect(parseGenAiRequest(body, false)?.model).toBeUndefined();
  });

  it('streams only for "stream": true', () => {
    expect(parseGenAiRequest('{"stream":"true"}', false)?.stream).toBe(false);
    expect(parseGenAiRequest('{"stream":1}', false)?.stream).toBe(false);
    expect(parseGenAiRequest('{"stream":true}', false)?.stream).toBe(true);
  });

  it('streams unless "stream": false for a wire format that streams by default (Ollama)', () => {
    expect(parseGenAiRequest('{"model":"llama3.2"}', false, true)?.stream).toBe(true);
    expect(parseGenAiRequest('{"model":"llama3.2","stream":false}', false, true)?.stream).toBe(false);
    expect(parseGenAiRequest('{"stream":true}', false, true)?.stream).toBe(true);
    expect(parseGenAiRequest('{"stream":null}', false, true)?.stream).toBe(true);
    expect(parseGenAiRequest('{"model":"gpt-4o"}', false, false)?.stream).toBe(false);
  });

  it('captures messages, else input, else prompt', () => {
    expect(parseGenAiRequest('{"input":[{"role":"user","content":"q"}]}', true)?.inputMessages).toBe(
      '[{"role":"user","content":"q"}]',
    );
    expect(parseGenAiRequest('{"prompt":"Say hi"}', true)?.inputMessages).toBe('"Say hi"');
    expect(parseGenAiRequest('{"messages":["m"],"input":"i","prompt":"p"}', true)?.inputMessages).toBe(
      '["m"]',
    );
    expect(parseGenAiRequest('{"input":"i","prompt":"p"}', true)?.inputMessages).toBe('"i"');
    expect(parseGenAiRequest('{"model":"m"}', true)).toEqual({
      model: 'm',
      stream: false,
      inputMessages: undefined,
    });
  });

  it.each(['', 'not json', '[1,2]', '{"model":', '\u0000\u0001'])('ignores %j quietly', (body) => {
    expect(parseGenAiRequest(body, false)).toBeUndefined();
  });

  it('never throws on arbitrary text or JSON', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (body) => {
        parseGenAiRequest(body, true);
      }),
      { numRuns: runs(1_000) },
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
      usage: { prompt_tokens: 9, completion_tokens: 2 },
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

  it('captures the completion content only when asked', () => {
    const chat = JSON.stringify({
      choices: [
        { index: 0, message: { role: 'assistant', content: 'Hello!' }, finish_reason: 'stop' },
        { index: 1, message: { role: 'assistant', content: 'Hi.' }, finish_reason: 'stop' },
      ],
    });
    expect(parseGenAiResponse(chat, true)?.outputMessages).toBe(
      '[{"role":"assistant","content":"Hello!"},{"role":"assistant","content":"Hi."}]',
    );
    expect(parseGenAiResponse(chat, false)?.outputMessages).toBeUndefined();
    const completion = JSON.stringify({
      choices: [{ text: 'once upon', finish_reason: 'length' }, {}, null, 3],
    });
    expect(parseGenAiResponse(completion, true)?.outputMessages).toBe('["once upon",null,null,null]');
    const responses = JSON.stringify({
      object: 'response',
      status: 'completed',
      output: [{ type: 'message', content: [{ type: 'output_text', text: 'Hey' }] }],
    });
    expect(parseGenAiResponse(responses, true)?.outputMessages).toBe(
      '[{"type":"message","content":[{"type":"output_text","text":"Hey"}]}]',
    );
    expect(parseGenAiResponse('{"id":"x"}', true)?.outputMessages).toBeUndefined();
    expect(parseGenAiResponse('{"choices":[]}', true)?.outputMessages).toBeUndefined();
  });

  it('reads finish reasons of well-formed choices only', () => {
    const body = JSON.stringify({
      choices: [null, 3, { finish_reason: null }, { finish_reason: 'stop' }, { finish_reason: 7 }],
    });
    expect(parseGenAiResponse(body, false)?.finishReasons).toEqual(['stop']);
    expect(parseGenAiResponse('{"choices":{"finish_reason":"stop"}}', false)?.finishReasons).toEqual([]);
  });

  it("uses a Responses object's status only when no choice has a finish reason", () => {
    expect(parseGenAiResponse('{"object":"response","status":"incomplete"}', false)?.finishReasons).toEqual([
      'incomplete',
    ]);
    expect(
      parseGenAiResponse('{"object":"chat.completion","status":"completed"}', false)?.finishReasons,
    ).toEqual([]);
    expect(parseGenAiResponse('{"object":"response","status":5}', false)?.finishReasons).toEqual([]);
    expect(
      parseGenAiResponse(
        '{"object":"response","status":"completed","choices":[{"finish_reason":"stop"}]}',
        false,
      )?.finishReasons,
    ).toEqual(['stop']);
  });

  it('keeps only well-formed ids, models and token counts', () => {
    expect(
      parseGenAiResponse(
        '{"id":7,"model":["m"],"usage":{"prompt_tokens":"5","completion_tokens":-1}}',
        false,
      ),
    ).toEqual({
      id: undefined,
      model: undefined,
      finishReasons: [],
      inputTokens: undefined,
      outputTokens: undefined,
      outputMessages: undefined,
      // The raw usage object goes on only for cost and cached-token reading (src/spend/).
      usage: { prompt_tokens: '5', completion_tokens: -1 },
    });
    expect(
      parseGenAiResponse('{"usage":{"prompt_tokens":0,"completion_tokens":1e999}}', false),
    ).toMatchObject({
      inputTokens: 0,
      outputTokens: undefined,
    });
    expect(
      parseGenAiResponse(
        '{"usage":{"prompt_tokens":2,"input_tokens":3,"completion_tokens":4,"output_tokens":5}}',
        false,
      ),
    ).toMatchObject({
      inputTokens: 2,
      outputTokens: 4,
    });
    expect(parseGenAiResponse('{"usage":7}', false)).toMatchObject({
      inputTokens: undefined,
      outputTokens: undefined,
    });
    // Azure's content-filter placeholders: an empty id or model names nothing.
    expect(parseGenAiResponse('{"id":"","model":"","choices":[]}', false)).toMatchObject({
      id: undefined,
      model: undefined,
    });
  });

  it('returns undefined for what is not a JSON object, and never throws', () => {
    for (const body of ['', '[]', '42', '{"id":', '<html>', 'null', '"text"'])
      expect(parseGenAiResponse(body, false)).toBeUndefined();
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (body) => {
        parseGenAiResponse(body, true);
      }),
      { numRuns: runs(1_000) },
    );
  });
});

describe('parseGenAiRequest: malformed bodies are not requests, whatever the path', () => {
  it.each([
    ['no opening brace', '"model":"m"}'],
    ['a lone closing brace', '}'],
    ['text before the brace', 'x{"model":"m"}'],
    ['an unquoted key start', '{xmodel":"m"}'],
    ['a value missing', '{"model":"m","stream":}'],
    ['a bracket after a literal', '{"stream":true]}'],
    ['an unterminated nested string', '{"messages":[{"content":"abc'],
  ])('%s → undefined, with and without content capture', (_label, body) => {
    expect(parseGenAiRequest(body, false)).toBeUndefined();
    expect(parseGenAiRequest(body, true)).toBeUndefined();
  });

  it('looks for the brace within 64 characters with content capture too', () => {
    expect(parseGenAiRequest(`${' '.repeat(64)}{"model":"m"}`, true)).toBeUndefined();
    expect(parseGenAiRequest(`${' '.repeat(63)}{"model":"m"}`, true)?.model).toBe('m');
  });

  it.each([
    ['CRLF after the brace', '{\r\n"model":"m",\r\n"stream":true\r\n}'],
    ['a CR after a literal', '{"stream":true\r,"model":"m"}'],
    ['a tab after a literal', '{"stream":true\t,"model":"m"}'],
    ['a newline after a literal', '{"stream":true\n,"model":"m"}'],
  ])('reads model and stream with %s', (_label, body) => {
    expect(parseGenAiRequest(body, false)).toEqual({ model: 'm', stream: true, inputMessages: undefined });
    expect(parseGenAiRequest(body, true)).toEqual({ model: 'm', stream: true, inputMessages: undefined });
  });
});
