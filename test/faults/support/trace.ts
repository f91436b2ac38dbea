/**
 * Reading one call's trace in the fault suite: its operation and attempt spans, found by shape
 * (attempt spans are named after the method; the operation span is their parent).
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { ATTR_HTTP_REQUEST_METHOD } from '../../../src/semconv/names.ts';

export interface CallTrace {
  readonly operation: ReadableSpan;
  readonly attempts: readonly ReadableSpan[];
  /** The last attempt. */
  readonly attempt: ReadableSpan;
}

/** The single call in `spans`: exactly one operation span and its attempts, in start order. */
export function callTrace(spans: readonly ReadableSpan[]): CallTrace {
  const attempts = spans
    .filter((span) => span.attributes[ATTR_HTTP_REQUEST_METHOD] !== undefined && span.parentSpanContext)
    .filter((span) => spans.some((parent) => parent.spanContext().spanId === span.parentSpanContext?.spanId))
    .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
  const operations = spans.filter((span) => !attempts.includes(span));
  if (operations.length !== 1 || attempts.length === 0) {
    throw new Error(
      `expected one operation span with attempts, got ${spans.map((span) => span.name).join(', ')}`,
    );
  }
  return { operation: operations[0] as ReadableSpan, attempts, attempt: attempts.at(-1) as ReadableSpan };
}
