// Model -> upstream API routing: longest matching prefix wins; "*" overrides the fallback.
// Defaults: anthropic/* -> Messages, everything else -> Chat Completions.
import { UPSTREAM_APIS, type UpstreamApi } from './call-vocabulary.ts';

export const DEFAULT_ROUTES: Readonly<Record<string, UpstreamApi>> = { 'anthropic/': 'MESSAGES' };
export const FALLBACK_API: UpstreamApi = 'CHAT_COMPLETIONS';

export const isUpstreamApi = (v: unknown): v is UpstreamApi =>
  typeof v === 'string' && (UPSTREAM_APIS as readonly string[]).includes(v);

export type Router = (model: string) => UpstreamApi;

export function createRouter(routes: Record<string, UpstreamApi> = {}): Router {
  const table = Object.entries({ ...DEFAULT_ROUTES, ...routes })
    .filter(([prefix]) => prefix !== '*')
    .sort(([a], [b]) => b.length - a.length);
  const fallback = routes['*'] ?? FALLBACK_API;
  return (model) => table.find(([prefix]) => model.startsWith(prefix))?.[1] ?? fallback;
}

/** Parses MODEL_ROUTES (JSON {"prefix": "API"}); a wrong value throws an Error naming MODEL_ROUTES. */
export function parseModelRoutes(json: string): Record<string, UpstreamApi> {
  if (json.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error('MODEL_ROUTES must be a JSON object like {"openai/gpt-5": "RESPONSES"}');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('MODEL_ROUTES must be a JSON object like {"openai/gpt-5": "RESPONSES"}');
  }
  const routes: Record<string, UpstreamApi> = {};
  for (const [prefix, api] of Object.entries(parsed)) {
    if (prefix === '' || !isUpstreamApi(api)) {
      throw new Error(`MODEL_ROUTES: "${prefix}" must map to one of ${UPSTREAM_APIS.join(', ')}`);
    }
    routes[prefix] = api;
  }
  return routes;
}
