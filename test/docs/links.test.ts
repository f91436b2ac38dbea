/**
 * The README and docs/ as a reader clicks through them: every relative link points at a file that
 * exists, every `#anchor` at a heading of the page it names, and every page of the manual opens by
 * saying who it is for. External (http) links are not fetched.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { anchorsOf, linksOf } from './markdown.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Pages the manual links to that other work is still writing: a link to one of these may point
 * nowhere until it lands; once the file exists its anchors are checked like any other.
 */
const PENDING_PAGES = new Set<string>([]);

const docs = readdirSync(join(ROOT, 'docs'))
  .filter((name) => name.endsWith('.md'))
  .map((name) => `docs/${name}`);
const pages = ['README.md', 'examples/README.md', ...docs];

function read(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

/** Problems with one page's links, as `page:line target: what`. */
function brokenLinks(page: string): string[] {
  const problems: string[] = [];
  const text = read(page);
  for (const { line, target } of linksOf(text)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
    const [pathPart = '', anchor] = target.split('#', 2);
    const file = pathPart === '' ? join(ROOT, page) : resolve(dirname(join(ROOT, page)), pathPart);
    const name = relative(ROOT, file).split('\\').join('/');
    const where = `${page}:${line} ${target}`;
    if (!existsSync(file)) {
      if (!PENDING_PAGES.has(name)) problems.push(`${where}: no such file`);
      continue;
    }
    if (anchor === undefined) continue;
    if (statSync(file).isDirectory() || !file.endsWith('.md')) {
      problems.push(`${where}: an anchor into a file that is not Markdown`);
    } else if (!anchorsOf(readFileSync(file, 'utf8')).has(anchor)) {
      problems.push(`${where}: no heading with this anchor`);
    }
  }
  return problems;
}

describe('relative links', () => {
  it.each(pages)('%s: every link and anchor resolves', (page) => {
    expect(brokenLinks(page)).toEqual([]);
  });

  it('finds the links it checks (the README links into docs/)', () => {
    const targets = linksOf(read('README.md')).map((link) => link.target);
    expect(targets).toContain('docs/telemetry.md');
    expect(targets).toContain('docs/trace.png');
    expect(targets).toContain('examples/README.md');
  });
});

describe('the manual', () => {
  it('has at least 8 pages besides its index', () => {
    expect(docs.filter((page) => page !== 'docs/README.md').length).toBeGreaterThanOrEqual(8);
  });

  it.each(docs)('%s opens with a line saying who it is for', (page) => {
    const opening = read(page)
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('#'))[0];
    expect(opening).toMatch(/^For /);
  });

  it('lists every page in its index and in the README', () => {
    const index = new Set(linksOf(read('docs/README.md')).map((link) => link.target.split('#')[0]));
    const readme = new Set(linksOf(read('README.md')).map((link) => link.target.split('#')[0]));
    const notInIndex = docs
      .map((page) => page.slice('docs/'.length))
      .filter((page) => page !== 'README.md' && !index.has(page));
    expect(notInIndex).toEqual([]);
    expect(readme).toContain('docs/README.md');
  });
});

describe('the README', () => {
  const readme = read('README.md');

  it('stays a front door: at most 300 lines', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(300);
  });

  it('shows the three ways in and the path to a first trace and a first alert', () => {
    for (const text of [
      '--import llm-otel-dispatcher/register',
      'installFetchTelemetry()',
      'fetchOptions: { dispatcher: createTelemetryDispatcher(',
      'docker compose up -d',
      'npm run demo',
      'http://127.0.0.1:16686',
      'http://127.0.0.1:9090/alerts',
    ]) {
      expect(readme).toContain(text);
    }
  });
});
