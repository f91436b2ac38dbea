/**
 * Asynchronous generation tasks (src/tasks/) owns following a task from the request that created
 * it through every poll to its result. This file is the pure part: recognising a task-creation
 * body, reading a poll body (status, progress, error), naming a path's route family and finding
 * the task ids a poll URL can carry. No OTel, no state, never throws on any JSON value.
 *
 * Bodies recognised (OpenAI-compatible gateways, OpenAI's background responses and videos):
 *  - creation: `{"id":"task_123","status":"queued"}`, `{"task_id":"..."}`, `{"job_id":"..."}`,
 *    `{"data":{"task_id":"..."}}`, `{"data":{"id":"...","status":"pending"}}`. A bare `id` counts
 *    only with a pending status (a chat completion has an `id` too); no creation is terminal.
 *  - poll: `status` (root or `data`), `progress` when numeric, and for a failed or expired task
 *    its `error` (`{"code","message"}`, `{"message","type"}` or CheapAI's plain string).
 */
import { type ProviderError, readProviderError } from '../errors/error-body.ts';
import { containsKeyPrefix } from '../redact/text.ts';

/** Where a task ended, as recorded in metrics: the terminal statuses' spellings folded into four. */
export type FinalStatus = 'succeeded' | 'failed' | 'cancelled' | 'expired';

/** Statuses of a task still in flight: a creation response must carry one (or none). */
export const PENDING_STATUSES: ReadonlySet<string> = new Set([
  'queued',
  'pending',
  'processing',
  'in_progress',
  'running',
  'submitted',
  'starting',
]);

const FINAL_BY_STATUS: Readonly<Record<string, FinalStatus>> = {
  succeeded: 'succeeded',
  completed: 'succeeded',
  failed: 'failed',
  error: 'failed',
  cancelled: 'cancelled',
  canceled: 'cancelled',
  expired: 'expired',
};

/** Keys that name a task id outright; `id` alone also names a chat completion, so it needs a pending status. */
const TASK_ID_KEYS = ['task_id', 'taskId', 'job_id', 'jobId'] as const;

/** Ids become attributes and registry keys matched against path segments: short, URL-safe tokens only. */
const ID_SHAPE = /^[A-Za-z0-9][A-Za-z0-9._:~-]{0,127}$/;
const STATUS_SHAPE = /^[a-z][a-z0-9_-]{0,31}$/;
/** Path segments and query values looked up per poll; a backstop against pathological URLs. */
const MAX_PATH_TOKENS = 32;
/** Keys whose presence makes a JSON text worth parsing for a task; anything else is skipped unparsed. */
const TASK_KEYS_HINT = /"(?:status|task_id|taskId|job_id|jobId)"/;
const MAX_PARSED_CHARS = 1024 * 1024;

export interface TaskCreation {
  readonly id: string;
  readonly status: string | undefined;
}

export interface TaskPoll {
  /** Lowercased, as the gateway said it (`processing`, `completed`). */
  readonly status: string;
  readonly progress: number | undefined;
  /** Set when `status` is terminal. */
  readonly final: FinalStatus | undefined;
  /** The provider's error for a failed or expired task, when the body gives one. */
  readonly error: ProviderError | undefined;
}

type JsonObject = Record<string, unknown>;

function asObject(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as JsonObject)
    : undefined;
}

/** The root object and its `data` object, where gateways nest the task. */
function taskObjects(body: unknown): JsonObject[] {
  const root = asObject(body);
  if (root === undefined) return [];
  const data = asObject(root.data);
  return data === undefined ? [root] : [root, data];
}

/** A task id: a URL-safe token of at most 128 characters (integers accepted), never secret-looking. */
export function normalizeTaskId(value: unknown): string | undefined {
  const text = typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? String(value) : value;
  if (typeof text !== 'string') return undefined;
  const id = text.trim();
  // A task id is often 32 hex digits (a uuid4 hex) or a long opaque token, which the redactor would
  // take for a secret; only a known key prefix or a JWT disqualifies it.
  return ID_SHAPE.test(id) && !containsKeyPrefix(id) && !id.startsWith('eyJ') ? id : undefined;
}

/** A status, lowercased; undefined unless it is a short identifier (it becomes an attribute). */
export function normalizeStatus(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const status = value.trim().toLowerCase();
  return STATUS_SHAPE.test(status) ? status : undefined;
}

/** The metric value of a terminal status (`completed` → `succeeded`); undefined while in flight. */
export function finalStatus(status: string | undefined): FinalStatus | undefined {
  return status === undefined || !Object.hasOwn(FINAL_BY_STATUS, status)
    ? undefined
    : FINAL_BY_STATUS[status];
}

/**
 * The task a creation response announces, or undefined. Also accepts what a custom recogniser
 * returned (`{ id, status }`), so both pass the same id and status rules.
 */
export function readTaskCreation(body: unknown): TaskCreation | undefined {
  for (const object of taskObjects(body)) {
    const status = normalizeStatus(object.status);
    if (finalStatus(status) !== undefined) return undefined;
    for (const key of TASK_ID_KEYS) {
      const id = normalizeTaskId(object[key]);
      if (id !== undefined) return { id, status };
    }
    if (status !== undefined && PENDING_STATUSES.has(status)) {
      const id = normalizeTaskId(object.id);
      if (id !== undefined) return { id, status };
    }
  }
  return undefined;
}

/** Checks a custom recogniser's answer by the same rules as the built-in one. */
export function checkRecognized(value: unknown): TaskCreation | undefined {
  const object = asObject(value);
  if (object === undefined) return undefined;
  const id = normalizeTaskId(object.id);
  const status = normalizeStatus(object.status);
  return id === undefined || finalStatus(status) !== undefined ? undefined : { id, status };
}

/** What a poll response says about its task; undefined when it carries no status. */
export function readTaskPoll(body: unknown): TaskPoll | undefined {
  const objects = taskObjects(body);
  for (const object of objects) {
    const status = normalizeStatus(object.status);
    if (status === undefined) continue;
    const final = finalStatus(status);
    const progress =
      typeof object.progress === 'number' && Number.isFinite(object.progress) ? object.progress : undefined;
    const failed = final === 'failed' || final === 'expired';
    return { status, progress, final, error: failed ? taskError(object, objects[0]) : undefined };
  }
  return undefined;
}

/** The failure's `error` member (on the task object or the root), read like any error body. */
function taskError(task: JsonObject, root: JsonObject | undefined): ProviderError | undefined {
  const error = task.error ?? root?.error;
  return error === undefined || error === null ? undefined : readProviderError({ error });
}

/**
 * Parses a JSON object body for task facts. Undefined for non-objects, oversized texts and, unless
 * `requireTaskKey` is false (a custom recogniser reads any shape), texts that name no task key.
 */
export function parseTaskBody(text: string | undefined, requireTaskKey = true): unknown {
  if (text === undefined || text.length > MAX_PARSED_CHARS) return undefined;
  if (requireTaskKey && !TASK_KEYS_HINT.test(text)) return undefined;
  const start = text.trimStart();
  if (!start.startsWith('{')) return undefined;
  try {
    return JSON.parse(start);
  } catch {
    return undefined;
  }
}

function withoutQuery(path: string): string {
  const query = path.indexOf('?');
  return query === -1 ? path : path.slice(0, query);
}

const FAMILY_SEGMENT = /^v\d+[a-z]?$/i;

/**
 * The route family of a path: its first version-like segment (`/v1`, `/v1m`, `/v1e`, `/v1i`;
 * `/api/v1/...` → `/v1`), else its first segment (`/tasks/1` → `/tasks`), else `/`.
 */
export function routeFamily(path: string): string {
  const segments = withoutQuery(path).split('/', MAX_PATH_TOKENS);
  let first: string | undefined;
  for (const segment of segments) {
    if (segment === '') continue;
    if (FAMILY_SEGMENT.test(segment)) return `/${segment.toLowerCase()}`;
    first ??= segment;
  }
  return first === undefined ? '/' : `/${first}`;
}

function decoded(token: string): string {
  if (!token.includes('%')) return token;
  try {
    return decodeURIComponent(token);
  } catch {
    return token;
  }
}

/**
 * Calls `visit` with each path segment and query value (percent-decoded, at most 32) until it
 * returns true; returns that token. How a poll URL is matched to a known task id: a map lookup
 * per token, never a scan of the known tasks.
 */
export function findPathToken(path: string, visit: (token: string) => boolean): string | undefined {
  const query = path.indexOf('?');
  const route = query === -1 ? path : path.slice(0, query);
  let seen = 0;
  for (const segment of route.split('/', MAX_PATH_TOKENS)) {
    if (segment === '') continue;
    seen++;
    const token = decoded(segment);
    if (visit(token)) return token;
  }
  if (query === -1) return undefined;
  for (const pair of path.slice(query + 1).split('&', MAX_PATH_TOKENS - seen)) {
    const equals = pair.indexOf('=');
    if (equals === -1) continue;
    const token = decoded(pair.slice(equals + 1).replaceAll('+', ' '));
    if (token !== '' && visit(token)) return token;
  }
  return undefined;
}

/** The task id a poll pattern captures (its first group), or undefined when it does not match. */
export function matchPollPattern(pattern: RegExp, path: string): string | undefined {
  const match = pattern.exec(path);
  const captured = match?.[1];
  return captured === undefined ? undefined : normalizeTaskId(decoded(captured));
}

/** A poll pattern made safe to reuse: no `g`/`y` flags (they make `exec` stateful); undefined without a capture group. */
export function compilePollPattern(pattern: RegExp): RegExp | undefined {
  const flags = pattern.flags.replace(/[gy]/g, '');
  const compiled = new RegExp(pattern.source, flags);
  const groups = (new RegExp(`(?:${pattern.source})|`, flags).exec('')?.length ?? 1) - 1;
  return groups >= 1 ? compiled : undefined;
}
