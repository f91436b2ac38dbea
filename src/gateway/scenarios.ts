/**
 * The mock gateway's scenarios: their names (part of the API), descriptions, and the pure mapping
 * from a scenario and a request to a response plan (status, headers, body pieces, faults).
 * src/gateway/server.ts carries plans out; nothing here does I/O.
 */
import {
  type Completion,
  closingFrames,
  contentFrames,
  type ErrorFormat,
  errorBody,
  jsonBody,
  midStreamErrorFrame,
  SSE_DONE,
  SSE_KEEPALIVE,
  sseData,
} from './payloads.ts';
import { LITELLM_COST_HEADER, type SpendInput } from './spend.ts';

/** Immediate errors: status → [message, type], after the providers' documented contracts. */
const ERRORS = {
  400: ['Malformed request body or missing required fields', 'invalid_request_error'],
  401: ['Invalid API key', 'authentication_error'],
  402: ['Insufficient credits', 'insufficient_balance'],
  403: ['Key does not have access to this resource', 'permission_error'],
  404: ['Invalid endpoint or model ID', 'not_found_error'],
  429: ['Rate limit exceeded', 'rate_limit_error'],
  500: ['Internal server error', 'server_error'],
  502: ['Upstream provider error', 'upstream_error'],
  503: ['Service temporarily unavailable', 'service_unavailable'],
} as const;
type ErrorStatus = keyof typeof ERRORS;
const ERROR_STATUSES = Object.keys(ERRORS).map(Number) as ErrorStatus[];

const MID_STREAM_CODES = {
  context_length_exceeded: "The input exceeds the model's maximum context length.",
  content_filter: 'Content was blocked by a safety filter',
  rate_limit: 'Rate limit hit during generation',
  server_error: 'Upstream provider failed during generation',
} as const;
type MidStreamCode = keyof typeof MID_STREAM_CODES;

const SUCCESSES = {
  ok: 'success: JSON, or SSE ending in `[DONE]` when the body says `"stream": true`',
  'slow-first-chunk':
    'like ok; the first chunk (or the JSON body) comes after firstChunkDelayMs (default 500)',
  keepalive:
    'like ok with `: OPENROUTER PROCESSING` SSE comments before and between chunks (JSON: leading newlines)',
  gzip: 'like ok, body gzip-encoded (JSON or SSE)',
  usage: 'like ok; streams carry a usage chunk even without `stream_options.include_usage`',
  cost: "like usage, with OpenRouter's `usage.cost` (USD) in the body or the final usage chunk (native routes: as ok, no cost)",
  'cost-litellm': "like ok, with the LiteLLM proxy's `x-litellm-response-cost` header (USD)",
  headroom:
    'like ok, with rate-limit headers whose remaining allowance shrinks with each `headroom` call: `x-ratelimit-*` (OpenAI routes), `anthropic-ratelimit-*` (Anthropic); none on other native routes',
} as const;

const SPECIAL_ERRORS = {
  '429-retry-after': '429 with `Retry-After: 1` and `retry-after-ms: 1000`',
  '429-spend-cap':
    'CheapAI daily spend cap: 429 `{"success":false,"error":"Daily spend limit reached for this API key"}`',
  '503-maintenance': '503 maintenance (CheapAI format) with `Retry-After` as an HTTP-date 2 to 3 s ahead',
  'error-gzip': '500 (OpenAI format) with a gzip-encoded body',
  'error-huge': '500 (OpenAI format) whose message makes the body 10 MiB',
  'error-not-json': '502 with an HTML page (text/html)',
  overloaded:
    "the provider's overload answer: 503 `The engine is currently overloaded` (OpenAI format); natively Anthropic 529 `overloaded_error`, Gemini 503 `UNAVAILABLE`, Ollama 503 `server busy`, Bedrock 503 `ServiceUnavailableException`",
} as const;

const MID_STREAM = Object.fromEntries(
  Object.keys(MID_STREAM_CODES).map((code) => [
    `mid-stream-${code}`,
    `200 SSE: 2 chunks, then a \`finish_reason: "error"\` chunk with error code \`${code}\`, then \`[DONE]\``,
  ]),
) as Record<`mid-stream-${MidStreamCode}`, string>;

const FAULTS = {
  'mid-stream-error-event': '200 SSE: 2 chunks, then an `event: error` frame, then `[DONE]`',
  'mid-stream-top-level-error': '200 SSE: 2 chunks, then `data: {"error":{...}}`, then `[DONE]`',
  truncate: 'the body stops halfway (SSE: no finish reason, no `[DONE]`) and the response ends cleanly',
  'reset-before-headers': 'the request is read, then the socket is reset (TCP RST) before any response byte',
  'reset-mid-stream': 'headers and 2 chunks (JSON: half the body), then the socket is reset',
  stall: 'headers, then nothing until the client gives up or the gateway closes',
  'hang-then-close':
    'nothing for firstChunkDelayMs (default 500), then the socket is closed without a response',
} as const;

export type ScenarioName =
  | keyof typeof SUCCESSES
  | `${ErrorStatus}`
  | `${ErrorStatus}-cheapai`
  | `${ErrorStatus}-cheapai-typed`
  | keyof typeof SPECIAL_ERRORS
  | keyof typeof MID_STREAM
  | keyof typeof FAULTS;

const STATUS_NAMES = ERROR_STATUSES.flatMap((s) => [`${s}`, `${s}-cheapai`, `${s}-cheapai-typed`] as const);
const LATER = { ...SPECIAL_ERRORS, ...MID_STREAM, ...FAULTS };

/** Every scenario name, successful ones first. */
export const SCENARIOS: readonly ScenarioName[] = [
  ...(Object.keys(SUCCESSES) as (keyof typeof SUCCESSES)[]),
  ...STATUS_NAMES,
  ...(Object.keys(LATER) as (keyof typeof LATER)[]),
];

const SUCCESSFUL: ReadonlySet<string> = new Set(Object.keys(SUCCESSES));
/** Scenarios that only make sense on a streaming request; random picks skip them for JSON requests. */
export const STREAM_ONLY: ReadonlySet<string> = new Set(SCENARIOS.filter((s) => s.startsWith('mid-stream-')));
export const FAILING_SCENARIOS: readonly ScenarioName[] = SCENARIOS.filter((s) => !SUCCESSFUL.has(s));
/** The default failRate pool: every failing scenario except `stall`, which would hang clients without a timeout. */
export const DEFAULT_FAILURE_POOL: readonly ScenarioName[] = FAILING_SCENARIOS.filter((s) => s !== 'stall');

export function isScenarioName(name: string): name is ScenarioName {
  return (SCENARIOS as readonly string[]).includes(name);
}

function tableRows(descriptions: Record<string, string>): string[] {
  return Object.entries(descriptions).map(([name, text]) => `| \`${name}\` | ${text} |`);
}

/** Markdown table of the scenarios, for `--help` and docs/gateway.md. */
export const SCENARIO_DESCRIPTIONS: string = [
  '| scenario | response |',
  '|---|---|',
  ...tableRows(SUCCESSES),
  `| \`<status>\` | immediate error, OpenAI/Cline format \`{"error":{"code":<status>,"message":...,"metadata":{}}}\`; status one of ${ERROR_STATUSES.join(', ')} |`,
  '| `<status>-cheapai` | the same error as CheapAI `{"success":false,"error":"..."}` |',
  '| `<status>-cheapai-typed` | the same error as `{"error":{"message":"...","type":"..."}}` |',
  ...tableRows(LATER),
].join('\n');

/** How the server ends the exchange: normally, or with one of the faults. */
export type Ending = 'end' | 'reset' | 'stall' | 'reset-before-headers' | 'hang-then-close';

export interface Plan {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Body pieces; one frame per piece for streams (SSE, NDJSON line, event-stream message). */
  readonly pieces: readonly (string | Uint8Array)[];
  /** Write the pieces one by one (chunked, with delays) rather than as one body with content-length. */
  readonly chunked: boolean;
  readonly gzip: boolean;
  /** Wait before the first piece (after the headers when chunked), or before closing for hang-then-close. */
  readonly firstDelayMs: number;
  readonly ending: Ending;
}

export interface PlanInput {
  readonly completion: Completion;
  readonly stream: boolean;
  readonly includeUsage: boolean;
  readonly firstChunkDelayMs: number;
  readonly now: Date;
  /** The cost and rate-limit headers of the spend scenarios (cost 0, no headers without it). */
  readonly spend?: SpendInput;
}

const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };
const JSON_HEADERS = { 'content-type': 'application/json' };
const MID_STREAM_CHUNKS = 2;

const base = { chunked: false, gzip: false, firstDelayMs: 0, ending: 'end' } as const;

export function jsonPlan(status: number, body: unknown, headers: Record<string, string> = {}): Plan {
  return { ...base, status, headers: { ...JSON_HEADERS, ...headers }, pieces: [JSON.stringify(body)] };
}

function ssePlan(pieces: string[], ending: Ending = 'end'): Plan {
  return { ...base, status: 200, headers: SSE_HEADERS, pieces, chunked: true, ending };
}

/** The normal answer: SSE frames or one JSON body. */
function success(input: PlanInput, includeUsage = input.includeUsage): Plan {
  const c = input.completion;
  if (!input.stream) return jsonPlan(200, jsonBody(c));
  const created = c.op === 'responses' ? [sseData({ type: 'response.created' }, 'response.created')] : [];
  return ssePlan([...created, ...contentFrames(c, c.texts.length), ...closingFrames(c, includeUsage)]);
}

function errorPlan(status: ErrorStatus, format: ErrorFormat = 'openai', headers = {}): Plan {
  const [message, type] = ERRORS[status];
  const metadata = status === 502 ? { provider_name: 'MockUpstream' } : {};
  return jsonPlan(status, errorBody(format, status, message, type, metadata), headers);
}

export function withHeaders(plan: Plan, headers: Readonly<Record<string, string>>): Plan {
  return { ...plan, headers: { ...plan.headers, ...headers } };
}

/** Headers-less faults and stalls: no body. */
function faultPlan(ending: Ending, headers: Record<string, string>, firstDelayMs = 0): Plan {
  return { ...base, status: 200, headers, pieces: [], chunked: ending === 'stall', firstDelayMs, ending };
}

function midStream(input: PlanInput, last: string): Plan {
  return ssePlan([...contentFrames(input.completion, MID_STREAM_CHUNKS), last, SSE_DONE]);
}

/** Half of the answer: the first half of the SSE frames, or the first half of the JSON text. */
function half(input: PlanInput, ending: Ending): Plan {
  const c = input.completion;
  if (input.stream) return ssePlan(contentFrames(c, Math.ceil(c.texts.length / 2)), ending);
  const json = JSON.stringify(jsonBody(c));
  return { ...jsonPlan(200, null), pieces: [json.slice(0, json.length >> 1)], chunked: true, ending };
}

export function planScenario(name: ScenarioName, input: PlanInput): Plan {
  const immediate = /^(\d{3})(?:-(cheapai|cheapai-typed))?$/.exec(name);
  if (immediate)
    return errorPlan(Number(immediate[1]) as ErrorStatus, immediate[2] as ErrorFormat | undefined);
  if (name.startsWith('mid-stream-') && name.slice(11) in MID_STREAM_CODES) {
    const code = name.slice(11) as MidStreamCode;
    return midStream(input, midStreamErrorFrame(input.completion, code, MID_STREAM_CODES[code]));
  }
  const serverError = { code: 'server_error', message: MID_STREAM_CODES.server_error };
  switch (name) {
    case 'ok':
      return success(input);
    case 'slow-first-chunk':
      return { ...success(input), chunked: input.stream, firstDelayMs: input.firstChunkDelayMs };
    case 'keepalive': {
      const plan = success(input);
      const pieces = input.stream
        ? plan.pieces.flatMap((p) => [SSE_KEEPALIVE, p])
        : ['\n', '\n', ...plan.pieces];
      return { ...plan, pieces, chunked: true };
    }
    case 'gzip':
      return { ...success(input), gzip: true };
    case 'usage':
      return success(input, true);
    case 'cost':
      return success(
        { ...input, completion: { ...input.completion, costUsd: input.spend?.costUsd ?? 0 } },
        true,
      );
    case 'cost-litellm':
      return withHeaders(success(input), { [LITELLM_COST_HEADER]: String(input.spend?.costUsd ?? 0) });
    case 'headroom':
      return withHeaders(success(input), input.spend?.rateLimitHeaders ?? {});
    case '429-retry-after':
      return errorPlan(429, 'openai', { 'retry-after': '1', 'retry-after-ms': '1000' });
    case '429-spend-cap':
      return jsonPlan(
        429,
        errorBody('cheapai', 429, 'Daily spend limit reached for this API key', 'spend_limit'),
      );
    case '503-maintenance': {
      const retryAt = new Date(Math.ceil(input.now.getTime() / 1000) * 1000 + 2000).toUTCString();
      const message = 'Service under maintenance. Check /status for maintenance windows.';
      return jsonPlan(503, errorBody('cheapai', 503, message, 'maintenance'), { 'retry-after': retryAt });
    }
    case 'overloaded':
      return jsonPlan(
        503,
        errorBody('openai', 503, 'The engine is currently overloaded, please try again later', 'overloaded'),
      );
    case 'error-gzip':
      return { ...errorPlan(500), gzip: true };
    case 'error-huge': {
      const message = `Internal server error: ${'x'.repeat(10 * 1024 * 1024)}`;
      return jsonPlan(500, errorBody('openai', 500, message, 'server_error'));
    }
    case 'error-not-json': {
      const html =
        '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>\n';
      return { ...base, status: 502, headers: { 'content-type': 'text/html' }, pieces: [html] };
    }
    case 'mid-stream-error-event':
      return midStream(input, sseData({ error: serverError }, 'error'));
    case 'mid-stream-top-level-error':
      return midStream(input, sseData({ error: serverError }));
    case 'truncate':
      return half(input, 'end');
    case 'reset-mid-stream':
      return half(input, 'reset');
    case 'stall':
      return faultPlan('stall', input.stream ? SSE_HEADERS : JSON_HEADERS);
    case 'reset-before-headers':
      return faultPlan('reset-before-headers', {});
    case 'hang-then-close':
      return faultPlan('hang-then-close', {}, input.firstChunkDelayMs);
  }
  throw new Error(`Scenario "${name}" has no plan`);
}
