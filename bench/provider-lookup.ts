/**
 * PROVIDER LOOKUP HOOK for the hot-path bench (issue 17 / issue 18 item 3): the cost of the
 * provider layer's per-request lookup (route, request headers, request body → provider, operation,
 * model), which the interceptor calls once per request.
 *
 * Not measured yet: src/providers/ does not exist. When it does, time its lookup here on the
 * bench's requests (`POST /v1/chat/completions` with REQUEST_HEADERS and `requestBody(false)` from
 * bench/payloads.ts; add an Anthropic, a Gemini and an unrecognised route), e.g. 100,000 calls after
 * a warm-up, and return one row per request shape. bench/hot-path.ts prints the rows and
 * `npm run bench` stores them in bench/results.json (`hotPath.rates`, group "provider lookup").
 */

export interface ProviderLookupRow {
  /** The request shape, e.g. "OpenAI chat, api.openai.com". */
  readonly name: string;
  /** Median CPU nanoseconds per lookup. */
  readonly nsPerCall: number;
}

export async function benchProviderLookup(): Promise<ProviderLookupRow[]> {
  return [];
}
