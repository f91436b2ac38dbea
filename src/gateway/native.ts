/**
 * The mock gateway's native (non-OpenAI) wire formats: which routes belong to Anthropic Messages,
 * Gemini / Vertex AI, Ollama and AWS Bedrock Runtime (nativeRouteOf), and the pure mapping from a
 * scenario to a response plan in the provider's own shapes (planNative). Each provider's bodies,
 * frames and error catalogue live in wire-<provider>.ts behind the NativeWire interface; the
 * scenario names and their meaning are the OpenAI routes' (scenarios.ts). No I/O.
 */
import { type Ending, type Plan, type ScenarioName, withHeaders } from './scenarios.ts';
import { LITELLM_COST_HEADER, type SpendInput } from './spend.ts';
import { ANTHROPIC } from './wire-anthropic.ts';
import { BEDROCK } from './wire-bedrock.ts';
import { GEMINI } from './wire-gemini.ts';
import { OLLAMA } from './wire-ollama.ts';

export type NativeProvider = 'anthropic' | 'gemini' | 'ollama' | 'bedrock';
export type NativeOp = 'chat' | 'generate' | 'embed' | 'batch_embed' | 'count_tokens';
/** A body piece: text (SSE, NDJSON, JSON) or bytes (Bedrock event stream). */
export type Piece = string | Uint8Array;
type Headers = Readonly<Record<string, string>>;

export interface NativeRoute {
  readonly provider: NativeProvider;
  readonly op: NativeOp;
  /** The model named by the path (Gemini, Vertex AI, Bedrock); else the body's `model`. */
  readonly pathModel: string | undefined;
  /** Whether the answer streams: fixed by the route, or by the body's `stream` (with its default). */
  readonly stream: boolean | { readonly bodyDefault: boolean };
  /** Gemini's streamGenerateContent without `?alt=sse` streams one JSON array. */
  readonly jsonArray: boolean;
}

/** What one native answer is about. */
export interface NativeCall {
  readonly op: NativeOp;
  readonly id: string;
  readonly model: string;
  /** Milliseconds since the epoch. */
  readonly createdMs: number;
  /** The content pieces, one per stream chunk. */
  readonly texts: readonly string[];
  readonly promptTokens: number;
  /** Prompt tokens served from the prompt cache (Anthropic `cache_read_input_tokens`). */
  readonly cachedTokens: number;
  readonly jsonArray: boolean;
  /** How many inputs a batch asks for (Gemini batchEmbedContents `requests`); else 1. */
  readonly inputs: number;
}

/** A provider error: HTTP status, the provider's code (type, status string, exception name), message. */
export interface NativeError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

export type MidStreamKind =
  | 'context_length_exceeded'
  | 'content_filter'
  | 'rate_limit'
  | 'server_error'
  | 'error-event'
  | 'top-level-error';

export interface ErrorExtras {
  /** 429-retry-after: seconds until a retry may succeed. */
  readonly retryAfterSeconds?: number;
}

export interface NativeWire {
  readonly provider: NativeProvider;
  readonly streamHeaders: Headers;
  readonly jsonHeaders: Headers;
  /** The whole answer of a non-streaming call. */
  json(call: NativeCall): unknown;
  /** Stream pieces before the first content piece (Anthropic `message_start`, ...). */
  opening(call: NativeCall): Piece[];
  /** One piece per content text, the first `count`. */
  content(call: NativeCall, count: number): Piece[];
  /** The pieces that end a successful stream; the last one is the terminal event. */
  closing(call: NativeCall): Piece[];
  /** What keepalive inserts between pieces, when the provider has such a thing. */
  readonly keepalive: Piece | undefined;
  /** The provider's error for an HTTP status the scenarios use. */
  errorFor(status: number): NativeError;
  readonly overloaded: NativeError;
  readonly midStream: Readonly<Record<MidStreamKind, NativeError>>;
  /** Body and extra headers of an immediate error. */
  errorResponse(error: NativeError, extras?: ErrorExtras): { body: unknown; headers: Headers };
  /** The piece that carries an error inside a 200 stream. */
  streamError(call: NativeCall, error: NativeError): Piece;
}

export const WIRES: Readonly<Record<NativeProvider, NativeWire>> = {
  anthropic: ANTHROPIC,
  gemini: GEMINI,
  ollama: OLLAMA,
  bedrock: BEDROCK,
};

/** Every route the gateway serves, by provider (for --help and the docs). */
export const NATIVE_ROUTES: readonly (readonly [string, string])[] = [
  [
    'OpenAI-compatible',
    'POST /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/responses; GET /v1/models (also under /v1m, /v1e, /v1i)',
  ],
  ['Anthropic', 'POST /v1/messages, /v1/messages/count_tokens'],
  [
    'Gemini',
    'POST /v1beta/models/{model}:generateContent, :streamGenerateContent (?alt=sse), :countTokens, :embedContent, :batchEmbedContents',
  ],
  [
    'Vertex AI',
    'the same methods on /v1/projects/{project}/locations/{location}/publishers/google/models/{model}',
  ],
  ['Ollama', 'POST /api/chat, /api/generate, /api/embed'],
  ['Bedrock Runtime', 'POST /model/{modelId}/converse, /model/{modelId}/converse-stream'],
  ['Tasks', 'POST /v1*/videos, /v1*/images/generations ("async": true); GET /v1*/tasks/{id}'],
];

const GEMINI_ROUTE =
  /^\/(?:v1|v1beta|v1beta1|v1alpha)\/(?:projects\/[^/]+\/locations\/[^/]+\/)?(?:publishers\/google\/)?models\/([^/:]+):(generateContent|streamGenerateContent|countTokens|embedContent|batchEmbedContents)$/;
const BEDROCK_ROUTE = /^\/model\/([^/]+)\/(converse|converse-stream)$/;
const GEMINI_OPS: Readonly<Record<string, NativeOp>> = {
  generateContent: 'chat',
  streamGenerateContent: 'chat',
  countTokens: 'count_tokens',
  embedContent: 'embed',
  batchEmbedContents: 'batch_embed',
};

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function route(
  provider: NativeProvider,
  op: NativeOp,
  stream: NativeRoute['stream'],
  pathModel?: string,
  jsonArray = false,
): NativeRoute {
  return { provider, op, stream, pathModel, jsonArray };
}

/** The native route of a POST, or undefined (then it is an OpenAI-compatible route or none). */
export function nativeRouteOf(
  method: string,
  path: string,
  search: URLSearchParams,
): NativeRoute | undefined {
  if (method !== 'POST') return undefined;
  switch (path) {
    case '/v1/messages':
      return route('anthropic', 'chat', { bodyDefault: false });
    case '/v1/messages/count_tokens':
      return route('anthropic', 'count_tokens', false);
    case '/api/chat':
      return route('ollama', 'chat', { bodyDefault: true });
    case '/api/generate':
      return route('ollama', 'generate', { bodyDefault: true });
    case '/api/embed':
      return route('ollama', 'embed', false);
  }
  const gemini = GEMINI_ROUTE.exec(path);
  if (gemini) {
    const method = gemini[2] as string;
    const streaming = method === 'streamGenerateContent';
    const jsonArray = streaming && search.get('alt') !== 'sse';
    return route(
      'gemini',
      GEMINI_OPS[method] as NativeOp,
      streaming,
      decoded(gemini[1] as string),
      jsonArray,
    );
  }
  const bedrock = BEDROCK_ROUTE.exec(path);
  if (bedrock)
    return route('bedrock', 'chat', bedrock[2] === 'converse-stream', decoded(bedrock[1] as string));
  return undefined;
}

/** Whether a native route's answer streams, given the request body. */
export function nativeStreams(nativeRoute: NativeRoute, body: Record<string, unknown>): boolean {
  const { stream } = nativeRoute;
  if (typeof stream === 'boolean') return stream;
  return typeof body.stream === 'boolean' ? body.stream : stream.bodyDefault;
}

export interface NativeInput {
  readonly wire: NativeWire;
  readonly call: NativeCall;
  readonly stream: boolean;
  readonly firstChunkDelayMs: number;
  readonly now: Date;
  /** The cost and rate-limit headers of the spend scenarios (cost 0, no headers without it). */
  readonly spend?: SpendInput;
}

const MID_STREAM_CHUNKS = 2;
const base = { chunked: false, gzip: false, firstDelayMs: 0, ending: 'end' } as const;

function textOf(piece: Piece): string {
  return typeof piece === 'string' ? piece : new TextDecoder().decode(piece);
}

function jsonAnswer(wire: NativeWire, status: number, body: unknown, headers: Headers = {}): Plan {
  return { ...base, status, headers: { ...wire.jsonHeaders, ...headers }, pieces: [JSON.stringify(body)] };
}

/** A streamed answer; Gemini's `streamGenerateContent` without `alt=sse` streams a JSON array as `application/json`. */
function streamAnswer(wire: NativeWire, pieces: Piece[], ending: Ending = 'end', jsonArray = false): Plan {
  const headers = jsonArray ? wire.jsonHeaders : wire.streamHeaders;
  return { ...base, status: 200, headers, pieces, chunked: true, ending };
}

function fullStream({ wire, call }: NativeInput): Piece[] {
  return [...wire.opening(call), ...wire.content(call, call.texts.length), ...wire.closing(call)];
}

function success(input: NativeInput): Plan {
  if (!input.stream) return jsonAnswer(input.wire, 200, input.wire.json(input.call));
  return streamAnswer(input.wire, fullStream(input), 'end', input.call.jsonArray);
}

function failure(wire: NativeWire, error: NativeError, headers: Headers = {}, extras?: ErrorExtras): Plan {
  const response = wire.errorResponse(error, extras);
  return jsonAnswer(wire, error.status, response.body, { ...response.headers, ...headers });
}

function midStream(input: NativeInput, kind: MidStreamKind): Plan {
  const { wire, call } = input;
  const pieces = [...wire.opening(call), ...wire.content(call, MID_STREAM_CHUNKS)];
  return streamAnswer(wire, [...pieces, wire.streamError(call, wire.midStream[kind])], 'end', call.jsonArray);
}

/** Half of the answer: the opening and the first half of the content pieces, or half the JSON text. */
function half(input: NativeInput, ending: Ending): Plan {
  const { wire, call } = input;
  if (input.stream) {
    const count = Math.ceil(call.texts.length / 2);
    return streamAnswer(wire, [...wire.opening(call), ...wire.content(call, count)], ending, call.jsonArray);
  }
  const json = JSON.stringify(wire.json(call));
  return { ...jsonAnswer(wire, 200, null), pieces: [json.slice(0, json.length >> 1)], chunked: true, ending };
}

const MID_STREAM_KINDS: ReadonlySet<string> = new Set([
  'context_length_exceeded',
  'content_filter',
  'rate_limit',
  'server_error',
  'error-event',
  'top-level-error',
]);
const SPEND_CAP = 'Daily spend limit reached for this API key';
const MAINTENANCE = 'Service under maintenance. Check /status for maintenance windows.';

/** The plan for a scenario on a native route: the same scenario, the provider's own shapes. */
export function planNative(name: ScenarioName, input: NativeInput): Plan {
  const { wire } = input;
  const immediate = /^(\d{3})(?:-cheapai|-cheapai-typed)?$/.exec(name);
  if (immediate) return failure(wire, wire.errorFor(Number(immediate[1])));
  if (name.startsWith('mid-stream-') && MID_STREAM_KINDS.has(name.slice(11)))
    return midStream(input, name.slice(11) as MidStreamKind);
  switch (name) {
    case 'ok':
    case 'usage':
    // The native providers report no cost in their bodies.
    case 'cost':
      return success(input);
    case 'cost-litellm':
      return withHeaders(success(input), { [LITELLM_COST_HEADER]: String(input.spend?.costUsd ?? 0) });
    case 'headroom':
      return withHeaders(success(input), input.spend?.rateLimitHeaders ?? {});
    case 'slow-first-chunk':
      return { ...success(input), chunked: input.stream, firstDelayMs: input.firstChunkDelayMs };
    case 'keepalive': {
      const plan = success(input);
      const keepalive = wire.keepalive;
      if (!input.stream) return { ...plan, pieces: ['\n', '\n', ...plan.pieces], chunked: true };
      if (keepalive === undefined) return plan;
      // After the first piece: Anthropic sends its pings after message_start.
      const [first, ...rest] = plan.pieces;
      const pieces = first === undefined ? [] : [first, ...rest.flatMap((p) => [keepalive, p])];
      return { ...plan, pieces };
    }
    case 'gzip':
      return { ...success(input), gzip: true };
    case '429-retry-after':
      return failure(
        wire,
        wire.errorFor(429),
        { 'retry-after': '1', 'retry-after-ms': '1000' },
        {
          retryAfterSeconds: 1,
        },
      );
    case '429-spend-cap':
      return failure(wire, { ...wire.errorFor(429), message: SPEND_CAP });
    case '503-maintenance': {
      const retryAt = new Date(Math.ceil(input.now.getTime() / 1000) * 1000 + 2000).toUTCString();
      return failure(wire, { ...wire.errorFor(503), message: MAINTENANCE }, { 'retry-after': retryAt });
    }
    case 'overloaded':
      return failure(wire, wire.overloaded);
    case 'error-gzip':
      return { ...failure(wire, wire.errorFor(500)), gzip: true };
    case 'error-huge': {
      const error = wire.errorFor(500);
      return failure(wire, { ...error, message: `${error.message}: ${'x'.repeat(10 * 1024 * 1024)}` });
    }
    case 'error-not-json': {
      const html =
        '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>\n';
      return { ...base, status: 502, headers: { 'content-type': 'text/html' }, pieces: [html] };
    }
    case 'truncate':
      return half(input, 'end');
    case 'reset-mid-stream':
      return half(input, 'reset');
    case 'stall':
      return {
        ...streamAnswer(wire, [], 'stall'),
        headers: input.stream ? wire.streamHeaders : wire.jsonHeaders,
      };
    case 'reset-before-headers':
      return { ...base, status: 200, headers: {}, pieces: [], ending: 'reset-before-headers' };
    case 'hang-then-close':
      return {
        ...base,
        status: 200,
        headers: {},
        pieces: [],
        firstDelayMs: input.firstChunkDelayMs,
        ending: 'hang-then-close',
      };
  }
  throw new Error(`Scenario "${name}" has no native plan`);
}

/** The text of a plan's pieces (tests and logs; bytes decoded as UTF-8). */
export function piecesText(pieces: readonly Piece[]): string {
  return pieces.map(textOf).join('');
}
