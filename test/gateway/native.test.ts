import { describe, expect, it } from 'vitest';
import {
  type NativeCall,
  type NativeProvider,
  nativeRouteOf,
  nativeStreams,
  piecesText,
  planNative,
  WIRES,
} from '../../src/gateway/native.ts';
import { SCENARIOS } from '../../src/gateway/scenarios.ts';

const none = new URLSearchParams();
const call: NativeCall = {
  op: 'chat',
  id: 'id1',
  model: 'm',
  createdMs: 0,
  texts: ['a', 'b', 'c', 'd'],
  promptTokens: 3,
  cachedTokens: 0,
  jsonArray: false,
  inputs: 1,
};
const PROVIDERS = Object.keys(WIRES) as NativeProvider[];
const input = (provider: NativeProvider, stream = true) => ({
  wire: WIRES[provider],
  call,
  stream,
  firstChunkDelayMs: 7,
  now: new Date(0),
});
/** The text that marks the end of a successful stream, per provider. */
const TERMINAL: Record<NativeProvider, string> = {
  anthropic: 'event: message_stop\ndata: {"type":"message_stop"}\n\n',
  gemini: '"finishReason":"STOP"',
  ollama: '"done":true',
  bedrock: 'metadata',
};

describe('nativeRouteOf', () => {
  it('recognises each provider route, its operation, path model and streaming rule', () => {
    const bedrockModel = encodeURIComponent(
      'arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0',
    );
    expect(
      [
        ['/v1/messages', none],
        ['/v1/messages/count_tokens', none],
        ['/v1beta/models/gemini-2.5-flash:generateContent', none],
        ['/v1beta/models/gemini-2.5-flash:streamGenerateContent', new URLSearchParams('alt=sse')],
        ['/v1beta/models/gemini-2.5-flash:streamGenerateContent', none],
        ['/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash:countTokens', none],
        ['/v1beta1/publishers/google/models/g:embedContent', none],
        ['/api/chat', none],
        ['/api/generate', none],
        ['/api/embed', none],
        [`/model/${bedrockModel}/converse`, none],
        ['/model/amazon.nova-lite-v1%3A0/converse-stream', none],
      ].map(([path, search]) => nativeRouteOf('POST', path as string, search as URLSearchParams)),
    ).toEqual([
      {
        provider: 'anthropic',
        op: 'chat',
        stream: { bodyDefault: false },
        pathModel: undefined,
        jsonArray: false,
      },
      { provider: 'anthropic', op: 'count_tokens', stream: false, pathModel: undefined, jsonArray: false },
      { provider: 'gemini', op: 'chat', stream: false, pathModel: 'gemini-2.5-flash', jsonArray: false },
      { provider: 'gemini', op: 'chat', stream: true, pathModel: 'gemini-2.5-flash', jsonArray: false },
      { provider: 'gemini', op: 'chat', stream: true, pathModel: 'gemini-2.5-flash', jsonArray: true },
      {
        provider: 'gemini',
        op: 'count_tokens',
        stream: false,
        pathModel: 'gemini-2.0-flash',
        jsonArray: false,
      },
      { provider: 'gemini', op: 'embed', stream: false, pathModel: 'g', jsonArray: false },
      {
        provider: 'ollama',
        op: 'chat',
        stream: { bodyDefault: true },
        pathModel: undefined,
        jsonArray: false,
      },
      {
        provider: 'ollama',
        op: 'generate',
        stream: { bodyDefault: true },
        pathModel: undefined,
        jsonArray: false,
      },
      { provider: 'ollama', op: 'embed', stream: false, pathModel: undefined, jsonArray: false },
      {
        provider: 'bedrock',
        op: 'chat',
        stream: false,
        pathModel: 'arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0',
        jsonArray: false,
      },
      { provider: 'bedrock', op: 'chat', stream: true, pathModel: 'amazon.nova-lite-v1:0', jsonArray: false },
    ]);
  });

  it('leaves other methods and paths alone', () => {
    for (const path of ['/v1/messages', '/api/chat'])
      expect(nativeRouteOf('GET', path, none)).toBeUndefined();
    for (const path of [
      '/v1/chat/completions',
      '/v1beta/models/g:predict',
      '/model/x/invoke',
      '/api/tags',
      '/v2/messages',
    ])
      expect(nativeRouteOf('POST', path, none)).toBeUndefined();
  });

  it('streams Ollama unless the body says false, Anthropic only when it says true', () => {
    const ollama = nativeRouteOf('POST', '/api/chat', none);
    const anthropic = nativeRouteOf('POST', '/v1/messages', none);
    if (!ollama || !anthropic) throw new Error('routes missing');
    expect([{}, { stream: false }, { stream: true }].map((b) => nativeStreams(ollama, b))).toEqual([
      true,
      false,
      true,
    ]);
    expect([{}, { stream: false }, { stream: true }].map((b) => nativeStreams(anthropic, b))).toEqual([
      false,
      false,
      true,
    ]);
  });
});

describe('planNative', () => {
  it('has a plan for every scenario on every provider, streaming or not', () => {
    // error-huge builds a 10 MiB message: once per provider is enough.
    for (const provider of PROVIDERS)
      for (const name of SCENARIOS.filter((n) => n !== 'error-huge'))
        for (const stream of [true, false])
          expect(planNative(name, input(provider, stream)).status).toBeGreaterThanOrEqual(200);
  });

  it.each(PROVIDERS)(
    '%s: ok ends with the terminal piece; truncate and mid-stream errors do not carry it',
    (provider) => {
      const ok = planNative('ok', input(provider));
      expect(ok).toMatchObject({
        status: 200,
        chunked: true,
        ending: 'end',
        headers: WIRES[provider].streamHeaders,
      });
      expect(piecesText(ok.pieces.slice(-1))).toContain(TERMINAL[provider]);
      expect(piecesText(ok.pieces.slice(0, -1))).not.toContain(TERMINAL[provider]);
      for (const name of ['truncate', 'mid-stream-server_error'] as const)
        expect(piecesText(planNative(name, input(provider)).pieces)).not.toContain(TERMINAL[provider]);
      const midStream = planNative('mid-stream-server_error', input(provider));
      const error = WIRES[provider].midStream.server_error;
      expect(piecesText(midStream.pieces.slice(-1))).toContain(error.message);
    },
  );

  it('answers immediate errors with the provider status and code', () => {
    expect(
      PROVIDERS.map((provider) => {
        const plan = planNative('429-cheapai', input(provider, false));
        return [
          provider,
          plan.status,
          plan.headers['x-amzn-errortype'] ?? null,
          JSON.parse(piecesText(plan.pieces)),
        ];
      }),
    ).toEqual([
      [
        'anthropic',
        429,
        null,
        {
          type: 'error',
          error: {
            type: 'rate_limit_error',
            message: 'Number of request tokens has exceeded your per-minute rate limit.',
          },
        },
      ],
      [
        'gemini',
        429,
        null,
        {
          error: {
            code: 429,
            message: 'Resource has been exhausted (e.g. check quota).',
            status: 'RESOURCE_EXHAUSTED',
          },
        },
      ],
      ['ollama', 429, null, { error: 'too many requests, please try again later' }],
      [
        'bedrock',
        429,
        'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/',
        { message: 'Too many requests, please wait before trying again.' },
      ],
    ]);
    expect(PROVIDERS.map((p) => planNative('overloaded', input(p)).status)).toEqual([529, 503, 503, 503]);
  });

  it('inserts Anthropic pings for keepalive, and keeps the other streams as they are', () => {
    const pings = (provider: NativeProvider, name: 'ok' | 'keepalive') =>
      planNative(name, input(provider)).pieces.filter((p) => piecesText([p]).startsWith('event: ping'))
        .length;
    expect(pings('anthropic', 'ok')).toBe(1);
    expect(pings('anthropic', 'keepalive')).toBe(1 + 9);
    expect(planNative('keepalive', input('ollama')).pieces).toEqual(planNative('ok', input('ollama')).pieces);
  });

  it('closes the Gemini JSON array, also after a mid-stream error', () => {
    const arrayInput = { ...input('gemini'), call: { ...call, jsonArray: true } };
    for (const name of ['ok', 'mid-stream-rate_limit'] as const) {
      const value = JSON.parse(piecesText(planNative(name, arrayInput).pieces)) as unknown[];
      expect(value).toHaveLength(name === 'ok' ? 4 : 3);
    }
  });
});
