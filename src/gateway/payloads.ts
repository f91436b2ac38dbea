/**
 * OpenAI-shaped bodies and SSE frames for the mock gateway: completions, chunks, embeddings,
 * models and the three error body formats. Pure functions of their input.
 */

export type Operation = 'chat' | 'text_completion' | 'embeddings' | 'responses' | 'models';

/** What one mock answer is about; `texts` are the content pieces, one per stream chunk. */
export interface Completion {
  readonly op: Operation;
  readonly id: string;
  readonly model: string;
  /** Unix seconds. */
  readonly created: number;
  readonly texts: readonly string[];
  readonly promptTokens: number;
  /** OpenRouter usage accounting: the call's cost in USD, reported as `usage.cost` (scenario `cost`). */
  readonly costUsd?: number;
}

const WORDS = ['Hello', ' from', ' the', ' mock', ' gateway', '.'];

export function completionTexts(count: number): string[] {
  return Array.from({ length: count }, (_, i) => WORDS[i % WORDS.length] ?? '');
}

/** A rough, deterministic token count: one token per 4 characters of the request's input. */
export function estimatePromptTokens(body: Record<string, unknown>): number {
  const input = body.messages ?? body.prompt ?? body.input ?? body.contents ?? '';
  return Math.max(1, Math.ceil(JSON.stringify(input).length / 4));
}

export const SSE_DONE = 'data: [DONE]\n\n';
export const SSE_KEEPALIVE = ': OPENROUTER PROCESSING\n\n';

export function sseData(value: unknown, event?: string): string {
  return `${event === undefined ? '' : `event: ${event}\n`}data: ${JSON.stringify(value)}\n\n`;
}

function usage(c: Completion) {
  const completion = c.texts.length;
  return {
    prompt_tokens: c.promptTokens,
    completion_tokens: completion,
    total_tokens: c.promptTokens + completion,
    ...(c.costUsd !== undefined && { cost: c.costUsd }),
  };
}

export function jsonBody(c: Completion): unknown {
  const { id, model, created } = c;
  const text = c.texts.join('');
  switch (c.op) {
    case 'chat': {
      const message = { role: 'assistant', content: text };
      const choices = [{ index: 0, message, finish_reason: 'stop' }];
      return { id, object: 'chat.completion', created, model, choices, usage: usage(c) };
    }
    case 'text_completion': {
      const choices = [{ index: 0, text, logprobs: null, finish_reason: 'stop' }];
      return { id, object: 'text_completion', created, model, choices, usage: usage(c) };
    }
    case 'embeddings': {
      const data = [{ object: 'embedding', index: 0, embedding: [0.0023, -0.0091, 0.0154, -0.0047] }];
      return {
        object: 'list',
        data,
        model,
        usage: { prompt_tokens: c.promptTokens, total_tokens: c.promptTokens },
      };
    }
    case 'responses':
      return responseObject(c, text);
    case 'models': {
      const ids = ['mock-model', 'gpt-4o-mini', 'cheapai/mock-large'];
      return {
        object: 'list',
        data: ids.map((m) => ({ id: m, object: 'model', created, owned_by: 'mock' })),
      };
    }
  }
}

function responseObject(c: Completion, text: string) {
  const content = [{ type: 'output_text', text, annotations: [] }];
  const output = [{ type: 'message', id: `msg_${c.id}`, role: 'assistant', status: 'completed', content }];
  const tokens = { input_tokens: c.promptTokens, output_tokens: c.texts.length };
  const usage = {
    ...tokens,
    total_tokens: tokens.input_tokens + tokens.output_tokens,
    ...(c.costUsd !== undefined && { cost: c.costUsd }),
  };
  return {
    id: c.id,
    object: 'response',
    created_at: c.created,
    status: 'completed',
    model: c.model,
    output,
    usage,
  };
}

function chunk(c: Completion, choice: Record<string, unknown>, extra: Record<string, unknown> = {}): unknown {
  const object = c.op === 'text_completion' ? 'text_completion' : 'chat.completion.chunk';
  return {
    id: c.id,
    object,
    created: c.created,
    model: c.model,
    choices: [{ index: 0, ...choice }],
    ...extra,
  };
}

/** SSE frames carrying the first `count` content pieces. */
export function contentFrames(c: Completion, count: number): string[] {
  return c.texts.slice(0, count).map((text, i) => {
    if (c.op === 'responses')
      return sseData({ type: 'response.output_text.delta', delta: text }, 'response.output_text.delta');
    if (c.op === 'text_completion') return sseData(chunk(c, { text, finish_reason: null }));
    const delta = i === 0 ? { role: 'assistant', content: text } : { content: text };
    return sseData(chunk(c, { delta, finish_reason: null }));
  });
}

/** The frames that end a successful stream: finish reason, optional usage chunk, `[DONE]`. */
export function closingFrames(c: Completion, includeUsage: boolean): string[] {
  if (c.op === 'responses') {
    return [
      sseData(
        { type: 'response.completed', response: responseObject(c, c.texts.join('')) },
        'response.completed',
      ),
    ];
  }
  const finish =
    c.op === 'text_completion' ? { text: '', finish_reason: 'stop' } : { delta: {}, finish_reason: 'stop' };
  const frames = [sseData(chunk(c, finish))];
  if (includeUsage) frames.push(sseData({ ...(chunk(c, {}) as object), choices: [], usage: usage(c) }));
  return [...frames, SSE_DONE];
}

/** The Cline mid-stream error: a chunk with `finish_reason: "error"` and an `error` object. */
export function midStreamErrorFrame(c: Completion, code: string, message: string): string {
  const delta = c.op === 'text_completion' ? { text: '' } : { delta: {} };
  return sseData(chunk(c, { ...delta, finish_reason: 'error', error: { code, message } }));
}

export type ErrorFormat = 'openai' | 'cheapai' | 'cheapai-typed';

/** Error bodies: Cline/OpenAI `{error:{code,message,metadata}}`, CheapAI `{success:false,error}`, or `{error:{message,type}}`. */
export function errorBody(
  format: ErrorFormat,
  code: number | string,
  message: string,
  type: string,
  metadata: Record<string, unknown> = {},
): unknown {
  if (format === 'cheapai') return { success: false, error: message };
  if (format === 'cheapai-typed') return { error: { message, type } };
  return { error: { code, message, metadata } };
}
