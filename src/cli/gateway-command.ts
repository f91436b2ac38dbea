/** `llm-otel gateway`: runs the mock gateway until SIGINT or SIGTERM. */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { type GatewayOptions, parseScenarioRules, startGateway } from '../gateway/server.ts';
import { MAX_TASK_POLLS } from '../gateway/tasks.ts';
import { GATEWAY_OPTIONS, GATEWAY_USAGE } from './usage.ts';

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
    options: GATEWAY_OPTIONS,
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
    endGapMs: integer('end-gap-ms', values['end-gap-ms'], 0, 600_000),
    taskPolls: integer('task-polls', values['task-polls'], 1, MAX_TASK_POLLS),
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
    process.stdout.write(GATEWAY_USAGE);
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
