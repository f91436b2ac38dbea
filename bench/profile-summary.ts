/**
 * Summarises V8 `.cpuprofile` files (from `node --cpu-prof`): self time per function, as a share of
 * the busy samples (all but `(idle)`), for the functions in this repository's src/ and, for
 * context, the top functions overall. Run: `npx node bench/profile-summary.ts /tmp/prof/*.cpuprofile [--top 25]`.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' } },
});
const top = Number(values.top);
if (positionals.length === 0) throw new Error('usage: profile-summary.ts FILE.cpuprofile... [--top N]');

const selfMicros = new Map<string, number>();
let totalMicros = 0;
const IDLE = '(native):(idle)';
for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const names = new Map(profile.nodes.map((node) => [node.id, label(node)]));
  profile.samples.forEach((id, index) => {
    const micros = profile.timeDeltas[index] ?? 0;
    const name = names.get(id) ?? '(unknown)';
    selfMicros.set(name, (selfMicros.get(name) ?? 0) + micros);
    if (name !== IDLE) totalMicros += micros;
  });
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const srcAt = url.lastIndexOf('/src/');
  const where = srcAt >= 0 ? url.slice(srcAt + 1) : url.replace(/^.*\/node_modules\//, '');
  return `${where || '(native)'}:${functionName || '(anonymous)'}${srcAt >= 0 ? `:${lineNumber + 1}` : ''}`;
}

const ranked = [...selfMicros.entries()].filter(([name]) => name !== IDLE).sort((a, b) => b[1] - a[1]);
const ours = ranked.filter(([name]) => name.startsWith('src/'));
const share = (micros: number) => `${((micros / totalMicros) * 100).toFixed(2)}%`;
const oursTotal = ours.reduce((total, [, micros]) => total + micros, 0);

console.log(`busy time sampled: ${(totalMicros / 1e6).toFixed(2)} s; self time in src/: ${share(oursTotal)}`);
console.log(`\n| src/ file:function:line | self % of busy | self ms |\n|---|---:|---:|`);
for (const [name, micros] of ours.slice(0, top)) {
  console.log(`| ${name} | ${share(micros)} | ${(micros / 1000).toFixed(0)} |`);
}
console.log(`\n| top overall | self % of busy |\n|---|---:|`);
for (const [name, micros] of ranked.slice(0, top)) console.log(`| ${name} | ${share(micros)} |`);
