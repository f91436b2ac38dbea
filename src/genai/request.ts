/**
 * Recognising an OpenAI-compatible LLM API call from its route, host and JSON body: the GenAI
 * operation name, provider, model and stream flag. Pure functions; the interceptor decides when to
 * call them. Unknown routes and unreadable bodies yield nothing, quietly.
 */

/** `gen_ai.operation.name` by the route's last segments. Query strings are ignored. */
const OPERATION_BY_ROUTE: ReadonlyArray<readonly [suffix: string, operation: string]> = [
  ['/chat/completions', 'chat'],
  ['/completions', 'text_completion'],
  ['/embeddings', 'embeddings'],
  ['/responses', 'chat'],
  ['/messages', 'chat'],
  ['/images/generations', 'generate_content'],
];

/**
 * Returns the GenAI operation name for a request path, or undefined when it is not an LLM call.
 * Any prefix is accepted: `/v1/chat/completions`, `/api/v1/chat/completions` (Cline, OpenRouter), and
 * CheapAI's route families `/v1m/...`, `/v1e/...`, `/v1i/...`.
 */
export function operationNameForPath(path: string): string | undefined {
  const query = path.indexOf('?');
  const route = query === -1 ? path : path.slice(0, query);
  const end = route.endsWith('/') ? route.length - 1 : route.length;
  for (const [suffix, operation] of OPERATION_BY_ROUTE) {
    if (route.startsWith(suffix, end - suffix.length)) return operation;
  }
  return undefined;
}

/** `gen_ai.provider.name` by host suffix; semconv well-known values where they exist. */
const PROVIDER_BY_HOST: ReadonlyArray<readonly [hostSuffix: string, provider: string]> = [
  ['api.openai.com', 'openai'],
  ['openai.azure.com', 'azure.ai.openai'],
  ['openrouter.ai', 'openrouter'],
  ['cline.bot', 'cline'],
  // Stryker disable next-line ArrayDeclaration,StringLiteral: equivalent, the host.includes('cheapai') fallback below names it too.
  ['cheapai.dev', 'cheapai'],
  // Stryker disable next-line ArrayDeclaration,StringLiteral: equivalent, the host.includes('cheapai') fallback below names it too.
  ['cheapai.com', 'cheapai'],
  ['api.anthropic.com', 'anthropic'],
  ['generativelanguage.googleapis.com', 'gcp.gemini'],
  ['api.groq.com', 'groq'],
  ['api.deepseek.com', 'deepseek'],
  ['api.mistral.ai', 'mistral_ai'],
  ['api.x.ai', 'x_ai'],
  ['api.together.xyz', 'together'],
  ['api.fireworks.ai', 'fireworks'],
];

/** The provider for a host: the table above, else the host itself (a LiteLLM proxy, a local gateway). */
export function providerNameForHost(hostname: string): string {
  const host = hostname.toLowerCase();
  for (const [suffix, provider] of PROVIDER_BY_HOST) {
    if (host === suffix || host.endsWith(`.${suffix}`)) return provider;
  }
  if (host.includes('cheapai')) return 'cheapai';
  return host;
}

export interface GenAiRequest {
  readonly model: string | undefined;
  readonly stream: boolean;
  /** The request's messages/input as JSON, only produced when content capture is on. */
  readonly inputMessages: string | undefined;
}

/**
 * Reads model and stream flag from a JSON request body. Returns undefined for non-JSON bodies.
 * `captureContent` also returns the prompt (messages, input or prompt) serialised as JSON.
 * `streamsByDefault`: the wire format streams unless the body says `"stream": false` (Ollama).
 */
export function parseGenAiRequest(
  body: string,
  captureContent: boolean,
  streamsByDefault = false,
): GenAiRequest | undefined {
  const first = firstNonSpace(body);
  if (first !== '{') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  // Stryker disable next-line all: equivalent, text starting with "{" that JSON.parse accepts is always an object.
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const record = parsed as Record<string, unknown>;
  const model = typeof record.model === 'string' && record.model !== '' ? record.model : undefined;
  const input = record.messages ?? record.input ?? record.prompt;
  return {
    model,
    stream: record.stream === true || (streamsByDefault && record.stream !== false),
    inputMessages: captureContent && input !== undefined ? JSON.stringify(input) : undefined,
  };
}

function firstNonSpace(text: string): string | undefined {
  for (let i = 0; i < text.length && i < 64; i++) {
    const ch = text[i];
    if (ch !== ' ' && ch !== '\n' && ch !== '\r' && ch !== '\t' && ch !== '\ufeff') return ch;
  }
  return undefined;
}
