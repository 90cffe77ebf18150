// Production posture: no introspection or GraphiQL unless GRAPHIQL=true, CORS from an allow-list,
// start-up refuses a short admin key and a missing METRICS_TOKEN.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/platform/env.ts';
import { startSimulator, type Simulator } from '../../src/simulator/server.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const ADMIN = 'production-admin-key-0123456789abcdef';
let sim: Simulator;
let server: TestServer;
const production = (extra: Record<string, string> = {}) => ({
  NODE_ENV: 'production',
  CLOUDFLARE_API_TOKEN: 'prod-token',
  CLOUDFLARE_ACCOUNT_ID: 'prod-account',
  CLOUDFLARE_API_BASE_URL: sim.baseUrl,
  ADMIN_API_KEY: ADMIN,
  METRICS_TOKEN: 'prod-metrics-token-0123456789',
  CORS_ORIGINS: 'https://app.example.com, https://admin.example.com/',
  ...extra,
});

beforeAll(async () => {
  sim = await startSimulator();
  server = await startTestServer(production());
}, 180_000);
afterAll(async () => {
  await server?.close();
  await sim?.close();
});

describe('NODE_ENV=production', () => {
  it('refuses introspection and serves no GraphiQL', async () => {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify({ query: '{ __schema { queryType { name } } }' }),
    });
    const body = (await res.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_INPUT');
    const typeQuery = await server.gql('{ __type(name: "User") { name } }', {}, ADMIN);
    expect(typeQuery.errors?.[0]?.extensions?.code).toBe('BAD_INPUT');
    const page = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toContain('<html');
    // ordinary queries still work
    expect((await server.gql<{ me: { role: string } }>('{ me { role } }', {}, ADMIN)).data?.me.role).toBe('ADMIN');
  });

  it('rejects an unlisted origin, allows a listed one (with its preflight)', async () => {
    const query = { method: 'POST', body: JSON.stringify({ query: '{ me { id } }' }) };
    const evil = await fetch(`${server.url}/graphql`, { ...query, headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}`, origin: 'https://evil.example.com' } });
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const evilTrpc = await fetch(`${server.url}/trpc/me`, { headers: { authorization: `Bearer ${ADMIN}`, origin: 'https://evil.example.com' } });
    expect(evilTrpc.status).toBe(403);
    const preflight = await fetch(`${server.url}/graphql`, { method: 'OPTIONS', headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();

    const ok = await fetch(`${server.url}/graphql`, { ...query, headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}`, origin: 'https://admin.example.com' } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://admin.example.com');
    const allowedPreflight = await fetch(`${server.url}/trpc/me`, { method: 'OPTIONS', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
    expect(allowedPreflight.status).toBe(204);
    expect(allowedPreflight.headers.get('access-control-allow-headers')).toContain('authorization');
  });

  it('GRAPHIQL=true turns GraphiQL and introspection back on', async () => {
    const open = await startTestServer(production({ GRAPHIQL: 'true' }));
    try {
      const page = await fetch(`${open.url}/graphql`, { headers: { accept: 'text/html' } });
      expect(await page.text()).toContain('<html');
      const introspection = await open.gql<{ __schema: { queryType: { name: string } } }>('{ __schema { queryType { name } } }', {}, ADMIN);
      expect(introspection.data?.__schema.queryType.name).toBe('Query');
    } finally {
      await open.close();
    }
  }, 120_000);

  it('refuses to start with a short admin key or without METRICS_TOKEN', () => {
    expect(() => loadEnv(production({ ADMIN_API_KEY: 'x'.repeat(31) }))).toThrow(/ADMIN_API_KEY must be at least 32 characters/);
    expect(() => loadEnv({ ...production(), METRICS_TOKEN: '' })).toThrow(/METRICS_TOKEN is required/);
    expect(() => loadEnv(production({ ADMIN_API_KEY: 'x'.repeat(32) }))).not.toThrow();
    expect(() => loadEnv({ GRAPHIQL: 'maybe' })).toThrow(/GRAPHIQL/);
  });

  it('RECONCILE_OTLP_TOKEN: any bearer token outside production, at least 16 characters in it', () => {
    expect(loadEnv({ RECONCILE_SOURCE: 'otlp', RECONCILE_OTLP_TOKEN: 'otlp-secret' }).RECONCILE_OTLP_TOKEN).toBe('otlp-secret');
    expect(() => loadEnv(production({ RECONCILE_SOURCE: 'otlp', RECONCILE_OTLP_TOKEN: 'otlp-secret' }))).toThrow(/RECONCILE_OTLP_TOKEN must be at least 16 characters/);
    expect(() => loadEnv(production({ RECONCILE_SOURCE: 'otlp', RECONCILE_OTLP_TOKEN: 'x'.repeat(16) }))).not.toThrow();
    expect(() => loadEnv({ RECONCILE_SOURCE: 'both' })).toThrow(/RECONCILE_OTLP_TOKEN is required/);
  });
});
