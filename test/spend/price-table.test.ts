/**
 * The `prices` option: validation that names the option and the model, and the computed cost of
 * a call (input, cached input at its own price, output), exact to the float.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/options/options.ts';
import { cachedInputTokens, priceTableCost, resolvePriceTable } from '../../src/spend/price-table.ts';

const runs = (count: number): number =>
  process.env.MUTATE_GROUP === undefined ? count : Math.ceil(count / 10);

const table = resolvePriceTable({
  'gpt-4o-mini': { input: 0.15, output: 0.6, cachedInput: 0.075 },
  'claude-sonnet-4': { input: 3, output: 15 },
});

describe('resolvePriceTable', () => {
  it('keeps an undefined option undefined and fills cachedInput with the input price', () => {
    expect(resolvePriceTable(undefined)).toBeUndefined();
    expect([...(table ?? [])]).toEqual([
      ['gpt-4o-mini', { input: 0.15, output: 0.6, cachedInput: 0.075 }],
      ['claude-sonnet-4', { input: 3, output: 15, cachedInput: 3 }],
    ]);
    expect(resolvePriceTable({})?.size).toBe(0);
  });

  it.each([
    [null, 'option "prices" must be an object of model name → { input, output, cachedInput? } (got null)'],
    [[], 'option "prices" must be an object of model name → { input, output, cachedInput? } (got an array)'],
    [{ m: 1 }, 'option "prices" must map "m" to { input, output, cachedInput? } (got 1)'],
    [
      { m: { input: 1 } },
      'option "prices" must give "m" a finite, non-negative "output" price (USD per million tokens) (got undefined)',
    ],
    [
      { m: { input: -1, output: 1 } },
      'option "prices" must give "m" a finite, non-negative "input" price (USD per million tokens) (got -1)',
    ],
    [
      { m: { input: '1', output: 1 } },
      'option "prices" must give "m" a finite, non-negative "input" price (USD per million tokens) (got "1")',
    ],
    [
      { m: { input: 1, output: Number.POSITIVE_INFINITY } },
      'option "prices" must give "m" a finite, non-negative "output" price (USD per million tokens) (got Infinity)',
    ],
    [
      { m: { input: 1, output: 1, cachedInput: Number.NaN } },
      'option "prices" must give "m" a finite, non-negative "cachedInput" price (USD per million tokens) (got NaN)',
    ],
    [
      { m: { input: 1, output: 1, cached_input: 0.5 } },
      'option "prices" has an unknown key "cached_input" for "m" (input, output, cachedInput) (got "cached_input")',
    ],
    [{ '': { input: 1, output: 1 } }, 'option "prices" must not have an empty model name (got "")'],
  ])('rejects %j', (value, message) => {
    let thrown: unknown;
    try {
      resolvePriceTable(value);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidOptionError);
    expect((thrown as InvalidOptionError).option).toBe('prices');
    expect((thrown as Error).message).toBe(`llm-otel-dispatcher: ${message}`);
  });
});

describe('priceTableCost', () => {
  it('prices input, cached input and output per million tokens', () => {
    expect(
      priceTableCost(table, ['gpt-4o-mini'], {
        inputTokens: 1000,
        outputTokens: 200,
        cachedInputTokens: 400,
      }),
    ).toEqual({ usd: (600 * 0.15 + 400 * 0.075 + 200 * 0.6) / 1e6, source: 'price_table' });
    expect(
      priceTableCost(table, ['claude-sonnet-4'], { inputTokens: 1_000_000, outputTokens: 1_000_000 }),
    ).toEqual({
      usd: 18,
      source: 'price_table',
    });
  });

  it('takes the first model the table names (response model, then request model)', () => {
    const tokens = { inputTokens: 1_000_000, outputTokens: 0 };
    expect(priceTableCost(table, ['gpt-4o-mini-2024-07-18', 'gpt-4o-mini'], tokens)?.usd).toBe(0.15);
    expect(priceTableCost(table, [undefined, 'claude-sonnet-4'], tokens)?.usd).toBe(3);
    expect(priceTableCost(table, ['claude-sonnet-4', 'gpt-4o-mini'], tokens)?.usd).toBe(3);
  });

  it('counts a missing count as 0, caps cached tokens at the input, and needs a table, a model and a count', () => {
    expect(
      priceTableCost(table, ['claude-sonnet-4'], { inputTokens: 2_000_000, outputTokens: undefined })?.usd,
    ).toBe(6);
    expect(
      priceTableCost(table, ['gpt-4o-mini'], {
        inputTokens: 1_000_000,
        outputTokens: 0,
        cachedInputTokens: 5_000_000,
      })?.usd,
    ).toBe(0.075);
    expect(priceTableCost(undefined, ['gpt-4o-mini'], { inputTokens: 1, outputTokens: 1 })).toBeUndefined();
    expect(
      priceTableCost(table, ['unknown', undefined], { inputTokens: 1, outputTokens: 1 }),
    ).toBeUndefined();
    expect(
      priceTableCost(table, ['gpt-4o-mini'], { inputTokens: undefined, outputTokens: undefined }),
    ).toBeUndefined();
    // No Object.prototype member is a model.
    expect(
      priceTableCost(table, ['constructor', '__proto__'], { inputTokens: 1, outputTokens: 1 }),
    ).toBeUndefined();
  });

  it('is never negative and grows with every count (property)', () => {
    const price = fc.double({ min: 0, max: 100, noNaN: true });
    const count = fc.integer({ min: 0, max: 10_000_000 });
    fc.assert(
      fc.property(
        price,
        price,
        price,
        count,
        count,
        count,
        (input, output, cachedInput, inTok, outTok, cached) => {
          const prices = resolvePriceTable({ m: { input, output, cachedInput } });
          const cost = priceTableCost(prices, ['m'], {
            inputTokens: inTok,
            outputTokens: outTok,
            cachedInputTokens: cached,
          });
          const more = priceTableCost(prices, ['m'], {
            inputTokens: inTok,
            outputTokens: outTok + 1,
            cachedInputTokens: cached,
          });
          expect(cost?.usd).toBeGreaterThanOrEqual(0);
          expect(more?.usd).toBeGreaterThanOrEqual(cost?.usd ?? 0);
          const c = Math.min(cached, inTok);
          expect(cost?.usd).toBeCloseTo(((inTok - c) * input + c * cachedInput + outTok * output) / 1e6, 9);
        },
      ),
      { numRuns: runs(1000) },
    );
  });
});

describe('cachedInputTokens', () => {
  it('reads each provider family', () => {
    expect(cachedInputTokens({ prompt_tokens: 2006, prompt_tokens_details: { cached_tokens: 1920 } })).toBe(
      1920,
    );
    expect(cachedInputTokens({ input_tokens: 300, input_tokens_details: { cached_tokens: 128 } })).toBe(128);
    expect(cachedInputTokens({ input_tokens: 21, cache_read_input_tokens: 188086 })).toBe(188086);
    expect(cachedInputTokens({ promptTokenCount: 900, cachedContentTokenCount: 512 })).toBe(512);
    expect(cachedInputTokens({ prompt_tokens: 5 })).toBeUndefined();
    expect(cachedInputTokens({ prompt_tokens_details: { cached_tokens: -1 } })).toBeUndefined();
    expect(cachedInputTokens('x')).toBeUndefined();
  });
});
