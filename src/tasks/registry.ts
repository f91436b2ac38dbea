/**
 * The tasks this process created and has not yet seen finish: id → creation span context, creation
 * time, route family, metric attributes and polls so far. Bounded in count (oldest evicted first) and in age (entries
 * older than the TTL are dropped when looked up and on every insert), so a client that never polls
 * its tasks to the end cannot grow it. Lookups are one map access.
 */
import type { Attributes, SpanContext } from '@opentelemetry/api';

export interface TaskEntry {
  readonly id: string;
  /** The creation's operation span: what each poll links to. */
  readonly creation: SpanContext;
  /** Clock milliseconds at creation. */
  readonly createdAt: number;
  readonly routeFamily: string;
  /** Metric attributes of the creation (provider, model), recorded with the task's outcome. */
  readonly metricAttributes: Attributes;
  polls: number;
  completed: boolean;
}

export interface TaskRegistryOptions {
  readonly maxEntries: number;
  readonly ttlMs: number;
  /** Milliseconds; monotonic by default (`performance.now()`). */
  readonly now: () => number;
}

export class TaskRegistry {
  // A Map iterates in insertion order, which is creation order: the first entry is the oldest.
  readonly #entries = new Map<string, TaskEntry>();
  readonly #maxEntries: number;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(options: TaskRegistryOptions) {
    this.#maxEntries = options.maxEntries;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  now(): number {
    return this.#now();
  }

  /** Records a new task (replacing one with the same id), after dropping expired and, if full, the oldest entries. */
  add(id: string, creation: SpanContext, routeFamily: string, metricAttributes: Attributes = {}): TaskEntry {
    const now = this.#now();
    this.#entries.delete(id);
    this.#dropExpired(now);
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
    const entry: TaskEntry = {
      id,
      creation,
      createdAt: now,
      routeFamily,
      metricAttributes,
      polls: 0,
      completed: false,
    };
    this.#entries.set(id, entry);
    return entry;
  }

  /** The live entry for an id; an expired one is dropped and not returned. */
  get(id: string): TaskEntry | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    if (this.#expired(entry, this.#now())) {
      this.#entries.delete(id);
      return undefined;
    }
    return entry;
  }

  /** Forgets a finished task (only this entry: a newer task that reused the id stays). */
  delete(entry: TaskEntry): void {
    if (this.#entries.get(entry.id) === entry) this.#entries.delete(entry.id);
  }

  #expired(entry: TaskEntry, now: number): boolean {
    return now - entry.createdAt >= this.#ttlMs;
  }

  #dropExpired(now: number): void {
    for (const entry of this.#entries.values()) {
      if (!this.#expired(entry, now)) return;
      this.#entries.delete(entry.id);
    }
  }
}
