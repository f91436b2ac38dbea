/**
 * The fault suite's three invariants, checked after every case:
 *  (1) the application sees what it sees without the middleware — see outcome.ts;
 *  (2) every span started ends exactly once (`settledBalance`) and no socket or timer outlives the
 *      suite (`handleCounts` / `expectNoLeakedHandles`);
 *  (3) no request secret reaches exported spans, metrics, OTel's diag log or the console
 *      (`LogCapture`, `telemetryText`, `expectNoSecrets`).
 */
import { format } from 'node:util';
import { type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { expect } from 'vitest';
import * as names from '../../../src/semconv/names.ts';
import { exportedText, type TestTelemetry } from '../../support/telemetry.ts';

/** One secret per place a request carries one. Each tail is unique, so a partial leak is caught too. */
export const SECRETS = {
  authorization: 'sk-fault-authorization-7Hq2Lr9Xw4Pz',
  apiKeyHeader: 'fault-x-api-key-5Tg8Nc3Vb1Ym',
  query: 'fault-query-2Kd6Wf0Js8Qa',
  body: 'fault-body-9Re4Ux7Hn3Lc',
} as const;

/** Where a secret was found, or undefined. Checks each secret and its last 12 characters. */
export function findSecret(
  text: string,
  secrets: readonly string[] = Object.values(SECRETS),
): string | undefined {
  for (const secret of secrets) {
    if (text.includes(secret) || text.includes(secret.slice(-12))) {
      const at = text.indexOf(secret.slice(-12));
      return `${secret} near: ${text.slice(Math.max(0, at - 120), at + 40)}`;
    }
  }
  return undefined;
}

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

/** Collects OTel diag output (every level) and console output, without printing either. */
export class LogCapture {
  readonly lines: string[] = [];
  readonly #saved = new Map<string, unknown>();

  install(): void {
    const record =
      (level: string) =>
      (...args: unknown[]) => {
        this.lines.push(`${level} ${format(...args)}`);
      };
    const logger: DiagLogger = {
      error: record('diag.error'),
      warn: record('diag.warn'),
      info: record('diag.info'),
      debug: record('diag.debug'),
      verbose: record('diag.verbose'),
    };
    diag.setLogger(logger, { logLevel: DiagLogLevel.ALL, suppressOverrideMessage: true });
    const target = console as unknown as Record<string, unknown>;
    for (const method of CONSOLE_METHODS) {
      this.#saved.set(method, target[method]);
      target[method] = record(`console.${method}`);
    }
  }

  restore(): void {
    diag.disable();
    const target = console as unknown as Record<string, unknown>;
    for (const [method, original] of this.#saved) target[method] = original;
    this.#saved.clear();
  }

  text(): string {
    return this.lines.join('\n');
  }
}

const METRIC_NAMES = Object.entries(names)
  .filter(([key]) => key.startsWith('METRIC_'))
  .map(([, value]) => value as string);

/** Every exported span and every data point of every instrument the package defines, as text. */
export async function telemetryText(telemetry: TestTelemetry): Promise<string> {
  const metrics: Record<string, unknown> = {};
  for (const name of METRIC_NAMES) metrics[name] = await telemetry.metricPoints(name);
  return `${exportedText(telemetry.spans())}\n${JSON.stringify(metrics)}`;
}

/** Invariant 3: no secret in spans, metrics, diag or console output. */
export async function expectNoSecrets(
  telemetry: TestTelemetry,
  logs: LogCapture,
  secrets: readonly string[] = Object.values(SECRETS),
): Promise<void> {
  const text = `${await telemetryText(telemetry)}\n${logs.text()}`;
  expect(findSecret(text, secrets)).toBeUndefined();
}

/** Invariant 2a: waits (bounded) until every started span has ended exactly once; returns the unbalanced ids. */
export async function settledBalance(telemetry: TestTelemetry, timeoutMs = 3_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  while (telemetry.balance.unbalanced().length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return telemetry.balance.unbalanced();
}

const TRACKED_HANDLES = ['TCPSocketWrap', 'TCPServerWrap', 'TLSWrap', 'Timeout', 'Immediate'] as const;

/** How many sockets, servers and timers are alive, by kind (process.getActiveResourcesInfo()). */
export function handleCounts(): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(TRACKED_HANDLES.map((kind) => [kind, 0]));
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind in counts) counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

/** Invariant 2b: after everything is closed, no kind of handle outnumbers what `before` counted (bounded wait). */
export async function expectNoLeakedHandles(
  before: Record<string, number>,
  timeoutMs = 3_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const grown = () => Object.entries(handleCounts()).filter(([kind, count]) => count > (before[kind] ?? 0));
  while (grown().length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(Object.fromEntries(grown())).toEqual({});
}
