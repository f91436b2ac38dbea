/**
 * Summarises V8 `.cpuprofile` files (from `node --cpu-prof`): self time per function, as a share of
 * the busy samples (all but `(idle)`), grouped by owner (ours = this repository's src/, the
 * OpenTelemetry SDK and API, undici, Node's internals, GC and other native code, the bench itself),
 * then the functions in src/ (self and inclusive: what runs under them, the SDK included), and, for
 * context, the top functions overall with their owner. `--skip-ms N` ignores the first N ms of each
 * profile (start-up: module loading and compilation).
 * Run: `npx node bench/profile-summary.ts /tmp/prof/*.cpuprofile [--top 25] [--skip-ms 2000]`.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  readonly id: number;
  readonly children?: readonly number[];
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' }, 'skip-ms': { type: 'string', default: '0' } },
});
const top = Number(values.top);
const skipMicros = Number(values['skip-ms']) * 1000;
if (positionals.length === 0) throw new Error('usage: profile-summary.ts FILE.cpuprofile... [--top N]');

const selfMicros = new Map<string, number>();
/** Time with the function anywhere on the stack (src/ functions only), each sample counted once per function. */
const inclusiveMicros = new Map<string, number>();
/** Busy time with some src/ function on the stack, by the owner of the innermost frame. */
const underOursByOwner = new Map<string, number>();
let totalMicros = 0;
const IDLE = '(native):(idle)';
for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const names = new Map(profile.nodes.map((node) => [node.id, label(node)]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  let elapsed = 0;
  profile.samples.forEach((id, index) => {
    const micros = profile.timeDeltas[index] ?? 0;
    elapsed += micros;
    if (elapsed < skipMicros) return;
    const name = names.get(id) ?? '(unknown)';
    selfMicros.set(name, (selfMicros.get(name) ?? 0) + micros);
    if (name === IDLE) return;
    totalMicros += micros;
    const onStack = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      const frame = names.get(at) ?? '';
      if (frame.startsWith('src/')) onStack.add(frame);
    }
    for (const frame of onStack) inclusiveMicros.set(frame, (inclusiveMicros.get(frame) ?? 0) + micros);
    if (onStack.size > 0)
      underOursByOwner.set(owner(name), (underOursByOwner.get(owner(name)) ?? 0) + micros);
  });
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  // This repository's src/ only: a dependency's own build/src/ stays under its package name.
  const srcAt = url.includes('/node_modules/') ? -1 : url.lastIndexOf('/src/');
  const where = srcAt >= 0 ? url.slice(srcAt + 1) : url.replace(/^.*\/node_modules\//, '');
  return `${where || '(native)'}:${functionName || '(anonymous)'}${srcAt >= 0 ? `:${lineNumber + 1}` : ''}`;
}

type Owner = 'ours (src/)' | 'OTel SDK/API' | 'undici' | 'node internals' | 'GC / native' | 'bench + deps';

function owner(name: string): Owner {
  if (name.startsWith('src/')) return 'ours (src/)';
  if (name.startsWith('@opentelemetry/')) return 'OTel SDK/API';
  if (name.startsWith('undici/')) return 'undici';
  if (name.startsWith('node:')) return 'node internals';
  if (name.startsWith('(native)') || name.startsWith(':(')) return 'GC / native';
  return 'bench + deps';
}

const ranked = [...selfMicros.entries()].filter(([name]) => name !== IDLE).sort((a, b) => b[1] - a[1]);
const ours = ranked.filter(([name]) => name.startsWith('src/'));
const share = (micros: number) => `${((micros / totalMicros) * 100).toFixed(2)}%`;
const oursTotal = ours.reduce((total, [, micros]) => total + micros, 0);

console.log(`busy time sampled: ${(totalMicros / 1e6).toFixed(2)} s; self time in src/: ${share(oursTotal)}`);
const byOwner = new Map<Owner, number>();
for (const [name, micros] of ranked) byOwner.set(owner(name), (byOwner.get(owner(name)) ?? 0) + micros);
console.log(`\n| owner | self % of busy |\n|---|---:|`);
for (const [name, micros] of [...byOwner.entries()].sort((a, b) => b[1] - a[1])) {
  console.log(`| ${name} | ${share(micros)} |`);
}
const underOurs = [...underOursByOwner.values()].reduce((total, micros) => total + micros, 0);
console.log(
  `\nbusy time with a src/ function on the stack: ${share(underOurs)}, by the owner of the innermost frame:`,
);
console.log(`\n| innermost frame's owner (under src/) | % of busy |\n|---|---:|`);
for (const [name, micros] of [...underOursByOwner.entries()].sort((a, b) => b[1] - a[1])) {
  console.log(`| ${name} | ${share(micros)} |`);
}
console.log(`\n| src/ file:function:line | self % of busy | self ms |\n|---|---:|---:|`);
for (const [name, micros] of ours.slice(0, top)) {
  console.log(`| ${name} | ${share(micros)} | ${(micros / 1000).toFixed(0)} |`);
}
console.log(`\n| src/ file:function:line | inclusive % of busy |\n|---|---:|`);
for (const [name, micros] of [...inclusiveMicros.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`| ${name} | ${share(micros)} |`);
}
console.log(`\n| top overall | owner | self % of busy |\n|---|---|---:|`);
for (const [name, micros] of ranked.slice(0, top))
  console.log(`| ${name} | ${owner(name)} | ${share(micros)} |`);
