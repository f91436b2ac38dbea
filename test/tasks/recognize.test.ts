import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkRecognized,
  compilePollPattern,
  finalStatus,
  findPathToken,
  matchPollPattern,
  normalizeTaskId,
  parseTaskBody,
  readTaskCreation,
  readTaskPoll,
  routeFamily,
} from '../../src/tasks/recognize.ts';
import { DEFAULT_POLL_PATTERN } from '../../src/tasks/task-tracker.ts';

describe('readTaskCreation', () => {
  it('recognises the usual creation shapes', () => {
    expect(readTaskCreation({ id: 'task_123', status: 'queued' })).toEqual({
      id: 'task_123',
      status: 'queued',
    });
    expect(readTaskCreation({ task_id: 'abc-1' })).toEqual({ id: 'abc-1', status: undefined });
    expect(readTaskCreation({ job_id: 42, status: 'PENDING' })).toEqual({ id: '42', status: 'pending' });
    expect(readTaskCreation({ code: 0, data: { task_id: 't.9', status: 'submitted' } })).toEqual({
      id: 't.9',
      status: 'submitted',
    });
    expect(readTaskCreation({ data: { id: 'video_1', status: 'in_progress' } })).toEqual({
      id: 'video_1',
      status: 'in_progress',
    });
    expect(readTaskCreation({ id: 'resp_1', object: 'response', status: 'queued' })).toEqual({
      id: 'resp_1',
      status: 'queued',
    });
  });

  it('ignores synchronous answers, finished tasks and unusable ids', () => {
    expect(readTaskCreation({ id: 'chatcmpl-1', object: 'chat.completion', choices: [] })).toBeUndefined();
    expect(readTaskCreation({ id: 'resp_1', status: 'completed' })).toBeUndefined();
    expect(readTaskCreation({ task_id: 'x', status: 'failed' })).toBeUndefined();
    expect(readTaskCreation({ id: 'x', status: 'weird status!' })).toBeUndefined();
    expect(readTaskCreation({ task_id: 'a/b' })).toBeUndefined();
    expect(readTaskCreation({ task_id: '' })).toBeUndefined();
    expect(readTaskCreation({ task_id: 'x'.repeat(129) })).toBeUndefined();
    expect(readTaskCreation({ task_id: 'sk-proj-abcdefghijklmnopqrstuvwxyz123456' })).toBeUndefined();
    expect(readTaskCreation({ task_id: -1 })).toBeUndefined();
    expect(readTaskCreation([{ task_id: 'x' }])).toBeUndefined();
    expect(readTaskCreation('task_1')).toBeUndefined();
    expect(readTaskCreation(null)).toBeUndefined();
  });

  it('applies the same rules to what a custom recogniser returns', () => {
    expect(checkRecognized({ id: 'u-1', status: 'Running' })).toEqual({ id: 'u-1', status: 'running' });
    expect(checkRecognized({ id: 'u-1' })).toEqual({ id: 'u-1', status: undefined });
    expect(checkRecognized({ id: 'u-1', status: 'succeeded' })).toBeUndefined();
    expect(checkRecognized({ id: 'has space' })).toBeUndefined();
    expect(checkRecognized(undefined)).toBeUndefined();
  });
});

describe('readTaskPoll', () => {
  it('reads status and numeric progress, at the root or under data', () => {
    expect(readTaskPoll({ id: 't', status: 'processing', progress: 33 })).toEqual({
      status: 'processing',
      progress: 33,
      final: undefined,
      error: undefined,
    });
    expect(readTaskPoll({ data: { status: 'IN_PROGRESS', progress: '50%' } })).toEqual({
      status: 'in_progress',
      progress: undefined,
      final: undefined,
      error: undefined,
    });
    expect(readTaskPoll({ id: 't', result: {} })).toBeUndefined();
  });

  it('folds terminal statuses into four final values', () => {
    const finals = [
      'succeeded',
      'completed',
      'failed',
      'error',
      'cancelled',
      'canceled',
      'expired',
      'queued',
    ].map((status) => finalStatus(status));
    expect(finals).toEqual([
      'succeeded',
      'succeeded',
      'failed',
      'failed',
      'cancelled',
      'cancelled',
      'expired',
      undefined,
    ]);
    expect(finalStatus('constructor')).toBeUndefined();
    expect(readTaskPoll({ status: 'completed', result: { url: 'u' } })?.final).toBe('succeeded');
    expect(readTaskPoll({ status: 'canceled' })).toMatchObject({ final: 'cancelled', error: undefined });
  });

  it('reads a failed task error in each provider format', () => {
    const openai = {
      status: 'failed',
      error: { code: 'content_policy_violation', message: 'Blocked', metadata: {} },
    };
    expect(readTaskPoll(openai)?.error).toMatchObject({
      code: 'content_policy_violation',
      message: 'Blocked',
    });
    const cheapai = { status: 'failed', success: false, error: 'Generation failed' };
    expect(readTaskPoll(cheapai)?.error).toMatchObject({ code: undefined, message: 'Generation failed' });
    const typed = { data: { status: 'error', error: { message: 'Upstream down', type: 'upstream_error' } } };
    expect(readTaskPoll(typed)).toMatchObject({
      final: 'failed',
      error: { code: 'upstream_error', message: 'Upstream down' },
    });
    expect(readTaskPoll({ status: 'expired' })).toMatchObject({ final: 'expired', error: undefined });
    // A task's own `type` is not an error code.
    expect(readTaskPoll({ status: 'failed', type: 'video' })?.error).toBeUndefined();
  });
});

describe('parseTaskBody', () => {
  it('parses only JSON objects that name a task key (unless told otherwise)', () => {
    expect(parseTaskBody('{"status":"queued","id":"t"}')).toEqual({ status: 'queued', id: 't' });
    expect(parseTaskBody('  {"task_id":"t"}')).toEqual({ task_id: 't' });
    expect(parseTaskBody('{"id":"chatcmpl-1","choices":[]}')).toBeUndefined();
    expect(parseTaskBody('{"uuid":"u"}', false)).toEqual({ uuid: 'u' });
    expect(parseTaskBody('["status"]')).toBeUndefined();
    expect(parseTaskBody('{"status":')).toBeUndefined();
    expect(parseTaskBody(undefined)).toBeUndefined();
  });
});

describe('routeFamily', () => {
  it('names CheapAI route families, version prefixes behind /api, else the first segment', () => {
    expect(
      [
        '/v1/tasks/t1',
        '/v1m/tasks/t1',
        '/v1e/embeddings',
        '/V1I/images/generations?async=1',
        '/api/v1/chat/completions',
        '/tasks/t1',
        '/',
        '',
        '?x=1',
      ].map(routeFamily),
    ).toEqual(['/v1', '/v1m', '/v1e', '/v1i', '/v1', '/tasks', '/', '/', '/']);
  });
});

describe('findPathToken and the poll pattern', () => {
  it('visits path segments, then query values, percent-decoded, stopping at the first hit', () => {
    const seen: string[] = [];
    const hit = findPathToken('/v1/tasks/a%3Ab?x=1&task_id=job%201&flag', (token) => {
      seen.push(token);
      return token === 'job 1';
    });
    expect(hit).toBe('job 1');
    expect(seen).toEqual(['v1', 'tasks', 'a:b', '1', 'job 1']);
    expect(findPathToken('/v1/tasks/t', () => false)).toBeUndefined();
  });

  it('visits at most 32 tokens', () => {
    let visits = 0;
    findPathToken(`/${'s/'.repeat(100)}?${'k=v&'.repeat(100)}`, () => {
      visits++;
      return false;
    });
    expect(visits).toBe(32);
  });

  it('captures the id with the default pattern and rejects patterns without a group', () => {
    expect(matchPollPattern(DEFAULT_POLL_PATTERN, '/v1/tasks/task_1?verbose=1')).toBe('task_1');
    expect(matchPollPattern(DEFAULT_POLL_PATTERN, '/v1m/jobs/j%2D2/result')).toBe('j-2');
    expect(matchPollPattern(DEFAULT_POLL_PATTERN, '/v1/chat/completions')).toBeUndefined();
    expect(compilePollPattern(/\/tasks\/[^/]+/)).toBeUndefined();
    const global = compilePollPattern(/\/t\/(\w+)/g) as RegExp;
    expect(global.flags).toBe('');
    expect([matchPollPattern(global, '/t/a'), matchPollPattern(global, '/t/a')]).toEqual(['a', 'a']);
  });
});

describe('properties', () => {
  it('never throws on arbitrary JSON, and every id it returns is a URL-safe token', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const creation = readTaskCreation(value);
        const wrapped = readTaskCreation({ data: value });
        readTaskPoll(value);
        readTaskPoll({ data: value, status: 'failed', error: value });
        checkRecognized(value);
        for (const found of [creation, wrapped]) {
          if (found) expect(found.id).toMatch(/^[A-Za-z0-9][A-Za-z0-9._:~-]{0,127}$/);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary text and paths', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        parseTaskBody(text);
        parseTaskBody(`{"status":${text}}`);
        expect(routeFamily(text).startsWith('/')).toBe(true);
        findPathToken(text, () => false);
        matchPollPattern(DEFAULT_POLL_PATTERN, text);
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips any valid id through a creation and its poll URL', () => {
    const id = fc
      .stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:~-]{0,40}$/)
      .filter((s) => normalizeTaskId(s) === s);
    fc.assert(
      fc.property(id, fc.constantFrom('task_id', 'job_id'), (taskId, key) => {
        expect(readTaskCreation(JSON.parse(JSON.stringify({ [key]: taskId })))?.id).toBe(taskId);
        expect(matchPollPattern(DEFAULT_POLL_PATTERN, `/v1/tasks/${encodeURIComponent(taskId)}`)).toBe(
          taskId,
        );
        expect(findPathToken(`/v1/x/${encodeURIComponent(taskId)}`, (token) => token === taskId)).toBe(
          taskId,
        );
      }),
    );
  });
});
