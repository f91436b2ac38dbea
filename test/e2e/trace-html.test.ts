import { describe, expect, it } from 'vitest';
import type { Trace, TraceSpan } from './support/jaeger-api.ts';
import { renderTraceHtml, waterfallRows } from './support/trace-html.ts';

function span(
  spanId: string,
  parentSpanId: string | undefined,
  startTimeUs: number,
  extra: Partial<TraceSpan> = {},
): TraceSpan {
  return {
    traceId: 't1',
    spanId,
    parentSpanId,
    name: `span ${spanId}`,
    serviceName: 'svc',
    kind: 'client',
    status: 'UNSET',
    startTimeUs,
    durationUs: 1_000,
    attributes: {},
    events: [],
    ...extra,
  };
}

describe('waterfallRows', () => {
  it('orders spans depth-first, siblings by start time, orphans as roots', () => {
    const trace: Trace = {
      traceId: 't1',
      spans: [
        span('c2', 'root', 300),
        span('root', undefined, 0),
        span('c1', 'root', 100),
        span('o', 'gone', 50),
      ],
    };
    expect(waterfallRows(trace).map((row) => [row.span.spanId, row.depth])).toEqual([
      ['root', 0],
      ['c1', 1],
      ['c2', 1],
      ['o', 0],
    ]);
  });
});

describe('renderTraceHtml', () => {
  it('escapes names and values, marks error spans and lists events', () => {
    const html = renderTraceHtml({
      traceId: 't1',
      spans: [
        span('a', undefined, 0, {
          name: '<script>',
          status: 'ERROR',
          attributes: { 'http.response.header.x-request-id': ['req_"1"'] },
          events: [{ name: 'llm.stream.error', timeUs: 500, attributes: { 'error.type': 'server_error' } }],
        }),
      ],
    });
    expect(html).toContain('<b>&lt;script&gt;</b>');
    expect(html).not.toContain('<script>');
    expect(html).toContain('<section class="span error">');
    expect(html).toContain('<i>http.response.header.x-request-id</i>=[&quot;req_\\&quot;1\\&quot;&quot;]');
    expect(html).toContain('◆ llm.stream.error</span> <small>at +0.50 ms</small>');
    expect(html).toContain('<i>error.type</i>=&quot;server_error&quot;');
  });
});
