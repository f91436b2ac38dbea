/**
 * URL redaction for `url.full`: drops the userinfo (`user:pass@`) and replaces the values of
 * secret-looking query parameters (see secret-names.ts) with `REDACTED`. Everything else stays
 * byte-identical: the string is edited in place, never re-serialised through `URL` (which would
 * normalise percent-encoding and case). The fragment is left alone (it is never sent).
 */

import { isSecretName } from './secret-names.ts';

export const REDACTED = 'REDACTED';

const SCHEME_PREFIX = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/** Removes `userinfo@` from the authority, if any. */
function stripUserinfo(url: string): string {
  const scheme = SCHEME_PREFIX.exec(url);
  const authorityStart = scheme ? scheme[0].length : url.startsWith('//') ? 2 : -1;
  if (authorityStart < 0) return url;
  let authorityEnd = url.length;
  for (let i = authorityStart; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 0x2f /* / */ || c === 0x3f /* ? */ || c === 0x23 /* # */ || c === 0x5c /* \ */) {
      authorityEnd = i;
      break;
    }
  }
  const at = url.lastIndexOf('@', authorityEnd - 1);
  if (at < authorityStart) return url;
  return url.slice(0, authorityStart) + url.slice(at + 1);
}

function decodedName(raw: string): string {
  if (!raw.includes('%') && !raw.includes('+')) return raw;
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return raw;
  }
}

function redactQuery(query: string): string {
  // Stryker disable next-line BooleanLiteral: joining the unchanged parts gives the query back
  let changed = false;
  const parts = query.split('&');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    if (isSecretName(decodedName(part.slice(0, eq)))) {
      parts[i] = `${part.slice(0, eq + 1)}${REDACTED}`;
      changed = true;
    }
  }
  return changed ? parts.join('&') : query;
}

/** Returns the URL without userinfo and with secret query values replaced; never throws. */
export function redactUrl(url: string | URL): string {
  try {
    const text = typeof url === 'string' ? url : url.href;
    if (typeof text !== 'string') return '';
    const hasQuery = text.includes('?');
    if (!hasQuery && !text.includes('@')) return text;
    const withoutUserinfo = stripUserinfo(text);
    if (!hasQuery) return withoutUserinfo;
    const q = withoutUserinfo.indexOf('?');
    const hash = withoutUserinfo.indexOf('#', q);
    const end = hash < 0 ? withoutUserinfo.length : hash;
    const query = withoutUserinfo.slice(q + 1, end);
    const redacted = redactQuery(query);
    if (redacted === query) return withoutUserinfo;
    return withoutUserinfo.slice(0, q + 1) + redacted + withoutUserinfo.slice(end);
  } catch {
    return '';
  }
}
