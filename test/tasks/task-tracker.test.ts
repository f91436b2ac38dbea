/**
 * Asynchronous tasks end to end: Node's built-in fetch through createTelemetryDispatcher against
 * the mock gateway's task routes. The tracker's clock is injected, so durations are exact.
 */
import { SpanStatusCode } from '@opentelemetry/api';
import type { Histogram } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { Dispatcher1Wrapper } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from '../../src/gateway/server.ts';
import { createTelemetryDispatcher } from '../../src/index.ts';
import { InvalidOptionError } from '../../src/options/options.ts';
import { createTaskTracker, type TaskTrackingOptions } from '../../src/tasks/task-tracker.ts';
import { sendJson, startTestServer } from '../support/server.ts';
import { createTestTelemetry, type TestTelemetry } from '../support/telemetry.ts';

const POLLS = 4;
let gateway: Gateway;
let telemetry: TestTelemetry;
const opened: Dispatcher1Wrapper[] = [];

beforeAll(async () => {
  gateway = await startGateway({ taskPolls: POLLS });
});
afterAll(() => gateway.close());
afterEach(async () => {
  expect(telemetry.balance.unbalanced()).toEqual([]);
  await Promise.all(opened.splice(0).map((dispatcher) => dispatcher.close()));
  await telemetry.shutdown();
});

/** A client whose tracker reads `clock.now`; each request is awaited to the end of its body. */
function client(tasks: TaskTrackingOptions | false = {}, extra: Record<string, unknown> = {}) {
  telemetry = createTestTelemetry();
  const clock = { now: 0 };
  const options = tasks === false ? false : { now: () => clock.now, ...tasks };
  const dispatcher = new Dispatcher1Wrapper(
    createTelemetryDispatcher({
      tracerProvider: telemetry.tracerProvider,
      meterProvider: telemetry.meterProvider,
      tasks: options,
      ...extra,
    }),
  );
  opened.push(dispatcher);
  async function send(path: string, init: RequestInit = {}, base = gateway.url) {
    const response = await fetch(`${base}${path}`, { ...init, dispatcher } as RequestInit);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }
  return {
    clock,
    send,
    create(
      path = '/v1/videos',
      headers: Record<string, string> = {},
      body: unknown = { model: 'sora-2', prompt: 'a cat' },
    ) {
      return send(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    },
  };
}

/** Operation spans (no parent: there is no application span here), in start order. */
function operations(spans: readonly ReadableSpan[]): ReadableSpan[] {
  return spans
    .filter((span) => span.parentSpanContext === undefined)
    .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
}

function attemptOf(spans: readonly ReadableSpan[], operation: ReadableSpan): ReadableSpan {
  const children = spans.filter((span) => span.parentSpanContext?.spanId === operation.spanContext().spanId);
  expect(children).toHaveLength(1);
  return children[0] as ReadableSpan;
}

async function histogram(name: string) {
  return (await telemetry.metricPoints(name)).map((point) => ({
    attributes: point.attributes,
    count: (point.value as Histogram).count,
    sum: (point.value as Histogram).sum,
  }));
}

describe('a task that succeeds after N polls', () => {
  it('links every poll to the creation span and records the completion with exact duration and polls', async () => {
    const { clock, create, send } = client();
    const created = await create();
    expect(created.status).toBe(202);
    const id = created.body.id as string;
    const answers: unknown[] = [];
    for (let poll = 1; poll <= POLLS; poll++) {
      clock.now = poll * 1500;
      answers.push((await send(`/v1/tasks/${id}`)).body.status);
    }
    expect(answers).toEqual(['processing', 'processing', 'processing', 'succeeded']);

    const spans = await telemetry.waitForSpans(2 * (POLLS + 1));
    const [creation, ...polls] = operations(spans) as [ReadableSpan, ...ReadableSpan[]];
    expect(creation.name).toBe('POST');
    expect(creation.attributes).toMatchObject({ 'llm.task.id': id, 'llm.task.status': 'queued' });
    expect(attemptOf(spans, creation).attributes).toMatchObject({
      'llm.task.id': id,
      'llm.task.status': 'queued',
    });
    expect(creation.links).toEqual([]);

    expect(polls).toHaveLength(POLLS);
    expect(polls.map((span) => span.links.map((link) => link.context))).toEqual(
      polls.map(() => [creation.spanContext()]),
    );
    expect(
      polls.map((span) => [span.attributes['llm.task.status'], span.attributes['llm.task.progress']]),
    ).toEqual([
      ['processing', 25],
      ['processing', 50],
      ['processing', 75],
      ['succeeded', 100],
    ]);
    expect(polls.map((span) => attemptOf(spans, span).attributes['llm.task.id'])).toEqual(
      polls.map(() => id),
    );
    expect(polls.slice(0, -1).flatMap((span) => span.events)).toEqual([]);
    const last = polls[POLLS - 1] as ReadableSpan;
    expect(last.events.map((event) => [event.name, event.attributes])).toEqual([
      [
        'llm.task.completed',
        {
          'llm.task.id': id,
          'llm.task.status': 'succeeded',
          'llm.task.duration_s': 6,
          'llm.task.polls': POLLS,
        },
      ],
    ]);
    expect(last.status.code).toBe(SpanStatusCode.UNSET);

    expect(await histogram('llm.task.duration')).toEqual([
      {
        attributes: { 'gen_ai.provider.name': '127.0.0.1', 'llm.task.status': 'succeeded' },
        count: 1,
        sum: 6,
      },
    ]);
    expect(await histogram('llm.task.polls')).toEqual([
      {
        attributes: { 'gen_ai.provider.name': '127.0.0.1', 'llm.task.status': 'succeeded' },
        count: 1,
        sum: POLLS,
      },
    ]);
  });

  it('tracks an async image generation under /v1i the same way, with the default poll pattern', async () => {
    const { clock, create, send } = client();
    const created = await create(
      '/v1i/images/generations',
      { 'x-mock-task-polls': '1' },
      { model: 'gpt-image-1', prompt: 'x', async: true },
    );
    clock.now = 250;
    expect((await send(`/v1i/tasks/${created.body.id}`)).body.result).toEqual({
      url: `https://mock.invalid/images/${created.body.id}.png`,
    });
    const [creation, poll] = operations(await telemetry.waitForSpans(4)) as [ReadableSpan, ReadableSpan];
    expect(creation.attributes).toMatchObject({
      'gen_ai.operation.name': 'generate_content',
      'llm.task.id': created.body.id,
    });
    expect(poll.links.map((link) => link.context)).toEqual([creation.spanContext()]);
    expect(poll.events[0]?.attributes).toMatchObject({ 'llm.task.duration_s': 0.25, 'llm.task.polls': 1 });
    // The task's metrics carry the creation's provider and model, like the GenAI metrics.
    expect(await histogram('llm.task.duration')).toEqual([
      {
        attributes: {
          'gen_ai.provider.name': '127.0.0.1',
          'gen_ai.request.model': 'gpt-image-1',
          'llm.task.status': 'succeeded',
        },
        count: 1,
        sum: 0.25,
      },
    ]);
  });
});

describe('a task that fails', () => {
  it.each([
    ['task-fail', 'generation_failed'],
    ['task-fail-cheapai', 'task_failed'],
    ['task-fail-cheapai-typed', 'generation_failed'],
  ])(
    '%s: the failing poll carries error.type %s, its message and status ERROR',
    async (scenario, errorType) => {
      const { clock, create, send } = client();
      const created = await create('/v1/videos', { 'x-mock-scenario': scenario, 'x-mock-task-polls': '2' });
      for (const now of [100, 300]) {
        clock.now = now;
        await send(`/v1/tasks/${created.body.id}`);
      }
      const spans = await telemetry.waitForSpans(6);
      const last = operations(spans)[2] as ReadableSpan;
      const message = 'The generation service returned an error while handling the request.';
      for (const span of [last, attemptOf(spans, last)]) {
        expect(span.attributes).toMatchObject({
          'llm.task.status': 'failed',
          'error.type': errorType,
          'llm.error.message': message,
          'llm.error.retryable': false,
          'http.response.status_code': 200,
        });
        expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message });
      }
      expect(last.events[0]?.attributes).toEqual({
        'llm.task.id': created.body.id,
        'llm.task.status': 'failed',
        'llm.task.duration_s': 0.3,
        'llm.task.polls': 2,
      });
      expect(await histogram('llm.task.polls')).toEqual([
        {
          attributes: { 'gen_ai.provider.name': '127.0.0.1', 'llm.task.status': 'failed' },
          count: 1,
          sum: 2,
        },
      ]);
    },
  );
});

describe('polling the wrong task endpoint', () => {
  it('flags a poll on another route family (linked, not counted) and one for an id never created here', async () => {
    const { clock, create, send } = client();
    const created = await create('/v1/videos', { 'x-mock-task-polls': '1' });
    const id = created.body.id as string;
    expect((await send(`/v1m/tasks/${id}`)).status).toBe(404);
    expect((await send('/v1/tasks/task_never_created')).status).toBe(404);
    clock.now = 10;
    expect((await send(`/v1/tasks/${id}`)).body.status).toBe('succeeded');

    const spans = await telemetry.waitForSpans(8);
    const [creation, wrongFamily, neverCreated, right] = operations(spans) as ReadableSpan[] as [
      ReadableSpan,
      ReadableSpan,
      ReadableSpan,
      ReadableSpan,
    ];
    expect(wrongFamily.attributes).toMatchObject({
      'llm.task.id': id,
      'llm.task.unknown': true,
      'http.response.status_code': 404,
      'error.type': '404',
    });
    expect(attemptOf(spans, wrongFamily).attributes['llm.task.unknown']).toBe(true);
    expect(wrongFamily.links.map((link) => link.context)).toEqual([creation.spanContext()]);
    expect(neverCreated.attributes).toMatchObject({
      'llm.task.id': 'task_never_created',
      'llm.task.unknown': true,
    });
    expect(neverCreated.links).toEqual([]);
    expect(right.attributes['llm.task.unknown']).toBeUndefined();
    expect(right.events[0]?.attributes?.['llm.task.polls']).toBe(1);
  });
});

describe('bounds', () => {
  it('remembers at most maxTasks of many concurrent tasks: polls of forgotten ones are not linked', async () => {
    const { send, create } = client({ maxTasks: 3 });
    const created = await Promise.all(
      Array.from({ length: 12 }, () => create('/v1/videos', { 'x-mock-task-polls': '1' })),
    );
    const ids = created.map((answer) => answer.body.id as string);
    const creationsById = new Map(
      operations(await telemetry.waitForSpans(24)).map((span) => [span.attributes['llm.task.id'], span]),
    );
    expect(creationsById.size).toBe(12);
    telemetry.reset();
    for (const id of ids) expect((await send(`/v1/tasks/${id}`)).body.status).toBe('succeeded');

    const polls = operations(await telemetry.waitForSpans(24));
    const linked = polls.filter((span) => span.links.length === 1);
    expect(linked).toHaveLength(3);
    for (const span of linked) {
      const creation = creationsById.get(span.attributes['llm.task.id']) as ReadableSpan;
      expect(span.links[0]?.context).toEqual(creation.spanContext());
    }
    expect(polls.filter((span) => span.events.length > 0)).toHaveLength(3);
    expect((await histogram('llm.task.polls'))[0]?.count).toBe(3);
  });

  it('forgets a task once ttlMs have passed on its clock', async () => {
    const { clock, send, create } = client({ ttlMs: 1000 });
    const kept = await create('/v1/videos', { 'x-mock-task-polls': '1' });
    const expired = await create('/v1/videos', { 'x-mock-task-polls': '1' });
    clock.now = 999;
    await send(`/v1/tasks/${kept.body.id}`);
    clock.now = 1000;
    await send(`/v1/tasks/${expired.body.id}`);
    const [, , keptPoll, expiredPoll] = operations(await telemetry.waitForSpans(8)) as ReadableSpan[];
    expect(keptPoll?.links).toHaveLength(1);
    expect(keptPoll?.events.map((event) => event.name)).toEqual(['llm.task.completed']);
    expect(expiredPoll?.links).toEqual([]);
    expect(expiredPoll?.events).toEqual([]);
    expect(expiredPoll?.attributes).toMatchObject({
      'llm.task.id': expired.body.id,
      'llm.task.status': 'succeeded',
    });
  });
});

describe('options', () => {
  it('tasks: false records nothing about tasks', async () => {
    const { create, send } = client(false);
    const created = await create('/v1/videos', { 'x-mock-task-polls': '1' });
    await send(`/v1/tasks/${created.body.id}`);
    const spans = await telemetry.waitForSpans(4);
    expect(
      spans.flatMap((span) => Object.keys(span.attributes)).filter((key) => key.startsWith('llm.task')),
    ).toEqual([]);
    expect(spans.flatMap((span) => span.links)).toEqual([]);
  });

  it('leaves calls that are neither creations nor polls alone', async () => {
    const { send } = client();
    await send('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    });
    await send('/v1/models');
    const spans = await telemetry.waitForSpans(4);
    expect(
      spans.flatMap((span) => Object.keys(span.attributes)).filter((key) => key.startsWith('llm.task')),
    ).toEqual([]);
  });

  it('a custom recogniser and poll pattern follow a differently shaped API', async () => {
    const server = await startTestServer((request, response) => {
      if (request.method === 'POST') sendJson(response, 200, { ticket: { uuid: 'u-77' } });
      else sendJson(response, 200, { state: 'x', status: 'completed' });
    });
    try {
      const { clock, send } = client({
        recognize: (body) => {
          const uuid = (body as { ticket?: { uuid?: string } }).ticket?.uuid;
          return uuid === undefined ? undefined : { id: uuid, status: 'queued' };
        },
        pollPattern: /\/status\?ticket=([^&]+)/,
      });
      await send('/render', { method: 'POST', body: '{}' }, server.url);
      clock.now = 2000;
      await send('/status?ticket=u-77', {}, server.url);
      const [creation, poll] = operations(await telemetry.waitForSpans(4)) as [ReadableSpan, ReadableSpan];
      expect(creation.attributes).toMatchObject({ 'llm.task.id': 'u-77', 'llm.task.status': 'queued' });
      expect(poll.links.map((link) => link.context)).toEqual([creation.spanContext()]);
      expect(poll.events[0]?.attributes).toMatchObject({
        'llm.task.status': 'succeeded',
        'llm.task.duration_s': 2,
      });
    } finally {
      await server.close();
    }
  });

  it('a throwing recogniser is a swallowed telemetry failure; the application gets its answer', async () => {
    const failures: string[] = [];
    const { create } = client(
      {
        recognize: () => {
          throw new Error('recogniser bug');
        },
      },
      { onTelemetryError: (_error: unknown, stage: string) => failures.push(stage) },
    );
    const created = await create();
    expect(created.status).toBe(202);
    expect(created.body.status).toBe('queued');
    expect(failures).toEqual(['task']);
    await telemetry.waitForSpans(2);
  });

  it('rejects invalid task options by name, when the dispatcher is built', () => {
    telemetry = createTestTelemetry();
    const metrics = { taskDuration: () => undefined, taskPolls: () => undefined };
    expect(createTaskTracker(false, metrics)).toBeUndefined();
    expect(createTaskTracker({ enabled: false }, metrics)).toBeUndefined();
    expect(() => createTaskTracker({ pollPattern: /\/tasks\/\w+/ }, metrics)).toThrow(
      'option "tasks.pollPattern" must have a capture group for the task id',
    );
    expect(() => createTelemetryDispatcher({ tasks: { maxTasks: 0 } })).toThrow(InvalidOptionError);
    expect(() => createTelemetryDispatcher({ tasks: { ttlMs: 1.5 } })).toThrow(
      'option "tasks.ttlMs" must be a positive integer (got 1.5)',
    );
    expect(() => createTelemetryDispatcher({ tasks: 'yes' as never })).toThrow(
      'option "tasks" must be false or an object',
    );
  });
});
