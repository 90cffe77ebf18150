// Each input is defined once: its zod schema in the domain. GraphQL's input types carry only the
// shapes (a scalar is a string, a number, ...) and both APIs hand the input to the same schema
// (every input type with a rule of its own is here),
// so the same invalid value gets the same BAD_INPUT with the same field over GraphQL and tRPC.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let userId: string;

beforeAll(async () => {
  server = await startTestServer();
  userId = (await createUserWithKey(server, 'one-schema@example.com')).userId;
});
afterAll(async () => {
  await server?.close();
});

interface Case {
  /** GraphQL root field and its input type (argument `input`). */
  field: string;
  inputType: string;
  operation: 'query' | 'mutation';
  /** The tRPC twin. */
  path: string;
  input: () => Record<string, unknown>;
  /** The field BAD_INPUT must name. */
  badField: string;
}

const MODEL = 'openai/gpt-5.5';
const DAY = '2026-12-01T00:00:00Z';
const cases: Case[] = [
  { field: 'generate', inputType: 'GenerateInput', operation: 'mutation', path: 'generate', input: () => ({ model: 'not a model!', prompt: 'x' }), badField: 'model' },
  { field: 'generate', inputType: 'GenerateInput', operation: 'mutation', path: 'generate', input: () => ({ model: MODEL, prompt: 'a\u0000b' }), badField: 'prompt' },
  { field: 'generate', inputType: 'GenerateInput', operation: 'mutation', path: 'generate', input: () => ({ model: MODEL, prompt: 'x', maxTokens: -1 }), badField: 'maxTokens' },
  { field: 'generate', inputType: 'GenerateInput', operation: 'mutation', path: 'generate', input: () => ({ model: MODEL, prompt: 'x', temperature: 9 }), badField: 'temperature' },
  { field: 'generate', inputType: 'GenerateInput', operation: 'mutation', path: 'generate', input: () => ({ model: MODEL, prompt: 'x', idempotencyKey: 'é' }), badField: 'idempotencyKey' },
  { field: 'generate', inputType: 'GenerateInput', operation: 'mutation', path: 'generate', input: () => ({ model: MODEL, prompt: 'x', system: 'lone \ud800 surrogate' }), badField: 'system' },
  { field: 'chat', inputType: 'ChatInput', operation: 'mutation', path: 'chat', input: () => ({ model: '', message: 'hi' }), badField: 'model' },
  { field: 'usageReport', inputType: 'UsageReportInput', operation: 'query', path: 'usage.report', input: () => ({ from: 'yesterday', to: DAY, groupBy: [] }), badField: 'from' },
  { field: 'recentCalls', inputType: 'RecentCallsInput', operation: 'query', path: 'usage.recentCalls', input: () => ({ from: DAY, to: 'soon' }), badField: 'to' },
  { field: 'reconcileUsage', inputType: 'ReconcileUsageInput', operation: 'mutation', path: 'admin.reconcileUsage', input: () => ({ from: 'x', to: DAY }), badField: 'from' },
  { field: 'createUser', inputType: 'CreateUserInput', operation: 'mutation', path: 'admin.createUser', input: () => ({ email: 'not-an-email' }), badField: 'email' },
  { field: 'createApiKey', inputType: 'CreateApiKeyInput', operation: 'mutation', path: 'admin.createApiKey', input: () => ({ userId, name: 'x'.repeat(500) }), badField: 'name' },
  { field: 'setUserLimits', inputType: 'SetUserLimitsInput', operation: 'mutation', path: 'admin.setUserLimits', input: () => ({ userId, requestsPerMinute: -1 }), badField: 'requestsPerMinute' },
  { field: 'setUserLimits', inputType: 'SetUserLimitsInput', operation: 'mutation', path: 'admin.setUserLimits', input: () => ({ userId, monthlyBudgetUsd: 'lots' }), badField: 'monthlyBudgetUsd' },
  { field: 'createTeam', inputType: 'CreateTeamInput', operation: 'mutation', path: 'admin.teams.create', input: () => ({ name: '' }), badField: 'name' },
  { field: 'setModelPrice', inputType: 'SetModelPriceInput', operation: 'mutation', path: 'admin.setModelPrice', input: () => ({ model: MODEL, inputPerMTok: '-1', outputPerMTok: '1' }), badField: 'inputPerMTok' },
  { field: 'repriceUsage', inputType: 'RepriceUsageInput', operation: 'mutation', path: 'admin.repriceUsage', input: () => ({ priceVersionId: 'not-a-version', from: DAY, to: '2026-12-02T00:00:00Z' }), badField: 'priceVersionId' },
  { field: 'modelPerformance', inputType: 'ModelPerformanceInput', operation: 'query', path: 'usage.modelPerformance', input: () => ({ from: 'x', to: DAY }), badField: 'from' },
  { field: 'conversationCosts', inputType: 'ConversationCostsInput', operation: 'query', path: 'usage.conversationCosts', input: () => ({ from: DAY, to: 'y' }), badField: 'to' },
  { field: 'reconciliation', inputType: 'ReconciliationReportInput', operation: 'query', path: 'usage.reconciliation', input: () => ({ from: 'x', to: DAY }), badField: 'from' },
  { field: 'setTeamLimits', inputType: 'SetTeamLimitsInput', operation: 'mutation', path: 'admin.teams.setLimits', input: () => ({ teamId: userId, tokensPerDay: -5 }), badField: 'tokensPerDay' },
  { field: 'setApiKeyLimits', inputType: 'SetApiKeyLimitsInput', operation: 'mutation', path: 'apiKeys.setLimits', input: () => ({ id: userId, requestsPerMinute: -1 }), badField: 'requestsPerMinute' },
  { field: 'embed', inputType: 'EmbedInput', operation: 'mutation', path: 'embed', input: () => ({ model: '@cf/baai/bge-m3', texts: [] }), badField: 'texts' },
  { field: 'generateImage', inputType: 'GenerateImageInput', operation: 'mutation', path: 'generateImage', input: () => ({ model: MODEL, prompt: 'a\u0000cat' }), badField: 'prompt' },
  { field: 'transcribe', inputType: 'TranscribeInput', operation: 'mutation', path: 'transcribe', input: () => ({ model: 'not a model!', audio: { url: 'https://example.com/a.wav' } }), badField: 'model' },
  { field: 'speak', inputType: 'SpeakInput', operation: 'mutation', path: 'speak', input: () => ({ model: MODEL, text: 'hi', voice: 'Not A Voice!' }), badField: 'voice' },
  { field: 'auditLog', inputType: 'AuditLogInput', operation: 'query', path: 'admin.auditLog', input: () => ({ actorUserId: 'nobody' }), badField: 'actorUserId' },
  { field: 'createBudgetAlert', inputType: 'CreateBudgetAlertInput', operation: 'mutation', path: 'admin.budgetAlerts.create', input: () => ({ scope: 'USER', subjectId: userId, thresholdPercent: 5000 }), badField: 'thresholdPercent' },
];

async function overGraphQL(c: Case) {
  const res = await server.gql(`${c.operation}($input: ${c.inputType}!) { ${c.field}(input: $input) { __typename } }`, { input: c.input() });
  const error = res.errors?.[0];
  return { code: error?.extensions?.code, field: error?.extensions?.field };
}

async function overTrpc(c: Case) {
  const input = JSON.stringify(c.input());
  const headers = { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' };
  const res =
    c.operation === 'query'
      ? await fetch(`${server.url}/trpc/${c.path}?input=${encodeURIComponent(input)}`, { headers })
      : await fetch(`${server.url}/trpc/${c.path}`, { method: 'POST', headers, body: input });
  const body = (await res.json()) as { error?: { data?: { appCode?: string; field?: string } } };
  return { code: body.error?.data?.appCode, field: body.error?.data?.field };
}

describe('one schema per input: the same invalid value, the same BAD_INPUT field on both APIs', () => {
  it.each(cases.map((c) => [`${c.field} / ${c.path}: ${c.badField}`, c] as const))('%s', async (_name, c) => {
    const [graphql, trpc] = await Promise.all([overGraphQL(c), overTrpc(c)]);
    expect(graphql).toEqual({ code: 'BAD_INPUT', field: c.badField });
    expect(trpc).toEqual(graphql);
  });
});
