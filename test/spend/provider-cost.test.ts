/**
 * Provider-reported cost: each documented source with its real shape, precedence, and everything
 * that must not read as a cost (strings in usage, signs, hex, Infinity, other currencies).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { headerCost, providerCost, usageCost } from '../../src/spend/provider-cost.ts';
import { decimal } from '../../src/spend/text.ts';

const runs = (count: number): number =>
  process.env.MUTATE_GROUP === undefined ? count : Math.ceil(count / 10);

describe('providerCost', () => {
  it('reads OpenRouter usage.cost (JSON body or the final streamed usage chunk)', () => {
    const usage = {
      prompt_tokens: 194,
      completion_tokens: 2,
      total_tokens: 196,
      cost: 0.000095,
      is_byok: false,
      cost_details: { upstream_inference_cost: null },
    };
    expect(providerCost(usage)).toEqual({ usd: 0.000095, source: 'provider' });
    expect(providerCost({ ...usage, cost: 0 })).toEqual({ usd: 0, source: 'provider' });
  });

  it('reads xAI usage.cost_in_usd_ticks (10^10 ticks per USD)', () => {
    expect(providerCost({ prompt_tokens: 10, cost_in_usd_ticks: 37_756_000 })).toEqual({
      usd: 0.0037756,
      source: 'provider',
    });
  });

  it('reads Perplexity usage.cost.total_cost in USD only', () => {
    const cost = { input_cost: 0.0001, output_cost: 0.0002, total_cost: 0.0053, currency: 'USD' };
    expect(providerCost({ input_tokens: 5, cost })).toEqual({ usd: 0.0053, source: 'provider' });
    expect(providerCost({ cost: { ...cost, currency: 'usd' } })?.usd).toBe(0.0053);
    expect(providerCost({ cost: { total_cost: 0.0053 } })?.usd).toBe(0.0053);
    expect(providerCost({ cost: { ...cost, currency: 'EUR' } })).toBeUndefined();
  });

  it('reads the LiteLLM x-litellm-response-cost header (decimal or exponent form)', () => {
    expect(providerCost(undefined, { 'x-litellm-response-cost': '0.000415' })).toEqual({
      usd: 0.000415,
      source: 'provider',
    });
    expect(providerCost({}, { 'x-litellm-response-cost': ['1.5e-05', '9'] })?.usd).toBe(0.000015);
    expect(headerCost({ 'x-litellm-response-cost': ' 2.25 ' })).toBe(2.25);
  });

  it('prefers the body over the header (the upstream bill over a proxy estimate)', () => {
    expect(providerCost({ cost: 0.5 }, { 'x-litellm-response-cost': '0.7' })?.usd).toBe(0.5);
    expect(providerCost({ cost: 'n/a' }, { 'x-litellm-response-cost': '0.7' })?.usd).toBe(0.7);
  });

  it('reports nothing when no source is present or readable', () => {
    expect(providerCost(undefined)).toBeUndefined();
    expect(providerCost(null, {})).toBeUndefined();
    expect(providerCost([0.1], {})).toBeUndefined();
    for (const cost of ['0.1', -0.1, Number.NaN, Number.POSITIVE_INFINITY, null, true, [0.1]])
      expect(usageCost({ cost })).toBeUndefined();
    expect(usageCost({ cost_in_usd_ticks: -5 })).toBeUndefined();
    // Inherited properties are not the provider's.
    expect(usageCost(Object.create({ cost: 1 }))).toBeUndefined();
    for (const value of ['', 'None', '-0.1', '+1', '0x10', 'Infinity', '1e', '.', '1.2.3', '1 2', 'NaN'])
      expect(headerCost({ 'x-litellm-response-cost': value }), value).toBeUndefined();
    expect(headerCost({ 'x-litellm-response-cost': `0.${'1'.repeat(200)}` })).toBeUndefined();
  });
});

describe('decimal', () => {
  it('reads exactly what Number() reads for non-negative decimals, and nothing else', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e12, noNaN: true }), (value) => {
        const text = String(value);
        expect(decimal(text)).toBe(Number(text));
      }),
      { numRuns: runs(2000) },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        const parsed = decimal(text);
        if (parsed !== undefined) {
          expect(parsed).toBe(Number(text));
          expect(/^[0-9.eE+-]+$/.test(text)).toBe(true);
          expect(text.startsWith('-') || text.startsWith('+')).toBe(false);
        }
      }),
      { numRuns: runs(3000) },
    );
  });

  it('takes time linear in a long hostile value (bounded: never looks past 64 characters)', () => {
    const hostile = `${'1'.repeat(1_000_000)}e`;
    expect(decimal(hostile)).toBeUndefined();
    expect(headerCost({ 'x-litellm-response-cost': hostile })).toBeUndefined();
  });
});
