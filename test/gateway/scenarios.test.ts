import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Completion } from '../../src/gateway/payloads.ts';
import {
  DEFAULT_FAILURE_POOL,
  planScenario,
  SCENARIO_DESCRIPTIONS,
  SCENARIOS,
  STREAM_ONLY,
} from '../../src/gateway/scenarios.ts';
import { createChooser, parseScenarioRules, seededRandom } from '../../src/gateway/select.ts';
import { dataObjects, parseSse } from './helpers.ts';

const completion: Completion = {
  op: 'chat',
  id: 'chatcmpl-1',
  model: 'm',
  created: 1,
  texts: ['a', 'b', 'c', 'd'],
  promptTokens: 3,
};
const input = { completion, stream: true, includeUsage: false, firstChunkDelayMs: 7, now: new Date(0) };
const request = { model: 'm', path: '/v1/chat/completions', stream: true };

describe('SCENARIOS and SCENARIO_DESCRIPTIONS', () => {
  it('lists 50 distinct names, every one with a plan and a table row', () => {
    expect(SCENARIOS).toHaveLength(53);
    expect(new Set(SCENARIOS).size).toBe(53);
    for (const name of SCENARIOS) {
      expect(planScenario(name, input).status).toBeGreaterThanOrEqual(200);
      const row = /^\d{3}(-cheapai|-cheapai-typed)?$/.test(name)
        ? `\`<status>${name.slice(3)}\``
        : `\`${name}\``;
      expect(SCENARIO_DESCRIPTIONS).toContain(`| ${row} |`);
    }
  });

  it('keeps stall out of the default failure pool and successes out of it entirely', () => {
    expect(DEFAULT_FAILURE_POOL).not.toContain('stall');
    expect(DEFAULT_FAILURE_POOL).not.toContain('ok');
    expect(DEFAULT_FAILURE_POOL).toContain('reset-mid-stream');
    expect(DEFAULT_FAILURE_POOL).toHaveLength(44);
    expect([...STREAM_ONLY].sort()).toEqual(SCENARIOS.filter((s) => s.startsWith('mid-stream-')).sort());
  });
});

describe('planScenario', () => {
  it('streams every content piece, a stop chunk and [DONE] for ok', () => {
    const plan = planScenario('ok', input);
    expect(plan).toMatchObject({ status: 200, chunked: true, gzip: false, firstDelayMs: 0, ending: 'end' });
    const { events } = parseSse(plan.pieces.join(''));
    expect(events).toHaveLength(6);
    expect(
      dataObjects(events).map((c) => (c.choices as { finish_reason: unknown }[])[0]?.finish_reason),
    ).toEqual([null, null, null, null, 'stop']);
  });

  it('delays the first piece for slow-first-chunk, in JSON mode too', () => {
    expect(planScenario('slow-first-chunk', input)).toMatchObject({ chunked: true, firstDelayMs: 7 });
    expect(planScenario('slow-first-chunk', { ...input, stream: false })).toMatchObject({
      chunked: false,
      firstDelayMs: 7,
    });
  });

  it('cuts a JSON answer in half for truncate and reset-mid-stream', () => {
    const full = planScenario('ok', { ...input, stream: false }).pieces.join('');
    for (const name of ['truncate', 'reset-mid-stream'] as const) {
      const plan = planScenario(name, { ...input, stream: false });
      expect(plan.pieces).toEqual([full.slice(0, full.length >> 1)]);
      expect(plan.ending).toBe(name === 'truncate' ? 'end' : 'reset');
    }
  });

  it('uses the fault endings', () => {
    expect(planScenario('stall', input)).toMatchObject({ ending: 'stall', pieces: [], chunked: true });
    expect(planScenario('reset-before-headers', input)).toMatchObject({ ending: 'reset-before-headers' });
    expect(planScenario('hang-then-close', input)).toMatchObject({
      ending: 'hang-then-close',
      firstDelayMs: 7,
    });
  });

  it('gives 503-maintenance a Retry-After two seconds after the next whole second', () => {
    const plan = planScenario('503-maintenance', { ...input, now: new Date(1_000_500) });
    expect(plan.headers['retry-after']).toBe(new Date(1_003_000).toUTCString());
  });
});

describe('createChooser', () => {
  it('prefers the x-mock-scenario header, then the sequence, then rules, then failRate', () => {
    const choose = createChooser({
      failRate: 1,
      scenarios: ['500'],
      rules: [{ match: { model: 'r' }, scenario: '401' }],
    });
    expect(choose({ ...request, model: 'r', scenarioHeader: 'ok', sequenceHeader: '502' })).toEqual({
      scenario: 'ok',
    });
    expect(choose({ ...request, model: 'r', sequenceHeader: '502' })).toEqual({ scenario: '502' });
    expect(choose({ ...request, model: 'r' })).toEqual({ scenario: '401' });
    expect(choose(request)).toEqual({ scenario: '500' });
    expect(createChooser()(request)).toEqual({ scenario: 'ok' });
  });

  it('keys sequences by id, falling back to the sequence text', () => {
    const choose = createChooser();
    const walk = (sequenceId?: string) =>
      Array.from({ length: 3 }, () => choose({ ...request, sequenceHeader: '401,ok', sequenceId }));
    expect(walk('a')).toEqual([{ scenario: '401' }, { scenario: 'ok' }, { scenario: 'ok' }]);
    expect(walk()).toEqual([{ scenario: '401' }, { scenario: 'ok' }, { scenario: 'ok' }]);
    expect(choose({ ...request, sequenceHeader: '401,nope' })).toEqual({
      error: expect.stringMatching(/^Unknown mock scenario "nope" in x-mock-scenario-sequence/),
    });
  });

  it('skips stream-only scenarios for JSON requests unless the pool has nothing else', () => {
    const mixed = createChooser({ failRate: 1, scenarios: ['mid-stream-rate_limit', '502'] });
    for (let i = 0; i < 20; i++) expect(mixed({ ...request, stream: false })).toEqual({ scenario: '502' });
    const onlyStream = createChooser({ failRate: 1, scenarios: ['mid-stream-rate_limit'] });
    expect(onlyStream({ ...request, stream: false })).toEqual({ scenario: 'mid-stream-rate_limit' });
  });

  it('fails about failRate of the requests for a seed', () => {
    const choose = createChooser({ failRate: 0.25, seed: 7 });
    const failures = Array.from({ length: 4000 }, () => choose(request)).filter(
      (c) => !('scenario' in c) || c.scenario !== 'ok',
    ).length;
    expect(failures / 4000).toBeCloseTo(0.25, 1);
  });
});

describe('seededRandom', () => {
  it('repeats for a seed and stays in [0, 1)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (seed) => {
        const a = seededRandom(seed);
        const b = seededRandom(seed);
        for (let i = 0; i < 20; i++) {
          const x = a();
          if (x !== b() || x < 0 || x >= 1) return false;
        }
        return true;
      }),
    );
  });
});

describe('parseScenarioRules', () => {
  const scenario = fc.constantFrom(...SCENARIOS);
  const rule = fc.record(
    { match: fc.record({ model: fc.string(), path: fc.string() }, { requiredKeys: [] }), scenario },
    { requiredKeys: ['scenario'] },
  );

  it('accepts every well-formed rule list unchanged', () => {
    fc.assert(
      fc.property(fc.array(rule), (rules) => {
        expect(parseScenarioRules(rules)).toEqual(rules);
      }),
    );
  });

  it('rejects anything else with a message naming the rule', () => {
    expect(() => parseScenarioRules({ scenario: 'ok' })).toThrow(
      'a scenario file must hold a JSON array of rules',
    );
    expect(() => parseScenarioRules([{ scenario: 'ok' }, 3])).toThrow('scenario rule 1 must be an object');
    expect(() => parseScenarioRules([{ scenario: 'nope' }])).toThrow(
      /^Unknown mock scenario "nope" in scenario rule 0; known scenarios: ok/,
    );
    expect(() => parseScenarioRules([{ scenario: 'ok', match: { model: 1 } }])).toThrow(
      'scenario rule 0: "match" must be an object with optional string "model" and "path"',
    );
    fc.assert(
      fc.property(
        fc.anything().filter((v) => !Array.isArray(v)),
        (value) => {
          expect(() => parseScenarioRules(value)).toThrow(TypeError);
        },
      ),
    );
  });
});
