/** The console summary line shows the call's cost when the operation span has one (issue 20). */
import type { Attributes } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { ConsoleSummaryProcessor, costToken } from '../../src/register/console-summary.ts';

const START_MS = 1_700_000_000_000;
const CHAT = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.request.model': 'gpt-4o-mini',
  'http.response.status_code': 200,
};

/** Summary lines of finished spans made by a real TracerProvider. */
function linesFor(attributes: Attributes[]): { lines: string[]; spans: ReadableSpan[] } {
  const lines: string[] = [];
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    spanProcessors: [
      new ConsoleSummaryProcessor((line) => lines.push(line)),
      new SimpleSpanProcessor({ exporter }),
    ],
  });
  for (const set of attributes) {
    const span = provider.getTracer('llm-otel-dispatcher').startSpan('chat gpt-4o-mini', {
      attributes: set,
      startTime: new Date(START_MS),
    });
    span.end(new Date(START_MS + 1500));
  }
  return { lines, spans: exporter.getFinishedSpans() };
}

describe('console summary: cost', () => {
  it('prints the provider-reported cost, and marks a price-table cost as an estimate', () => {
    const { lines } = linesFor([
      { ...CHAT, 'llm.usage.cost': 0.000415, 'llm.usage.cost_source': 'provider' },
      { ...CHAT, 'llm.usage.cost': 12.3456, 'llm.usage.cost_source': 'price_table' },
      CHAT,
    ]);
    expect(lines).toEqual([
      'llm-otel chat gpt-4o-mini 200 ok attempts=1 cost=$0.000415 1.50s',
      'llm-otel chat gpt-4o-mini 200 ok attempts=1 cost=~$12.35 1.50s',
      'llm-otel chat gpt-4o-mini 200 ok attempts=1 1.50s',
    ]);
  });

  it('formats three significant digits without an exponent, at least cents, and ignores bad values', () => {
    const { spans } = linesFor(
      [0, 1.5e-7, 0.0123456, 0.5, 1234.5, -1, Number.NaN, '0.1'].map((cost) => ({
        ...CHAT,
        'llm.usage.cost': cost,
      })),
    );
    expect(spans.map(costToken)).toEqual([
      'cost=$0.00',
      'cost=$0.000000150',
      'cost=$0.0123',
      'cost=$0.500',
      'cost=$1234.50',
      undefined,
      undefined,
      undefined,
    ]);
  });
});
