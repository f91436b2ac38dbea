/**
 * A loopback OTLP/HTTP receiver for tests: accepts POST /v1/traces and /v1/metrics (JSON decoded,
 * protobuf kept raw), answers 200 (or `failWith`), and flattens OTLP-JSON spans and metric names.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OtlpRequest {
  readonly path: string;
  readonly contentType: string;
  readonly body: Buffer;
}

export interface ReceivedSpan {
  readonly serviceName: unknown;
  readonly scope: string;
  readonly name: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly statusCode: number;
  readonly attributes: Record<string, unknown>;
}

export interface OtlpReceiver {
  readonly url: string;
  readonly requests: OtlpRequest[];
  /** Status to answer with instead of 200 (e.g. 400 for a non-retryable failure). */
  failWith: number | undefined;
  spans(): ReceivedSpan[];
  metricNames(): string[];
  close(): Promise<void>;
}

interface AnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: AnyValue[] };
}
interface KeyValue {
  key: string;
  value: AnyValue;
}

function anyValue(value: AnyValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(anyValue);
  return undefined;
}

export function attributesOf(list: readonly KeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, anyValue(kv.value)]));
}

function jsonBodies(requests: readonly OtlpRequest[], path: string): Record<string, unknown>[] {
  return requests
    .filter((r) => r.path === path && r.contentType.startsWith('application/json'))
    .map((r) => JSON.parse(r.body.toString('utf8')) as Record<string, unknown>);
}

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  status?: { code?: number };
  attributes?: KeyValue[];
}
interface TracesBody {
  resourceSpans?: Array<{
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: Array<{ scope?: { name?: string }; spans?: OtlpSpan[] }>;
  }>;
}
interface MetricsBody {
  resourceMetrics?: Array<{ scopeMetrics?: Array<{ metrics?: Array<{ name: string }> }> }>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const requests: OtlpRequest[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    requests.push({
      path: req.url ?? '/',
      contentType: req.headers['content-type'] ?? '',
      body: Buffer.concat(chunks),
    });
    const status = receiver.failWith ?? (req.method === 'POST' ? 200 : 405);
    res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  const receiver: OtlpReceiver = {
    url: `http://127.0.0.1:${port}`,
    requests,
    failWith: undefined,
    spans() {
      return jsonBodies(requests, '/v1/traces').flatMap((body) =>
        ((body as TracesBody).resourceSpans ?? []).flatMap((resourceSpans) => {
          const serviceName = attributesOf(resourceSpans.resource?.attributes)['service.name'];
          return (resourceSpans.scopeSpans ?? []).flatMap((scopeSpans) =>
            (scopeSpans.spans ?? []).map((span) => ({
              serviceName,
              scope: scopeSpans.scope?.name ?? '',
              name: span.name,
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId ?? '',
              statusCode: span.status?.code ?? 0,
              attributes: attributesOf(span.attributes),
            })),
          );
        }),
      );
    },
    metricNames() {
      return jsonBodies(requests, '/v1/metrics').flatMap((body) =>
        ((body as MetricsBody).resourceMetrics ?? []).flatMap((rm) =>
          (rm.scopeMetrics ?? []).flatMap((sm) => (sm.metrics ?? []).map((m) => m.name)),
        ),
      );
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return receiver;
}

/** A loopback port with nothing listening on it (bound, then closed). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
