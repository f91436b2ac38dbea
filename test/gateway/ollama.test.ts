/**
 * The gateway's Ollama routes through the real `ollama` package (and plain fetch for the raw
 * NDJSON): chat and generate, streamed and not, embed, an immediate error and an error line
 * inside a 200 stream.
 */
import { Ollama } from 'ollama';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from '../../src/gateway/server.ts';
import { post } from './helpers.ts';

const MODEL = 'llama3.2';
const MESSAGES = [{ role: 'user', content: 'hi' }];
const TEXT = 'Hello from the mock gateway';

let gateway: Gateway;
beforeAll(async () => {
  gateway = await startGateway();
});
afterAll(() => gateway.close());

function client(scenario?: string): Ollama {
  return new Ollama({ host: gateway.url, headers: scenario ? { 'x-mock-scenario': scenario } : {} });
}

describe('Ollama through the ollama package', () => {
  it('reads a chat answer with done_reason and the counts', async () => {
    const answer = await client().chat({ model: MODEL, messages: MESSAGES });
    expect(answer).toMatchObject({
      model: MODEL,
      message: { role: 'assistant', content: TEXT },
      done: true,
      done_reason: 'stop',
      prompt_eval_count: 8,
      eval_count: 5,
    });
    expect(Number.isNaN(Date.parse(String(answer.created_at)))).toBe(false);
  });

  it('streams chat pieces whose last one is done with the counts', async () => {
    const parts = [];
    for await (const part of await client().chat({ model: MODEL, messages: MESSAGES, stream: true }))
      parts.push(part);
    expect(parts.map((p) => p.message.content).join('')).toBe(TEXT);
    expect(parts.map((p) => p.done)).toEqual([false, false, false, false, false, true]);
    expect(parts.at(-1)).toMatchObject({ done_reason: 'stop', prompt_eval_count: 8, eval_count: 5 });
  });

  it('streams generate pieces, and embeds', async () => {
    const parts = [];
    for await (const part of await client().generate({ model: MODEL, prompt: 'hi', stream: true }))
      parts.push(part);
    expect(parts.map((p) => p.response).join('')).toBe(TEXT);
    expect(parts.at(-1)).toMatchObject({
      done: true,
      done_reason: 'stop',
      prompt_eval_count: 1,
      eval_count: 5,
    });
    const embedded = await client().embed({ model: 'nomic-embed-text', input: 'hi' });
    expect(embedded).toMatchObject({
      model: 'nomic-embed-text',
      embeddings: [[0.0023, -0.0091, 0.0154, -0.0047]],
    });
  });

  it.each([
    ['404', 404, 'model not found, try pulling it first'],
    ['overloaded', 503, 'server busy, please try again.  maximum pending requests exceeded'],
  ])('throws ResponseError for %s with the status and the message', async (name, status, message) => {
    const error = await client(name)
      .chat({ model: MODEL, messages: MESSAGES })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ResponseError', status_code: status, error: message });
  });

  it('throws the error line of a 200 stream after the first pieces', async () => {
    const texts: string[] = [];
    const error = await (async () => {
      const stream = await client('mid-stream-server_error').chat({
        model: MODEL,
        messages: MESSAGES,
        stream: true,
      });
      for await (const part of stream) texts.push(part.message.content);
    })().catch((e: unknown) => e);
    expect(texts).toEqual(['Hello', ' from']);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('an error was encountered while running the model: unexpected EOF');
  });

  it('notices a truncated stream', async () => {
    const error = await (async () => {
      for await (const _ of await client('truncate').chat({
        model: MODEL,
        messages: MESSAGES,
        stream: true,
      })) {
        // read to the end
      }
    })().catch((e: unknown) => e);
    expect((error as Error).message).toBe('Did not receive done or success response in stream.');
  });
});

describe('Ollama wire format', () => {
  it('streams NDJSON by default, one object per line, ending with done', async () => {
    const res = await post(gateway.url, { model: MODEL, messages: MESSAGES }, {}, '/api/chat');
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    const lines = (await res.text()).split('\n');
    expect(lines.at(-1)).toBe('');
    const objects = lines.slice(0, -1).map((line) => JSON.parse(line));
    expect(objects).toHaveLength(6);
    expect(Object.keys(objects.at(-1))).toEqual([
      'model',
      'created_at',
      'message',
      'done',
      'done_reason',
      'total_duration',
      'load_duration',
      'prompt_eval_count',
      'prompt_eval_duration',
      'eval_count',
      'eval_duration',
    ]);
  });

  it('answers errors as {"error":...} with the status', async () => {
    const res = await post(
      gateway.url,
      { model: MODEL, stream: false },
      { 'x-mock-scenario': '429' },
      '/api/generate',
    );
    expect([res.status, res.headers.get('content-type'), await res.json()]).toEqual([
      429,
      'application/json; charset=utf-8',
      { error: 'too many requests, please try again later' },
    ]);
  });
});
