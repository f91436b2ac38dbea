/**
 * The SDK floor: what the OpenTelemetry SDK alone costs for the telemetry one call must produce,
 * with no interceptor at all. For ours that is the contract of ../shared/TELEMETRY.md for a small
 * non-streaming completion: an operation span and an attempt span with the attributes ours sets,
 * a context per span, one `traceparent` injection, and four histogram points
 * (`http.client.request.duration`, `gen_ai.client.operation.duration`, two of
 * `gen_ai.client.token.usage`). For the peer (`@opentelemetry/instrumentation-undici`) it is one
 * span with its attributes and one `http.client.request.duration` point.
 *
 * The interceptor's cost over bare in bench/hot-path.ts minus this floor is what our own code adds.
 * Same SDK set-up as every variant (bench/variants.ts: a SimpleSpanProcessor into a counting
 * exporter, a MeterProvider with a manual reader collected once per round).
 */
import { context, type Histogram, propagation, SpanKind, type Tracer, trace } from '@opentelemetry/api';
import type { CpuFigure } from './hot-path.ts';
import { quantile } from './stats.ts';
import { createSdk } from './variants.ts';

const HTTP = {
  'http.request.method': 'POST',
  'server.address': '127.0.0.1',
  'server.port': 9,
} as const;
const GEN_AI = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'gpt-4o-mini',
} as const;
const REQUEST_ID = ['req_0123456789ab'];

interface Instruments {
  readonly tracer: Tracer;
  readonly httpDuration: Histogram;
  readonly operationDuration: Histogram;
  readonly tokenUsage: Histogram;
}

/** Our contract for one small completion: two spans, one injection, four points. */
function oursCall({ tracer, httpDuration, operationDuration, tokenUsage }: Instruments): void {
  const operation = tracer.startSpan('chat gpt-4o-mini', {
    kind: SpanKind.CLIENT,
    attributes: { ...GEN_AI, 'gen_ai.request.stream': false },
  });
  const operationContext = trace.setSpan(context.active(), operation);
  const attempt = tracer.startSpan(
    'POST',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        ...HTTP,
        'url.full': 'http://127.0.0.1:9/v1/chat/completions',
        'http.request.resend_count': 0,
      },
    },
    operationContext,
  );
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(operationContext, attempt), carrier);
  attempt.setAttributes({
    'http.response.status_code': 200,
    'network.protocol.version': '1.1',
    'http.response.header.x-request-id': REQUEST_ID,
  });
  httpDuration.record(0.01, { ...HTTP, 'http.response.status_code': 200 });
  attempt.end();
  operation.setAttributes({
    'llm.retry.attempts': 1,
    'http.response.status_code': 200,
    'http.response.header.x-request-id': REQUEST_ID,
    'gen_ai.response.id': 'chatcmpl-1',
    'gen_ai.response.model': 'gpt-4o-mini',
    'gen_ai.response.finish_reasons': ['stop'],
    'gen_ai.usage.input_tokens': 27,
    'gen_ai.usage.output_tokens': 9,
  });
  const metric = { ...GEN_AI, 'http.response.status_code': 200 };
  operationDuration.record(0.01, metric);
  tokenUsage.record(27, { ...metric, 'gen_ai.token.type': 'input' });
  tokenUsage.record(9, { ...metric, 'gen_ai.token.type': 'output' });
  operation.end();
}

/** The peer's telemetry for one request: one span, one injection, one point. */
function peerCall({ tracer, httpDuration }: Instruments): void {
  const span = tracer.startSpan('POST', {
    kind: SpanKind.CLIENT,
    attributes: {
      ...HTTP,
      'url.full': 'http://127.0.0.1:9/v1/chat/completions',
      'url.path': '/v1/chat/completions',
      'url.query': '',
      'url.scheme': 'http',
    },
  });
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), carrier);
  span.setAttributes({ 'http.response.status_code': 200, 'network.peer.address': '127.0.0.1' });
  httpDuration.record(0.01, { ...HTTP, 'http.response.status_code': 200, 'url.scheme': 'http' });
  span.end();
}

export interface SdkFloor {
  /** CPU µs per call for our contract's spans and points. */
  readonly ours: CpuFigure;
  /** CPU µs per call for the peer's span and point. */
  readonly peer: CpuFigure;
}

/** Both floors, `rounds` interleaved rounds of `calls` calls each (the OTel globals must be installed). */
export async function measureSdkFloor(rounds: number, calls: number): Promise<SdkFloor> {
  const sdk = createSdk();
  const meter = sdk.meterProvider.getMeter('sdk-floor');
  const instruments: Instruments = {
    tracer: sdk.tracerProvider.getTracer('sdk-floor'),
    httpDuration: meter.createHistogram('http.client.request.duration'),
    operationDuration: meter.createHistogram('gen_ai.client.operation.duration'),
    tokenUsage: meter.createHistogram('gen_ai.client.token.usage'),
  };
  const samples = { ours: [] as number[], peer: [] as number[] };
  const measure = async (call: (instruments: Instruments) => void): Promise<number> => {
    const start = process.cpuUsage();
    for (let i = 0; i < calls; i++) call(instruments);
    await sdk.reader.collect();
    const used = process.cpuUsage(start);
    return (used.user + used.system) / calls;
  };
  await measure(oursCall);
  await measure(peerCall);
  for (let round = 0; round < rounds; round++) {
    samples.ours.push(await measure(oursCall));
    samples.peer.push(await measure(peerCall));
  }
  await sdk.tracerProvider.shutdown();
  await sdk.meterProvider.shutdown();
  const figure = (values: number[]): CpuFigure => ({
    best: Math.min(...values),
    median: quantile(values, 0.5),
  });
  return { ours: figure(samples.ours), peer: figure(samples.peer) };
}
