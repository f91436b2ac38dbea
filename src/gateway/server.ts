/**
 * The fault-injecting mock LLM gateway (a test and demo fixture): a node:http server that answers
 * OpenAI-compatible /v1 (and CheapAI's /v1m, /v1e, /v1i) routes, the native routes of Anthropic,
 * Gemini / Vertex AI, Ollama and Bedrock (native.ts), according to a scenario, plus asynchronous
 * generation tasks (tasks.ts: create, then poll). Choosing the scenario (select.ts) and planning
 * the response (scenarios.ts, native.ts, tasks.ts) involve no I/O; this file does the I/O.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createGzip, gzipSync } from 'node:zlib';
import {
  type NativeCall,
  type NativeProvider,
  type NativeRoute,
  nativeRouteOf,
  nativeStreams,
  planNative,
  WIRES,
} from './native.ts';
import { completionTexts, errorBody, estimatePromptTokens, type Operation } from './payloads.ts';
import { FAILING_SCENARIOS, jsonPlan, type Plan, planScenario } from './scenarios.ts';
import { createChooser, type ScenarioRule } from './select.ts';
import {
  anthropicRateLimitHeaders,
  HeadroomLedger,
  mockCost,
  openAiRateLimitHeaders,
  type RateLimitOptions,
  type SpendInput,
} from './spend.ts';
import {
  DEFAULT_TASK_POLLS,
  isTaskScenario,
  MAX_TASK_POLLS,
  TaskBoard,
  type TaskRoute,
  taskRouteOf,
} from './tasks.ts';

export { SCENARIO_DESCRIPTIONS, SCENARIOS, type ScenarioName } from './scenarios.ts';
export { parseScenarioRules, type ScenarioRule } from './select.ts';
export { TASK_SCENARIOS, type TaskScenario } from './tasks.ts';

export interface GatewayOptions {
  /** 0 (the default) picks an ephemeral port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** 0..1: share of requests without an explicit scenario that get a random failing scenario. */
  failRate?: number;
  /** The pool for failRate; default every failing scenario except `stall`. */
  scenarios?: readonly string[];
  /** Seed for the failRate draws (deterministic for requests that arrive one after another). */
  seed?: number;
  /** Scenario-file rules (see parseScenarioRules). */
  rules?: readonly ScenarioRule[];
  /** Content chunks per stream; default 5. */
  streamChunks?: number;
  /** Delay between stream pieces; default 0. */
  chunkDelayMs?: number;
  /** Delay of `slow-first-chunk` and `hang-then-close`; default 500. */
  firstChunkDelayMs?: number;
  /**
   * Milliseconds between a stream's last piece and the end of its body, written separately as
   * real servers do; default 1 (an I/O poll in between, so an in-process client reads the last
   * event first). 0 still writes the end on its own, without waiting.
   */
  endGapMs?: number;
  /** Polls an asynchronous task takes: the N-th answers succeeded/failed; default 3 (per task: `x-mock-task-polls`). */
  taskPolls?: number;
  /**
   * USD each `cost` / `cost-litellm` call reports; default: its tokens at the mock prices
   * (MOCK_PRICE_PER_MILLION in spend.ts: 0.5 input, 1.5 output per million).
   */
  costUsd?: number;
  /** The allowance `headroom` calls use up: requests and tokens per fixed window (spend.ts). */
  rateLimit?: RateLimitOptions;
  /** Receives one line per finished request. */
  log?: (line: string) => void;
}

export interface Gateway {
  /** e.g. http://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  /** Requests received so far. */
  readonly requests: number;
  /** Stops listening and closes every socket, stalled ones included. */
  close(): Promise<void>;
}

const ROUTE = /^\/v1[mei]?\/(chat\/completions|completions|embeddings|responses|models)\/?$/;
const OPERATIONS: Record<string, Operation> = {
  'chat/completions': 'chat',
  completions: 'text_completion',
  embeddings: 'embeddings',
  responses: 'responses',
  models: 'models',
};
const DEFAULT_END_GAP_MS = 1;
const STREAMABLE: ReadonlySet<Operation> = new Set(['chat', 'text_completion', 'responses']);

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = text === '' ? {} : JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The request-id headers a provider sends besides the gateway's own `x-request-id`. */
function nativeRequestIds(provider: NativeProvider | undefined, requestId: string): Record<string, string> {
  if (provider === 'anthropic') return { 'request-id': requestId };
  if (provider === 'bedrock') return { 'x-amzn-requestid': randomUUID() };
  return {};
}

function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

/** Why a task creation request is invalid, or undefined. */
function taskRequestError(
  route: Extract<TaskRoute, { kind: 'create' }>,
  body: Record<string, unknown>,
  pollsNeeded: number,
): string | undefined {
  if (route.product === 'images' && body.async !== true)
    return 'This mock serves image generations as tasks only: send "async": true';
  if (!(Number.isInteger(pollsNeeded) && pollsNeeded >= 1 && pollsNeeded <= MAX_TASK_POLLS))
    return `x-mock-task-polls must be an integer from 1 to ${MAX_TASK_POLLS}`;
  return undefined;
}

export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const choose = createChooser(options);
  const closing = new AbortController();
  const { signal } = closing;
  let requests = 0;
  const tasks = new TaskBoard(() => `task_${randomBytes(12).toString('hex')}`);
  const taskPolls = options.taskPolls ?? DEFAULT_TASK_POLLS;
  if (!(Number.isInteger(taskPolls) && taskPolls >= 1 && taskPolls <= MAX_TASK_POLLS))
    throw new RangeError(`taskPolls must be an integer from 1 to ${MAX_TASK_POLLS}, got ${taskPolls}`);
  const { costUsd } = options;
  if (costUsd !== undefined && !(Number.isFinite(costUsd) && costUsd >= 0))
    throw new RangeError(`costUsd must be a finite number >= 0, got ${costUsd}`);
  const headroom = new HeadroomLedger(options.rateLimit);

  /** The spend scenarios' facts for one call; a `headroom` call uses up its share of the allowance. */
  function spendFor(
    scenario: string,
    provider: NativeProvider | undefined,
    promptTokens: number,
    outputTokens: number,
  ): SpendInput {
    const cost = mockCost(costUsd, promptTokens, outputTokens);
    if (scenario !== 'headroom') return { costUsd: cost, rateLimitHeaders: {} };
    const now = Date.now();
    const left = headroom.consume(promptTokens, outputTokens, now);
    const rateLimitHeaders =
      provider === undefined
        ? openAiRateLimitHeaders(left, now)
        : provider === 'anthropic'
          ? anthropicRateLimitHeaders(left)
          : {};
    return { costUsd: cost, rateLimitHeaders };
  }

  /** The answer to a request that is not served (no route, bad body, bad scenario header). */
  function refusal(native: NativeRoute | undefined, status: 400 | 404, message: string): Plan {
    if (native === undefined) {
      const type = status === 404 ? 'not_found_error' : 'invalid_request_error';
      return jsonPlan(status, errorBody('openai', status, message, type));
    }
    const wire = WIRES[native.provider];
    const { body, headers } = wire.errorResponse({ ...wire.errorFor(status), message });
    return { ...jsonPlan(status, body, headers), headers: { ...wire.jsonHeaders, ...headers } };
  }

  async function respond(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const requestId = `req_${randomBytes(8).toString('hex')}`;
    const url = new URL(req.url ?? '/', 'http://gateway');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const taskRoute = taskRouteOf(method, path);
    const route = ROUTE.exec(path)?.[1];
    const op = route === undefined ? undefined : OPERATIONS[route];
    const native =
      op === undefined && taskRoute === undefined ? nativeRouteOf(method, path, url.searchParams) : undefined;
    const bodyText = Buffer.concat(chunks).toString('utf8');
    const body = parseJsonObject(bodyText);
    const model = native?.pathModel ?? (typeof body?.model === 'string' ? body.model : 'mock-model');
    const stream =
      native !== undefined
        ? body !== undefined && nativeStreams(native, body)
        : body?.stream === true && op !== undefined && STREAMABLE.has(op);
    const scenarioHeader = header(req, 'x-mock-scenario')?.trim();
    const pollsHeader = header(req, 'x-mock-task-polls');
    const pollsNeeded = pollsHeader === undefined ? taskPolls : Number(pollsHeader);
    const invalidTask =
      taskRoute?.kind === 'create' && body !== undefined
        ? taskRequestError(taskRoute, body, pollsNeeded)
        : undefined;
    let scenario: string | undefined;
    let plan: Plan;
    if (taskRoute?.kind === 'poll') {
      plan = tasks.poll(taskRoute.family, taskRoute.id);
    } else if (
      taskRoute === undefined &&
      native === undefined &&
      (op === undefined || (op === 'models') !== (method === 'GET'))
    ) {
      plan = refusal(undefined, 404, `No route for ${method} ${path}`);
    } else if (body === undefined) {
      plan = refusal(native, 400, 'Request body must be a JSON object');
    } else if (invalidTask !== undefined) {
      plan = refusal(undefined, 400, invalidTask);
    } else if (taskRoute !== undefined && isTaskScenario(scenarioHeader)) {
      scenario = scenarioHeader;
      plan = tasks.create({ ...taskRoute, pollsNeeded, scenario: scenarioHeader, now: unixNow() });
    } else {
      const choice = choose({
        scenarioHeader,
        sequenceHeader: header(req, 'x-mock-scenario-sequence'),
        sequenceId: header(req, 'x-mock-sequence-id'),
        model,
        path,
        stream,
      });
      const now = new Date();
      const texts = completionTexts(options.streamChunks ?? 5);
      const promptTokens = estimatePromptTokens(body);
      const firstChunkDelayMs = options.firstChunkDelayMs ?? 500;
      if ('error' in choice) {
        plan = refusal(native, 400, choice.error);
      } else if (native !== undefined) {
        scenario = choice.scenario;
        const call: NativeCall = {
          op: native.op,
          id: `${native.provider === 'anthropic' ? 'msg_' : ''}${requestId.slice(4)}`,
          model,
          createdMs: now.getTime(),
          texts,
          promptTokens,
          cachedTokens: bodyText.includes('"cache_control"') ? promptTokens - 1 : 0,
          jsonArray: native.jsonArray,
          inputs: Array.isArray(body.requests) ? body.requests.length : 1,
        };
        const wire = WIRES[native.provider];
        const spend = spendFor(choice.scenario, native.provider, promptTokens, texts.length);
        plan = planNative(choice.scenario, { wire, call, stream, firstChunkDelayMs, now, spend });
      } else if (taskRoute !== undefined && !FAILING_SCENARIOS.includes(choice.scenario)) {
        scenario = choice.scenario;
        plan = tasks.create({ ...taskRoute, pollsNeeded, scenario: undefined, now: unixNow() });
      } else {
        // An LLM route, or a task creation that fails itself (immediate error or fault) like any route.
        scenario = choice.scenario;
        const completionOp = op ?? 'chat';
        const prefix = op === 'responses' ? 'resp' : completionOp === 'chat' ? 'chatcmpl' : 'cmpl';
        const completion = {
          op: completionOp,
          id: `${prefix}-${requestId.slice(4)}`,
          model,
          created: Math.floor(now.getTime() / 1000),
          texts,
          promptTokens,
        };
        const streamOptions = body.stream_options as { include_usage?: unknown } | undefined;
        const includeUsage = streamOptions?.include_usage === true;
        const spend = spendFor(choice.scenario, undefined, promptTokens, texts.length);
        plan = planScenario(choice.scenario, {
          completion,
          stream,
          includeUsage,
          firstChunkDelayMs,
          now,
          spend,
        });
      }
    }
    res.on('close', () => {
      const ms = Math.round(performance.now() - started);
      const status = res.headersSent ? res.statusCode : '---';
      options.log?.(
        `${req.method} ${path} model=${model} scenario=${scenario ?? '-'} ${status} ${ms}ms ${requestId}`,
      );
    });
    const headers = {
      ...plan.headers,
      ...nativeRequestIds(native?.provider, requestId),
      'x-request-id': requestId,
      ...(scenario && { 'x-mock-scenario': scenario }),
    };
    await carryOut(plan, headers, res);
  }

  async function carryOut(plan: Plan, headers: Record<string, string>, res: ServerResponse): Promise<void> {
    const socket = res.socket;
    if (plan.ending === 'reset-before-headers') return void socket?.resetAndDestroy();
    if (plan.firstDelayMs > 0 && !plan.chunked) await sleep(plan.firstDelayMs, undefined, { signal });
    if (plan.ending === 'hang-then-close') return void socket?.destroy();
    const encoding = plan.gzip ? { 'content-encoding': 'gzip' } : {};
    if (!plan.chunked) {
      const text = Buffer.concat(plan.pieces.map((piece) => Buffer.from(piece)));
      const body = plan.gzip ? gzipSync(text) : text;
      res
        .writeHead(plan.status, { ...headers, ...encoding, 'content-length': String(body.length) })
        .end(body);
      return;
    }
    res.writeHead(plan.status, { ...headers, ...encoding }).flushHeaders();
    const gzip = plan.gzip ? createGzip() : undefined;
    gzip?.pipe(res);
    const out = gzip ?? res;
    if (plan.firstDelayMs > 0) await sleep(plan.firstDelayMs, undefined, { signal });
    for (const [i, piece] of plan.pieces.entries()) {
      if (i > 0 && options.chunkDelayMs) await sleep(options.chunkDelayMs, undefined, { signal });
      if (res.destroyed) return;
      const drained = out.write(piece);
      gzip?.flush();
      if (!drained) await Promise.race([once(out, 'drain'), once(res, 'close')]);
    }
    // The last piece (a terminal or error event) reaches the kernel before the end of the body,
    // which follows in a write of its own after endGapMs, as real servers send them: a client
    // that stops reading at the terminal event may cancel before the end arrives. The gap holds
    // an I/O poll, so that a client in this same process reads the event on its own first.
    if (plan.ending !== 'stall' && socket && !socket.destroyed) {
      await new Promise((resolve) => socket.write('', resolve));
      await sleep(options.endGapMs ?? DEFAULT_END_GAP_MS, undefined, { signal });
    }
    if (plan.ending === 'end') out.end();
    if (plan.ending === 'reset') socket?.resetAndDestroy();
    // 'stall': leave the response open until the client leaves or close() destroys the socket.
  }

  const server = createServer((req, res) => {
    requests++;
    respond(req, res).catch((error: unknown) => {
      if (!signal.aborted)
        options.log?.(`gateway error: ${error instanceof Error ? error.message : String(error)}`);
      res.destroy();
    });
  });
  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    port,
    get requests() {
      return requests;
    },
    close: async () => {
      closing.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
