/** `llm-otel gateway`: runs the mock gateway until SIGINT or SIGTERM. */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  type GatewayOptions,
  parseScenarioRules,
  SCENARIO_DESCRIPTIONS,
  startGateway,
} from '../gateway/server.ts';

const USAGE = `Usage: llm-otel gateway [options]

A mock OpenAI-compatible LLM gateway that injects faults. Routes: POST /v1/chat/completions,
/v1/completions, /v1/embeddings, /v1/responses, GET /v1/models (and the same under /v1m, /v1e, /v1i).

Options:
  --port N              port to listen on (default 8787; 0 = any free port)
  --host H              address to bind (default 127.0.0.1)
  --fail-rate R         0..1, share of requests without an explicit scenario that get a random failing one
  --scenarios A,B       pool for --fail-rate (default: every failing scenario except stall)
  --scenario-file F     JSON array of rules: [{"match":{"model":"m","path":"/v1/chat/completions"},"scenario":"503"}]
  --seed N              seed for --fail-rate draws
  --stream-chunks N     content chunks per stream (default 5)
  --chunk-delay-ms N    delay between stream chunks (default 0)
  --first-chunk-delay-ms N   delay for slow-first-chunk and hang-then-close (default 500)
  --quiet               do not log requests to stderr
  -h, --help            show this help

Per request: header "x-mock-scenario: NAME" picks a scenario; "x-mock-scenario-sequence: 503,503,ok" with
"x-mock-sequence-id: ID" gives the n-th request with that ID the n-th entry (then the last one again).
Every response carries "x-request-id: req_..." and "x-mock-scenario: NAME" (the scenario served).

Scenarios:
${SCENARIO_DESCRIPTIONS}
`;

class UsageError extends Error {}

function integer(flag: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new UsageError(`--${flag} must be an integer from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

async function optionsFrom(
  args: readonly string[],
): Promise<GatewayOptions & { quiet: boolean; help: boolean }> {
  const { values } = parseArgs({
    args: [...args],
    strict: true,
    options: {
      port: { type: 'string', default: '8787' },
      host: { type: 'string', default: '127.0.0.1' },
      'fail-rate': { type: 'string', default: '0' },
      scenarios: { type: 'string' },
      'scenario-file': { type: 'string' },
      seed: { type: 'string' },
      'stream-chunks': { type: 'string' },
      'chunk-delay-ms': { type: 'string' },
      'first-chunk-delay-ms': { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const failRate = Number(values['fail-rate']);
  if (values['fail-rate'].trim() === '' || !(failRate >= 0 && failRate <= 1)) {
    throw new UsageError(`--fail-rate must be a number from 0 to 1, got "${values['fail-rate']}"`);
  }
  const file = values['scenario-file'];
  let rules: GatewayOptions['rules'];
  if (file !== undefined) {
    try {
      rules = parseScenarioRules(JSON.parse(await readFile(file, 'utf8')));
    } catch (error) {
      throw new UsageError(
        `--scenario-file ${file}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  return {
    port: integer('port', values.port, 0, 65535),
    host: values.host,
    failRate,
    scenarios: values.scenarios?.split(',').map((s) => s.trim()),
    rules,
    seed: integer('seed', values.seed, 0, 2 ** 32 - 1),
    streamChunks: integer('stream-chunks', values['stream-chunks'], 1, 10_000),
    chunkDelayMs: integer('chunk-delay-ms', values['chunk-delay-ms'], 0, 600_000),
    firstChunkDelayMs: integer('first-chunk-delay-ms', values['first-chunk-delay-ms'], 0, 600_000),
    quiet: values.quiet,
    help: values.help,
  };
}

export async function run(args: readonly string[]): Promise<number> {
  let options: Awaited<ReturnType<typeof optionsFrom>>;
  try {
    options = await optionsFrom(args);
  } catch (error) {
    const isArgError =
      error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    if (!isArgError) throw error;
    process.stderr.write(`llm-otel gateway: ${(error as Error).message}\n(see llm-otel gateway --help)\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const log = options.quiet ? undefined : (line: string) => process.stderr.write(`${line}\n`);
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  try {
    gateway = await startGateway({ ...options, log });
  } catch (error) {
    process.stderr.write(`llm-otel gateway: ${(error as Error).message}\n`);
    return error instanceof RangeError ? 2 : 1;
  }
  process.stdout.write(`llm-otel gateway listening on ${gateway.url} (fail-rate ${options.failRate})\n`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await gateway.close();
  process.stderr.write(`llm-otel gateway: stopped on ${signal} after ${gateway.requests} requests\n`);
  return 0;
}
