// The layering rule of docs/architecture.md, checked on every import in src/ (type-only ones
// included): adapters -> domain -> upstream, db, platform; nothing points back up.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** Which project folders each layer may import (its own always allowed). */
const MAY_IMPORT: Record<string, readonly string[]> = {
  root: ['*'], // main.ts, app.ts, index.ts: the composition root
  composition: ['domain', 'upstream', 'db', 'platform', 'http', 'graphql', 'trpc', 'compat', 'simulator'],
  cli: ['composition', 'domain', 'platform', 'upstream'],
  http: ['domain', 'platform', 'graphql', 'trpc', 'compat', 'upstream'],
  graphql: ['domain', 'platform', 'upstream', 'http'],
  trpc: ['domain', 'platform', 'upstream', 'http'],
  compat: ['domain', 'platform', 'upstream', 'http'],
  domain: ['upstream', 'db', 'platform'],
  upstream: ['platform'],
  db: ['platform'],
  platform: [],
  simulator: ['upstream', 'platform'],
};
/** Files allowed one arrow the table refuses, and why. */
const EXCEPTIONS: Record<string, readonly string[]> = {
  // A Redis-backed implementation of the domain's LimitStore interface: it lives outside the domain.
  'platform/redis-limit-store.ts': ['domain'],
};
/** npm packages a layer must not import (the adapters' frameworks stay out of the domain, undici in upstream/). */
const FORBIDDEN_PACKAGES: Record<string, RegExp> = {
  domain: /^(graphql|graphql-yoga|@pothos\/|@trpc\/|ioredis|undici|@prisma\/|pg$|@electric-sql\/)/,
  upstream: /^(graphql|graphql-yoga|@pothos\/|@trpc\/|ioredis|@prisma\/|pg$)/,
  graphql: /^(@prisma\/|undici|pg$|ioredis)/,
  trpc: /^(@prisma\/|undici|pg$|ioredis)/,
  compat: /^(@prisma\/|undici|pg$|ioredis)/,
  http: /^(@prisma\/|undici|pg$)/,
  cli: /^(@prisma\/|pg$|@electric-sql\/)/,
};

export interface Arrow {
  from: string;
  to: string;
  spec: string;
}

function layerOf(file: string): string {
  const rel = relative(SRC, file).replaceAll('\\', '/');
  return rel.includes('/') ? rel.split('/')[0]! : 'root';
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return name === 'generated' ? [] : sources(full);
    return /\.(ts|mts|mjs)$/.test(name) ? [full] : [];
  });
}

export function importsOf(text: string): string[] {
  const specs: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)) specs.push((m[1] ?? m[2] ?? m[3])!);
  return specs;
}

/** Every import that breaks the rule, for the given files (all of src/ by default). */
export function violations(files = sources(SRC), read = (f: string) => readFileSync(f, 'utf8')): Arrow[] {
  const out: Arrow[] = [];
  for (const file of files) {
    const from = layerOf(file);
    const relFile = relative(SRC, file).replaceAll('\\', '/');
    const allowed = new Set([from, ...(MAY_IMPORT[from] ?? []), ...(EXCEPTIONS[relFile] ?? [])]);
    for (const spec of importsOf(read(file))) {
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        if (!target.startsWith(SRC)) continue;
        const to = layerOf(target);
        if (!allowed.has('*') && !allowed.has(to)) out.push({ from: relFile, to: relative(SRC, target), spec });
        // The domain never imports the Redis client, even through platform/.
        if (from === 'domain' && /platform\/redis/.test(spec)) out.push({ from: relFile, to: relative(SRC, target), spec });
      } else if (FORBIDDEN_PACKAGES[from]?.test(spec)) {
        out.push({ from: relFile, to: spec, spec });
      }
    }
  }
  return out;
}

describe('the import rule (docs/architecture.md)', () => {
  it('src/ root holds only main.ts, app.ts and index.ts', () => {
    expect(readdirSync(SRC).filter((n) => statSync(join(SRC, n)).isFile()).sort()).toEqual(['app.ts', 'index.ts', 'main.ts']);
  });

  it('no import points against the layers', () => {
    expect(violations()).toEqual([]);
  });

  it('catches an arrow against them (the check can fail)', () => {
    const planted = {
      [join(SRC, 'domain/x.ts')]: "import { a } from '../graphql/builder.ts';\nimport type { R } from '../platform/redis.ts';\nimport { PrismaClient } from '@prisma/client';",
      [join(SRC, 'upstream/y.ts')]: "import type { UsageRow } from '../domain/ledger/usage-row.ts';",
    };
    const found = violations(Object.keys(planted), (f) => planted[f]!);
    expect(found.map((v) => `${v.from} -> ${v.spec}`)).toEqual([
      'domain/x.ts -> ../graphql/builder.ts',
      'domain/x.ts -> ../platform/redis.ts',
      'domain/x.ts -> @prisma/client',
      'upstream/y.ts -> ../domain/ledger/usage-row.ts',
    ]);
  });
});
