/**
 * The provider layer's per-request cost for the hot-path bench (issue 17 / issue 18 item 3): what
 * the interceptor does once per request to recognise a call: the request target (origin parse,
 * cached per origin; `url.full` redaction; the route table, cached per path), the request-header
 * scan (credentials, SDK retry count, provider hints), and the request body's model and stream flag
 * (one top-level scan). One row per request shape, median nanoseconds per lookup.
 */
import { parseGenAiRequest } from '../src/genai/request.ts';
import { prepareRequestHeaders } from '../src/interceptor/request-headers.ts';
import { requestTarget } from '../src/interceptor/request-target.ts';
import { routeOf } from '../src/providers/table.ts';
import { REQUEST_HEADERS, requestBody } from './payloads.ts';

export interface ProviderLookupRow {
  /** The request shape, e.g. "OpenAI chat, api.openai.com". */
  readonly name: string;
  /** Median CPU nanoseconds per lookup. */
  readonly nsPerCall: number;
}

interface Shape {
  readonly name: string;
  readonly origin: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const LONG_CONVERSATION = JSON.stringify({
  model: 'gpt-4o-mini',
  stream: true,
  messages: Array.from({ length: 40 }, (_, i) => ({
    role: i % 2 === 0 ? 'user' : 'assistant',
    content: `Turn ${i}: ${'lorem ipsum dolor sit amet '.repeat(20)}`,
  })),
});

const SHAPES: readonly Shape[] = [
  {
    name: 'OpenAI chat, api.openai.com',
    origin: 'https://api.openai.com',
    path: '/v1/chat/completions',
    headers: REQUEST_HEADERS,
    body: requestBody(false),
  },
  {
    name: 'OpenAI chat, 40-turn conversation (21 KB)',
    origin: 'https://api.openai.com',
    path: '/v1/chat/completions',
    headers: REQUEST_HEADERS,
    body: LONG_CONVERSATION,
  },
  {
    name: 'Anthropic Messages via a proxy (anthropic-version)',
    origin: 'http://127.0.0.1:4000',
    path: '/v1/messages',
    headers: {
      ...REQUEST_HEADERS,
      'anthropic-version': '2023-06-01',
      'x-api-key': 'sk-ant-api03-bench0000000000',
    },
    body: JSON.stringify({
      model: 'claude-sonnet-4-5',
      max_tokens: 256,
      messages: [{ role: 'user', content: 'Hi' }],
    }),
  },
  {
    name: 'Gemini streamGenerateContent',
    origin: 'https://generativelanguage.googleapis.com',
    path: '/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': 'AIzaBenchKey000000000000000000000' },
    body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] }),
  },
  {
    name: 'unrecognised route (GET /v1/models)',
    origin: 'https://api.openai.com',
    path: '/v1/models',
    headers: REQUEST_HEADERS,
    body: '',
  },
];

function lookup(shape: Shape): unknown {
  const target = requestTarget(shape.origin, shape.path, 'POST');
  const facts = prepareRequestHeaders(shape.headers);
  const request = target.route
    ? parseGenAiRequest(shape.body, false, target.route.format.streamsByDefault)
    : undefined;
  return [target, facts, request, routeOf(shape.path)];
}

function nsPerCall(shape: Shape, calls: number): number {
  const start = process.cpuUsage();
  for (let i = 0; i < calls; i++) lookup(shape);
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / calls;
}

export async function benchProviderLookup(calls = 50_000, rounds = 5): Promise<ProviderLookupRow[]> {
  const rows: ProviderLookupRow[] = [];
  for (const shape of SHAPES) {
    nsPerCall(shape, Math.min(calls, 5_000)); // warm-up
    const samples = Array.from({ length: rounds }, () => nsPerCall(shape, calls)).sort((a, b) => a - b);
    rows.push({ name: shape.name, nsPerCall: Math.round(samples[Math.floor(rounds / 2)] as number) });
  }
  return rows;
}
