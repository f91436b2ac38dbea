/**
 * Which scenario a request gets, in order: the `x-mock-scenario` header; the
 * `x-mock-scenario-sequence` header (entry n for the n-th request with the same
 * `x-mock-sequence-id`); the first matching scenario-file rule; a random failing scenario with
 * probability failRate (seeded); else `ok`. No I/O; the sequence counters are the only state.
 */
import {
  DEFAULT_FAILURE_POOL,
  isScenarioName,
  SCENARIOS,
  type ScenarioName,
  STREAM_ONLY,
} from './scenarios.ts';

/** A scenario-file rule: the first rule whose `match` fields all equal the request's wins. */
export interface ScenarioRule {
  readonly match?: { readonly model?: string; readonly path?: string };
  readonly scenario: ScenarioName;
}

export interface ChooserOptions {
  readonly failRate?: number;
  readonly scenarios?: readonly string[];
  readonly seed?: number;
  readonly rules?: readonly ScenarioRule[];
}

export interface ScenarioRequest {
  readonly scenarioHeader?: string;
  readonly sequenceHeader?: string;
  /** Keys the sequence's position; without it the sequence text itself is the key. */
  readonly sequenceId?: string;
  readonly model: string;
  readonly path: string;
  readonly stream: boolean;
}

export type Choice = { readonly scenario: ScenarioName } | { readonly error: string };

const MAX_SEQUENCES = 10_000;

/** mulberry32: a small seeded PRNG returning numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function unknown(name: string, where: string): string {
  return `Unknown mock scenario "${name}" in ${where}; known scenarios: ${SCENARIOS.join(', ')}`;
}

export function createChooser(options: ChooserOptions = {}): (request: ScenarioRequest) => Choice {
  const failRate = options.failRate ?? 0;
  if (!(failRate >= 0 && failRate <= 1))
    throw new RangeError(`failRate must be between 0 and 1, got ${failRate}`);
  const pool = options.scenarios ?? DEFAULT_FAILURE_POOL;
  for (const name of pool)
    if (!isScenarioName(name)) throw new RangeError(unknown(name, 'the scenarios option'));
  if (pool.length === 0) throw new RangeError('the scenarios option must name at least one scenario');
  const jsonPool = pool.filter((name) => !STREAM_ONLY.has(name));
  const random = seededRandom(options.seed ?? Math.floor(Math.random() * 2 ** 32));
  const positions = new Map<string, number>();

  function fromSequence(text: string, key: string): Choice {
    const entries = text.split(',').map((s) => s.trim());
    const bad = entries.find((name) => !isScenarioName(name));
    if (bad !== undefined) return { error: unknown(bad, 'x-mock-scenario-sequence') };
    const position = positions.get(key) ?? 0;
    positions.delete(key);
    positions.set(key, position + 1);
    if (positions.size > MAX_SEQUENCES) positions.delete(positions.keys().next().value ?? key);
    return { scenario: entries[Math.min(position, entries.length - 1)] as ScenarioName };
  }

  return (request) => {
    const header = request.scenarioHeader?.trim();
    if (header)
      return isScenarioName(header) ? { scenario: header } : { error: unknown(header, 'x-mock-scenario') };
    if (request.sequenceHeader)
      return fromSequence(request.sequenceHeader, request.sequenceId ?? request.sequenceHeader);
    const rule = options.rules?.find(
      (r) =>
        (r.match?.model === undefined || r.match.model === request.model) &&
        (r.match?.path === undefined || r.match.path === request.path),
    );
    if (rule) return { scenario: rule.scenario };
    if (failRate > 0 && random() < failRate) {
      const candidates = !request.stream && jsonPool.length > 0 ? jsonPool : pool;
      return { scenario: candidates[Math.floor(random() * candidates.length)] as ScenarioName };
    }
    return { scenario: 'ok' };
  };
}

/**
 * Validates a scenario file's parsed JSON: an array of rules like
 * `{ "match": { "model": "gpt-4o-mini", "path": "/v1/chat/completions" }, "scenario": "503" }`.
 */
export function parseScenarioRules(json: unknown): ScenarioRule[] {
  if (!Array.isArray(json)) throw new TypeError('a scenario file must hold a JSON array of rules');
  return json.map((rule: unknown, i) => {
    const where = `scenario rule ${i}`;
    if (typeof rule !== 'object' || rule === null) throw new TypeError(`${where} must be an object`);
    const { match, scenario } = rule as { match?: unknown; scenario?: unknown };
    if (typeof scenario !== 'string' || !isScenarioName(scenario))
      throw new TypeError(unknown(String(scenario), where));
    if (match === undefined) return { scenario };
    const { model, path } = (match ?? {}) as { model?: unknown; path?: unknown };
    const isOptionalString = (v: unknown) => v === undefined || typeof v === 'string';
    if (typeof match !== 'object' || match === null || !isOptionalString(model) || !isOptionalString(path)) {
      throw new TypeError(`${where}: "match" must be an object with optional string "model" and "path"`);
    }
    return { match: match as ScenarioRule['match'], scenario };
  });
}
