/**
 * The server's own retry hint, pure: `retry-after-ms` (OpenAI, milliseconds) and `Retry-After`
 * (RFC 9110: delay-seconds or an HTTP-date). Returns undefined when absent or unreadable.
 */
type Headers = Record<string, string | string[] | undefined>;

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function retryAfterMs(headers: Headers, now: number = Date.now()): number | undefined {
  const milliseconds = first(headers['retry-after-ms']);
  if (milliseconds !== undefined) {
    const value = Number(milliseconds);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const retryAfter = first(headers['retry-after'])?.trim();
  if (retryAfter === undefined || retryAfter === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(retryAfter)) return Number(retryAfter) * 1000;
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
