/**
 * SSE events as providers send them, for the stream observer's tests: OpenAI chat chunks (with and
 * without the default `obfuscation` padding), and named events (Anthropic Messages, the OpenAI
 * Responses API). Each returns one whole event, blank line included.
 */

/** A `chat.completion.chunk` with one choice. */
export const chatChunk = (content: string, finish: string | null = null): string =>
  `data: {"id":"c1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}},"finish_reason":${JSON.stringify(finish)}}]}\n\n`;

/** The same chunk as OpenAI sends it by default: random `obfuscation` padding after the choices. */
export const obfuscatedChunk = (content: string, padding: string): string =>
  chatChunk(content).replace(']}\n\n', () => `],"obfuscation":${JSON.stringify(padding)}}\n\n`);

/** An event with an `event:` line, its type repeated in the data as the APIs do. */
export const namedEvent = (type: string, data: object = {}): string =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

/** Anthropic's `content_block_delta` with a text delta. */
export const anthropicTextDelta = (text: string): string =>
  namedEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text } });

/** The Responses API's `response.output_text.delta`, with its sequence number and padding. */
export const responsesTextDelta = (delta: string, padding: string, sequence = 1): string =>
  namedEvent('response.output_text.delta', {
    sequence_number: sequence,
    item_id: 'msg_1',
    output_index: 0,
    delta,
    obfuscation: padding,
  });
