// Summarizes a V8 .cpuprofile (from `npm run bench -- --cpu-prof`): self time by package
// (node_modules/<pkg>, src/<dir>, node internals, GC) and the top functions.
// Usage: npx tsx bench/profile-summary.ts bench/results/profiles/switchboard-embedded.cpuprofile [top]
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [top]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

function bucket(url: string, name: string): string {
  if (name === '(garbage collector)') return '(gc)';
  if (name === '(idle)' || name === '(program)') return name;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  const src = /\/(src|bench|test)\/(.+)$/.exec(url);
  if (src) return `${src[1]}/${src[2]!.split('/').slice(0, -1).join('/') || src[2]}`;
  if (url.startsWith('node:') || url === '') return '(node internals / native)';
  return url;
}

const total = [...self.values()].reduce((a, b) => a + b, 0);
const busy = total - (self.get([...byId.values()].find((n) => n.callFrame.functionName === '(idle)')?.id ?? -1) ?? 0);
const packages = new Map<string, number>();
const functions = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id)!;
  const b = bucket(n.callFrame.url, n.callFrame.functionName);
  packages.set(b, (packages.get(b) ?? 0) + us);
  const fn = `${n.callFrame.functionName || '(anonymous)'} ${b}:${n.callFrame.lineNumber + 1}`;
  functions.set(fn, (functions.get(fn) ?? 0) + us);
}
// Native and node-internal time charged to the nearest caller that is a package or our code.
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const charged = new Map<string, number>();
for (const [id, us] of self) {
  let cur: number | undefined = id;
  let b = '(node internals / native)';
  while (cur !== undefined) {
    const n = byId.get(cur)!;
    b = bucket(n.callFrame.url, n.callFrame.functionName);
    if (b !== '(node internals / native)' && b !== '(root)') break;
    cur = parent.get(cur);
  }
  charged.set(b, (charged.get(b) ?? 0) + us);
}
const pct = (us: number) => `${((100 * us) / busy).toFixed(1)}%`;
const top = Number(topArg ?? 25);
console.log(`busy ${(busy / 1e6).toFixed(2)} s of ${(total / 1e6).toFixed(2)} s profiled\n\nself time by package (share of busy time):`);
for (const [k, v] of [...packages].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(v).padStart(6)}  ${k}`);
console.log('\nself time with node internals charged to their nearest package caller:');
for (const [k, v] of [...charged].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(v).padStart(6)}  ${k}`);
console.log('\ntop functions (self):');
for (const [k, v] of [...functions].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(v).padStart(6)}  ${k}`);
