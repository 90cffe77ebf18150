// npm run prices:import -- FILE [--source TEXT] [--effective-from ISO] [--all]
// Imports a price map in LiteLLM's public format (model_prices_and_context_window.json:
// input_cost_per_token, output_cost_per_token, cache_read_input_token_cost,
// cache_creation_input_token_cost, output_cost_per_reasoning_token). A model whose prices
// changed gets a new version effective from --effective-from (default now); history is never
// edited; a second import of the same file adds nothing. Without --all, only models `models` lists.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { parseLiteLlmPrices, PriceMapError } from '../domain/pricing/litellm-prices.ts';
import { CliError, runCli, type CliContext } from './context.ts';

const USAGE = 'usage: npm run prices:import -- FILE [--source TEXT] [--effective-from ISO] [--all]';

export async function pricesImport(argv: string[], ctx: CliContext): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { source: { type: 'string' }, 'effective-from': { type: 'string' }, all: { type: 'boolean', default: false } },
    allowPositionals: true,
    strict: true,
  });
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new CliError(USAGE);
  const effectiveFrom = values['effective-from'] ? new Date(values['effective-from']) : new Date();
  if (Number.isNaN(effectiveFrom.getTime())) throw new CliError('--effective-from must be an ISO-8601 date-time');
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CliError(`cannot read ${file} as JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  let prices;
  try {
    prices = parseLiteLlmPrices(json);
  } catch (error) {
    if (error instanceof PriceMapError) throw new CliError(error.message);
    throw error;
  }
  const pricing = ctx.prices();
  await pricing.init();
  const source = values.source ?? `LiteLLM model_prices_and_context_window.json (${basename(file)}), imported ${new Date().toISOString().slice(0, 10)}`;
  const result = await pricing.importPrices(ctx.principal, prices, { source, effectiveFrom, allModels: values.all });
  for (const v of result.added) ctx.out(`added ${v.model} version ${v.version}: in ${v.inputPerMTok} out ${v.outputPerMTok} cached ${v.cachedInputPerMTok ?? '-'} write ${v.cacheWritePerMTok ?? '-'} reasoning ${v.reasoningPerMTok ?? '-'} per MTok`);
  ctx.out(`${result.added.length} new versions, ${result.unchanged} unchanged, ${result.skipped} skipped (not listed by models; --all takes them)`);
  pricing.close();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runCli((ctx) => pricesImport(process.argv.slice(2), ctx), USAGE);
}
