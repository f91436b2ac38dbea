/**
 * What the benchmark sends and what its loopback server answers: OpenAI-shaped request bodies,
 * chat completions, `chat.completion.chunk` SSE frames and error bodies. Pure functions; the
 * server precomputes everything it can from them so that its own cost stays flat.
 */

export const MODEL = 'gpt-4o-mini';
const RESPONSE_MODEL = 'gpt-4o-mini';
const COMPLETION_ID = 'chatcmpl-B9MHDbslfk';
const CREATED = 1741570283;
const WORDS = [' the', ' model', ' streams', ' tokens', ',', ' one', ' at', ' a', ' time', '.'];

/** The route prefixes of the bench server; each ends in `/v1/chat/completions` so it reads as an LLM call. */
export const ROUTES = {
  small: '/small/v1/chat/completions',
  stream: '/stream/v1/chat/completions',
  storm: '/storm/v1/chat/completions',
  long: '/long/v1/chat/completions',
} as const;

export const SSE_DONE = 'data: [DONE]\n\n';

export function requestBody(stream: boolean): string {
  return JSON.stringify({
    model: MODEL,
    messages: [
      { role: 'system', content: 'You are a terse assistant.' },
      { role: 'user', content: 'Say hello to the benchmark in one short sentence.' },
    ],
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });
}

export const REQUEST_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json',
  authorization: 'Bearer sk-bench-0000000000000000000000000000',
};

export function chatCompletion(): string {
  return JSON.stringify({
    id: COMPLETION_ID,
    object: 'chat.completion',
    created: CREATED,
    model: RESPONSE_MODEL,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'Hello, benchmark! Nice and fast today.', refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: 27, completion_tokens: 9, total_tokens: 36 },
    service_tier: 'default',
    system_fingerprint: 'fp_eb9dce56a8',
  });
}

function chunkFrame(delta: object, finishReason: string | null): string {
  const chunk = {
    id: COMPLETION_ID,
    object: 'chat.completion.chunk',
    created: CREATED,
    model: RESPONSE_MODEL,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

/** The first frame of a stream: the assistant role, no content yet. */
export function roleFrame(): string {
  return chunkFrame({ role: 'assistant', content: '', refusal: null }, null);
}

/** The content frame for token `index` (about 180 bytes each, as an OpenAI chunk without logprobs). */
export function contentFrame(index: number): string {
  return chunkFrame({ content: WORDS[index % WORDS.length] }, null);
}

/** A whole stream of `contentChunks` content frames: role frame, content, stop, usage and `[DONE]`. */
export function streamFrames(contentChunks: number): string[] {
  const frames = [roleFrame()];
  for (let i = 0; i < contentChunks; i++) frames.push(contentFrame(i));
  frames.push(...closingFrames(contentChunks));
  return frames;
}

/**
 * The same stream as OpenAI sends it by default (`stream_options.include_obfuscation`): every
 * content frame carries an `obfuscation` string of random characters that pads it to a common size.
 */
export function obfuscatedStreamFrames(contentChunks: number): string[] {
  const frames = streamFrames(contentChunks);
  for (let i = 1; i <= contentChunks; i++) {
    const word = WORDS[(i - 1) % WORDS.length] as string;
    const padding = PADDING.slice(0, 12 - word.length + (i % 3));
    frames[i] = (frames[i] as string).replace(/}\n\n$/, `,"obfuscation":"${padding}"}\n\n`);
  }
  return frames;
}

const PADDING = 'q3Xv9LpZt0aR7kWm';

/**
 * An Anthropic Messages stream of `contentChunks` text deltas, each event with its `event:` line:
 * message_start, content_block_start, the deltas with a ping among them, content_block_stop,
 * message_delta (stop reason, output usage) and message_stop.
 */
export function anthropicStreamFrames(contentChunks: number): string[] {
  const frame = (type: string, data: object) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const frames = [
    frame('message_start', {
      message: {
        id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
        type: 'message',
        role: 'assistant',
        content: [],
        model: 'claude-sonnet-4-5-20250929',
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 27, output_tokens: 1 },
      },
    }),
    frame('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    frame('ping', {}),
  ];
  for (let i = 0; i < contentChunks; i++)
    frames.push(
      frame('content_block_delta', {
        index: 0,
        delta: { type: 'text_delta', text: WORDS[i % WORDS.length] },
      }),
    );
  frames.push(
    frame('content_block_stop', { index: 0 }),
    frame('message_delta', {
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: contentChunks },
    }),
    frame('message_stop', {}),
  );
  return frames;
}

/**
 * An OpenAI Responses API stream of `contentChunks` text deltas, as sent by default: every event has
 * its `event:` line and a `sequence_number` that counts up, deltas carry `obfuscation` padding.
 */
export function responsesStreamFrames(contentChunks: number): string[] {
  let sequence = 0;
  const frame = (type: string, data: object) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...data })}\n\n`;
  const response = (status: string, extra: object = {}) => ({
    id: 'resp_67ccd2bed1ec8190b14f964abc054267',
    object: 'response',
    created_at: CREATED,
    status,
    model: 'gpt-4.1-2025-04-14',
    output: [],
    ...extra,
  });
  const item = { item_id: 'msg_67ccd2bf17f0819081ff3bb2cf6508e6', output_index: 0, content_index: 0 };
  const frames = [
    frame('response.created', { response: response('in_progress') }),
    frame('response.in_progress', { response: response('in_progress') }),
    frame('response.output_item.added', {
      output_index: 0,
      item: { id: item.item_id, type: 'message', status: 'in_progress', content: [], role: 'assistant' },
    }),
    frame('response.content_part.added', {
      ...item,
      part: { type: 'output_text', annotations: [], text: '' },
    }),
  ];
  for (let i = 0; i < contentChunks; i++) {
    const word = WORDS[i % WORDS.length] as string;
    frames.push(
      frame('response.output_text.delta', {
        ...item,
        delta: word,
        logprobs: [],
        obfuscation: PADDING.slice(0, 12 - word.length + (i % 3)),
      }),
    );
  }
  frames.push(
    frame('response.output_text.done', { ...item, text: '…', logprobs: [] }),
    frame('response.completed', {
      response: response('completed', {
        usage: { input_tokens: 27, output_tokens: contentChunks, total_tokens: 27 + contentChunks },
      }),
    }),
  );
  return frames;
}

/** The stop frame, the usage frame (`stream_options.include_usage`) and `[DONE]`. */
export function closingFrames(completionTokens: number): string[] {
  const usage = {
    id: COMPLETION_ID,
    object: 'chat.completion.chunk',
    created: CREATED,
    model: RESPONSE_MODEL,
    choices: [],
    usage: { prompt_tokens: 27, completion_tokens: completionTokens, total_tokens: 27 + completionTokens },
  };
  return [chunkFrame({}, 'stop'), `data: ${JSON.stringify(usage)}\n\n`, SSE_DONE];
}

export interface LongStream {
  readonly head: string;
  /** About 64 KiB of content frames, sent `blocks` times. */
  readonly block: string;
  readonly blocks: number;
  readonly tail: string;
  readonly frames: number;
  readonly bytes: number;
}

/** A stream of about `targetBytes`: role frame, `blocks` copies of a 64 KiB block, closing frames. */
export function longStream(targetBytes: number): LongStream {
  const frames: string[] = [];
  let blockBytes = 0;
  while (blockBytes < 64 * 1024) {
    const frame = contentFrame(frames.length);
    frames.push(frame);
    blockBytes += Buffer.byteLength(frame);
  }
  const blocks = Math.max(1, Math.round(targetBytes / blockBytes));
  const head = roleFrame();
  const tail = closingFrames(blocks * frames.length).join('');
  return {
    head,
    block: frames.join(''),
    blocks,
    tail,
    frames: 1 + blocks * frames.length + 3,
    bytes: Buffer.byteLength(head) + blocks * blockBytes + Buffer.byteLength(tail),
  };
}

/** The error storm's 5xx answers, rotating through these in order. */
export const STORM_ERRORS: readonly { status: number; body: string }[] = [
  {
    status: 500,
    body: openAiError('The server had an error while processing your request.', 'server_error'),
  },
  { status: 502, body: openAiError('Bad gateway.', 'bad_gateway') },
  { status: 503, body: openAiError('The engine is currently overloaded.', 'overloaded') },
];

function openAiError(message: string, code: string): string {
  return JSON.stringify({ error: { message, type: 'server_error', param: null, code } });
}

/** Deterministic storm: requests whose counter ends in 0, 3 or 6 fail (30%). */
export function stormError(counter: number): { status: number; body: string } | undefined {
  const slot = counter % 10;
  if (slot !== 0 && slot !== 3 && slot !== 6) return undefined;
  return STORM_ERRORS[slot / 3];
}
