/**
 * Ollama's native API: `/api/chat` (chat), `/api/generate` (text_completion), `/api/embed` and
 * `/api/embeddings` (embeddings). Chat and generate stream NDJSON unless the body says
 * `"stream": false` (src/ndjson/); the last line has `"done": true`, `done_reason`,
 * `prompt_eval_count` and `eval_count`. Errors are `{"error":"text"}`, also as a line of a 200 stream.
 */
import type { GenAiResponse, Route, WireFormat } from './types.ts';
import { parseJsonObject, stringOf, tokenCount } from './types.ts';

const OPERATION_BY_ROUTE: Readonly<Record<string, string>> = {
  '/api/chat': 'chat',
  '/api/generate': 'text_completion',
  '/api/embed': 'embeddings',
  '/api/embeddings': 'embeddings',
};

export const ollama: WireFormat = {
  name: 'ollama',
  route(path: string): Route | undefined {
    const route = path.endsWith('/') ? path.slice(0, -1) : path;
    const operationName = OPERATION_BY_ROUTE[route];
    return operationName === undefined ? undefined : { format: ollama, operationName, provider: 'ollama' };
  },
  streamsByDefault: true,
  parseResponse(body: string, captureContent: boolean): GenAiResponse | undefined {
    const response = parseJsonObject(body);
    if (!response) return undefined;
    const doneReason = stringOf(response.done_reason);
    const output = response.message ?? response.response;
    return {
      id: undefined,
      model: stringOf(response.model),
      finishReasons: doneReason === undefined ? [] : [doneReason],
      inputTokens: tokenCount(response.prompt_eval_count),
      outputTokens: tokenCount(response.eval_count),
      outputMessages: captureContent && output !== undefined ? JSON.stringify(output) : undefined,
    };
  },
};
