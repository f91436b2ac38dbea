/**
 * The telemetry reference (docs/telemetry.md) must name exactly what the code emits: every
 * constant in src/semconv/names.ts is documented there, and every telemetry name it documents exists.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as names from '../../src/semconv/names.ts';

const readme = readFileSync(new URL('../../docs/telemetry.md', import.meta.url), 'utf8');
const TELEMETRY_NAME = /`((?:http|url|server|network|error|gen_ai|llm)\.[a-z0-9_.-]+)`/g;

const constants = Object.entries(names)
  .filter(([key]) => /^(ATTR|EVENT|METRIC)_/.test(key))
  .map(([, value]) => value as string);
const headerPrefix = names.ATTR_HTTP_RESPONSE_HEADER_PREFIX;

describe('docs/telemetry.md and the name constants', () => {
  it('documents every attribute, event and metric the code defines', () => {
    const documented = new Set([...readme.matchAll(TELEMETRY_NAME)].map((match) => match[1]));
    const undocumented = constants.filter(
      (name) => name !== headerPrefix && !documented.has(name) && !readme.includes(`\`${name}`),
    );
    expect(undocumented).toEqual([]);
  });

  it('documents no telemetry name the code does not define', () => {
    const known = new Set(constants);
    const unknown = [...readme.matchAll(TELEMETRY_NAME)]
      .map((match) => match[1] as string)
      .filter((name) => !known.has(name) && !name.startsWith(headerPrefix) && !name.endsWith('.'))
      .filter((name) => !name.endsWith('.*'));
    expect([...new Set(unknown)]).toEqual([]);
  });

  it('keeps names unique and dotted lowercase', () => {
    const attributeValues = Object.entries(names)
      .filter(([key]) => key.startsWith('ATTR_'))
      .map(([, value]) => value as string);
    expect(new Set(attributeValues).size).toBe(attributeValues.length);
    for (const name of constants) expect(name).toMatch(/^[a-z][a-z0-9_]*(\.[a-z0-9_-]+)*\.?$/);
  });
});
