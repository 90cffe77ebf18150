// Every model `models` lists has a price naming its public source; a report over priced models
// of several providers has a non-null cost equal to tokens x the recorded version (computed here
// independently); prices:import adds versions from LiteLLM's format and never edits history.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliContext } from '../../src/cli/context.ts';
import { pricesImport } from '../../src/cli/prices-import.ts';
import { Dec } from '../../src/domain/pricing/pricing.ts';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let user: { userId: string; key: string };
beforeAll(async () => {
  server = await startTestServer();
  user = await createUserWithKey(server, 'coverage@example.com');
}, 120_000);
afterAll(async () => {
  await server?.close();
});

describe('prices', () => {
  it('every model that models lists has a price with a public source (no local file)', async () => {
    const models = await server.trpc(user.key).models.query();
    expect(models.length).toBeGreaterThan(40);
    for (const provider of ['openai', 'anthropic', 'google', 'workers-ai']) expect(models.some((m) => m.provider === provider)).toBe(true);
    for (const m of models) {
      expect(m.price, m.id).not.toBeNull();
      // Token prices from the maintained registry package; the non-text models' unit prices from
      // Cloudflare's Workers AI pricing page (reference/workers-ai-modalities.md), each cited.
      expect(m.price!.source).toMatch(m.modality === 'TEXT' ? /@pydantic\/genai-prices 0\.1\.8 \(npm\).*https:\/\// : /Workers AI pricing, https:\/\//);
      expect(m.price!.source).not.toMatch(/\/work\/|reference\/|\.md\b/);
    }
  });

  it('a report over several providers has non-null cost = tokens x the recorded price, independently computed', async () => {
    const from = new Date(Date.now() - 1000);
    const client = server.trpc(user.key);
    const models = ['openai/gpt-5.5', 'anthropic/claude-sonnet-4-5', 'google/gemini-3-flash', '@cf/zai-org/glm-5.2'];
    for (const model of models) for (let i = 0; i < 3; i++) await client.generate.mutate({ model, prompt: `a priced call ${i} to ${model}` });
    const to = new Date(Date.now() + 1000);
    const report = await client.usage.report.query({ from, to, groupBy: ['MODEL'] });
    const rows = await server.app.db.prisma.usageRecord.findMany({ where: { createdAt: { gte: from, lt: to } } });
    const versions = new Map((await server.app.db.prisma.modelPrice.findMany()).map((v) => [v.id, v]));
    for (const model of models) {
      const row = report.rows.find((r) => r.model === model)!;
      expect(row.costUsd, model).not.toBeNull();
      expect(row.unpricedRequests).toBe(0);
      let expected = new Dec(0);
      for (const r of rows.filter((x) => x.requestedModel === model)) {
        const v = versions.get(r.priceVersionId!)!;
        const reasoning = Math.min(r.reasoningTokens, r.outputTokens);
        expected = expected.plus(
          new Dec(r.inputTokens).times(v.inputPerMTok.toString())
            .plus(new Dec(r.cachedInputTokens).times((v.cachedInputPerMTok ?? v.inputPerMTok).toString()))
            .plus(new Dec(r.cacheWriteTokens).times((v.cacheWritePerMTok ?? v.inputPerMTok).toString()))
            .plus(new Dec(r.outputTokens - reasoning).times(v.outputPerMTok.toString()))
            .plus(new Dec(reasoning).times((v.reasoningPerMTok ?? v.outputPerMTok).toString()))
            .div(1_000_000)
            .toDecimalPlaces(10, Dec.ROUND_HALF_UP),
        );
      }
      expect(row.costUsd).toBe(expected.toFixed());
    }
    await client.generate.mutate({ model: 'mistral/mistral-large-3', prompt: 'no price' });
    const totals = await client.usage.report.query({ from, to: new Date(Date.now() + 1000), groupBy: [] });
    expect(totals.totals.unpricedRequests).toBe(1);
  }, 60_000);

  it('prices:import adds new versions from a LiteLLM price map, never edits history, and is idempotent', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'litellm-'));
    const file = join(dir, 'model_prices_and_context_window.json');
    await writeFile(file, JSON.stringify({
      sample_spec: { input_cost_per_token: 0 },
      'gpt-5.5': { litellm_provider: 'openai', mode: 'chat', input_cost_per_token: 6e-6, output_cost_per_token: 3.2e-5, cache_read_input_token_cost: 6e-7 },
      'claude-sonnet-4-5': { litellm_provider: 'anthropic', mode: 'chat', input_cost_per_token: 3e-6, output_cost_per_token: 1.5e-5, cache_read_input_token_cost: 3e-7, cache_creation_input_token_cost: 3.75e-6 },
      'text-embedding-3-small': { litellm_provider: 'openai', mode: 'embedding', input_cost_per_token: 2e-8, output_cost_per_token: 0 },
      'gemini/gemini-99': { litellm_provider: 'gemini', mode: 'chat', input_cost_per_token: 1e-6, output_cost_per_token: 2e-6 },
    }));
    const prisma = server.app.db.prisma;
    const v1 = await prisma.modelPrice.findFirstOrThrow({ where: { model: 'openai/gpt-5.5', version: 1 } });
    const lines: string[] = [];
    await pricesImport([file], cliContext(server.app.services, (l) => lines.push(l)));
    expect(lines.at(-1)).toBe('1 new versions, 1 unchanged, 1 skipped (not listed by models; --all takes them)');
    const v2 = await prisma.modelPrice.findFirstOrThrow({ where: { model: 'openai/gpt-5.5', version: 2 } });
    expect([v2.inputPerMTok.toFixed(), v2.outputPerMTok.toFixed(), v2.cachedInputPerMTok!.toFixed()]).toEqual(['6', '32', '0.6']);
    expect(v2.source).toMatch(/LiteLLM/);
    expect(await prisma.modelPrice.findFirstOrThrow({ where: { id: v1.id } })).toEqual(v1);
    lines.length = 0;
    await pricesImport([file], cliContext(server.app.services, (l) => lines.push(l)));
    expect(lines.at(-1)).toMatch(/^0 new versions, 2 unchanged/);
  });
});
