// Models a caller did not name (reference: cloudflare-2026-changes.md §b): dynamic routes
// (`dynamic/<route>`, answered with cf-aig-model / cf-aig-provider / cf-aig-step) and the Auto
// Router (`cloudflare/auto`, answered with cf-aig-routed-model / cf-aig-routing-reason /
// cf-aig-routing-decision-id), which picks within its pool or within cf-aig-allowed-models.
import { uuidv7 } from '../platform/ids.ts';

/** The Auto Router's default pool, as the simulator knows it (cheapest first). */
export const AUTO_ROUTER_POOL = ['openai/gpt-5.4-mini', 'anthropic/claude-haiku-4-5', 'google/gemini-3-flash', 'openai/gpt-5.5', 'anthropic/claude-sonnet-4-5'];

/** Dynamic routes of every gateway: route name -> the model its primary step calls. */
export const DEFAULT_DYNAMIC_ROUTES: Record<string, string> = { support: 'anthropic/claude-sonnet-4-5' };

export type RouteResolution =
  | { ok: true; model: string; headers: Record<string, string> }
  | { ok: false; status: number; code: number; message: string };

const providerOf = (model: string) => (model.startsWith('@cf/') ? 'workers-ai' : model.split('/')[0]!);

/** `anthropic/*` matches one path segment (a `*` never matches "/"); an exact id matches itself. */
function allowedBy(pattern: string, model: string): boolean {
  if (!pattern.includes('*')) return pattern === model;
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`);
  return re.test(model);
}

/** The model that serves a request naming `model`; undefined when it names a model directly. */
export function resolveRoute(model: string, routes: ReadonlyMap<string, string>, allowedModelsHeader: string | undefined): RouteResolution | undefined {
  if (model.startsWith('dynamic/')) {
    const name = model.slice('dynamic/'.length);
    const target = routes.get(name);
    if (!target) return { ok: false, status: 400, code: 2026, message: `Dynamic route not found: ${name}` };
    return { ok: true, model: target, headers: { 'cf-aig-model': target, 'cf-aig-provider': providerOf(target), 'cf-aig-step': '0' } };
  }
  if (model === 'cloudflare/auto') {
    const allowed = (allowedModelsHeader ?? '').split(',').map((m) => m.trim()).filter(Boolean);
    for (const entry of allowed) {
      if (entry === '*') return { ok: false, status: 400, code: 2027, message: 'cf-aig-allowed-models: a bare * is not allowed' };
    }
    // An allow-list replaces the default pool: exact ids are candidates of their own.
    const candidates = allowed.length === 0 ? AUTO_ROUTER_POOL : [...new Set([...AUTO_ROUTER_POOL.filter((m) => allowed.some((a) => allowedBy(a, m))), ...allowed.filter((a) => !a.includes('*'))])];
    const unmatched = allowed.find((a) => !candidates.some((m) => allowedBy(a, m)));
    if (unmatched) return { ok: false, status: 400, code: 2027, message: `cf-aig-allowed-models: ${unmatched} matches no model` };
    const chosen = candidates[0]!;
    return {
      ok: true,
      model: chosen,
      headers: {
        'cf-aig-routed-model': chosen,
        'cf-aig-routing-reason': allowed.length > 0 ? 'forced_by_candidate_pool' : 'cost_optimal_within_pool',
        'cf-aig-routing-decision-id': uuidv7(),
      },
    };
  }
  return undefined;
}

/**
 * cf-aig-metadata as the gateway keeps it: the first five entries of a flat object whose values
 * are strings, numbers or booleans; one null or object value (or a value that is not an object
 * at all) and the gateway drops all of it, silently (the log's metadata is null).
 */
export function keptMetadata(header: string | undefined): Record<string, string | number | boolean> | null {
  if (header === undefined) return null;
  let value: unknown;
  try {
    value = JSON.parse(header);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.some(([, v]) => v === null || typeof v === 'object')) return null;
  const kept: Record<string, string | number | boolean> = {};
  for (const [k, v] of entries.slice(0, 5)) if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') kept[k] = v;
  return kept;
}

/** Neurons a Workers AI reply reports (cf-ai-neurons): a deterministic figure from its tokens. */
export const neuronsFor = (tokensIn: number, tokensOut: number): string => (tokensIn * 0.25 + tokensOut * 1.5).toFixed(2);
