import { describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/platform/env.ts';
import { createUpstreamClient } from '../../src/upstream/client.ts';
import { upstreamConfigFromEnv } from '../../src/upstream/config-from-env.ts';
import { parseRetryAfter } from '../../src/upstream/errors.ts';
import { retryDelay } from '../../src/upstream/retry.ts';
import { UpstreamError } from '../../src/upstream/errors.ts';
import { createRouter, parseModelRoutes } from '../../src/upstream/routing.ts';
import { readGatewayMeta } from '../../src/upstream/headers.ts';

describe('routing', () => {
  it('defaults: anthropic/* -> MESSAGES, the rest -> CHAT_COMPLETIONS; longest prefix wins; "*" is the fallback', () => {
    const route = createRouter({ 'openai/': 'RESPONSES', 'openai/gpt-4': 'CHAT_COMPLETIONS', '@cf/': 'RUN' });
    expect(route('anthropic/claude-opus-5.5')).toBe('MESSAGES');
    expect(route('openai/gpt-5.5')).toBe('RESPONSES');
    expect(route('openai/gpt-4.1')).toBe('CHAT_COMPLETIONS');
    expect(route('@cf/meta/llama')).toBe('RUN');
    expect(route('google/gemini-3-flash')).toBe('CHAT_COMPLETIONS');
    expect(createRouter({ '*': 'RESPONSES' })('google/x')).toBe('RESPONSES');
  });

  it('MODEL_ROUTES from the environment, merged over the defaults; a bad value names MODEL_ROUTES', async () => {
    const env = loadEnv({ NODE_ENV: 'test', MODEL_ROUTES: '{"google/": "RESPONSES"}', CLOUDFLARE_ACCOUNT_ID: 'a', CLOUDFLARE_API_TOKEN: 't' });
    const config = upstreamConfigFromEnv(env, { maxRetries: 0 });
    expect(config).toMatchObject({ accountId: 'a', apiToken: 't', maxRetries: 0, routes: { 'google/': 'RESPONSES' } });
    const client = createUpstreamClient(config);
    expect(client.routeFor('google/gemini')).toBe('RESPONSES');
    expect(client.routeFor('anthropic/claude')).toBe('MESSAGES');
    await client.close();
    expect(() => parseModelRoutes('{"x/": "GRPC"}')).toThrow(/MODEL_ROUTES/);
    expect(() => parseModelRoutes('not json')).toThrow(/MODEL_ROUTES/);
    expect(() => upstreamConfigFromEnv(loadEnv({ NODE_ENV: 'test', MODEL_ROUTES: '[1]' }))).toThrow(/MODEL_ROUTES/);
    expect(parseModelRoutes('')).toEqual({});
  });
});

describe('retry policy', () => {
  const policy = { maxRetries: 2, baseDelayMs: 100, maxDelayMs: 1_000 };
  const err = (init: Partial<ConstructorParameters<typeof UpstreamError>[0]>) =>
    new UpstreamError({ code: 'UPSTREAM_ERROR', message: 'x', retryable: true, ...init });

  it('is bounded, jittered within the exponential ceiling, and never shorter than retry-after', () => {
    expect(retryDelay(err({}), 0, policy, () => 1)).toBe(100);
    expect(retryDelay(err({}), 1, policy, () => 0.5)).toBe(100);
    expect(retryDelay(err({}), 2, policy)).toBeUndefined();
    expect(retryDelay(err({ retryable: false }), 0, policy)).toBeUndefined();
    expect(retryDelay(err({ retryAfterMs: 700 }), 0, policy, () => 0)).toBe(700);
    expect(retryDelay(err({ retryAfterMs: 5_000 }), 0, policy)).toBeUndefined();
  });

  it('parses retry-after seconds and dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(Date.now() + 10_000).toUTCString())).toBeGreaterThan(8_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('the served model from the routing headers', () => {
  it('cf-aig-routed-model first; a dynamic route\'s bare cf-aig-model takes its cf-aig-provider; a full id stays as sent', () => {
    expect(readGatewayMeta({ 'cf-aig-routed-model': 'openai/gpt-5.6-luna', 'cf-aig-model': 'ignored' }).routedModel).toBe('openai/gpt-5.6-luna');
    expect(readGatewayMeta({ 'cf-aig-model': 'claude-sonnet-4-5', 'cf-aig-provider': 'anthropic' }).routedModel).toBe('anthropic/claude-sonnet-4-5');
    expect(readGatewayMeta({ 'cf-aig-model': 'openai/gpt-5.5', 'cf-aig-provider': 'openai' }).routedModel).toBe('openai/gpt-5.5');
    expect(readGatewayMeta({ 'cf-aig-model': '@cf/meta/llama-3.3-70b-instruct-fp8-fast', 'cf-aig-provider': 'workers-ai' }).routedModel).toBe('@cf/meta/llama-3.3-70b-instruct-fp8-fast');
    // without a usable provider, the name as sent; a value that is no model id, nothing
    expect(readGatewayMeta({ 'cf-aig-model': 'gpt-5.5' }).routedModel).toBe('gpt-5.5');
    expect(readGatewayMeta({ 'cf-aig-model': 'gpt-5.5', 'cf-aig-provider': 'open ai/../x' }).routedModel).toBe('gpt-5.5');
    expect(readGatewayMeta({ 'cf-aig-model': 'bad model\u0000' }).routedModel).toBeUndefined();
  });
});
