/**
 * Gemini and Vertex AI: `…/models/{model}:{method}` where method is `generateContent`,
 * `streamGenerateContent` (SSE with `?alt=sse`), `embedContent`, `batchEmbedContents` or
 * `countTokens`. The model comes from the path (the body has none). A path under
 * `/projects/{p}/locations/{l}/publishers/google/models/` is Vertex AI (`gcp.vertex_ai`), any other
 * is the Gemini API (`gcp.gemini`). Responses carry `candidates[].finishReason` and `usageMetadata`.
 */
import { decodeSegment } from './openai.ts';
import type { GenAiResponse, JsonObject, Route, WireFormat } from './types.ts';
import { isObject, parseJsonObject, stringOf, tokenCount } from './types.ts';

const MODELS = '/models/';
const VERTEX = '/publishers/google/models/';

const OPERATION_BY_METHOD: Readonly<Record<string, string>> = {
  generateContent: 'generate_content',
  streamGenerateContent: 'generate_content',
  embedContent: 'embeddings',
  batchEmbedContents: 'embeddings',
  countTokens: 'count_tokens',
};

/**
 * `streamGenerateContent` without `alt=sse` answers one JSON array of chunks (`application/json`):
 * the last chunk carries the finish reason and the full usage; id and model are the first's.
 */
function lastOfArray(body: string): JsonObject | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length === 0) return undefined;
  const first = parsed[0];
  const last = parsed[parsed.length - 1];
  if (!isObject(first) || !isObject(last)) return undefined;
  return {
    ...last,
    responseId: first.responseId ?? last.responseId,
    modelVersion: first.modelVersion ?? last.modelVersion,
  };
}

export const gemini: WireFormat = {
  name: 'gemini',
  route(path: string): Route | undefined {
    const colon = path.lastIndexOf(':');
    if (colon === -1) return undefined;
    const operationName = OPERATION_BY_METHOD[path.slice(colon + 1)];
    if (operationName === undefined) return undefined;
    const models = path.lastIndexOf(MODELS, colon);
    if (models === -1) return undefined;
    const model = path.slice(models + MODELS.length, colon);
    if (model === '' || model.includes('/')) return undefined;
    return {
      format: gemini,
      operationName,
      model: decodeSegment(model),
      streams: path.endsWith(':streamGenerateContent'),
      provider: path.includes(VERTEX) ? 'gcp.vertex_ai' : 'gcp.gemini',
    };
  },
  streamsByDefault: false,
  parseResponse(body: string, captureContent: boolean): GenAiResponse | undefined {
    const response = parseJsonObject(body) ?? lastOfArray(body);
    if (!response) return undefined;
    const finishReasons: string[] = [];
    const candidates = Array.isArray(response.candidates) ? response.candidates : [];
    for (const candidate of candidates) {
      const reason = isObject(candidate) ? stringOf(candidate.finishReason) : undefined;
      if (reason !== undefined) finishReasons.push(reason);
    }
    const usage = isObject(response.usageMetadata) ? response.usageMetadata : undefined;
    return {
      id: stringOf(response.responseId),
      model: stringOf(response.modelVersion),
      finishReasons,
      inputTokens: tokenCount(usage?.promptTokenCount ?? response.totalTokens),
      outputTokens: tokenCount(usage?.candidatesTokenCount),
      usage,
      outputMessages:
        captureContent && candidates.length > 0
          ? JSON.stringify(candidates.map((candidate) => (isObject(candidate) ? candidate.content : null)))
          : undefined,
    };
  },
};
