/**
 * Invariant 1: what the application sees, as a comparable value — status, headers (without the
 * date/keep-alive noise), body bytes (hashed), or the error's class, message and cause codes — for
 * Node's built-in fetch and for the openai SDK. `compareWithBaseline` runs a case through a bare
 * undici Agent and through the telemetry dispatcher and returns both outcomes.
 */
import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import { Agent, type Dispatcher, Dispatcher1Wrapper } from 'undici';
import { SECRETS } from './invariants.ts';

export interface ErrorShape {
  readonly name: string;
  readonly constructor: string;
  readonly message: string;
  readonly code?: unknown;
  readonly status?: unknown;
  readonly cause?: ErrorShape;
}

export interface AppOutcome {
  readonly status?: number;
  readonly headers?: ReadonlyArray<readonly [string, string]>;
  /** Bytes the application received (all of them, or up to its abort/break/error). */
  readonly body?: { readonly length: number; readonly sha256: string };
  /** Parsed SDK results: the completion, or each stream chunk. */
  readonly result?: unknown;
  readonly error?: { readonly at: 'request' | 'body'; readonly error: ErrorShape };
}

const NOISY_HEADERS: ReadonlySet<string> = new Set(['date', 'keep-alive', 'connection']);

function errorShape(error: unknown, depth = 0): ErrorShape {
  if (typeof error !== 'object' || error === null) {
    return { name: typeof error, constructor: typeof error, message: String(error) };
  }
  const e = error as { name?: unknown; message?: unknown; code?: unknown; status?: unknown; cause?: unknown };
  const shape: Record<string, unknown> = {
    name: String(e.name),
    constructor: error.constructor?.name ?? 'Object',
    message: String(e.message),
  };
  if (e.code !== undefined) shape.code = e.code;
  if (e.status !== undefined) shape.status = e.status;
  if (e.cause !== undefined && depth < 4) shape.cause = errorShape(e.cause, depth + 1);
  return shape as unknown as ErrorShape;
}

function digest(bytes: Buffer): { length: number; sha256: string } {
  // The mock gateway's ids (req_<16 hex>, chatcmpl-<16 hex>) and `created` differ from run to run.
  const stable = maskVolatile(bytes.toString('latin1'));
  return { length: bytes.length, sha256: createHash('sha256').update(stable, 'latin1').digest('hex') };
}

/** Replaces per-run values (gateway ids, timestamps) so two runs of one case compare equal. */
function maskVolatile(text: string): string {
  return text.replace(/[0-9a-f]{16}/g, '<id>').replace(/"created":\d+/g, '"created":0');
}

/** How the application reads a body: every byte by default. Returns what it got before it stopped. */
export type BodyReader = (response: Response, abort: AbortController) => Promise<Buffer[]>;

const readAll: BodyReader = async (response) => [Buffer.from(await response.arrayBuffer())];

/** Reads until `bytes` have arrived, then aborts the request and keeps reading (which rejects). */
export function abortAfter(bytes: number): BodyReader {
  return async (response, abort) => {
    const received: Buffer[] = [];
    let total = 0;
    const reader = response.body!.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return received;
        received.push(Buffer.from(value));
        total += value.byteLength;
        if (total >= bytes) abort.abort();
      }
    } catch (error) {
      throw Object.assign(new Error('body read failed'), { received, cause: error });
    }
  };
}

/** `for await` over the body, `break` once `bytes` have arrived. */
export function breakAfter(bytes: number): BodyReader {
  return async (response) => {
    const received: Buffer[] = [];
    let total = 0;
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      received.push(Buffer.from(chunk));
      total += chunk.byteLength;
      if (total >= bytes) break;
    }
    return received;
  };
}

export interface FetchCall {
  readonly url: string;
  /** JSON request body; default a chat completion request carrying SECRETS.body. */
  readonly body?: string;
  /** Extra request headers (e.g. the mock gateway's `x-mock-scenario`). */
  readonly headers?: Record<string, string>;
  readonly read?: BodyReader;
  /** Called once the request is under way, with the controller whose signal the request carries. */
  readonly onStarted?: (abort: AbortController) => void;
  /** Default: Node's built-in fetch. */
  readonly fetch?: (url: string, init: RequestInit & { dispatcher?: Dispatcher }) => Promise<Response>;
}

export function chatRequest(stream: boolean, model = 'gpt-4o-mini'): string {
  return JSON.stringify({
    model,
    stream,
    messages: [{ role: 'user', content: `my key is ${SECRETS.body}` }],
  });
}

/** The URL with the query secret appended. */
function withQuerySecret(url: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}api_key=${SECRETS.query}`;
}

/** One call with Node's built-in fetch, carrying every request secret, through `dispatcher`. */
export async function fetchOutcome(call: FetchCall, dispatcher: Dispatcher): Promise<AppOutcome> {
  const abort = new AbortController();
  let response: Response;
  const fetchImpl = call.fetch ?? (fetch as NonNullable<FetchCall['fetch']>);
  const pending = fetchImpl(withQuerySecret(call.url), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${SECRETS.authorization}`,
      'x-api-key': SECRETS.apiKeyHeader,
      ...call.headers,
    },
    body: call.body ?? chatRequest(false),
    signal: abort.signal,
    dispatcher,
  });
  call.onStarted?.(abort);
  try {
    response = await pending;
  } catch (error) {
    return { error: { at: 'request', error: errorShape(error) } };
  }
  const headers: Array<[string, string]> = [];
  response.headers.forEach((value, name) => {
    if (!NOISY_HEADERS.has(name)) headers.push([name, value]);
  });
  const head = { status: response.status, headers };
  try {
    const chunks = await (call.read ?? readAll)(response, abort);
    return { ...head, body: digest(Buffer.concat(chunks)) };
  } catch (failure) {
    const { received = [], cause = failure } = failure as { received?: Buffer[]; cause?: unknown };
    return {
      ...head,
      body: digest(Buffer.concat(received)),
      error: { at: 'body', error: errorShape(cause) },
    };
  }
}

export interface OpenAiCall {
  /** e.g. `${server.url}/v1` */
  readonly baseURL: string;
  readonly stream: boolean;
  readonly model?: string;
  readonly headers?: Record<string, string>;
  /** Stop iterating a stream after this many chunks. */
  readonly breakAfterChunks?: number;
  /** Abort the call after this many stream chunks, then keep iterating (which rejects). */
  readonly abortAfterChunks?: number;
  readonly onStarted?: (abort: AbortController) => void;
}

/** One chat completion with the openai SDK (no SDK retries), carrying every request secret. */
export async function openAiOutcome(call: OpenAiCall, dispatcher: Dispatcher): Promise<AppOutcome> {
  const client = new OpenAI({
    apiKey: SECRETS.authorization,
    baseURL: call.baseURL,
    maxRetries: 0,
    timeout: 20_000,
    defaultHeaders: { 'x-api-key': SECRETS.apiKeyHeader, ...call.headers },
    defaultQuery: { api_key: SECRETS.query },
    fetchOptions: { dispatcher } as never,
  });
  const abort = new AbortController();
  const request = {
    model: call.model ?? 'gpt-4o-mini',
    messages: [{ role: 'user' as const, content: `my key is ${SECRETS.body}` }],
  };
  const results: unknown[] = [];
  try {
    if (call.stream) {
      const pending = client.chat.completions.create({ ...request, stream: true }, { signal: abort.signal });
      call.onStarted?.(abort);
      const stream = await pending;
      for await (const chunk of stream) {
        results.push(chunk);
        if (results.length === call.breakAfterChunks) break;
        if (results.length === call.abortAfterChunks) abort.abort();
      }
    } else {
      const pending = client.chat.completions.create(request, { signal: abort.signal });
      call.onStarted?.(abort);
      results.push(await pending);
    }
    return { result: results.map(comparable) };
  } catch (error) {
    const at = results.length > 0 ? 'body' : 'request';
    return { result: results.map(comparable), error: { at, error: errorShape(error) } };
  }
}

/** The value itself, or for one too deeply nested to serialise, its top-level primitive fields. */
function comparable(value: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(value));
  } catch {
    const fields = Object.entries(value as object).map(([key, field]) => [
      key,
      typeof field === 'object' && field !== null ? '<too deep to compare>' : field,
    ]);
    return Object.fromEntries(fields);
  }
}

/** Closes a dispatcher; one whose requests never finish is destroyed after `ms`. True when close() finished. */
export async function closeOrDestroy(dispatcher: Dispatcher, ms = 2_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const closed = await Promise.race([
    dispatcher.close().then(() => true),
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]);
  clearTimeout(timer);
  if (!closed) await dispatcher.destroy().catch(() => undefined);
  return closed;
}

export interface BaselineComparison {
  readonly baseline: AppOutcome;
  readonly observed: AppOutcome;
}

/**
 * Runs `run` once through a bare Agent (wrapped for the built-in fetch's handler API unless
 * `legacyApi` is false, for undici's own fetch) and once through `ours` (built from the same Agent
 * options), closing both; outcomes are masked with maskVolatile so per-run ids do not count as
 * differences.
 */
export async function compareWithBaseline(
  run: (dispatcher: Dispatcher) => Promise<AppOutcome>,
  agentOptions: Agent.Options,
  ours: () => Dispatcher,
  legacyApi = true,
): Promise<BaselineComparison> {
  const agent = new Agent(agentOptions);
  const bare = legacyApi ? new Dispatcher1Wrapper(agent) : agent;
  const baseline = await run(bare);
  await closeOrDestroy(bare);
  const dispatcher = ours();
  const observed = await run(dispatcher);
  await closeOrDestroy(dispatcher);
  const mask = (outcome: AppOutcome) => JSON.parse(maskVolatile(JSON.stringify(outcome))) as AppOutcome;
  return { baseline: mask(baseline), observed: mask(observed) };
}
