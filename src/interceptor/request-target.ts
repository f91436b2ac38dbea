/**
 * Where a dispatch goes: method, redacted `url.full`, server address and port, and whether the
 * route is an LLM API call. Parsing an origin costs a URL parse, so results are cached per origin,
 * and whole targets per method, origin and path (bounded maps: applications talk to a handful of
 * hosts and endpoints; a target is immutable, so calls share it).
 */
import { providerNameForHost } from '../genai/request.ts';
import { routeOf } from '../providers/table.ts';
import type { Route } from '../providers/types.ts';
import { redactUrl } from '../redact/url.ts';

export interface RequestTarget {
  readonly method: string;
  readonly origin: string;
  readonly path: string;
  /** Redacted: no userinfo, secret-looking query values replaced. */
  readonly urlFull: string;
  readonly serverAddress: string;
  readonly serverPort: number;
  readonly url: URL;
  /** The LLM API route (src/providers/), when the path is one. */
  readonly route: Route | undefined;
  readonly operationName: string | undefined;
  /** `gen_ai.provider.name` by the built-in host table, else the host (the `providerName` option may override it). */
  readonly hostProvider: string;
  /** The host is in the provider table (not a proxy, a gateway or localhost). */
  readonly hostKnown: boolean;
}

interface ParsedOrigin {
  readonly url: URL;
  readonly serverAddress: string;
  readonly serverPort: number;
  readonly hostProvider: string;
  readonly hostKnown: boolean;
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'http:': 80, 'https:': 443 };
const MAX_CACHED_ORIGINS = 256;
const origins = new Map<string, ParsedOrigin>();

function parseOrigin(origin: string): ParsedOrigin {
  let parsed = origins.get(origin);
  if (parsed) return parsed;
  const url = new URL(origin);
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  parsed = {
    url,
    serverAddress: hostname,
    serverPort: url.port === '' ? (DEFAULT_PORTS[url.protocol] ?? 0) : Number(url.port),
    hostProvider: providerNameForHost(hostname),
    hostKnown: providerNameForHost(hostname) !== hostname.toLowerCase(),
  };
  if (origins.size >= MAX_CACHED_ORIGINS) origins.clear();
  origins.set(origin, parsed);
  return parsed;
}

/** Targets by method, origin and path: applications call a handful of endpoints over and over. */
const MAX_CACHED_TARGETS = 512;
const targets = new Map<string, RequestTarget>();

export function requestTarget(origin: string | URL, path: string, method: string): RequestTarget {
  const originText = typeof origin === 'string' ? origin : origin.origin;
  const key = `${method} ${originText}${path}`;
  let target = targets.get(key);
  if (target !== undefined) return target;
  target = buildTarget(originText, path, method);
  if (targets.size >= MAX_CACHED_TARGETS) targets.clear();
  targets.set(key, target);
  return target;
}

function buildTarget(originText: string, path: string, method: string): RequestTarget {
  const parsed = parseOrigin(originText);
  const base = originText.endsWith('/') ? originText.slice(0, -1) : originText;
  const route = routeOf(path);
  return {
    method,
    origin: originText,
    path,
    urlFull: redactUrl(`${base}${path}`),
    serverAddress: parsed.serverAddress,
    serverPort: parsed.serverPort,
    url: parsed.url,
    route,
    operationName: route?.operationName,
    hostProvider: parsed.hostProvider,
    hostKnown: parsed.hostKnown,
  };
}
