/**
 * The gateway's Gemini and Vertex AI routes through the real `@google/genai` (and plain fetch for
 * the raw frames): generateContent, the `alt=sse` stream, countTokens, embedContent, immediate
 * errors and a mid-stream error frame.
 */
import { ApiError, GoogleGenAI } from '@google/genai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from '../../src/gateway/server.ts';
import { post } from './helpers.ts';

const MODEL = 'gemini-2.5-flash';
const TEXT = 'Hello from the mock gateway';
const USAGE = {
  promptTokenCount: 11,
  candidatesTokenCount: 5,
  totalTokenCount: 16,
  promptTokensDetails: [{ modality: 'TEXT', tokenCount: 11 }],
};

let gateway: Gateway;
let ai: GoogleGenAI;
beforeAll(async () => {
  gateway = await startGateway();
  ai = new GoogleGenAI({ apiKey: 'gemini-test-key', httpOptions: { baseUrl: gateway.url } });
});
afterAll(() => gateway.close());

const config = (name?: string) => ({
  httpOptions: { headers: name === undefined ? {} : ({ 'x-mock-scenario': name } as Record<string, string>) },
});

describe('Gemini through @google/genai', () => {
  it('reads the text, finish reason, usage, model version and response id', async () => {
    const response = await ai.models.generateContent({ model: MODEL, contents: 'hi', config: config() });
    expect(response.text).toBe(TEXT);
    expect(response.candidates?.[0]?.finishReason).toBe('STOP');
    expect(response.usageMetadata).toEqual(USAGE);
    expect(response.modelVersion).toBe(MODEL);
    expect(response.responseId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('streams chunks whose last one carries the finish reason and the whole usage', async () => {
    const chunks = [];
    for await (const chunk of await ai.models.generateContentStream({ model: MODEL, contents: 'hi' }))
      chunks.push(chunk);
    expect(chunks.map((c) => c.text).join('')).toBe(TEXT);
    expect(chunks.map((c) => c.candidates?.[0]?.finishReason)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      'STOP',
    ]);
    expect(chunks.at(-1)?.usageMetadata).toEqual(USAGE);
    expect(chunks[0]?.usageMetadata).toEqual({
      promptTokenCount: 11,
      totalTokenCount: 11,
      promptTokensDetails: USAGE.promptTokensDetails,
    });
  });

  it('serves Vertex AI express mode (vertexai with an API key) on /v1beta1/publishers/google/models', async () => {
    const lines: string[] = [];
    const logged = await startGateway({ log: (line) => lines.push(line) });
    const vertex = new GoogleGenAI({ vertexai: true, apiKey: 'k', httpOptions: { baseUrl: logged.url } });
    const response = await vertex.models.generateContent({ model: 'gemini-2.0-flash', contents: 'hi' });
    await logged.close();
    expect([response.text, response.usageMetadata?.totalTokenCount]).toEqual([TEXT, 16]);
    expect(lines[0]).toMatch(
      /^POST \/v1beta1\/publishers\/google\/models\/gemini-2\.0-flash:generateContent model=gemini-2\.0-flash scenario=ok 200 /,
    );
  });

  it('counts tokens and embeds', async () => {
    expect((await ai.models.countTokens({ model: MODEL, contents: 'hi' })).totalTokens).toBe(11);
    const embedded = await ai.models.embedContent({ model: 'gemini-embedding-001', contents: 'hi' });
    expect(embedded.embeddings?.[0]?.values).toEqual([0.0023, -0.0091, 0.0154, -0.0047]);
  });

  it.each([
    ['429', 429, 'RESOURCE_EXHAUSTED'],
    ['401', 401, 'UNAUTHENTICATED'],
    ['overloaded', 503, 'UNAVAILABLE'],
  ])('throws ApiError for %s with the status and the body', async (name, status, code) => {
    const error = await ai.models
      .generateContent({ model: MODEL, contents: 'hi', config: config(name) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(status);
    expect(JSON.parse((error as ApiError).message)).toEqual({
      error: { code: status, message: expect.any(String), status: code },
    });
  });

  it('throws the error frame of a stream after the first chunks', async () => {
    const texts: (string | undefined)[] = [];
    const error = await (async () => {
      const stream = await ai.models.generateContentStream({
        model: MODEL,
        contents: 'hi',
        config: config('mid-stream-rate_limit'),
      });
      for await (const chunk of stream) texts.push(chunk.text);
    })().catch((e: unknown) => e);
    expect(texts).toEqual(['Hello', ' from']);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(429);
    expect((error as ApiError).message).toContain('"status":"RESOURCE_EXHAUSTED"');
  });
});

describe('Gemini wire format', () => {
  const path = `/v1beta/models/${MODEL}:streamGenerateContent`;
  const body = { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] };

  it('frames ?alt=sse chunks with CRLF and ends after the finishReason chunk, without [DONE]', async () => {
    const res = await post(gateway.url, body, {}, `${path}?alt=sse`);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const text = await res.text();
    const frames = text.split('\r\n\r\n');
    expect(frames.at(-1)).toBe('');
    expect(frames).toHaveLength(6);
    expect(frames.every((f) => f === '' || f.startsWith('data: {'))).toBe(true);
    expect(JSON.parse(frames[4]?.slice(6) ?? '').candidates[0].finishReason).toBe('STOP');
  });

  it('streams one JSON array without alt=sse', async () => {
    const res = await post(gateway.url, body, {}, path);
    const chunks = (await res.json()) as { candidates: { content: { parts: { text: string }[] } }[] }[];
    expect(chunks.map((c) => c.candidates[0]?.content.parts[0]?.text).join('')).toBe(TEXT);
  });

  it('serves the Vertex AI path with the model from the path, and the RetryInfo of a 429', async () => {
    const vertex = '/v1/projects/my-project/locations/us-central1/publishers/google/models/gemini-2.0-flash';
    const ok = await post(gateway.url, body, {}, `${vertex}:generateContent`);
    expect(await ok.json()).toMatchObject({ modelVersion: 'gemini-2.0-flash', usageMetadata: USAGE });
    const limited = await post(
      gateway.url,
      body,
      { 'x-mock-scenario': '429-retry-after' },
      `${vertex}:generateContent`,
    );
    expect([limited.status, await limited.json()]).toEqual([
      429,
      {
        error: {
          code: 429,
          message: 'Resource has been exhausted (e.g. check quota).',
          status: 'RESOURCE_EXHAUSTED',
          details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1s' }],
        },
      },
    ]);
    expect(limited.headers.get('retry-after')).toBe('1');
  });
});
