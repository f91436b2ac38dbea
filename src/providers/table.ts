/**
 * The one table of wire formats the interceptor consults, once per call: `routeOf(path)` returns
 * the first format that knows the path (most specific first: Gemini's `:method` and Bedrock's
 * `/model/…/action` before Ollama's `/api/…`, Anthropic's `/messages` and OpenAI's suffixes).
 * Results are cached per path in a bounded map: applications call a handful of routes.
 */
import { anthropic } from './anthropic.ts';
import { bedrock } from './bedrock.ts';
import { gemini } from './gemini.ts';
import { ollama } from './ollama.ts';
import { openai } from './openai.ts';
import type { Route, WireFormat } from './types.ts';

export const WIRE_FORMATS: readonly WireFormat[] = [gemini, bedrock, ollama, anthropic, openai];

const MAX_CACHED_PATHS = 512;
const routes = new Map<string, Route | null>();

/** The route of a request path (query string ignored), or undefined when it is not an LLM API call. */
export function routeOf(path: string): Route | undefined {
  const query = path.indexOf('?');
  const bare = query === -1 ? path : path.slice(0, query);
  const cached = routes.get(bare);
  if (cached !== undefined) return cached ?? undefined;
  let found: Route | undefined;
  for (const format of WIRE_FORMATS) {
    found = format.route(bare);
    if (found) break;
  }
  if (routes.size >= MAX_CACHED_PATHS) routes.clear();
  routes.set(bare, found ?? null);
  return found;
}
