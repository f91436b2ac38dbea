/**
 * docs/providers.md has one row per wire format the route table knows (src/providers/table.ts), so
 * a new format cannot land undocumented, and no row names a format that does not exist.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WIRE_FORMATS } from '../../src/providers/table.ts';
import { proseLines } from './markdown.ts';

const page = readFileSync(new URL('../../docs/providers.md', import.meta.url), 'utf8');

/** The first cells of the table under `## The table`, without backticks. */
function formatsInTable(): string[] {
  const lines = proseLines(page).map((entry) => entry.text);
  const start = lines.indexOf('## The table');
  const rows: string[] = [];
  let inTable = false;
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('## ')) break;
    if (!line.startsWith('|')) {
      if (inTable) break;
      continue;
    }
    inTable = true;
    rows.push(line);
  }
  return rows
    .slice(2) // header and delimiter
    .map((row) => (row.split('|')[1] ?? '').trim().replace(/`/g, ''));
}

describe('docs/providers.md', () => {
  it('has exactly one row per wire format of WIRE_FORMATS, in its column "format"', () => {
    expect(formatsInTable().sort()).toEqual(WIRE_FORMATS.map((format) => format.name).sort());
  });

  it('names, for every format, each operation its routes produce', () => {
    const samples: Record<string, string> = {
      '/v1/chat/completions': 'chat',
      '/v1/messages/count_tokens': 'count_tokens',
      '/v1beta/models/gemini-2.5-flash:embedContent': 'embeddings',
      '/api/generate': 'text_completion',
      '/model/amazon.nova-lite-v1%3A0/converse': 'chat',
    };
    for (const [path, operation] of Object.entries(samples)) {
      const format = WIRE_FORMATS.find((candidate) => candidate.route(path) !== undefined);
      expect(format?.route(path)?.operationName, path).toBe(operation);
      const row = proseLines(page)
        .map((entry) => entry.text)
        .find((line) => line.startsWith(`| \`${format?.name}\``));
      expect(row, `${format?.name} row`).toContain(`\`${operation}\``);
    }
  });
});
