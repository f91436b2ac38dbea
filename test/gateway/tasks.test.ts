import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from '../../src/gateway/server.ts';
import { TaskBoard, taskRouteOf } from '../../src/gateway/tasks.ts';
import { post } from './helpers.ts';

function bodyOf(plan: { pieces: readonly (string | Uint8Array)[] }): unknown {
  return JSON.parse(plan.pieces.join(''));
}

describe('taskRouteOf', () => {
  it('knows the creation and poll routes of every route family, and nothing else', () => {
    expect(taskRouteOf('POST', '/v1/videos')).toEqual({ kind: 'create', family: '/v1', product: 'videos' });
    expect(taskRouteOf('POST', '/v1i/images/generations')).toEqual({
      kind: 'create',
      family: '/v1i',
      product: 'images',
    });
    expect(taskRouteOf('GET', '/v1m/tasks/task%5F1')).toEqual({ kind: 'poll', family: '/v1m', id: 'task_1' });
    expect(taskRouteOf('GET', '/v1/tasks/%E0')).toEqual({ kind: 'poll', family: '/v1', id: '%E0' });
    expect(taskRouteOf('GET', '/v1/videos')).toBeUndefined();
    expect(taskRouteOf('POST', '/v1/tasks/t')).toBeUndefined();
    expect(taskRouteOf('POST', '/v2/videos')).toBeUndefined();
  });
});

describe('TaskBoard', () => {
  const created = { family: '/v1', product: 'videos' as const, pollsNeeded: 3, now: 1700000000 };

  it('queues, processes with progress, then succeeds on the N-th poll and stays succeeded', () => {
    let n = 0;
    const board = new TaskBoard(() => `task_${++n}`);
    const creation = board.create({ ...created, scenario: undefined });
    expect(creation.status).toBe(202);
    const head = { id: 'task_1', object: 'task', created_at: 1700000000 };
    expect(bodyOf(creation)).toEqual({ ...head, status: 'queued', progress: 0 });
    const polls = [1, 2, 3, 4].map(() => board.poll('/v1', 'task_1'));
    expect(polls.map((plan) => plan.status)).toEqual([200, 200, 200, 200]);
    expect(polls.map(bodyOf)).toEqual([
      { ...head, status: 'processing', progress: 33 },
      { ...head, status: 'processing', progress: 67 },
      {
        ...head,
        status: 'succeeded',
        progress: 100,
        result: { url: 'https://mock.invalid/videos/task_1.mp4' },
      },
      {
        ...head,
        status: 'succeeded',
        progress: 100,
        result: { url: 'https://mock.invalid/videos/task_1.mp4' },
      },
    ]);
  });

  it('fails with the error body of each format', () => {
    const board = new TaskBoard(() => 't');
    const message = 'The generation service returned an error while handling the request.';
    const head = { id: 't', object: 'task', created_at: 1700000000, status: 'failed' };
    const failures = (['task-fail', 'task-fail-cheapai', 'task-fail-cheapai-typed'] as const).map(
      (scenario) => {
        board.create({ ...created, pollsNeeded: 1, scenario });
        return bodyOf(board.poll('/v1', 't'));
      },
    );
    expect(failures).toEqual([
      { ...head, error: { code: 'generation_failed', message, metadata: {} } },
      { ...head, success: false, error: message },
      { ...head, error: { message, type: 'generation_failed' } },
    ]);
  });

  it('answers 404 in OpenAI format for an unknown id and for the wrong route family', () => {
    const board = new TaskBoard(() => 't');
    board.create({ ...created, scenario: undefined });
    expect(
      [board.poll('/v1', 'nope'), board.poll('/v1m', 't')].map((plan) => [plan.status, bodyOf(plan)]),
    ).toEqual([
      [404, { error: { code: 404, message: 'No task nope', metadata: {} } }],
      [
        404,
        {
          error: {
            code: 404,
            message: 'Task t was created under /v1; poll /v1/tasks/t, not /v1m/tasks/t',
            metadata: {},
          },
        },
      ],
    ]);
    // The wrong-family poll did not advance the task.
    expect(bodyOf(board.poll('/v1', 't'))).toMatchObject({ status: 'processing', progress: 33 });
  });
});

describe('task routes on the gateway', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startGateway({ taskPolls: 2 });
  });
  afterAll(() => gateway.close());

  it('creates a task, polls it to its result, and honours x-mock-task-polls', async () => {
    const created = await post(gateway.url, { prompt: 'a cat' }, { 'x-mock-task-polls': '1' }, '/v1e/videos');
    expect(created.status).toBe(202);
    expect(created.headers.get('x-mock-scenario')).toBe('ok');
    const { id } = (await created.json()) as { id: string };
    expect(id).toMatch(/^task_[0-9a-f]{24}$/);
    const poll = await fetch(`${gateway.url}/v1e/tasks/${id}`);
    expect(poll.headers.get('x-request-id')).toMatch(/^req_/);
    expect(await poll.json()).toMatchObject({ id, status: 'succeeded' });
  });

  it('lets the creation itself fail by scenario, and names the task-fail scenario it served', async () => {
    const failed = await post(
      gateway.url,
      { prompt: 'x' },
      { 'x-mock-scenario': '503-cheapai' },
      '/v1/videos',
    );
    expect([failed.status, await failed.json()]).toEqual([
      503,
      { success: false, error: 'Service temporarily unavailable' },
    ]);
    const failing = await post(
      gateway.url,
      { prompt: 'x' },
      { 'x-mock-scenario': 'task-fail' },
      '/v1/videos',
    );
    expect([failing.status, failing.headers.get('x-mock-scenario')]).toEqual([202, 'task-fail']);
  });

  it('rejects a synchronous image generation, a bad poll count and a non-JSON body', async () => {
    const answers = await Promise.all([
      post(gateway.url, { prompt: 'x' }, {}, '/v1i/images/generations'),
      post(gateway.url, { prompt: 'x' }, { 'x-mock-task-polls': '0' }, '/v1/videos'),
      post(gateway.url, 'not json', {}, '/v1/videos'),
    ]);
    expect(await Promise.all(answers.map(async (res) => [res.status, await res.json()]))).toEqual([
      [
        400,
        {
          error: {
            code: 400,
            message: 'This mock serves image generations as tasks only: send "async": true',
            metadata: {},
          },
        },
      ],
      [
        400,
        {
          error: { code: 400, message: 'x-mock-task-polls must be an integer from 1 to 1000', metadata: {} },
        },
      ],
      [400, { error: { code: 400, message: 'Request body must be a JSON object', metadata: {} } }],
    ]);
  });

  it('rejects an invalid taskPolls option', async () => {
    await expect(startGateway({ taskPolls: 0 })).rejects.toThrow(
      'taskPolls must be an integer from 1 to 1000, got 0',
    );
  });
});
