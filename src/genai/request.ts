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
 *
 * Without content capture only the top-level `model` and `stream` are wanted, so the body is
 * scanned once (linear, nothing allocated but the model string) instead of `JSON.parse`d whole:
 * long conversations cost tens of microseconds to parse on every call.
 */
export function parseGenAiRequest(
  body: string,
  captureContent: boolean,
  streamsByDefault = false,
): GenAiRequest | undefined {
  const open = openingBrace(body);
  if (open === -1) return undefined;
  let model: unknown;
  let stream: unknown;
  let input: unknown;
  if (captureContent) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.slice(open));
    } catch {
      return undefined;
    }
    // Stryker disable next-line all: equivalent, text starting with "{" that JSON.parse accepts is always an object.
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const record = parsed as Record<string, unknown>;
    model = record.model;
    stream = record.stream;
    input = record.messages ?? record.input ?? record.prompt;
  } else {
    const top = scanTopLevel(body, open);
    if (top === undefined) return undefined;
    model = top.model;
    stream = top.stream;
  }
  return {
    model: typeof model === 'string' && model !== '' ? model : undefined,
    stream: stream === true || (streamsByDefault && stream !== false),
    inputMessages: captureContent && input !== undefined ? JSON.stringify(input) : undefined,
  };
}

/** Where the body's opening `{` is, after whitespace and a BOM within the first 64 characters; else -1. */
function openingBrace(text: string): number {
  for (let i = 0; i < text.length && i < 64; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x7b /* { */) return i;
    if (ch !== 0x20 && ch !== 0x0a && ch !== 0x0d && ch !== 0x09 && ch !== 0xfeff) return -1;
  }
  return -1;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The index just past the string starting at `at` (a quote), or -1 when it never ends. Jumps from
 * quote to quote with `indexOf` (native speed over long prompts); a quote is escaped when an odd
 * run of backslashes precedes it. Each backward count stops at the previous quote: linear.
 */
function stringEnd(text: string, at: number): number {
  for (let from = at + 1; ; ) {
    const quote = text.indexOf('"', from);
    if (quote === -1) return -1;
    let before = quote - 1;
    while (text.charCodeAt(before) === BACKSLASH) before--;
    if ((quote - 1 - before) % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

function skipSpace(text: string, from: number): number {
  let i = from;
  for (
    let ch = text.charCodeAt(i);
    ch === 0x20 || ch === 0x0a || ch === 0x0d || ch === 0x09;
    ch = text.charCodeAt(++i)
  );
  return i;
}

/** The index just past the JSON value starting at `at`; -1 when it is cut short or malformed. */
function valueEnd(text: string, at: number): number {
  const first = text.charCodeAt(at);
  if (first === QUOTE) return stringEnd(text, at);
  if (first !== 0x7b && first !== 0x5b) {
    // A number or literal: up to the next delimiter.
    let i = at;
    for (let ch = text.charCodeAt(i); i < text.length; ch = text.charCodeAt(++i)) {
      if (
        ch === 0x2c ||
        ch === 0x7d ||
        ch === 0x5d ||
        ch === 0x20 ||
        ch === 0x0a ||
        ch === 0x0d ||
        ch === 0x09
      )
        break;
    }
    return i === at ? -1 : i;
  }
  // An object or array: strings are skipped whole; brackets are counted only between them.
  let depth = 0;
  for (let i = at; ; ) {
    const quote = text.indexOf('"', i);
    const stop = quote === -1 ? text.length : quote;
    for (; i < stop; i++) {
      const ch = text.charCodeAt(i);
      if (ch === 0x7b || ch === 0x5b) depth++;
      else if ((ch === 0x7d || ch === 0x5d) && --depth === 0) return i + 1;
    }
    if (quote === -1) return -1;
    i = stringEnd(text, quote);
    if (i === -1) return -1;
  }
}

/**
 * The top-level `model` (a string) and `stream` (a boolean) of a JSON object, in one linear pass
 * that skips nested values; undefined when the object is malformed or cut short. The last of
 * duplicate keys wins, as with JSON.parse.
 */
function scanTopLevel(text: string, open: number): { model: unknown; stream: unknown } | undefined {
  let model: unknown;
  let stream: unknown;
  let i = skipSpace(text, open + 1);
  if (text.charCodeAt(i) === 0x7d) return { model, stream };
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) return undefined;
    const keyEnd = stringEnd(text, i);
    if (keyEnd === -1) return undefined;
    const key = text.slice(i + 1, keyEnd - 1);
    i = skipSpace(text, keyEnd);
    if (text.charCodeAt(i) !== 0x3a /* : */) return undefined;
    const value = skipSpace(text, i + 1);
    const end = valueEnd(text, value);
    if (end === -1) return undefined;
    if (key === 'model') {
      model = text.charCodeAt(value) === QUOTE ? decodeString(text.slice(value, end)) : null;
    } else if (key === 'stream') {
      const literal = text.slice(value, end);
      stream = literal === 'true' ? true : literal === 'false' ? false : null;
    }
    i = skipSpace(text, end);
    const next = text.charCodeAt(i);
    if (next === 0x7d) return { model, stream };
    if (next !== 0x2c) return undefined;
    i = skipSpace(text, i + 1);
  }
}

function decodeString(quoted: string): string | undefined {
  if (quoted.indexOf('\\') === -1) return quoted.slice(1, -1);
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return undefined;
  }
}
