// Share of busy time spent under frames whose "function@url" contains each pattern: inclusive
// (anywhere on the stack) by default, or self time only (the sampled frame itself) with --self.
// Usage: npx tsx bench/profile-share.ts [--self] <file.cpuprofile> @prisma/client undici ledger.ts ...
import { readFileSync } from 'node:fs';
const args = process.argv.slice(2);
const self = args[0] === '--self';
const [file, ...pats] = self ? args.slice(1) : args;
const p = JSON.parse(readFileSync(file!, 'utf8'));
const byId = new Map<number, any>(p.nodes.map((n: any) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
let busy = 0; const hit = new Map<string, number>();
p.samples.forEach((id: number, i: number) => {
  const us = p.timeDeltas[i]; if (byId.get(id).callFrame.functionName === '(idle)') return; busy += us;
  const seen = new Set<string>(); let c: number | undefined = id;
  while (c !== undefined) {
    const f = byId.get(c).callFrame; const s = `${f.functionName}@${f.url}`;
    for (const pat of pats) if (s.includes(pat)) seen.add(pat);
    c = self ? undefined : parent.get(c);
  }
  for (const s of seen) hit.set(s, (hit.get(s) ?? 0) + us);
});
console.log(`busy ${(busy/1e6).toFixed(2)} s${self ? ' (self time)' : ''}`);
for (const pat of pats) console.log(`${(100*(hit.get(pat)??0)/busy).toFixed(2).padStart(6)}%  ${pat}`);
