import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface ParsedSse {
  readonly events: EventSourceMessage[];
  readonly comments: string[];
}

/** Parses a whole SSE body with eventsource-parser; throws on malformed fields. */
export function parseSse(text: string): ParsedSse {
  const events: EventSourceMessage[] = [];
  const comments: string[] = [];
  const parser = createParser({
    onEvent: (event) => events.push(event),
    onComment: (comment) => comments.push(comment),
    onError: (error) => {
      throw error;
    },
  });
  parser.feed(text);
  return { events, comments };
}

/** The JSON `data` of every event except `[DONE]`. */
export function dataObjects(events: readonly EventSourceMessage[]): Record<string, unknown>[] {
  return events.filter((e) => e.data !== '[DONE]').map((e) => JSON.parse(e.data) as Record<string, unknown>);
}

export function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  path = '/v1/chat/completions',
): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
