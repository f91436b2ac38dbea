/**
 * The shape every wire format module under src/providers/ fills in: how a request path names the
 * operation (and sometimes the model and the provider), and how a complete non-streaming response
 * body reads as GenAI attributes. Pure: no I/O, no OpenTelemetry.
 */

/** The response facts every format reduces to (see src/interceptor/outcome.ts); OpenAI's parser defines it. */
import type { GenAiResponse } from '../genai/response.ts';

export type { GenAiResponse };

export type WireFormatName = 'openai' | 'anthropic' | 'gemini' | 'ollama' | 'bedrock';

export interface Route {
  readonly format: WireFormat;
  /** `gen_ai.operation.name`. */
  readonly operationName: string;
  /** A model named by the path (Gemini, Vertex, Bedrock, an Azure deployment); the body's model wins. */
  readonly model?: string | undefined;
  /** The path alone says the response streams (Gemini `:streamGenerateContent`, Bedrock `converse-stream`). */
  readonly streams?: boolean | undefined;
  /** `gen_ai.provider.name` the path makes unmistakable (a Vertex AI path, a Bedrock route). */
  readonly provider?: string | undefined;
}

export interface WireFormat {
  readonly name: WireFormatName;
  /** The route of a request path without its query string, or undefined when this format does not know it. */
  route(path: string): Route | undefined;
  /** The response streams unless the body says `"stream": false` (Ollama); else only with `"stream": true`. */
  readonly streamsByDefault: boolean;
  /** GenAI attributes of a complete JSON response body; undefined when it is not a JSON object. */
  parseResponse(body: string, captureContent: boolean): GenAiResponse | undefined;
}

export type JsonObject = Record<string, unknown>;

/** `JSON.parse` to an object, or undefined. Never throws. */
export function parseJsonObject(text: string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A non-negative finite token count, else undefined. */
export function tokenCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

export function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
