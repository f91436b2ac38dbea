/**
 * Anthropic Messages: `POST /v1/messages` (chat) and `/v1/messages/count_tokens`. Responses carry
 * `stop_reason` and `usage` whose cache reads and writes are counted apart from `input_tokens`
 * (they are input tokens too, so they are added). Streams (named SSE events `message_start` …
 * `message_stop`) are read by src/sse/stream-observer.ts; errors are `{"type":"error","error":{"type"}}`.
 */
import type { GenAiResponse, JsonObject, Route, WireFormat } from './types.ts';
import { isObject, parseJsonObject, stringOf, tokenCount } from './types.ts';

/** Input tokens of an Anthropic `usage`: `input_tokens` plus cache creation and cache reads. */
export function anthropicInputTokens(usage: JsonObject): number | undefined {
  const input = tokenCount(usage.input_tokens);
  if (input === undefined) return undefined;
  return (
    input +
    (tokenCount(usage.cache_creation_input_tokens) ?? 0) +
    (tokenCount(usage.cache_read_input_tokens) ?? 0)
  );
}

export const anthropic: WireFormat = {
  name: 'anthropic',
  route(path: string): Route | undefined {
    const end = path.endsWith('/') ? path.length - 1 : path.length;
    if (path.startsWith('/messages', end - '/messages'.length)) {
      return { format: anthropic, operationName: 'chat' };
    }
    if (path.startsWith('/messages/count_tokens', end - '/messages/count_tokens'.length)) {
      return { format: anthropic, operationName: 'count_tokens' };
    }
    return undefined;
  },
  streamsByDefault: false,
  parseResponse(body: string, captureContent: boolean): GenAiResponse | undefined {
    const message = parseJsonObject(body);
    if (!message) return undefined;
    const usage = isObject(message.usage) ? message.usage : undefined;
    const stopReason = stringOf(message.stop_reason);
    return {
      id: stringOf(message.id),
      model: stringOf(message.model),
      finishReasons: stopReason === undefined ? [] : [stopReason],
      inputTokens: usage ? anthropicInputTokens(usage) : tokenCount(message.input_tokens),
      outputTokens: usage ? tokenCount(usage.output_tokens) : undefined,
      usage,
      outputMessages:
        captureContent && message.content !== undefined ? JSON.stringify(message.content) : undefined,
    };
  },
};
