/**
 * Renders one trace as a self-contained HTML waterfall page: spans in tree order with duration
 * bars on a shared time axis, their attributes and events listed beneath, errors in red. Pure:
 * no I/O (scripts/render-trace.ts fetches the trace and writes the file).
 */
import type { AttributeValue, Trace, TraceSpan } from './jaeger-api.ts';

interface Row {
  span: TraceSpan;
  depth: number;
}

/** Spans depth-first from the roots, siblings by start time; orphans count as roots. */
export function waterfallRows(trace: Trace): Row[] {
  const ids = new Set(trace.spans.map((span) => span.spanId));
  const children = new Map<string | undefined, TraceSpan[]>();
  for (const span of trace.spans) {
    const parent =
      span.parentSpanId !== undefined && ids.has(span.parentSpanId) ? span.parentSpanId : undefined;
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  const rows: Row[] = [];
  const visit = (parent: string | undefined, depth: number) => {
    const siblings = [...(children.get(parent) ?? [])].sort((a, b) => a.startTimeUs - b.startTimeUs);
    for (const span of siblings) {
      rows.push({ span, depth });
      visit(span.spanId, depth + 1);
    }
  };
  visit(undefined, 0);
  return rows;
}

export function renderTraceHtml(trace: Trace): string {
  const rows = waterfallRows(trace);
  const start = Math.min(...trace.spans.map((span) => span.startTimeUs));
  const end = Math.max(...trace.spans.map((span) => span.startTimeUs + span.durationUs));
  const total = Math.max(end - start, 1);
  const percent = (us: number) => ((us / total) * 100).toFixed(3);
  const errors = trace.spans.filter((span) => span.status === 'ERROR').length;
  const services = [...new Set(trace.spans.map((span) => span.serviceName))].join(', ');

  const body = rows
    .map(({ span, depth }) => {
      const error = span.status === 'ERROR' ? ' error' : '';
      const markers = span.events
        .map(
          (event) =>
            `<span class="marker" style="left:${percent(event.timeUs - start)}%" title="${escapeHtml(event.name)}"></span>`,
        )
        .join('');
      return `<section class="span${error}">
  <div class="row">
    <div class="name" style="padding-left:${depth * 18}px"><b>${escapeHtml(span.name)}</b> <small>${escapeHtml(span.kind)} · ${escapeHtml(span.serviceName)}</small></div>
    <div class="lane"><span class="bar" style="left:${percent(span.startTimeUs - start)}%;width:${percent(Math.max(span.durationUs, total / 500))}%"></span>${markers}</div>
    <div class="dur">${formatMs(span.durationUs)}</div>
  </div>
  <div class="details" style="margin-left:${depth * 18 + 12}px">
    ${attributeList(span.attributes)}
    ${span.events
      .map(
        (event) =>
          `<div class="event"><span class="ev">◆ ${escapeHtml(event.name)}</span> <small>at +${formatMs(event.timeUs - start)}</small>${attributeList(event.attributes)}</div>`,
      )
      .join('\n    ')}
  </div>
</section>`;
    })
    .join('\n');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Trace ${escapeHtml(trace.traceId)}</title>
<style>
  body { font: 12px/1.35 system-ui, sans-serif; margin: 16px; color: #1d2330; background: #fff; }
  header h1 { font-size: 16px; margin: 0 0 2px; }
  header p { margin: 0 0 10px; color: #5b6475; }
  .span { border-top: 1px solid #e3e6ec; padding: 3px 0; }
  .row { display: grid; grid-template-columns: 320px 1fr 80px; align-items: center; gap: 8px; }
  .name small { color: #6b7385; }
  .lane { position: relative; height: 14px; background: #f3f5f8; border-radius: 3px; }
  .bar { position: absolute; top: 2px; height: 10px; border-radius: 2px; background: #3d7be0; }
  .marker { position: absolute; top: 0; width: 3px; height: 14px; background: #1d2330; }
  .dur { text-align: right; font-variant-numeric: tabular-nums; }
  .details { color: #3a4252; }
  .attrs { display: flex; flex-wrap: wrap; gap: 2px 14px; margin: 2px 0; }
  .attrs code { font: 11px ui-monospace, monospace; }
  .attrs code i { font-style: normal; color: #6b7385; }
  .event { margin: 2px 0 0 0; }
  .event .attrs { margin-left: 14px; }
  .ev { font-weight: 600; }
  .error .name b, .error .ev, .error .dur { color: #c62828; }
  .error .bar { background: #d93b3b; }
</style>
</head>
<body>
<header>
  <h1>Trace ${escapeHtml(trace.traceId)}</h1>
  <p>${escapeHtml(services)} · ${trace.spans.length} spans · ${errors} with errors · ${formatMs(total)}</p>
</header>
${body}
</body>
</html>
`;
}

function attributeList(attributes: Record<string, AttributeValue>): string {
  const entries = Object.entries(attributes).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return '';
  const items = entries.map(
    ([key, value]) => `<code><i>${escapeHtml(key)}</i>=${escapeHtml(JSON.stringify(value))}</code>`,
  );
  return `<div class="attrs">${items.join('')}</div>`;
}

function formatMs(us: number): string {
  return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)} ms`;
}

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}
