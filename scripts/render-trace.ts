/**
 * Renders a trace stored in Jaeger as a self-contained HTML waterfall page, and optionally a PNG
 * screenshot of it taken with headless Chromium (Jaeger's own UI is not built into our binary).
 *
 *   node scripts/render-trace.ts --query http://127.0.0.1:16686 --service llm-otel-demo \
 *     [--trace-id ID] [--api v3|legacy] [--out trace.html] [--screenshot docs/trace.png]
 *   node scripts/render-trace.ts --e2e retried --screenshot docs/trace.png
 *
 * Without --trace-id it renders the service's trace with the most spans. With --e2e CALL it runs
 * the end-to-end suite's pipeline itself (Jaeger role, collector role, the real library calling the
 * mock gateway: test/e2e/support/traffic.ts) and renders the trace of that call (retried,
 * midStream, credits or streamed). The HTML goes to the system's temporary folder unless --out
 * names a file.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { CALLS, type CallName } from '../test/e2e/support/app-contract.ts';
import { ensureJaegerBinary, startPipeline } from '../test/e2e/support/jaeger.ts';
import {
  findTraces,
  type JaegerApi,
  type Trace,
  traceWithRequestId,
} from '../test/e2e/support/jaeger-api.ts';
import { renderTraceHtml } from '../test/e2e/support/trace-html.ts';
import { E2E_SERVICE, findTrafficTraces, runTraffic } from '../test/e2e/support/traffic.ts';

const SCREENSHOT_WIDTH = 1200;
const CHROMIUM_TIMEOUT_MS = 60_000;

const { values } = parseArgs({
  options: {
    query: { type: 'string', default: 'http://127.0.0.1:16686' },
    service: { type: 'string' },
    'trace-id': { type: 'string' },
    e2e: { type: 'string' },
    api: { type: 'string', default: 'v3' },
    out: { type: 'string' },
    screenshot: { type: 'string' },
    height: { type: 'string' },
    'timeout-ms': { type: 'string', default: '10000' },
  },
});

if (values.api !== 'v3' && values.api !== 'legacy')
  throw new Error(`--api must be v3 or legacy, not ${values.api}`);
const api = values.api as JaegerApi;
const timeoutMs = Number(values['timeout-ms']);

const trace = values.e2e === undefined ? await storedTrace() : await e2eTrace(values.e2e);
const out = resolve(values.out ?? join(tmpdir(), `trace-${trace.traceId}.html`));
await writeFile(out, renderTraceHtml(trace));
console.log(`wrote ${out} (trace ${trace.traceId}, ${trace.spans.length} spans)`);

if (values.screenshot !== undefined) {
  const png = resolve(values.screenshot);
  const height = values.height === undefined ? estimateHeight(trace) : Number(values.height);
  await screenshot(out, png, height);
  console.log(`wrote ${png} (${SCREENSHOT_WIDTH}x${height})`);
}

/** A trace already in the Jaeger at --query. */
async function storedTrace(): Promise<Trace> {
  if (values.service === undefined)
    throw new Error('--service is required (the service.name whose trace to render), or --e2e CALL');
  const traces = await findTraces(values.query, values.service, { timeoutMs, api });
  return pickTrace(traces, values['trace-id']);
}

/** The trace of one call of the end-to-end application, produced now by a pipeline of our own. */
async function e2eTrace(call: string): Promise<Trace> {
  if (!Object.hasOwn(CALLS, call))
    throw new Error(`--e2e must name a call of the e2e application: ${Object.keys(CALLS).join(', ')}`);
  const pipeline = await startPipeline(await ensureJaegerBinary());
  try {
    const traffic = await runTraffic(pipeline.collector.otlpHttpUrl, E2E_SERVICE);
    const requestId = String(traffic.app[call as CallName].requestId);
    const traces = await findTrafficTraces(pipeline.jaeger.queryUrl, traffic, { api, timeoutMs });
    const found = traceWithRequestId(traces, requestId);
    if (found === undefined) throw new Error(`no trace with x-request-id ${requestId}`);
    return found;
  } finally {
    await pipeline.stop();
  }
}

function pickTrace(found: Trace[], traceId: string | undefined): Trace {
  if (traceId !== undefined) {
    const match = found.find((candidate) => candidate.traceId === traceId);
    if (match === undefined) throw new Error(`trace ${traceId} not among the ${found.length} traces found`);
    return match;
  }
  const largest = [...found].sort((a, b) => b.spans.length - a.spans.length)[0];
  if (largest === undefined) throw new Error('no trace found');
  return largest;
}

/** Rough page height: a header, a row per span, a line per few attributes and per event. */
function estimateHeight(found: Trace): number {
  const lines = found.spans.reduce(
    (sum, span) =>
      sum +
      2 +
      Math.ceil(Object.keys(span.attributes).length / 3) +
      span.events.reduce(
        (events, event) => events + 1 + Math.ceil(Object.keys(event.attributes).length / 3),
        0,
      ),
    0,
  );
  return Math.max(400, 90 + lines * 19);
}

async function screenshot(html: string, png: string, height: number): Promise<void> {
  const profile = await mkdtemp(join(tmpdir(), 'render-trace-'));
  try {
    await promisify(execFile)(
      'chromium',
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--hide-scrollbars',
        `--user-data-dir=${profile}`,
        `--screenshot=${png}`,
        `--window-size=${SCREENSHOT_WIDTH},${height}`,
        pathToFileURL(html).href,
      ],
      { timeout: CHROMIUM_TIMEOUT_MS },
    );
  } catch (error) {
    throw new Error(`chromium could not take the screenshot (apt-get install -y chromium): ${String(error)}`);
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}
