/**
 * The OpenAI wire format and every gateway that speaks it (OpenRouter, Cline, CheapAI, LiteLLM,
 * Groq, Mistral, DeepSeek, xAI, Together, Fireworks, Azure OpenAI): chat/completions, completions,
 * embeddings, the Responses API and image generation, by the route's last segments under any
 * prefix (`/v1/…`, `/api/v1/…`, CheapAI's `/v1m/…`). Azure's
 * `/openai/deployments/{deployment}/…` names the deployment, used as the model when the body has none.
 */
import { parseGenAiResponse } from '../genai/response.ts';
import type { Route, WireFormat } from './types.ts';

const OPERATION_BY_SUFFIX: ReadonlyArray<readonly [suffix: string, operation: string]> = [
  ['/chat/completions', 'chat'],
  ['/completions', 'text_completion'],
  ['/embeddings', 'embeddings'],
  ['/responses', 'chat'],
  ['/images/generations', 'generate_content'],
];

const AZURE_DEPLOYMENTS = '/openai/deployments/';

export const openai: WireFormat = {
  name: 'openai',
  route(path: string): Route | undefined {
    const end = path.endsWith('/') ? path.length - 1 : path.length;
    for (const [suffix, operationName] of OPERATION_BY_SUFFIX) {
      if (!path.startsWith(suffix, end - suffix.length)) continue;
      const deployments = path.indexOf(AZURE_DEPLOYMENTS);
      if (deployments === -1) return { format: openai, operationName };
      const start = deployments + AZURE_DEPLOYMENTS.length;
      const slash = path.indexOf('/', start);
      const deployment = slash > start ? decodeSegment(path.slice(start, slash)) : undefined;
      return { format: openai, operationName, model: deployment, provider: 'azure.ai.openai' };
    }
    return undefined;
  },
  streamsByDefault: false,
  parseResponse: parseGenAiResponse,
};

/** A percent-decoded path segment; the raw text when it does not decode. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
