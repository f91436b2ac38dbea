/**
 * The user's price table (option `prices`): USD per million tokens per model, and the cost of a
 * call computed from it when the provider reports none. There is no built-in table: prices change
 * and differ per account, so a stale copy would be presented as truth. Pure.
 */
import { InvalidOptionError } from '../options/options.ts';
import { COST_SOURCE_PRICE_TABLE } from '../semconv/names.ts';
import type { Cost } from './provider-cost.ts';
import { nonNegative, own, record } from './text.ts';

/** One model's prices, USD per million tokens. */
export interface ModelPrice {
  /** Input (prompt) tokens not served from the prompt cache. */
  readonly input: number;
  /** Output (completion) tokens, reasoning included. */
  readonly output: number;
  /** Input tokens served from the prompt cache; default: `input`. */
  readonly cachedInput?: number;
}

/** The `prices` option: model name (as sent in the request, or as the response names it) → prices. */
export type PriceTable = Readonly<Record<string, ModelPrice>>;

/** The validated table: a Map, so no model name can hit an Object.prototype member. */
export type ResolvedPriceTable = ReadonlyMap<string, Required<ModelPrice>>;

/** Token counts of one call; `inputTokens` includes `cachedInputTokens` (as `gen_ai.usage.input_tokens` does). */
export interface TokenCounts {
  readonly inputTokens: number | undefined;
  readonly outputTokens: number | undefined;
  readonly cachedInputTokens?: number | undefined;
}

const OPTION = 'prices';
const PRICE_KEYS: ReadonlySet<string> = new Set(['input', 'output', 'cachedInput']);
const PER_MILLION = 1_000_000;

function price(model: string, entry: Readonly<Record<string, unknown>>, key: string): number | undefined {
  const value = own(entry, key);
  if (value === undefined && key === 'cachedInput') return undefined;
  if (nonNegative(value) === undefined) {
    throw new InvalidOptionError(
      OPTION,
      `must give "${model}" a finite, non-negative "${key}" price (USD per million tokens)`,
      value,
    );
  }
  return value as number;
}

/**
 * Validates the `prices` option: undefined stays undefined (no computed costs); otherwise an object
 * mapping each model name to `{ input, output, cachedInput? }` in USD per million tokens. Fails
 * fast, naming the option, on anything else (unknown keys included, to catch typos).
 */
export function resolvePriceTable(value: unknown): ResolvedPriceTable | undefined {
  if (value === undefined) return undefined;
  const table = record(value);
  if (table === undefined) {
    throw new InvalidOptionError(
      OPTION,
      'must be an object of model name → { input, output, cachedInput? }',
      value,
    );
  }
  const resolved = new Map<string, Required<ModelPrice>>();
  for (const model of Object.keys(table)) {
    if (model === '') throw new InvalidOptionError(OPTION, 'must not have an empty model name', model);
    const entry = record(table[model]);
    if (entry === undefined) {
      throw new InvalidOptionError(
        OPTION,
        `must map "${model}" to { input, output, cachedInput? }`,
        table[model],
      );
    }
    const unknown = Object.keys(entry).find((key) => !PRICE_KEYS.has(key));
    if (unknown !== undefined) {
      throw new InvalidOptionError(
        OPTION,
        `has an unknown key "${unknown}" for "${model}" (input, output, cachedInput)`,
        unknown,
      );
    }
    const input = price(model, entry, 'input') as number;
    const output = price(model, entry, 'output') as number;
    const cachedInput = price(model, entry, 'cachedInput') ?? input;
    resolved.set(model, Object.freeze({ input, output, cachedInput }));
  }
  return resolved;
}

/**
 * The cost of a call from the price table: the first of `models` that the table names (pass the
 * response's model, then the request's), priced per million tokens, cached input at its own price.
 * Undefined when no table, no model in it, or no token count at all; a missing count is 0 (an
 * embedding has no output tokens). Cached tokens beyond the input count are capped at it.
 */
export function priceTableCost(
  table: ResolvedPriceTable | undefined,
  models: readonly (string | undefined)[],
  tokens: TokenCounts,
): Cost | undefined {
  if (table === undefined) return undefined;
  const input = nonNegative(tokens.inputTokens);
  const output = nonNegative(tokens.outputTokens);
  if (input === undefined && output === undefined) return undefined;
  let prices: Required<ModelPrice> | undefined;
  for (const model of models) {
    prices = model === undefined ? undefined : table.get(model);
    if (prices !== undefined) break;
  }
  if (prices === undefined) return undefined;
  const allInput = input ?? 0;
  const cached = Math.min(nonNegative(tokens.cachedInputTokens) ?? 0, allInput);
  const micro =
    (allInput - cached) * prices.input + cached * prices.cachedInput + (output ?? 0) * prices.output;
  return { usd: micro / PER_MILLION, source: COST_SOURCE_PRICE_TABLE };
}

/**
 * Input tokens served from the prompt cache, as the usage object reports them: OpenAI chat
 * `prompt_tokens_details.cached_tokens`, Responses `input_tokens_details.cached_tokens`, Anthropic
 * `cache_read_input_tokens`, Gemini `cachedContentTokenCount`. Undefined when none is reported.
 */
export function cachedInputTokens(usage: unknown): number | undefined {
  const fields = record(usage);
  if (fields === undefined) return undefined;
  for (const details of ['prompt_tokens_details', 'input_tokens_details']) {
    const cached = nonNegative(own(record(own(fields, details)), 'cached_tokens'));
    if (cached !== undefined) return cached;
  }
  return (
    nonNegative(own(fields, 'cache_read_input_tokens')) ?? nonNegative(own(fields, 'cachedContentTokenCount'))
  );
}
