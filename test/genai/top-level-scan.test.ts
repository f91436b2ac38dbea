/**
 * Without content capture, parseGenAiRequest scans the body for its top-level model and stream
 * instead of JSON.parse-ing it whole. The scan must agree with JSON.parse on every JSON object, and
 * never take a nested `model` or `stream` for the top-level one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseGenAiRequest } from '../../src/genai/request.ts';

function byJsonParse(body: string): { model: string | undefined; stream: boolean } | undefined {
  try {
    const value: unknown = JSON.parse(body.replace(/^\ufeff/, ''));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const record = value as Record<string, unknown>;
    return {
      model: typeof record.model === 'string' && record.model !== '' ? record.model : undefined,
      stream: record.stream === true,
    };
  } catch {
    return undefined;
  }
}

describe('the top-level scan agrees with JSON.parse', () => {
  it.each([
    [
      'nested keys are not top-level',
      '{"messages":[{"model":"inner","stream":true}],"model":"outer"}',
      'outer',
      false,
    ],
    [
      'strings that look like keys',
      '{"content":"\\"model\\":\\"fake\\",","model":"real","stream":true}',
      'real',
      true,
    ],
    ['escapes in the model', '{"model":"gpt-\\u0034o\\\\x"}', 'gpt-4o\\x', false],
    ['the last duplicate wins', '{"model":"a","model":"b","stream":true,"stream":false}', 'b', false],
    ['whitespace everywhere', ' \n{ "stream" : true , "model" :\t"m" } ', 'm', true],
    ['numbers and literals', '{"temperature":0.5e-3,"n":-1,"x":null,"stream":true,"model":"m"}', 'm', true],
    ['an empty object', '{}', undefined, false],
  ])('%s', (_label, body, model, stream) => {
    expect(parseGenAiRequest(body, false)).toEqual({ model, stream, inputMessages: undefined });
    expect(byJsonParse(body)).toEqual({ model, stream });
  });

  it.each([
    ['cut short', '{"model":"m","messages":[{"role":"user"'],
    ['an unterminated string', '{"model":"m'],
    ['a missing colon', '{"model" "m"}'],
    ['trailing garbage between keys', '{"model":"m" x "stream":true}'],
  ])('%s: not a request', (_label, body) => {
    expect(parseGenAiRequest(body, false)).toBeUndefined();
  });

  it('property: on any JSON object, the scan finds what JSON.parse finds', () => {
    const objects = fc.dictionary(
      fc.oneof(fc.constantFrom('model', 'stream', 'messages', 'input'), fc.string({ maxLength: 8 })),
      fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.boolean(), fc.string()),
      { maxKeys: 8 },
    );
    fc.assert(
      fc.property(objects, fc.boolean(), (object, pretty) => {
        const body = pretty ? JSON.stringify(object, null, 2) : JSON.stringify(object);
        const scanned = parseGenAiRequest(body, false);
        expect(scanned && { model: scanned.model, stream: scanned.stream }).toEqual(byJsonParse(body));
      }),
      { numRuns: 500 },
    );
  });

  it('linear on adversarial input: deep nesting and long runs of backslashes and quotes', () => {
    const deep = `{"a":${'['.repeat(100_000)}${']'.repeat(100_000)},"model":"m"}`;
    expect(parseGenAiRequest(deep, false)?.model).toBe('m');
    const slashes = `{"a":"${'\\\\'.repeat(200_000)}","model":"m"}`;
    expect(parseGenAiRequest(slashes, false)?.model).toBe('m');
  });
});
