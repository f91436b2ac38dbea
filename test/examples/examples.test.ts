/**
 * Runs every file in examples/ as a user would, one Node process each, against the mock gateway
 * (in-process, on an ephemeral loopback port) with the telemetry exported to an in-memory OTLP
 * receiver: each example must exit 0, print its expected lines, and export the operation spans
 * of its calls. The package name resolves to src/ (source-hooks.ts), so no build is needed.
 */
import { readdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from '../../src/gateway/server.ts';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
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
  /** service.name of its spans. */
  readonly service: string;
  /** Lines its stdout must contain. */
  readonly stdout: readonly string[];
  /** Names of the LLM operation spans it must export, sorted. */
  readonly operations: readonly string[];
}

const EXAMPLES: readonly Example[] = [
  {
    file: 'openai-chat.ts',
    service: 'example-openai-chat',
    stdout: [`chat: ${GREETING}`, `stream: ${GREETING}`],
    operations: ['chat gpt-4o-mini', 'chat gpt-4o-mini'],
  },
  {
    file: 'openai-responses.ts',
    service: 'example-openai-responses',
    stdout: [`responses: ${GREETING}`, `responses stream: ${GREETING}`],
    operations: ['chat gpt-4o-mini', 'chat gpt-4o-mini'],
  },
  {
    file: 'ai-sdk.ts',
    service: 'example-ai-sdk',
    stdout: [`generateText: ${GREETING}`, `streamText: ${GREETING}`],
    operations: ['chat gpt-4o-mini', 'chat gpt-4o-mini'],
  },
  {
    file: 'langchain.ts',
    service: 'example-langchain',
    stdout: [`invoke: ${GREETING}`, `stream: ${GREETING}`],
    operations: ['chat gpt-4o-mini', 'chat gpt-4o-mini'],
  },
  {
    file: 'fetch.ts',
    service: 'example-fetch',
    stdout: [`fetch: 200 ${GREETING}`],
    operations: ['chat gpt-4o-mini'],
  },
  {
    file: 'register-app.ts',
    nodeArgs: ['--import', 'llm-otel-dispatcher/register'],
    env: { OTEL_SERVICE_NAME: 'example-register-app' },
    service: 'example-register-app',
    stdout: [`app: ${GREETING}`],
    operations: ['chat gpt-4o-mini'],
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
  return inSlot(async () => {
    const run = runNode(args, env, EXAMPLE_TIMEOUT_MS);
    const exit = await run.exit;
    return { exit, stdout: run.stdout(), stderr: run.stderr() };
  });
}

function operationSpans(service: string): ReceivedSpan[] {
  return receiver
    .spans()
    .filter(
      (s) =>
        s.serviceName === service &&
        s.scope === INSTRUMENTATION_NAME &&
        typeof s.attributes[ATTR_GEN_AI_OPERATION_NAME] === 'string',
    );
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
    const spans = operationSpans(example.service);
    expect(spans.map((s) => s.name).sort()).toEqual(example.operations);
    for (const span of spans) {
      expect(span.attributes[ATTR_HTTP_RESPONSE_STATUS_CODE]).toBe(200);
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
