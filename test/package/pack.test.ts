/**
 * What `npm publish` would ship, from `npm pack --dry-run --json` (without the `prepare` build, so
 * dist/ is whatever `npm install` or `npm run build` produced): the library, the CLI, the
 * collector configuration and compose files, README and package.json; no tests, benchmarks, docs,
 * sources or examples. Also: the package name resolves to dist/ through "exports" from inside the
 * repository (the examples rely on that self-reference).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url);
const run = promisify(execFile);

interface PackManifest {
  readonly name: string;
  readonly files: readonly { readonly path: string }[];
}

interface PackageJson {
  readonly exports: Record<string, string | Record<string, string>>;
  readonly bin: Record<string, string>;
  readonly types: string;
  readonly sideEffects: readonly string[];
}

const pkg = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as PackageJson;
let files: string[];

beforeAll(async () => {
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  const [manifest] = JSON.parse(stdout) as PackManifest[];
  files = (manifest?.files ?? []).map((f) => f.path).sort();
});

/** Top-level entries a published tarball may hold (LICENSE and CHANGELOG.md only when present). */
const TOP_LEVEL = new Set([
  'package.json',
  'README.md',
  'LICENSE',
  'CHANGELOG.md',
  'dist',
  'collector',
  'docker-compose.yml',
  'docker-compose.scale.yml',
]);

/** Paths package.json points at, without the leading `./`. */
function referencedPaths(): string[] {
  const targets = Object.values(pkg.exports).flatMap((entry) =>
    typeof entry === 'string' ? [entry] : Object.values(entry),
  );
  return [...targets, ...Object.values(pkg.bin), pkg.types, ...pkg.sideEffects].map((p) =>
    p.replace(/^\.\//, ''),
  );
}

describe('npm pack', () => {
  it('ships dist/ (run `npm run build` first if this fails on a fresh checkout)', () => {
    expect(files).toContain('dist/index.js');
  });

  it('ships every file package.json points at: exports, types, bin, sideEffects', () => {
    const missing = referencedPaths().filter((p) => !files.includes(p));
    expect(missing).toEqual([]);
  });

  it('ships the collector configuration, the compose files, README and package.json', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'docker-compose.yml',
        'docker-compose.scale.yml',
        'collector/otelcol.yaml',
        'collector/jaeger.yaml',
        'collector/prometheus/prometheus.yml',
        'collector/prometheus/alerts.yml',
        'collector/alertmanager/alertmanager.yml',
      ]),
    );
  });

  it('ships nothing outside the allowed top-level entries', () => {
    const unexpected = files.filter((p) => !TOP_LEVEL.has(p.split('/')[0] ?? p));
    expect(unexpected).toEqual([]);
  });

  it('ships only compiled JavaScript, declarations and source maps in dist/, and no compiled tests', () => {
    const dist = files.filter((p) => p.startsWith('dist/'));
    expect(dist.filter((p) => !/\.(js|d\.ts|js\.map|d\.ts\.map)$/.test(p))).toEqual([]);
    expect(dist.filter((p) => /\.(test|spec)\.|\/(test|tests|__tests__)\//.test(p))).toEqual([]);
  });

  it('ships no TypeScript sources, images or editor and tool configuration', () => {
    const unwanted = files.filter(
      (p) =>
        (p.endsWith('.ts') && !p.endsWith('.d.ts')) ||
        /\.(png|jpe?g|gif|svg|cpuprofile|tgz)$/.test(p) ||
        /(^|\/)(tsconfig[^/]*\.json|vitest[^/]*|biome\.json|stryker[^/]*|\.[^/]+)$/.test(p),
    );
    expect(unwanted).toEqual([]);
  });
});

describe('the package name inside the repository', () => {
  it('resolves to dist/ through package.json "exports", from examples/', async () => {
    const script =
      "console.log(import.meta.resolve('llm-otel-dispatcher'), import.meta.resolve('llm-otel-dispatcher/register'))";
    const { stdout } = await run(process.execPath, ['--input-type=module', '--eval', script], {
      cwd: new URL('examples/', ROOT),
    });
    expect(stdout.trim().split(' ')).toEqual([
      new URL('dist/index.js', ROOT).href,
      new URL('dist/register/register.js', ROOT).href,
    ]);
  });
});
