/**
 * The glue between the interceptor and the task registry. At dispatch, `begin()` says whether a
 * request is a poll of a known task (its operation span then links to the creation's span) or a
 * POST that may create a task (its JSON body is then copied); at the end of each attempt's
 * response, `complete()` turns the status and body into span attributes, the `llm.task.completed`
 * event, the task's error and its metrics. Everything else takes the fast path: undefined.
 */
import type { Attributes, Link, SpanContext } from '@opentelemetry/api';
import { InvalidOptionError } from '../options/options.ts';
import { truncate } from '../redact/text.ts';
import {
  ATTR_LLM_TASK_DURATION_S,
  ATTR_LLM_TASK_ID,
  ATTR_LLM_TASK_POLLS,
  ATTR_LLM_TASK_PROGRESS,
  ATTR_LLM_TASK_STATUS,
  ATTR_LLM_TASK_UNKNOWN,
  ERROR_TYPE_TASK_PREFIX,
  EVENT_LLM_TASK_COMPLETED,
} from '../semconv/names.ts';
import {
  checkRecognized,
  compilePollPattern,
  type FinalStatus,
  findPathToken,
  matchPollPattern,
  parseTaskBody,
  readTaskCreation,
  readTaskPoll,
  routeFamily,
  type TaskCreation,
} from './recognize.ts';
import { type TaskEntry, TaskRegistry } from './registry.ts';

export const DEFAULT_POLL_PATTERN = /\/(?:tasks|jobs)\/([^/?#]+)/;
export const DEFAULT_MAX_TASKS = 10_000;
export const DEFAULT_TASK_TTL_MS = 60 * 60 * 1000;
const MAX_ERROR_MESSAGE_LENGTH = 1024;

export interface TaskTrackingOptions {
  /** Default true. `tasks: false` does the same as `enabled: false`. */
  enabled?: boolean;
  /** GET paths matching this are polls; the first capture group is the task id. Default `/\/(?:tasks|jobs)\/([^/?#]+)/`. */
  pollPattern?: RegExp;
  /** Recognises a creation body your gateway shapes differently: return the task id (and status), or undefined. */
  recognize?: (body: unknown) => { id: string; status?: string } | undefined;
  /** Tasks remembered at once; the oldest is forgotten first. Default 10,000. */
  maxTasks?: number;
  /** A task not seen finishing within this long is forgotten. Default 1 hour. */
  ttlMs?: number;
  /** The clock, in milliseconds (tests inject one). Default `performance.now()`. */
  now?: () => number;
}

/** What the tracker records into; `TelemetryMetrics` implements it. */
export interface TaskMetrics {
  taskDuration(seconds: number, attributes: Attributes): void;
  taskPolls(polls: number, attributes: Attributes): void;
}

export interface TaskEvent {
  readonly name: string;
  readonly attributes: Attributes;
}

export interface TaskOutcome {
  /** For the attempt span and the operation span. */
  readonly attributes: Attributes;
  /** For the operation span (`llm.task.completed`). */
  readonly events: readonly TaskEvent[];
  /** A failed or expired task: recorded like an HTTP error (`error.type`, message, status ERROR). */
  readonly error: { readonly type: string; readonly message: string | undefined } | undefined;
}

/** What a creation is registered with: produced on demand, only when a task was created. */
export interface CreationFacts {
  /** This call's operation span: what the polls link to. */
  readonly span: SpanContext;
  /** Recorded with the task's outcome metrics (`gen_ai.provider.name`, `gen_ai.request.model`). */
  readonly metricAttributes: Attributes;
}

export interface TaskRequest {
  /** Links for the operation span (a poll of a known task → its creation span). */
  readonly links: Link[];
  /** Attributes known at dispatch (`llm.task.id`, `llm.task.unknown`), for both spans. */
  readonly attributes: Attributes;
  /** Whether the attempt should copy a JSON response body for `complete()`. */
  readonly wantsJsonBody: boolean;
  /**
   * Called once per attempt that got a response: its status and, for a 2xx/3xx JSON response, the
   * body text. `creation` is asked for only when the response created a task.
   */
  complete(
    statusCode: number | undefined,
    body: string | undefined,
    creation: () => CreationFacts,
  ): TaskOutcome | undefined;
}

function positiveOption(options: TaskTrackingOptions, name: 'maxTasks' | 'ttlMs', fallback: number): number {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidOptionError(`tasks.${name}`, 'must be a positive integer', value);
  }
  return value;
}

function rejectBadOptions(options: TaskTrackingOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('tasks', 'must be false or an object of task-tracking options', options);
  }
  if (options.enabled !== undefined && typeof options.enabled !== 'boolean') {
    throw new InvalidOptionError('tasks.enabled', 'must be a boolean', options.enabled);
  }
  if (options.pollPattern !== undefined && !(options.pollPattern instanceof RegExp)) {
    throw new InvalidOptionError('tasks.pollPattern', 'must be a RegExp', options.pollPattern);
  }
  for (const name of ['recognize', 'now'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw new InvalidOptionError(`tasks.${name}`, 'must be a function', options[name]);
    }
  }
}

/** The tracker for the `tasks` option, or undefined when task tracking is off. Throws InvalidOptionError. */
export function createTaskTracker(
  option: TaskTrackingOptions | false | undefined,
  metrics: TaskMetrics,
): TaskTracker | undefined {
  if (option === false) return undefined;
  const options = option ?? {};
  rejectBadOptions(options);
  return options.enabled === false ? undefined : new TaskTracker(options, metrics);
}

export class TaskTracker {
  readonly #registry: TaskRegistry;
  readonly #pollPattern: RegExp;
  readonly #recognize: TaskTrackingOptions['recognize'];
  readonly #metrics: TaskMetrics;

  constructor(options: TaskTrackingOptions, metrics: TaskMetrics) {
    rejectBadOptions(options);
    const pattern = compilePollPattern(options.pollPattern ?? DEFAULT_POLL_PATTERN);
    if (pattern === undefined) {
      throw new InvalidOptionError(
        'tasks.pollPattern',
        'must have a capture group for the task id',
        options.pollPattern,
      );
    }
    this.#pollPattern = pattern;
    this.#recognize = options.recognize;
    this.#registry = new TaskRegistry({
      maxEntries: positiveOption(options, 'maxTasks', DEFAULT_MAX_TASKS),
      ttlMs: positiveOption(options, 'ttlMs', DEFAULT_TASK_TTL_MS),
      now: options.now ?? (() => performance.now()),
    });
    this.#metrics = metrics;
  }

  /** Tasks remembered now (bounded by `maxTasks`). */
  get size(): number {
    return this.#registry.size;
  }

  /** At dispatch, before the spans start. Undefined (most requests): nothing to do. */
  begin(method: string, path: string): TaskRequest | undefined {
    if (method === 'POST') return new CreationRequest(this, path);
    if (method !== 'GET') return undefined;
    const registry = this.#registry;
    const captured = matchPollPattern(this.#pollPattern, path);
    let entry = captured === undefined ? undefined : registry.get(captured);
    if (entry === undefined && registry.size > 0) {
      findPathToken(path, (token) => {
        entry = registry.get(token);
        return entry !== undefined;
      });
    }
    if (entry !== undefined) return new PollRequest(this, entry.id, routeFamily(path), entry);
    return captured === undefined ? undefined : new PollRequest(this, captured, routeFamily(path), undefined);
  }

  /** @internal A creation response's task, by the custom recogniser if any, else the built-in one. */
  readCreation(body: string | undefined): TaskCreation | undefined {
    const recognize = this.#recognize;
    if (recognize === undefined) return readTaskCreation(parseTaskBody(body));
    const parsed = parseTaskBody(body, false);
    return parsed === undefined ? undefined : checkRecognized(recognize(parsed));
  }

  /** @internal Remembers a created task under its creation span, for its polls. */
  register(creation: TaskCreation, facts: CreationFacts, family: string): void {
    this.#registry.add(creation.id, facts.span, family, facts.metricAttributes);
  }

  /** @internal Ends a task once: forgets it, records its metrics, returns the event's attributes. */
  finish(entry: TaskEntry, final: FinalStatus): Attributes | undefined {
    if (entry.completed) return undefined;
    entry.completed = true;
    this.#registry.delete(entry);
    const seconds = Math.max(0, (this.#registry.now() - entry.createdAt) / 1000);
    const metricAttributes = { ...entry.metricAttributes, [ATTR_LLM_TASK_STATUS]: final };
    this.#metrics.taskDuration(seconds, metricAttributes);
    this.#metrics.taskPolls(entry.polls, metricAttributes);
    return {
      [ATTR_LLM_TASK_ID]: entry.id,
      [ATTR_LLM_TASK_STATUS]: final,
      [ATTR_LLM_TASK_DURATION_S]: seconds,
      [ATTR_LLM_TASK_POLLS]: entry.polls,
    };
  }
}

const NO_LINKS: Link[] = [];
const NO_ATTRIBUTES: Attributes = Object.freeze({}) as Attributes;

/** A POST: if its 2xx JSON body announces a task, the task is registered under this call's span. */
class CreationRequest implements TaskRequest {
  readonly links = NO_LINKS;
  readonly attributes = NO_ATTRIBUTES;
  readonly wantsJsonBody = true;
  readonly #tracker: TaskTracker;
  readonly #path: string;

  constructor(tracker: TaskTracker, path: string) {
    this.#tracker = tracker;
    this.#path = path;
  }

  complete(statusCode: number | undefined, body: string | undefined, creation: () => CreationFacts) {
    if (statusCode === undefined || statusCode >= 400) return undefined;
    const task = this.#tracker.readCreation(body);
    if (task === undefined) return undefined;
    this.#tracker.register(task, creation(), routeFamily(this.#path));
    const attributes: Attributes = { [ATTR_LLM_TASK_ID]: task.id };
    if (task.status !== undefined) attributes[ATTR_LLM_TASK_STATUS] = task.status;
    return { attributes, events: [], error: undefined };
  }
}

/** A GET of a task: known (linked, counted, completed) or only matched by the poll pattern. */
class PollRequest implements TaskRequest {
  readonly links: Link[];
  readonly attributes: Attributes;
  readonly wantsJsonBody = true;
  readonly #tracker: TaskTracker;
  readonly #entry: TaskEntry | undefined;
  readonly #sameFamily: boolean;

  constructor(tracker: TaskTracker, id: string, family: string, entry: TaskEntry | undefined) {
    this.#tracker = tracker;
    this.#entry = entry;
    this.#sameFamily = entry?.routeFamily === family;
    this.links = entry === undefined ? NO_LINKS : [{ context: entry.creation }];
    this.attributes = { [ATTR_LLM_TASK_ID]: id };
    // Polling another route family than the creation's is the classic mistake: flag it up front.
    if (entry !== undefined && !this.#sameFamily) this.attributes[ATTR_LLM_TASK_UNKNOWN] = true;
  }

  complete(statusCode: number | undefined, body: string | undefined): TaskOutcome | undefined {
    if (statusCode === undefined) return undefined;
    const entry = this.#entry;
    if (statusCode === 404 && entry === undefined) {
      return { attributes: { [ATTR_LLM_TASK_UNKNOWN]: true }, events: [], error: undefined };
    }
    const poll = statusCode < 400 ? readTaskPoll(parseTaskBody(body)) : undefined;
    // Every answered poll of the right family counts; a wrong-family one only if it was served.
    if (entry !== undefined && (this.#sameFamily || poll !== undefined)) entry.polls++;
    if (poll === undefined) return undefined;
    const attributes: Attributes = { [ATTR_LLM_TASK_STATUS]: poll.status };
    if (poll.progress !== undefined) attributes[ATTR_LLM_TASK_PROGRESS] = poll.progress;
    const final = poll.final;
    if (final === undefined) return { attributes, events: [], error: undefined };
    const completed = entry === undefined ? undefined : this.#tracker.finish(entry, final);
    const events = completed === undefined ? [] : [{ name: EVENT_LLM_TASK_COMPLETED, attributes: completed }];
    const failed = final === 'failed' || final === 'expired';
    const error = failed
      ? {
          type: poll.error?.code ?? `${ERROR_TYPE_TASK_PREFIX}${final}`,
          message:
            poll.error?.message === undefined
              ? undefined
              : truncate(poll.error.message, MAX_ERROR_MESSAGE_LENGTH),
        }
      : undefined;
    return { attributes, events, error };
  }
}
