/**
 * Bounds the `gen_ai.request.model` values used as metric attributes: an explicit allowlist, or
 * the first N distinct models seen; everything else is reported as `_OTHER`. Spans always carry
 * the real model name.
 */
import { MODEL_OTHER } from '../semconv/names.ts';

export class ModelCardinalityLimit {
  readonly #allowlist: ReadonlySet<string> | undefined;
  readonly #seen = new Set<string>();
  readonly #max: number;

  constructor(allowlist: readonly string[] | undefined, max: number) {
    this.#allowlist = allowlist ? new Set(allowlist) : undefined;
    this.#max = max;
  }

  metricValue(model: string | undefined): string | undefined {
    if (model === undefined) return undefined;
    if (this.#allowlist) return this.#allowlist.has(model) ? model : MODEL_OTHER;
    if (this.#seen.has(model)) return model;
    if (this.#seen.size >= this.#max) return MODEL_OTHER;
    this.#seen.add(model);
    return model;
  }
}
