// tRPC operations generated from the router: every procedure (walked from appRouter, so new
// ones join) with an input built from its own zod schema (plausible or hostile, field by field),
// or hostile as a whole.
import fc from 'fast-check';
import type { z } from 'zod';
import { appRouter } from '../../../src/trpc/router.ts';
import { hostileValue, intFor, sometimesHostile, stringFor, type Pools } from './values.ts';

export interface TrpcOp {
  type: 'query' | 'mutation' | 'subscription';
  path: string;
  input: unknown;
}

interface ZodDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  entries?: Record<string, string | number>;
  values?: unknown[];
  valueType?: z.ZodType;
  left?: z.ZodType;
}

const defOf = (schema: z.ZodType): ZodDef => (schema as unknown as { _zod: { def: ZodDef } })._zod.def;

function zodArb(schema: z.ZodType, name: string, pools: Pools, depth: number, hostile: boolean): fc.Arbitrary<unknown> {
  const def = defOf(schema);
  const inner = (s: z.ZodType | undefined) => (s ? zodArb(s, name, pools, depth, hostile) : fc.constant(undefined));
  switch (def.type) {
    case 'object': {
      if (depth > 4) return fc.constant({});
      const shape: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, s] of Object.entries(def.shape ?? {})) shape[k] = zodArb(s, k, pools, depth + 1, hostile);
      return sometimesHostile(fc.record(shape), hostile);
    }
    case 'optional':
      return fc.option(inner(def.innerType), { nil: undefined, freq: 2 });
    case 'nullable':
      return fc.option(inner(def.innerType), { nil: null, freq: 4 });
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return inner(def.innerType);
    case 'pipe':
      return inner(def.in);
    case 'string':
      return sometimesHostile(stringFor(name, pools), hostile);
    case 'number':
      return sometimesHostile(intFor(name), hostile);
    case 'boolean':
      return sometimesHostile(fc.boolean(), hostile);
    case 'enum':
      return sometimesHostile(fc.constantFrom(...Object.values(def.entries ?? { x: 'x' })), hostile);
    case 'literal':
      return fc.constantFrom(...(def.values ?? [null]));
    case 'array':
      return sometimesHostile(fc.array(inner(def.element), { maxLength: depth > 2 ? 1 : 3 }), hostile);
    case 'union':
      return fc.oneof(...(def.options ?? []).map((o) => zodArb(o, name, pools, depth, hostile)));
    case 'intersection':
      return inner(def.left);
    case 'record':
      return sometimesHostile(fc.dictionary(fc.constantFrom('team', 'env', 'n'), inner(def.valueType), { maxKeys: 4 }), hostile);
    case 'date':
      return sometimesHostile(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), hostile);
    default:
      return sometimesHostile(fc.jsonValue({ maxDepth: 2 }), hostile);
  }
}

interface ProcedureLike {
  _def: { type: TrpcOp['type']; inputs: z.ZodType[] };
}

/** Every procedure of the router: its path, type and input schema (if any). */
export function trpcProcedures(): Array<{ path: string; type: TrpcOp['type']; input?: z.ZodType }> {
  const procedures = (appRouter as unknown as { _def: { procedures: Record<string, ProcedureLike> } })._def.procedures;
  return Object.entries(procedures).map(([path, p]) => ({ path, type: p._def.type, input: p._def.inputs[0] }));
}

export function trpcOps(pools: Pools, only?: (p: { type: TrpcOp['type'] }) => boolean): fc.Arbitrary<TrpcOp> {
  const ops = trpcProcedures()
    .filter((p) => !only || only(p))
    .map((p) => {
      const input = p.input
        ? fc.oneof({ arbitrary: zodArb(p.input, p.path, pools, 0, false), weight: 5 }, { arbitrary: zodArb(p.input, p.path, pools, 0, true), weight: 4 }, { arbitrary: hostileValue, weight: 1 })
        : fc.oneof({ arbitrary: fc.constant(undefined), weight: 8 }, { arbitrary: hostileValue, weight: 1 });
      return input.map((value) => ({ type: p.type, path: p.path, input: value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as unknown) }));
    });
  return fc.oneof(...ops);
}
