#!/usr/bin/env node
/**
 * The `llm-otel` command line: a tiny dispatcher on the first argument. Each command lives in its
 * own module, loaded on demand, exporting `run(args): Promise<number>` (the exit code). The help
 * texts live in usage.ts.
 */
import { MAIN_USAGE as USAGE } from './usage.ts';

const commands: Record<string, () => Promise<{ run(args: readonly string[]): Promise<number> }>> = {
  gateway: () => import('./gateway-command.ts'),
  demo: () => import('./demo-command.ts'),
};

const [name, ...args] = process.argv.slice(2);
if (name === '--help' || name === '-h' || name === 'help') {
  process.stdout.write(USAGE);
} else if (name === undefined || !Object.hasOwn(commands, name)) {
  process.stderr.write(
    `${name === undefined ? 'llm-otel: missing command' : `llm-otel: unknown command "${name}"`}\n\n${USAGE}`,
  );
  process.exitCode = 2;
} else {
  const command = await commands[name]?.();
  process.exitCode = (await command?.run(args)) ?? 1;
}
