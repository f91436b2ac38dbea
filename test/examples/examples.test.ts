/**
 * Runs every file in examples/ as a user would, one Node process each, against the mock gateway
 * (in-process, on an ephemeral loopback port) with the telemetry exported to an in-memory OTLP
 * receiver: each example must exit 0, print its expected lines, and export the operation spans
 * of its calls. The package name resolves to src/ (source-hooks.ts), so no build is needed.
 */
import { readdir } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from '../../src/gateway/server.ts';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
} from '../../src/index.ts';
import { INSTRUMENTATION_NAME } from '../../src/version.ts';
import { killChildren, runNode } from '../register/child.ts';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '../register/otlp-receiver.ts';

const SOURCE_HOOKS = new URL('./source-hooks.ts', import.meta.url).pathname;
const GREETING = 'Hello from the mock gateway';

interface Example {
  readonly file: string;
  /** Node options before the file (e.g. `--import llm-otel-dispatcher/register`). */
  readonly nodeArgs?: readonly string[];
  readonly env?: Record<string, string>;
  /**
   * It hands a telemetry dispatcher to its client: run it with a global dispatcher that records
   * nothing (per-client-only.ts), so its spans prove the client really uses that dispatcher.
   */
  readonly perClient?: boolean;
  /** service.name of its spans. */
  readonly service: string;
  /** Lines its stdout must contain. */
  readonly stdout: readonly string[];
  /** HTTP attempts it makes (each exported as an attempt span answered 200). */
  readonly attempts: number;
  /** Names of the LLM operation spans it must export, sorted. */
  readonly operations: readonly string[];
}

const EXAMPLES: readonly Example[] = [
  {
    file: 'openai-chat.ts',
    perClient: true,
    service: 'example-openai-chat',
    stdout: [`chat: ${GREETING}`, `stream: ${GREETING}`],
    attempts: 2,
    operations: ['chat gpt-4o-mini', 'chat gpt-4o-mini'],
  },
  {
    file: 'openai-responses.ts',
    perClient: true,
    service: 'example-openai-responses',
    stdout: [`responses: ${GREETING}`, `responses stream: ${GREETING}`],
    attempts: 2,
    operations: ['chat gpt-4o-mini', 'chat gpt-4o-mini'],
  },
  {
    file: 'ai-sdk.ts',
    perClient: true,
    service: 'example-ai-sdk',
    stdout: [`generateText: ${GREETING}`, `streamText: ${GREETING}`],
    attempts: 2,
    operations: ['chat gpt-4o-mini', 'chat gpt-4o-mini'],
  },
  {
    file: 'langchain.ts',
    perClient: true,
    service: 'example-langchain',
    stdout: [`invoke: ${GREETING}`, `stream: ${GREETING}`],
    attempts: 2,
    operations: ['chat gpt-4o-mini', 'chat gpt-4o-mini'],
  },
  {
    file: 'fetch.ts',
    service: 'example-fetch',
    stdout: [`fetch: 200 ${GREETING}`],
    attempts: 1,
    operations: ['chat gpt-4o-mini'],
  },
  {
    file: 'register-app.ts',
    nodeArgs: ['--import', 'llm-otel-dispatcher/register'],
    env: { OTEL_SERVICE_NAME: 'example-register-app' },
    service: 'example-register-app',
    stdout: [`app: ${GREETING}`],
    attempts: 1,
    operations: ['chat gpt-4o-mini'],
  },
  {
    file: 'anthropic.ts',
    perClient: true,
    service: 'example-anthropic',
    stdout: [`message: ${GREETING}`, `stream: ${GREETING}`],
    attempts: 2,
    operations: ['chat claude-haiku-4-5', 'chat claude-haiku-4-5'],
  },
  {
    file: 'gemini.ts',
    service: 'example-gemini',
    stdout: [`generateContent: ${GREETING}`, `stream: ${GREETING}`],
    attempts: 2,
    operations: ['generate_content gemini-2.5-flash', 'generate_content gemini-2.5-flash'],
  },
  {
    file: 'ollama.ts',
    perClient: true,
    service: 'example-ollama',
    stdout: [`chat: ${GREETING}`, `stream: ${GREETING}`],
    attempts: 2,
    operations: ['chat llama3.2', 'chat llama3.2'],
  },
];

let gateway: Gateway;
let receiver: OtlpReceiver;

beforeAll(async () => {
  [gateway, receiver] = await Promise.all([
    startGateway({ port: 0, host: '127.0.0.1' }),
    startOtlpReceiver(),
  ]);
});

afterAll(async () => {
  killChildren();
  await Promise.all([gateway?.close(), receiver?.close()]);
});

/** The environment of a run: the gateway instead of any real endpoint, spans to the receiver. */
function exampleEnv(extra: Record<string, string> = {}, exporting = true): Record<string, string> {
  return {
    OPENAI_BASE_URL: `${gateway.url}/v1`,
    OPENAI_API_KEY: 'test-key',
    OPENAI_MODEL: 'gpt-4o-mini',
    ANTHROPIC_BASE_URL: gateway.url,
    ANTHROPIC_API_KEY: 'test-key',
    ANTHROPIC_MODEL: 'claude-haiku-4-5',
    GOOGLE_GEMINI_BASE_URL: gateway.url,
    GEMINI_API_KEY: 'test-key',
    GEMINI_MODEL: 'gemini-2.5-flash',
    OLLAMA_HOST: gateway.url,
    OLLAMA_MODEL: 'llama3.2',
    // V8's code cache on disk: about 0.3 s less CPU per example process once warm.
    NODE_COMPILE_CACHE: join(tmpdir(), 'llm-otel-dispatcher-examples-compile-cache'),
    ...(exporting && {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    }),
    ...extra,
  };
}

/** Example processes running at once: one per core, so a loaded machine slows them down evenly. */
const slots = { free: Math.max(1, availableParallelism()), waiting: [] as (() => void)[] };

async function inSlot<T>(work: () => Promise<T>): Promise<T> {
  if (slots.free > 0) slots.free--;
  else await new Promise<void>((resolve) => slots.waiting.push(resolve));
  try {
    return await work();
  } finally {
    const next = slots.waiting.shift();
    if (next) next();
    else slots.free++;
  }
}

/** Generous: a process takes about 1.5 s of CPU; the limit only stops a hung example. */
const EXAMPLE_TIMEOUT_MS = 60_000;

function runExample(example: Example, env: Record<string, string>) {
  const args = ['--import', SOURCE_HOOKS, ...(example.nodeArgs ?? []), `examples/${example.file}`];
  const perClient: Record<string, string> = example.perClient
    ? { LLM_OTEL_EXAMPLES_PER_CLIENT_ONLY: '1' }
    : {};
  return inSlot(async () => {
    const run = runNode(args, { ...env, ...perClient }, EXAMPLE_TIMEOUT_MS);
    const exit = await run.exit;
    return { exit, stdout: run.stdout(), stderr: run.stderr() };
  });
}

/** This package's spans of one example: operation spans of LLM calls, and attempt spans. */
function spansOf(service: string): { operations: ReceivedSpan[]; attempts: ReceivedSpan[] } {
  const ours = receiver.spans().filter((s) => s.serviceName === service && s.scope === INSTRUMENTATION_NAME);
  return {
    operations: ours.filter((s) => typeof s.attributes[ATTR_GEN_AI_OPERATION_NAME] === 'string'),
    attempts: ours.filter((s) => s.attributes[ATTR_HTTP_REQUEST_RESEND_COUNT] !== undefined),
  };
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

describe.concurrent('examples/', { timeout: 3 * EXAMPLE_TIMEOUT_MS }, () => {
  it('has a test case for every example file', async () => {
    const files = (await readdir(new URL('../../examples/', import.meta.url))).filter((f) =>
      /\.m?ts$/.test(f),
    );
    expect(files.sort()).toEqual(EXAMPLES.map((e) => e.file).sort());
  });

  it.for(EXAMPLES)('$file runs against the gateway and exports its spans', async (example, { expect }) => {
    const { exit, stdout, stderr } = await runExample(example, exampleEnv(example.env));
    expect({ code: exit.code, signal: exit.signal, stderr }).toMatchObject({ code: 0, signal: null });
    expect(lines(stdout)).toEqual(expect.arrayContaining([...example.stdout]));
    const { operations, attempts } = spansOf(example.service);
    const exported = JSON.stringify({ operations, attempts, stderr });
    expect(
      attempts.map((s) => s.attributes[ATTR_HTTP_RESPONSE_STATUS_CODE]),
      exported,
    ).toEqual(Array(example.attempts).fill(200));
    expect(operations.map((s) => s.name).sort(), exported).toEqual(example.operations);
    for (const span of [...operations, ...attempts]) {
      expect(span.attributes[ATTR_ERROR_TYPE]).toBeUndefined();
    }
  });

  it('register-app.ts prints one summary line per call to stderr when no endpoint is set', async ({
    expect,
  }) => {
    const example = EXAMPLES.find((e) => e.file === 'register-app.ts');
    if (example === undefined) throw new Error('register-app.ts is not in EXAMPLES');
    const { exit, stdout, stderr } = await runExample(example, exampleEnv({}, false));
    expect(exit.code).toBe(0);
    expect(lines(stdout)).toEqual([`app: ${GREETING}`]);
    expect(lines(stderr)).toEqual([
      expect.stringMatching(
        /^llm-otel chat gpt-4o-mini 200 ok attempts=1 x-request-id=req_[0-9a-f]{16} \d+\.\d\ds$/,
      ),
    ]);
  });
});
