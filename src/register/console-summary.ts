/**
 * The embedded default when no collector is configured: a SpanProcessor that prints one compact
 * line per finished LLM operation span of this package, e.g.
 * `llm-otel chat gpt-4o-mini 503 error=503 attempts=3 x-request-id=req_7 1.23s`, with
 * `cost=$0.000415` before the duration when the call's cost is known (`cost=~$...` when it was
 * computed from the price table rather than reported by the provider).
 * Only the operation name, model, status, error.type, attempt count, x-request-id, cost and
 * duration are printed: never URLs, headers, messages or content.
 */
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_HTTP_RESPONSE_HEADER_PREFIX,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_LLM_ABORTED,
  ATTR_LLM_RETRY_ATTEMPTS,
  ATTR_LLM_USAGE_COST,
  ATTR_LLM_USAGE_COST_SOURCE,
  COST_SOURCE_PRICE_TABLE,
} from '../semconv/names.ts';
import { INSTRUMENTATION_NAME } from '../version.ts';

const ATTR_X_REQUEST_ID = `${ATTR_HTTP_RESPONSE_HEADER_PREFIX}x-request-id`;
const MAX_VALUE_LENGTH = 80;

/** True for the operation span of a recognised LLM call recorded by this package. */
export function isLlmOperationSpan(span: ReadableSpan): boolean {
  return (
    span.instrumentationScope.name === INSTRUMENTATION_NAME &&
    typeof span.attributes[ATTR_GEN_AI_OPERATION_NAME] === 'string'
  );
}

/** One printable token: whitespace and control characters become `_`, long values are cut. */
function token(value: unknown): string {
  const text = String(value).replace(/[\s\p{Cc}]/gu, '_');
  return text.length > MAX_VALUE_LENGTH ? `${text.slice(0, MAX_VALUE_LENGTH)}...` : text;
}

/** `ok`, `aborted` or `error=<error.type>`: the operation's outcome as the summary shows it. */
export function outcomeOf(span: ReadableSpan): string {
  const attributes = span.attributes;
  if (attributes[ATTR_LLM_ABORTED] === true) return 'aborted';
  const errorType = attributes[ATTR_ERROR_TYPE];
  return errorType === undefined ? 'ok' : `error=${token(errorType)}`;
}

/** Seconds from an HrTime duration. */
export function durationSeconds(span: ReadableSpan): number {
  return span.duration[0] + span.duration[1] / 1e9;
}

/**
 * `cost=$0.000415` (three significant digits, at least cents, never an exponent), `cost=~$...`
 * for a price-table estimate; undefined when the span has no cost.
 */
export function costToken(span: ReadableSpan): string | undefined {
  const usd = span.attributes[ATTR_LLM_USAGE_COST];
  if (typeof usd !== 'number' || !Number.isFinite(usd) || usd < 0) return undefined;
  const decimals = usd === 0 ? 2 : Math.min(12, Math.max(2, 2 - Math.floor(Math.log10(usd))));
  const estimate = span.attributes[ATTR_LLM_USAGE_COST_SOURCE] === COST_SOURCE_PRICE_TABLE ? '~' : '';
  return `cost=${estimate}$${usd.toFixed(decimals)}`;
}

/** The summary line of an LLM operation span (see the header comment), without a newline. */
export function summaryLine(span: ReadableSpan): string {
  const attributes = span.attributes;
  const parts = ['llm-otel', token(attributes[ATTR_GEN_AI_OPERATION_NAME])];
  const model = attributes[ATTR_GEN_AI_REQUEST_MODEL];
  if (model !== undefined) parts.push(token(model));
  parts.push(token(attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] ?? '---'), outcomeOf(span));
  parts.push(`attempts=${token(attributes[ATTR_LLM_RETRY_ATTEMPTS] ?? 1)}`);
  const requestId = attributes[ATTR_X_REQUEST_ID];
  const firstId = Array.isArray(requestId) ? requestId[0] : requestId;
  if (firstId !== undefined && firstId !== null) parts.push(`x-request-id=${token(firstId)}`);
  const cost = costToken(span);
  if (cost !== undefined) parts.push(cost);
  parts.push(`${durationSeconds(span).toFixed(2)}s`);
  return parts.join(' ');
}

function writeToStderr(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Prints `summaryLine()` for each finished LLM operation span; ignores every other span. */
export class ConsoleSummaryProcessor implements SpanProcessor {
  readonly #write: (line: string) => void;

  /** `write` receives each line without its newline; default: stderr. */
  constructor(write: (line: string) => void = writeToStderr) {
    this.#write = write;
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (!isLlmOperationSpan(span)) return;
    try {
      this.#write(summaryLine(span));
    } catch {
      // A closed stderr must not break the span pipeline.
    }
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
