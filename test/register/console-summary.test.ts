import { type Attributes, SpanStatusCode } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import {
  ConsoleSummaryProcessor,
  isLlmOperationSpan,
  summaryLine,
} from '../../src/register/console-summary.ts';

/** Finished spans made by a real TracerProvider, through the processor under test. */
function record(
  spans: Array<{ scope?: string; name: string; attributes: Attributes; durationMs?: number }>,
): { lines: string[]; finished: ReadableSpan[] } {
  const lines: string[] = [];
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    spanProcessors: [
      new ConsoleSummaryProcessor((line) => lines.push(line)),
      new SimpleSpanProcessor({ exporter }),
    ],
  });
  for (const { scope, name, attributes, durationMs = 1234 } of spans) {
    const span = provider
      .getTracer(scope ?? 'llm-otel-dispatcher')
      .startSpan(name, { attributes, startTime: new Date(START_MS) });
    span.setStatus({ code: SpanStatusCode.UNSET });
    span.end(new Date(START_MS + durationMs));
  }
  return { lines, finished: exporter.getFinishedSpans() };
}

const START_MS = 1_700_000_000_000;
const CHAT = { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini' };

describe('console summary', () => {
  it('prints failing, successful and aborted calls in one compact line each', () => {
    const { lines } = record([
      {
        name: 'chat gpt-4o-mini',
        attributes: {
          ...CHAT,
          'http.response.status_code': 503,
          'error.type': '503',
          'llm.retry.attempts': 3,
          'http.response.header.x-request-id': ['req_7'],
          'llm.error.message': 'secret-ish message that must not print',
          'url.full': 'https://api.example/v1?key=SECRET',
        },
      },
      {
        name: 'chat gpt-4o-mini',
        durationMs: 410,
        attributes: {
          ...CHAT,
          'http.response.status_code': 200,
          'llm.retry.attempts': 1,
          'http.response.header.x-request-id': ['req_8'],
        },
      },
      {
        name: 'chat gpt-4o-mini',
        durationMs: 50,
        attributes: {
          ...CHAT,
          'http.response.status_code': 200,
          'llm.aborted': true,
          'llm.retry.attempts': 1,
        },
      },
    ]);
    expect(lines).toEqual([
      'llm-otel chat gpt-4o-mini 503 error=503 attempts=3 x-request-id=req_7 1.23s',
      'llm-otel chat gpt-4o-mini 200 ok attempts=1 x-request-id=req_8 0.41s',
      'llm-otel chat gpt-4o-mini 200 aborted attempts=1 0.05s',
    ]);
  });

  it('shows --- without a status and a network error code', () => {
    const { lines } = record([
      {
        name: 'embeddings',
        attributes: { 'gen_ai.operation.name': 'embeddings', 'error.type': 'ECONNREFUSED' },
      },
    ]);
    expect(lines).toEqual(['llm-otel embeddings --- error=ECONNREFUSED attempts=1 1.23s']);
  });

  it('ignores attempt spans, non-LLM operation spans and other instrumentation scopes', () => {
    const { lines, finished } = record([
      { name: 'POST', attributes: { 'http.request.method': 'POST', 'http.response.status_code': 200 } },
      { name: 'GET', attributes: { 'http.request.method': 'GET', 'server.address': 'example.com' } },
      { scope: 'someone-else', name: 'chat x', attributes: { 'gen_ai.operation.name': 'chat' } },
    ]);
    expect(lines).toEqual([]);
    expect(finished.map(isLlmOperationSpan)).toEqual([false, false, false]);
  });

  it('keeps each value one printable token, however odd the model name or error code', () => {
    const { finished } = record([
      {
        name: 'chat x',
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'evil\nmodel\tname\u0007',
          'error.type': 'x'.repeat(100),
          'http.response.status_code': 400,
        },
      },
    ]);
    const [span] = finished;
    expect(span && summaryLine(span)).toBe(
      `llm-otel chat evil_model_name_ 400 error=${'x'.repeat(80)}... attempts=1 1.23s`,
    );
  });

  it('a throwing writer does not break the span pipeline', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({
      spanProcessors: [
        new ConsoleSummaryProcessor(() => {
          throw new Error('EPIPE');
        }),
        new SimpleSpanProcessor({ exporter }),
      ],
    });
    provider.getTracer('llm-otel-dispatcher').startSpan('chat m', { attributes: CHAT }).end();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['chat m']);
  });
});
