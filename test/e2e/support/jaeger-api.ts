/**
 * Reads traces back from Jaeger's query service: the legacy JSON API (`/api/traces`, tags and
 * logs) and API v3 (`/api/v3/traces`, OTLP-JSON). Both are parsed into one span shape, so tests
 * and scripts/render-trace.ts need not know either wire format. Fetching polls with a bound.
 */
import { ATTR_HTTP_RESPONSE_HEADER_PREFIX } from '../../../src/semconv/names.ts';
import { sleep } from './processes.ts';

export type AttributeValue = string | number | boolean | AttributeValue[] | null;

export interface TraceEvent {
  name: string;
  timeUs: number;
  attributes: Record<string, AttributeValue>;
}

export interface TraceSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  serviceName: string;
  /** `client`, `server`, ... (lower case). */
  kind: string;
  /** `ERROR`, `OK` or `UNSET`. */
  status: string;
  startTimeUs: number;
  durationUs: number;
  attributes: Record<string, AttributeValue>;
  events: TraceEvent[];
}

export interface Trace {
  traceId: string;
  spans: TraceSpan[];
}

export type JaegerApi = 'legacy' | 'v3';

export interface FindOptions {
  timeoutMs: number;
  /** Which API to read; `legacy` by default. */
  api?: JaegerApi;
  /** Keep polling until this holds (spans arrive in batches). Default: at least one trace. */
  ready?: (traces: Trace[]) => boolean;
  /** Most traces one search returns; default 20. */
  limit?: number;
}

const POLL_INTERVAL_MS = 250;
/** The response header attribute every attempt and operation span carries, when the server sent it. */
export const ATTR_X_REQUEST_ID = `${ATTR_HTTP_RESPONSE_HEADER_PREFIX}x-request-id`;
const LOOKBACK_MS = 60 * 60_000;

/** Polls until Jaeger returns traces of `service` that are `ready`; throws after `timeoutMs`. */
export async function findTraces(queryUrl: string, service: string, options: FindOptions): Promise<Trace[]> {
  const { timeoutMs, api = 'legacy', ready = (traces) => traces.length > 0, limit = 20 } = options;
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    const url =
      api === 'legacy' ? legacySearchUrl(queryUrl, service, limit) : v3SearchUrl(queryUrl, service, limit);
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    const body = await response.text();
    last = `${response.status} ${body.slice(0, 500)}`;
    if (response.ok) {
      const traces =
        api === 'legacy' ? parseLegacyTraces(JSON.parse(body)) : parseOtlpTraces(JSON.parse(body));
      if (ready(traces)) return traces;
    } else if (response.status !== 404) {
      throw new Error(`GET ${url} failed: ${last}`);
    }
    await sleep(POLL_INTERVAL_MS);
  }
  throw new Error(
    `the traces of service ${service} in Jaeger were not as expected after ${timeoutMs} ms (last: ${last})`,
  );
}

/**
 * The `x-request-id` values a span recorded: an array in API v3; the legacy API has no array type
 * and gives the array's JSON text.
 */
export function requestIdsOf(span: TraceSpan): string[] {
  const value = span.attributes[ATTR_X_REQUEST_ID];
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string') return JSON.parse(value) as string[];
  return [];
}

/** The trace in which a span recorded the response header `x-request-id: requestId`. */
export function traceWithRequestId(traces: Trace[], requestId: string): Trace | undefined {
  return traces.find((found) => found.spans.some((span) => requestIdsOf(span).includes(requestId)));
}

export function legacySearchUrl(queryUrl: string, service: string, limit = 20): string {
  const params = new URLSearchParams({ service, lookback: '1h', limit: String(limit) });
  return `${queryUrl}/api/traces?${params}`;
}

/**
 * API v3 search. Jaeger v2.13 spells the parameters in snake_case (camelCase ones are ignored),
 * requires both time bounds (RFC 3339) and answers 500 without `query.num_traces`.
 */
export function v3SearchUrl(queryUrl: string, service: string, limit = 20, now = new Date()): string {
  const params = new URLSearchParams({
    'query.service_name': service,
    'query.start_time_min': new Date(now.getTime() - LOOKBACK_MS).toISOString(),
    'query.start_time_max': new Date(now.getTime() + 60_000).toISOString(),
    'query.num_traces': String(limit),
  });
  return `${queryUrl}/api/v3/traces?${params}`;
}

// --- legacy JSON: {data: [{traceID, spans: [{tags, logs, references, processID}], processes}]} ---

interface LegacyKeyValue {
  key: string;
  type: string;
  value: string | number | boolean;
}

interface LegacySpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references?: { refType: string; spanID: string }[] | null;
  startTime: number;
  duration: number;
  tags?: LegacyKeyValue[] | null;
  logs?: { timestamp: number; fields?: LegacyKeyValue[] | null }[] | null;
  processID: string;
}

interface LegacyResponse {
  data?:
    | { traceID: string; spans: LegacySpan[]; processes: Record<string, { serviceName: string }> }[]
    | null;
}

/** Legacy tags keep their JSON type (string, number, bool); an OTLP array arrives as a JSON string. */
export function parseLegacyTraces(response: LegacyResponse): Trace[] {
  return (response.data ?? []).map((raw) => ({
    traceId: raw.traceID,
    spans: raw.spans.map((span) => {
      const attributes = legacyAttributes(span.tags);
      return {
        traceId: span.traceID,
        spanId: span.spanID,
        parentSpanId: span.references?.find((ref) => ref.refType === 'CHILD_OF')?.spanID,
        name: span.operationName,
        serviceName: raw.processes[span.processID]?.serviceName ?? '',
        kind: String(attributes['span.kind'] ?? 'internal'),
        status: String(attributes['otel.status_code'] ?? 'UNSET'),
        startTimeUs: span.startTime,
        durationUs: span.duration,
        attributes,
        events: (span.logs ?? []).map((log) => {
          const { event, ...rest } = legacyAttributes(log.fields);
          return { name: String(event ?? ''), timeUs: log.timestamp, attributes: rest };
        }),
      };
    }),
  }));
}

function legacyAttributes(tags: LegacyKeyValue[] | null | undefined): Record<string, AttributeValue> {
  return Object.fromEntries((tags ?? []).map((tag) => [tag.key, tag.value]));
}

// --- API v3: {result: {resourceSpans: [{resource, scopeSpans: [{spans}]}]}} (OTLP-JSON) ---------

interface OtlpAnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpAnyValue[] };
  bytesValue?: string;
}

interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: OtlpKeyValue[];
  events?: { name: string; timeUnixNano: string; attributes?: OtlpKeyValue[] }[];
  status?: { code?: number };
}

interface OtlpResponse {
  result?: {
    resourceSpans?: { resource?: { attributes?: OtlpKeyValue[] }; scopeSpans?: { spans?: OtlpSpan[] }[] }[];
  };
}

const OTLP_KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
const OTLP_STATUS = ['UNSET', 'OK', 'ERROR'];

/** API v3 keeps OTLP types: arrays stay arrays; 64-bit ints arrive as strings and become numbers. */
export function parseOtlpTraces(response: OtlpResponse): Trace[] {
  const byTrace = new Map<string, TraceSpan[]>();
  for (const resourceSpans of response.result?.resourceSpans ?? []) {
    const serviceName = String(otlpAttributes(resourceSpans.resource?.attributes)['service.name'] ?? '');
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        const startNs = BigInt(span.startTimeUnixNano);
        const spans = byTrace.get(span.traceId) ?? [];
        spans.push({
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId || undefined,
          name: span.name,
          serviceName,
          kind: OTLP_KINDS[span.kind ?? 0] ?? 'unspecified',
          status: OTLP_STATUS[span.status?.code ?? 0] ?? 'UNSET',
          startTimeUs: Number(startNs / 1000n),
          durationUs: Number((BigInt(span.endTimeUnixNano) - startNs) / 1000n),
          attributes: otlpAttributes(span.attributes),
          events: (span.events ?? []).map((event) => ({
            name: event.name,
            timeUs: Number(BigInt(event.timeUnixNano) / 1000n),
            attributes: otlpAttributes(event.attributes),
          })),
        });
        byTrace.set(span.traceId, spans);
      }
    }
  }
  return [...byTrace].map(([traceId, spans]) => ({ traceId, spans }));
}

function otlpAttributes(attributes: OtlpKeyValue[] | undefined): Record<string, AttributeValue> {
  return Object.fromEntries((attributes ?? []).map((kv) => [kv.key, otlpValue(kv.value)]));
}

function otlpValue(value: OtlpAnyValue | undefined): AttributeValue {
  if (value === undefined) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(otlpValue);
  if (value.bytesValue !== undefined) return value.bytesValue;
  return null;
}
