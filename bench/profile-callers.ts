// Who calls a function, from a .cpuprofile: the heaviest caller chains, inclusive time.
// Usage: npx tsx bench/profile-callers.ts <file.cpuprofile> <functionName>
import { readFileSync } from 'node:fs';
const [file, fnName] = process.argv.slice(2);
const p = JSON.parse(readFileSync(file!, 'utf8'));
const byId = new Map<number, any>(p.nodes.map((n: any) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const self = new Map<number, number>();
p.samples.forEach((id: number, i: number) => self.set(id, (self.get(id) ?? 0) + p.timeDeltas[i]));
// inclusive time per node
const incl = new Map<number, number>();
for (const [id, us] of self) { let c: number | undefined = id; while (c !== undefined) { incl.set(c, (incl.get(c) ?? 0) + us); c = parent.get(c); } }
const stacks = new Map<string, number>();
for (const n of p.nodes) {
  if (n.callFrame.functionName !== fnName) continue;
  // skip nested same fn
  let a = parent.get(n.id); let nested = false;
  while (a !== undefined) { if (byId.get(a).callFrame.functionName === fnName) { nested = true; break; } a = parent.get(a); }
  if (nested) continue;
  const chain: string[] = []; let c = parent.get(n.id);
  while (c !== undefined && chain.length < 12) { const f = byId.get(c).callFrame; chain.push(`${f.functionName || '(anon)'}@${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`); c = parent.get(c); }
  const k = chain.join(' < ');
  stacks.set(k, (stacks.get(k) ?? 0) + (incl.get(n.id) ?? 0));
}
for (const [k, v] of [...stacks].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log((v / 1000).toFixed(0) + ' ms  ' + k + '\n');
