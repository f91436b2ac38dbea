/**
 * docs/api.md is what scripts/api-reference.ts generates from the current src/index.ts: an export,
 * a signature or a TSDoc comment that changes without regenerating it fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_REFERENCE_PATH, renderApiReference } from '../../scripts/api-reference.ts';
import * as api from '../../src/index.ts';

describe('docs/api.md', () => {
  const generated = renderApiReference();

  it('is up to date (regenerate: node scripts/api-reference.ts)', () => {
    expect(readFileSync(API_REFERENCE_PATH, 'utf8')).toBe(generated);
  });

  it('documents every run-time export of the package under its own name', () => {
    const missing = Object.keys(api).filter(
      (name) => !generated.includes(`\`${name}()\``) && !generated.includes(`\`${name}\``),
    );
    expect(missing).toEqual([]);
  });

  it('shows the TSDoc of an option next to its type', () => {
    const row = generated.split('\n').find((line) => line.startsWith('| `inferRetries?`'));
    const cells = row?.split(' | ').map((cell) => cell.trim());
    expect(cells?.[1]).toBe('`boolean \\| InferredRetryOptions \\| undefined`');
    expect(cells?.[2]).toMatch(/^Link an SDK's unannounced resends \(same endpoint, identical body/);
  });
});
