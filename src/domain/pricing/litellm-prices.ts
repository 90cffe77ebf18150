// LiteLLM's public price map (model_prices_and_context_window.json) read into Switchboard price
// versions: USD per token -> USD per million tokens, exact decimals; LiteLLM keys and providers
// -> Switchboard model ids. Only chat models of the providers the unified API reaches are taken.
import { Dec } from './pricing.ts';

export interface ImportedPrice {
  model: string;
  inputPerMTok: string;
  outputPerMTok: string;
  cachedInputPerMTok: string | null;
  cacheWritePerMTok: string | null;
  reasoningPerMTok: string | null;
}

/** LiteLLM provider -> how its keys become Switchboard ids. */
const PROVIDERS: Record<string, (key: string) => string> = {
  openai: (k) => `openai/${k.replace(/^openai\//, '')}`,
  anthropic: (k) => `anthropic/${k.replace(/^anthropic\//, '')}`,
  gemini: (k) => `google/${k.replace(/^gemini\//, '')}`,
  vertex_ai: (k) => `google/${k.replace(/^vertex_ai\//, '')}`,
  'vertex_ai-language-models': (k) => `google/${k.replace(/^vertex_ai\//, '')}`,
  xai: (k) => `xai/${k.replace(/^xai\//, '')}`,
  cloudflare: (k) => k.replace(/^cloudflare\//, ''),
};

const CHAT_MODES = new Set(['chat', 'responses', 'completion']);

/** USD per token (a JSON number or numeric string) -> USD per million tokens, at most 10 places. */
function perMTok(value: unknown): string | null {
  if (typeof value !== 'number' && typeof value !== 'string') return null;
  let d: InstanceType<typeof Dec>;
  try {
    d = new Dec(String(value));
  } catch {
    return null;
  }
  if (!d.isFinite() || d.isNegative()) return null;
  return d.times(1_000_000).toDecimalPlaces(10, Dec.ROUND_HALF_UP).toFixed();
}

export class PriceMapError extends Error {
  override readonly name = 'PriceMapError';
}

/** Every chat model of a known provider that has input and output prices. */
export function parseLiteLlmPrices(json: unknown): ImportedPrice[] {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new PriceMapError('a LiteLLM price map is a JSON object keyed by model');
  const out: ImportedPrice[] = [];
  for (const [key, raw] of Object.entries(json as Record<string, unknown>)) {
    if (key === 'sample_spec' || typeof raw !== 'object' || raw === null) continue;
    const entry = raw as Record<string, unknown>;
    const toId = typeof entry.litellm_provider === 'string' ? PROVIDERS[entry.litellm_provider] : undefined;
    if (!toId) continue;
    if (typeof entry.mode === 'string' && !CHAT_MODES.has(entry.mode)) continue;
    const input = perMTok(entry.input_cost_per_token);
    const output = perMTok(entry.output_cost_per_token);
    if (input === null || output === null) continue;
    out.push({
      model: toId(key),
      inputPerMTok: input,
      outputPerMTok: output,
      cachedInputPerMTok: perMTok(entry.cache_read_input_token_cost),
      cacheWritePerMTok: perMTok(entry.cache_creation_input_token_cost),
      reasoningPerMTok: perMTok(entry.output_cost_per_reasoning_token),
    });
  }
  return out;
}
