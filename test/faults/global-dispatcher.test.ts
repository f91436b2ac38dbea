/**
 * Fault matrix, the global dispatcher: two installations a and b, installed and uninstalled in
 * every order in which each install precedes its own uninstall (6 orders), each installation
 * either composed onto the global dispatcher or with a pool of its own (`agent`, 4 combinations):
 * 24 cases. After every step the built-in fetch works (no ClientDestroyedError, no closed
 * dispatcher), exactly one operation and one attempt span is recorded while any installation is
 * active and none when none is, and at the end the application's own dispatcher is global again
 * and still open.
 */
import { Agent, type Dispatcher, getGlobalDispatcher, setGlobalDispatcher } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type FetchTelemetryInstallation,
  installFetchTelemetry,
  type TelemetryDispatcherOptions,
} from '../../src/index.ts';
import { sendJson, startTestServer, type TestServer } from '../support/server.ts';
import { createTestTelemetry, type TestTelemetry } from '../support/telemetry.ts';

type Step = 'install a' | 'install b' | 'uninstall a' | 'uninstall b';
type Mode = 'composed' | 'own pool';

const LEGACY_SLOT = Symbol.for('undici.globalDispatcher.1');
const STEPS: readonly Step[] = ['install a', 'install b', 'uninstall a', 'uninstall b'];

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, index) =>
    permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]),
  );
}

/** Every order of the four steps in which each installation is installed before it is uninstalled. */
const ORDERS = permutations(STEPS).filter(
  (order) =>
    order.indexOf('install a') < order.indexOf('uninstall a') &&
    order.indexOf('install b') < order.indexOf('uninstall b'),
);
const MODES: ReadonlyArray<[Mode, Mode]> = [
  ['composed', 'composed'],
  ['composed', 'own pool'],
  ['own pool', 'composed'],
  ['own pool', 'own pool'],
];
const CASES = ORDERS.flatMap((order) => MODES.map(([a, b]) => [order.join(', '), a, b, order] as const));

let telemetry: TestTelemetry;
let server: TestServer;

beforeAll(async () => {
  telemetry = createTestTelemetry();
  server = await startTestServer((_request, response) => sendJson(response, 200, { choices: [] }));
});

afterAll(async () => {
  await Promise.all([server.close(), telemetry.shutdown()]);
});

beforeEach(() => telemetry.reset());

async function chat(): Promise<number> {
  const response = await fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [] }),
  });
  await response.text();
  return response.status;
}

function options(mode: Mode): TelemetryDispatcherOptions {
  return {
    tracerProvider: telemetry.tracerProvider,
    meterProvider: telemetry.meterProvider,
    ...(mode === 'own pool' && { agent: {} }),
  };
}

describe('two installations, installed and uninstalled in any order', () => {
  it('covers 6 orders x 4 modes', () => {
    expect(ORDERS).toHaveLength(6);
    expect(CASES).toHaveLength(24);
  });

  it.each(CASES)('%s (a: %s, b: %s): fetch keeps working', async (_name, modeA, modeB, order) => {
    const appAgent = new Agent();
    setGlobalDispatcher(appAgent);
    const appLegacy = (globalThis as Record<symbol, unknown>)[LEGACY_SLOT];
    const installations = new Map<string, FetchTelemetryInstallation>();
    const active = new Set<string>();
    const results: string[] = [];
    try {
      for (const step of order) {
        const [verb, name] = step.split(' ') as ['install' | 'uninstall', 'a' | 'b'];
        if (verb === 'install') {
          installations.set(name, installFetchTelemetry(options(name === 'a' ? modeA : modeB)));
          active.add(name);
        } else {
          await installations.get(name)?.uninstall();
          active.delete(name);
        }
        telemetry.reset();
        const status = await chat().catch((error: Error & { cause?: { code?: string } }) =>
          String(error.cause?.code ?? error.message),
        );
        const spans = telemetry
          .spans()
          .map((span) => span.name)
          .sort();
        results.push(`${step}: ${status} ${spans.join('+') || 'no spans'}`);
      }
      const traced = 'POST+chat gpt-4o-mini';
      const expected: string[] = [];
      const running = new Set<string>();
      for (const step of order) {
        const [verb, name] = step.split(' ') as [string, string];
        if (verb === 'install') running.add(name);
        else running.delete(name);
        expected.push(`${step}: 200 ${running.size > 0 ? traced : 'no spans'}`);
      }
      expect(results).toEqual(expected);
      expect(active.size).toBe(0);
      // Back to exactly the application's dispatcher, which is still open.
      expect(getGlobalDispatcher()).toBe(appAgent);
      expect((globalThis as Record<symbol, unknown>)[LEGACY_SLOT]).toBe(appLegacy);
      expect({ closed: appAgent.closed, destroyed: appAgent.destroyed }).toEqual({
        closed: false,
        destroyed: false,
      });
      // Every installation forwards untouched now, even when held directly.
      for (const installation of installations.values()) {
        const response = await fetch(`${server.url}/v1/models`, {
          dispatcher: installation.dispatcher,
        } as RequestInit);
        expect(response.status).toBe(200);
        await response.text();
      }
      expect(telemetry.spans().filter((span) => span.name === 'GET')).toEqual([]);
    } finally {
      for (const installation of installations.values()) await installation.uninstall();
      await appAgent.destroy().catch(() => undefined);
      for (const installation of installations.values()) {
        await (installation.dispatcher as Dispatcher).destroy?.().catch(() => undefined);
      }
    }
  });
});
