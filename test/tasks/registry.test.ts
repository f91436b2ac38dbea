import type { SpanContext } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { TaskRegistry } from '../../src/tasks/registry.ts';

function span(n: number): SpanContext {
  return { traceId: 'a'.repeat(32), spanId: n.toString(16).padStart(16, '0'), traceFlags: 1 };
}

function registry(maxEntries: number, ttlMs: number) {
  const clock = { now: 0 };
  return { clock, tasks: new TaskRegistry({ maxEntries, ttlMs, now: () => clock.now }) };
}

describe('TaskRegistry', () => {
  it('keeps what it was given: creation span, time, family, no polls yet', () => {
    const { clock, tasks } = registry(10, 1000);
    clock.now = 5;
    tasks.add('t1', span(1), '/v1i');
    expect(tasks.get('t1')).toEqual({
      id: 't1',
      creation: span(1),
      createdAt: 5,
      routeFamily: '/v1i',
      metricAttributes: {},
      polls: 0,
      completed: false,
    });
    expect(tasks.get('t2')).toBeUndefined();
  });

  it('never holds more than maxEntries, forgetting the oldest first', () => {
    const { clock, tasks } = registry(3, 1_000_000);
    for (let i = 0; i < 50; i++) {
      clock.now = i;
      tasks.add(`t${i}`, span(i), '/v1');
      expect(tasks.size).toBe(Math.min(i + 1, 3));
    }
    expect(['t46', 't47', 't48', 't49'].map((id) => tasks.get(id)?.createdAt)).toEqual([
      undefined,
      47,
      48,
      49,
    ]);
  });

  it('re-adding an id makes it the newest', () => {
    const { tasks } = registry(2, 1000);
    tasks.add('a', span(1), '/v1');
    tasks.add('b', span(2), '/v1');
    tasks.add('a', span(3), '/v1');
    tasks.add('c', span(4), '/v1');
    expect([tasks.get('a')?.creation.spanId, tasks.get('b'), tasks.get('c')?.creation.spanId]).toEqual([
      span(3).spanId,
      undefined,
      span(4).spanId,
    ]);
  });

  it('drops an entry once it is ttlMs old: on lookup, and on insert for the expired oldest', () => {
    const { clock, tasks } = registry(100, 1000);
    tasks.add('old1', span(1), '/v1');
    clock.now = 400;
    tasks.add('old2', span(2), '/v1');
    clock.now = 999;
    expect(tasks.get('old1')?.id).toBe('old1');
    clock.now = 1000;
    expect(tasks.get('old1')).toBeUndefined();
    expect(tasks.size).toBe(1);
    clock.now = 1400;
    tasks.add('new', span(3), '/v1');
    expect(tasks.size).toBe(1);
    expect(tasks.get('new')?.createdAt).toBe(1400);
  });

  it('delete forgets only the entry given, not a newer task with the same id', () => {
    const { tasks } = registry(10, 1000);
    const first = tasks.add('t', span(1), '/v1');
    const second = tasks.add('t', span(2), '/v1');
    tasks.delete(first);
    expect(tasks.get('t')).toBe(second);
    tasks.delete(second);
    expect(tasks.size).toBe(0);
  });
});
