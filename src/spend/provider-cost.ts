/**
 * The cost of a call as the provider (or the gateway in front of it) reports it, in USD. Pure: the
 * interceptor hands over the response's `usage` object (JSON body or the final streamed usage
 * chunk) and its headers. Sources, first found wins:
 *
 * | where                              | who                                   | unit                  |
 * |------------------------------------|---------------------------------------|-----------------------|
 * | `usage.cost` (number)              | OpenRouter (and gateways copying it)  | USD (credits)         |
 * | `usage.cost_in_usd_ticks` (int)    | xAI                                   | 1e-10 USD             |
 * | `usage.cost.total_cost`            | Perplexity (`usage.cost.currency`)    | USD only              |
 * | `x-litellm-response-cost` header   | LiteLLM proxy and LiteLLM-based hubs  | USD, decimal string   |
 *
 * Nothing else is guessed: a call whose cost is not reported has none here (see price-table.ts).
 */
import { type COST_SOURCE_PRICE_TABLE, COST_SOURCE_PROVIDER } from '../semconv/names.ts';
import { decimal, headerText, nonNegative, own, type ResponseHeaders, record } from './text.ts';

export type CostSource = typeof COST_SOURCE_PROVIDER | typeof COST_SOURCE_PRICE_TABLE;

/** A call's cost: `llm.usage.cost` and `llm.usage.cost_source`. */
export interface Cost {
  readonly usd: number;
  readonly source: CostSource;
}

/** LiteLLM proxy: the cost LiteLLM computed for this request (USD). */
export const LITELLM_COST_HEADER = 'x-litellm-response-cost';
/** xAI bills in ticks: 1 USD = 10^10 ticks. */
export const XAI_TICKS_PER_USD = 1e10;

function provider(usd: number | undefined): Cost | undefined {
  return usd === undefined ? undefined : { usd, source: COST_SOURCE_PROVIDER };
}

/** The cost reported inside a response's `usage` object, in USD. */
export function usageCost(usage: unknown): number | undefined {
  const fields = record(usage);
  if (fields === undefined) return undefined;
  const cost = own(fields, 'cost');
  const direct = nonNegative(cost);
  if (direct !== undefined) return direct;
  const breakdown = record(cost);
  if (breakdown !== undefined) {
    const currency = own(breakdown, 'currency');
    if (currency === undefined || (typeof currency === 'string' && currency.toUpperCase() === 'USD')) {
      const total = nonNegative(own(breakdown, 'total_cost'));
      if (total !== undefined) return total;
    }
  }
  const ticks = nonNegative(own(fields, 'cost_in_usd_ticks'));
  return ticks === undefined ? undefined : ticks / XAI_TICKS_PER_USD;
}

/** The cost a gateway reports in a response header (LiteLLM), in USD. */
export function headerCost(headers: ResponseHeaders | undefined): number | undefined {
  return headers === undefined ? undefined : decimal(headerText(headers, LITELLM_COST_HEADER));
}

/**
 * The provider-reported cost of a call: from `usage` (the response's or final chunk's `usage`
 * object; anything else is ignored) when it carries one, else from the headers; undefined when
 * neither does.
 */
export function providerCost(usage: unknown, headers?: ResponseHeaders): Cost | undefined {
  return provider(usageCost(usage) ?? headerCost(headers));
}
