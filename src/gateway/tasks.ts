/**
 * The mock gateway's asynchronous generation tasks: which routes create and poll them, and a
 * bounded board of tasks that answers each poll with the next state. Creation:
 * `POST /{family}/videos`, or `POST /{family}/images/generations` with `"async": true`, answers
 * 202 `{"id":"task_…","object":"task","status":"queued","progress":0}`. Poll:
 * `GET /{family}/tasks/{id}` answers `processing` with a progress until the task's N-th poll, which
 * answers `succeeded` with a `result` (or `failed` with an error in the chosen format), and the
 * same again afterwards. An unknown id, or a family other than the creation's, gets a 404 in
 * OpenAI format. State lives here; no I/O.
 */
import { type ErrorFormat, errorBody } from './payloads.ts';
import { jsonPlan, type Plan } from './scenarios.ts';

const CREATE_ROUTE = /^\/(v1[mei]?)\/(videos|images\/generations)\/?$/;
const POLL_ROUTE = /^\/(v1[mei]?)\/tasks\/([^/]+)\/?$/;
const MAX_TASKS = 10_000;
export const DEFAULT_TASK_POLLS = 3;
export const MAX_TASK_POLLS = 1000;

/** Scenarios only task creations understand (`x-mock-scenario`): the task fails on its last poll. */
export const TASK_SCENARIOS = {
  'task-fail': 'task creation: the task fails on its last poll, error in OpenAI/Cline format',
  'task-fail-cheapai': 'task creation: the task fails, error as CheapAI `{"success":false,"error":"..."}`',
  'task-fail-cheapai-typed': 'task creation: the task fails, error as `{"error":{"message","type"}}`',
} as const;
export type TaskScenario = keyof typeof TASK_SCENARIOS;

const FAILURE = {
  code: 'generation_failed',
  message: 'The generation service returned an error while handling the request.',
} as const;

export type TaskRoute =
  | { readonly kind: 'create'; readonly family: string; readonly product: 'videos' | 'images' }
  | { readonly kind: 'poll'; readonly family: string; readonly id: string };

export function taskRouteOf(method: string, path: string): TaskRoute | undefined {
  if (method === 'POST') {
    const match = CREATE_ROUTE.exec(path);
    if (match) {
      const product = match[2] === 'videos' ? 'videos' : 'images';
      return { kind: 'create', family: `/${match[1]}`, product };
    }
  } else if (method === 'GET') {
    const match = POLL_ROUTE.exec(path);
    if (match) return { kind: 'poll', family: `/${match[1]}`, id: decodedId(match[2] as string) };
  }
  return undefined;
}

function decodedId(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export function isTaskScenario(name: string | undefined): name is TaskScenario {
  return name !== undefined && Object.hasOwn(TASK_SCENARIOS, name);
}

interface Task {
  readonly id: string;
  readonly family: string;
  readonly product: 'videos' | 'images';
  readonly pollsNeeded: number;
  /** undefined: succeeds. */
  readonly failure: ErrorFormat | undefined;
  readonly createdAt: number;
  polls: number;
}

export interface NewTask {
  readonly family: string;
  readonly product: 'videos' | 'images';
  readonly pollsNeeded: number;
  readonly scenario: TaskScenario | undefined;
  /** Unix seconds. */
  readonly now: number;
}

const FORMAT_BY_SCENARIO: Readonly<Record<TaskScenario, ErrorFormat>> = {
  'task-fail': 'openai',
  'task-fail-cheapai': 'cheapai',
  'task-fail-cheapai-typed': 'cheapai-typed',
};

export class TaskBoard {
  readonly #tasks = new Map<string, Task>();
  readonly #newId: () => string;

  constructor(newId: () => string) {
    this.#newId = newId;
  }

  create(input: NewTask): Plan {
    const id = this.#newId();
    const failure = input.scenario === undefined ? undefined : FORMAT_BY_SCENARIO[input.scenario];
    const task: Task = { ...input, id, failure, createdAt: input.now, polls: 0 };
    if (this.#tasks.size >= MAX_TASKS) this.#tasks.delete(this.#tasks.keys().next().value as string);
    this.#tasks.set(id, task);
    return jsonPlan(202, { ...this.#head(task), status: 'queued', progress: 0 });
  }

  poll(family: string, id: string): Plan {
    const task = this.#tasks.get(id);
    if (task === undefined || task.family !== family) {
      const message =
        task === undefined
          ? `No task ${id}`
          : `Task ${id} was created under ${task.family}; poll ${task.family}/tasks/${id}, not ${family}/tasks/${id}`;
      return jsonPlan(404, errorBody('openai', 404, message, 'not_found_error'));
    }
    task.polls = Math.min(task.polls + 1, task.pollsNeeded);
    const head = this.#head(task);
    if (task.polls < task.pollsNeeded) {
      const progress = Math.round((100 * task.polls) / task.pollsNeeded);
      return jsonPlan(200, { ...head, status: 'processing', progress });
    }
    if (task.failure !== undefined) {
      const error = errorBody(task.failure, FAILURE.code, FAILURE.message, FAILURE.code) as object;
      return jsonPlan(200, { ...head, status: 'failed', ...error });
    }
    const url = `https://mock.invalid/${task.product}/${id}.${task.product === 'videos' ? 'mp4' : 'png'}`;
    return jsonPlan(200, { ...head, status: 'succeeded', progress: 100, result: { url } });
  }

  #head(task: Task) {
    return { id: task.id, object: 'task', created_at: task.createdAt };
  }
}
