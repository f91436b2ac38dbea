/**
 * Mutation testing of the pure modules (not part of CI: it takes minutes). Runs StrykerJS once per
 * group of mutate/groups.ts, each group's mutants judged by that group's own tests, one group at a
 * time, and writes the summary to reports/mutation.json (Stryker's full reports stay in
 * coverage/mutation/<group>.json and .html, not committed). Exits 1 when a group scores below 85%.
 *
 *   npm run mutate                      every group
 *   npm run mutate -- errors genai      only these groups (their entries in the summary are replaced)
 *
 * Score: Stryker's mutation score, (killed + timeout) / (killed + timeout + survived + no coverage).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { GROUPS, type MutationGroup } from '../mutate/groups.ts';

const THRESHOLD = 85;
const ROOT = path.resolve(import.meta.dirname, '..');
const SUMMARY = path.join(ROOT, 'reports', 'mutation.json');
const require = createRequire(import.meta.url);
const STRYKER_BIN = path.join(
  path.dirname(require.resolve('@stryker-mutator/core/package.json')),
  'bin',
  'stryker.js',
);
const STRYKER_VERSION: string = require('@stryker-mutator/core/package.json').version;
const BIOME_BIN = path.join(path.dirname(require.resolve('@biomejs/biome/package.json')), 'bin', 'biome');

interface Mutant {
  readonly status: string;
  readonly mutatorName: string;
  readonly replacement?: string;
  readonly location: { readonly start: { readonly line: number; readonly column: number } };
}

interface GroupSummary {
  readonly group: string;
  readonly files: string[];
  readonly mutants: number;
  readonly killed: number;
  readonly survived: number;
  readonly timeout: number;
  readonly noCoverage: number;
  /** Compile and runtime errors: not counted in the score. */
  readonly errors: number;
  /** Disabled by `// Stryker disable` comments (equivalent mutants, justified there): not counted. */
  readonly ignored: number;
  readonly score: number;
  readonly seconds: number;
  /** `file:line:column mutator → replacement` of every survived or uncovered mutant. */
  readonly survivors: string[];
}

function summarise(group: MutationGroup, report: string, seconds: number): GroupSummary {
  const json = JSON.parse(readFileSync(report, 'utf8')) as { files: Record<string, { mutants: Mutant[] }> };
  const count = { Killed: 0, Survived: 0, Timeout: 0, NoCoverage: 0, Ignored: 0, errors: 0 };
  const survivors: string[] = [];
  for (const [file, { mutants }] of Object.entries(json.files)) {
    for (const mutant of mutants) {
      if (mutant.status in count) count[mutant.status as keyof typeof count]++;
      else count.errors++;
      if (mutant.status === 'Survived' || mutant.status === 'NoCoverage') {
        const { line, column } = mutant.location.start;
        const replacement = (mutant.replacement ?? '').replace(/\s+/g, ' ').slice(0, 80);
        survivors.push(`${file}:${line}:${column} ${mutant.status} ${mutant.mutatorName} → ${replacement}`);
      }
    }
  }
  const detected = count.Killed + count.Timeout;
  const valid = detected + count.Survived + count.NoCoverage;
  return {
    group: group.name,
    files: Object.keys(json.files).sort(),
    mutants: valid + count.Ignored + count.errors,
    killed: count.Killed,
    survived: count.Survived,
    timeout: count.Timeout,
    noCoverage: count.NoCoverage,
    errors: count.errors,
    ignored: count.Ignored,
    score: valid === 0 ? 100 : Math.round((detected / valid) * 10_000) / 100,
    seconds,
    survivors: survivors.sort((a, b) => a.localeCompare(b, 'en', { numeric: true })),
  };
}

function runGroup(group: MutationGroup): GroupSummary {
  const report = path.join(ROOT, 'coverage', 'mutation', `${group.name}.json`);
  console.log(`\n=== ${group.name}: ${group.mutate.join(', ')} ===`);
  const started = performance.now();
  const result = spawnSync(process.execPath, [STRYKER_BIN, 'run', 'stryker.config.mjs'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, MUTATE_GROUP: group.name },
  });
  const seconds = Math.round((performance.now() - started) / 1000);
  if (result.status !== 0 || !existsSync(report)) {
    throw new Error(`stryker failed for group ${group.name} (exit ${result.status ?? result.signal})`);
  }
  return summarise(group, report, seconds);
}

function readSummary(): GroupSummary[] {
  return existsSync(SUMMARY)
    ? (JSON.parse(readFileSync(SUMMARY, 'utf8')) as { groups: GroupSummary[] }).groups
    : [];
}

/** Merges `fresh` into reports/mutation.json (read again each time: another run may have written meanwhile). */
function record(fresh: GroupSummary): GroupSummary[] {
  const previous = readSummary();
  const groups = GROUPS.map((group) =>
    fresh.group === group.name ? fresh : previous.find((s) => s.group === group.name),
  ).filter((summary): summary is GroupSummary => summary !== undefined);
  mkdirSync(path.dirname(SUMMARY), { recursive: true });
  const summary = {
    stryker: STRYKER_VERSION,
    threshold: THRESHOLD,
    scoreFormula: '(killed + timeout) / (killed + timeout + survived + noCoverage), in percent',
    groups,
  };
  writeFileSync(SUMMARY, `${JSON.stringify(summary, null, 2)}\n`);
  // In the project's JSON style, so `npm run lint` passes on the committed summary.
  spawnSync(process.execPath, [BIOME_BIN, 'format', '--write', SUMMARY], { cwd: ROOT, stdio: 'ignore' });
  return groups;
}

const args = process.argv.slice(2);
/** `--report-only`: no Stryker run, re-summarise coverage/mutation/<group>.json (seconds kept from the last summary). */
const reportOnly = args.includes('--report-only');
const requested = args.filter((arg) => arg !== '--report-only');
const unknown = requested.filter((name) => !GROUPS.some((group) => group.name === name));
if (unknown.length > 0) {
  console.error(`unknown group(s) ${unknown.join(', ')}; groups: ${GROUPS.map((g) => g.name).join(', ')}`);
  process.exit(2);
}
const selected = requested.length === 0 ? GROUPS : GROUPS.filter((group) => requested.includes(group.name));
const fresh: GroupSummary[] = [];
let groups: GroupSummary[] = readSummary();
for (const group of selected) {
  const summary = reportOnly
    ? summarise(
        group,
        path.join(ROOT, 'coverage', 'mutation', `${group.name}.json`),
        groups.find((s) => s.group === group.name)?.seconds ?? 0,
      )
    : runGroup(group);
  fresh.push(summary);
  groups = record(summary);
}

console.log('\ngroup            mutants  killed  survived  timeout  noCov  ignored  score  seconds');
for (const s of groups) {
  console.log(
    `${s.group.padEnd(16)} ${String(s.mutants).padStart(7)} ${String(s.killed).padStart(7)} ${String(s.survived).padStart(9)} ${String(s.timeout).padStart(8)} ${String(s.noCoverage).padStart(6)} ${String(s.ignored).padStart(8)} ${s.score.toFixed(2).padStart(6)} ${String(s.seconds).padStart(8)}`,
  );
}
const ranSeconds = fresh.reduce((sum, s) => sum + s.seconds, 0);
console.log(
  `\nthis run: ${fresh.length} group(s) in ${ranSeconds} s; summary in ${path.relative(ROOT, SUMMARY)}`,
);
const failing = fresh.filter((s) => s.score < THRESHOLD);
if (failing.length > 0) {
  console.error(`below ${THRESHOLD}%: ${failing.map((s) => `${s.group} ${s.score}%`).join(', ')}`);
  process.exitCode = 1;
}
