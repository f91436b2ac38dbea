/**
 * The stream observer across wire formats: which events complete a stream, which are final, which
 * make it an LLM stream, and what each format's usage and identity read as.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type StreamErrorInfo, StreamObserver } from '../../src/sse/stream-observer.ts';

const named = (event: string, value: unknown) => `event: ${event}\ndata: ${JSON.stringify(value)}\n\n`;
const data = (value: unknown) => `data: ${typeof value === 'string' ? value : JSON.stringify(value)}\n\n`;

function observe(text: string, cuts: number[] = []) {
  const errors: StreamErrorInfo[] = [];
  const observer = new StreamObserver({ onError: (error) => errors.push(error), now: () => 1 });
  const bytes = Buffer.from(text);
  let start = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
    observer.write(bytes.subarray(start, cut));
    start = cut;
  }
  observer.write(bytes.subarray(start));
  const finalBeforeEnd = observer.final;
  observer.end();
  return {
    errors: errors.map((e) => [e.code, e.message]),
    completed: observer.completed,
    terminated: observer.terminated,
    final: finalBeforeEnd,
    llm: observer.isLlmStream,
    id: observer.responseId,
    model: observer.responseModel,
    finishReasons: observer.finishReasons,
    input: observer.inputTokens,
    output: observer.outputTokens,
  };
}

const ANTHROPIC = [
  named('message_start', {
    type: 'message_start',
    message: {
      id: 'msg_1',
      model: 'claude-sonnet-4-5',
      usage: {
        input_tokens: 10,
        cache_creation_input_tokens: 5,
        cache_read_input_tokens: 100,
        output_tokens: 1,
      },
    },
  }),
  named('content_block_start', {
    type: 'content_block_start',
    index: 0,
    content_block: { type: 'text', text: '' },
  }),
  named('ping', { type: 'ping' }),
  named('content_block_delta', {
    type: 'content_block_delta',
    index: 0,
    delta: { type: 'text_delta', text: 'Hi' },
  }),
  named('content_block_stop', { type: 'content_block_stop', index: 0 }),
  named('message_delta', {
    type: 'message_delta',
    delta: { stop_reason: 'max_tokens' },
    usage: { output_tokens: 7 },
  }),
].join('');
const ANTHROPIC_STOP = named('message_stop', { type: 'message_stop' });

const GEMINI = [
  data({
    candidates: [{ content: { parts: [{ text: 'Hi' }] } }],
    usageMetadata: { promptTokenCount: 4 },
    modelVersion: 'gemini-2.0-flash',
    responseId: 'r1',
  }),
  data({
    candidates: [{ content: { parts: [{ text: '!' }] }, finishReason: 'STOP' }],
    usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 2 },
  }),
].join('');

describe('Anthropic Messages streams', () => {
  it('identity and input usage (cache tokens added) from message_start; stop reason and output from message_delta', () => {
    expect(observe(ANTHROPIC + ANTHROPIC_STOP)).toEqual({
      errors: [],
      completed: true,
      terminated: true,
      final: true,
      llm: true,
      id: 'msg_1',
      model: 'claude-sonnet-4-5',
      finishReasons: ['max_tokens'],
      input: 115,
      output: 7,
    });
  });

  it('without message_stop: recognised, not complete (truncated), not final', () => {
    expect(observe(ANTHROPIC)).toMatchObject({
      completed: false,
      terminated: false,
      final: false,
      llm: true,
    });
  });

  it('event: error with overloaded_error: reported once, final', () => {
    const text =
      ANTHROPIC +
      named('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    expect(observe(text)).toMatchObject({
      errors: [['overloaded_error', 'Overloaded']],
      final: true,
      completed: false,
    });
  });
});

describe('Gemini streams', () => {
  it('finishReason completes and is final; usageMetadata, responseId, modelVersion', () => {
    expect(observe(GEMINI)).toEqual({
      errors: [],
      completed: true,
      terminated: true,
      final: true,
      llm: true,
      id: 'r1',
      model: 'gemini-2.0-flash',
      finishReasons: ['STOP'],
      input: 4,
      output: 2,
    });
  });

  it('an error object prefers the status string to the numeric code', () => {
    const text =
      GEMINI.split('\n\n')[0] +
      '\n\n' +
      data({ error: { code: 429, message: 'Quota', status: 'RESOURCE_EXHAUSTED' } });
    expect(observe(text).errors).toEqual([['RESOURCE_EXHAUSTED', 'Quota']]);
  });
});

describe('OpenAI-compatible extras', () => {
  it('a finish_reason completes but is not final (usage and [DONE] may follow); [DONE] is', () => {
    const finish = data({ id: 'c', model: 'm', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
    expect(observe(finish)).toMatchObject({ completed: true, final: false });
    expect(observe(`${finish}data: [DONE]\n\n`)).toMatchObject({ completed: true, final: true });
  });

  it('Groq: usage from x_groq.usage', () => {
    const last = data({
      id: 'c',
      model: 'llama-3.3-70b-versatile',
      choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
      x_groq: { id: 'req_1', usage: { prompt_tokens: 12, completion_tokens: 3 } },
    });
    expect(observe(last)).toMatchObject({ input: 12, output: 3 });
  });

  it('LiteLLM: a textual type wins over a numeric-string code', () => {
    const error = data({
      error: { message: 'Rate limited', type: 'throttling_error', param: null, code: '429' },
    });
    expect(observe(error).errors).toEqual([['throttling_error', 'Rate limited']]);
  });
});

describe('Azure OpenAI streams', () => {
  // Azure sends content-filter results first, in a chunk whose id and model are empty strings, and
  // may send more annotation chunks like it; the real id and model come with the content.
  const filter = { hate: { filtered: false, severity: 'safe' } };
  const annotation = (extra: object) => ({
    choices: [],
    created: 0,
    id: '',
    model: '',
    object: '',
    ...extra,
  });
  const chunk = (delta: object, finish: string | null = null) => ({
    id: 'chatcmpl-A1',
    object: 'chat.completion.chunk',
    created: 1756938296,
    model: 'gpt-4o-2024-08-06',
    choices: [{ index: 0, delta, finish_reason: finish, content_filter_results: filter }],
  });
  const AZURE = [
    data(annotation({ prompt_filter_results: [{ prompt_index: 0, content_filter_results: filter }] })),
    data(chunk({ role: 'assistant', content: '' })),
    ...Array.from({ length: 12 }, (_, i) => data(chunk({ content: `w${i}` }))),
    data(chunk({}, 'stop')),
    data('[DONE]'),
  ].join('');

  it('id and model from the content chunks, never the empty strings of the filter-results chunk', () => {
    for (const cuts of [[], [40, 400, 900], [AZURE.length - 30]]) {
      const seen = observe(AZURE, cuts);
      expect([seen.id, seen.model]).toEqual(['chatcmpl-A1', 'gpt-4o-2024-08-06']);
      expect([seen.completed, seen.finishReasons]).toEqual([true, ['stop']]);
    }
    const byteByByte = observe(
      AZURE,
      Array.from({ length: AZURE.length }, (_, i) => i),
    );
    expect([byteByByte.id, byteByByte.model]).toEqual(['chatcmpl-A1', 'gpt-4o-2024-08-06']);
  });

  it('a stream cut before its last chunk still has the id and model of its content chunks', () => {
    const truncated = AZURE.slice(0, AZURE.indexOf('"finish_reason":"stop"'));
    const cut = truncated.slice(0, truncated.lastIndexOf('data: '));
    for (const cuts of [[], [40, 400]]) {
      const seen = observe(cut, cuts);
      expect([seen.id, seen.model, seen.completed]).toEqual(['chatcmpl-A1', 'gpt-4o-2024-08-06', false]);
    }
  });

  it('a stream that never names its id or model leaves them unset, not empty', () => {
    const anonymous = [
      data(annotation({})),
      data({ choices: [{ index: 0, delta: { content: 'x' }, finish_reason: 'stop' }] }),
    ];
    const seen = observe(anonymous.join(''));
    expect([seen.id, seen.model]).toEqual([undefined, undefined]);
  });
});

describe('streams that are not LLM streams', () => {
  it('MCP (JSON-RPC over SSE): not an LLM stream, its errors are not ours', () => {
    const text =
      named('message', { jsonrpc: '2.0', id: 1, result: { content: [] } }) +
      named('message', { jsonrpc: '2.0', id: 2, error: { code: -32602, message: 'Invalid params' } });
    expect(observe(text)).toMatchObject({ errors: [], llm: false, completed: false, terminated: false });
  });

  it('notifications with no LLM shape: not an LLM stream', () => {
    expect(observe(data({ kind: 'tick', n: 1 }) + data({ kind: 'tick', n: 2 }))).toMatchObject({
      llm: false,
    });
  });
});

describe('property: any chunk boundaries give the same observation', () => {
  it.each([
    ['anthropic', ANTHROPIC + ANTHROPIC_STOP],
    ['gemini', GEMINI],
  ])('%s', (_name, text) => {
    const whole = observe(text);
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 4000 }), { maxLength: 30 }), (cuts) => {
        expect(observe(text, cuts)).toEqual(whole);
      }),
    );
  });
});
