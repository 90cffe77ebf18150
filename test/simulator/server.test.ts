import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faultFromDirective } from '../../src/simulator/faults.ts';
import { simulateReply } from '../../src/simulator/reply.ts';
import { startSimulator, type Simulator } from '../../src/simulator/server.ts';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ gateways: ['default', 'team-a'] });
});
afterAll(() => sim.close());

const post = (path: string, body: unknown, headers: Record<string, string> = { authorization: 'Bearer t' }) =>
  fetch(`${sim.baseUrl}/accounts/acc${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('simulator server', () => {
  it('refuses a request without a bearer token: 401 v4 envelope', async () => {
    const res = await post('/ai/v1/chat/completions', { model: 'openai/x', messages: [{ role: 'user', content: 'hi' }] }, {});
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ success: false, errors: [{ code: 10000, message: 'Authentication error' }], messages: [], result: null });
  });

  it('requires SIMULATOR_TOKEN when set', async () => {
    const strict = await startSimulator({ token: 'secret' });
    try {
      const call = (token: string) =>
        fetch(`${strict.baseUrl}/accounts/a/ai/run`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}` },
          body: JSON.stringify({ model: '@cf/x/y', input: { prompt: 'hi' } }),
        });
      expect((await call('wrong')).status).toBe(401);
      expect((await call('secret')).status).toBe(200);
    } finally {
      await strict.close();
    }
  });

  it('unknown paths and methods get v4 errors 7003 / 7001', async () => {
    const res = await post('/ai/v2/nothing', {});
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ success: false, errors: [{ code: 7003 }] });
    const get = await fetch(`${sim.baseUrl}/accounts/acc/ai/v1/chat/completions`, { headers: { authorization: 'Bearer t' } });
    expect(get.status).toBe(405);
    expect(await get.json()).toMatchObject({ errors: [{ code: 7001 }] });
  });

  it('gateways: configured ids work, unknown ids get the gateway error, the list is paginated', async () => {
    const body = { model: 'openai/x', messages: [{ role: 'user', content: 'hi' }] };
    const ok = await post('/ai/v1/chat/completions', body, { authorization: 'Bearer t', 'cf-aig-gateway-id': 'team-a', 'cf-aig-event-id': 'evt-1' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cf-aig-event-id')).toBe('evt-1');
    expect(ok.headers.get('cf-aig-log-id')).toBe(ok.headers.get('cf-aig-request-id'));
    const unknown = await post('/ai/v1/chat/completions', body, { authorization: 'Bearer t', 'cf-aig-gateway-id': 'ghost' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ name: 'AiGatewayError', error: [{ code: 2001 }] });
    const list = await fetch(`${sim.baseUrl}/accounts/acc/ai-gateway/gateways?per_page=1&page=2`, { headers: { authorization: 'Bearer t' } });
    expect(await list.json()).toMatchObject({ success: true, result: [{ id: 'team-a' }], result_info: { page: 2, per_page: 1, count: 1, total_count: 2 } });
  });

  it('Workers AI models without a gateway header are served without gateway headers; legacy path uses the envelope', async () => {
    const res = await post('/ai/run/@cf/meta/llama-3.1-8b-instruct', { prompt: 'hello world' });
    expect(res.headers.get('cf-aig-log-id')).toBeNull();
    const reply = simulateReply({ model: '@cf/meta/llama-3.1-8b-instruct', messages: [{ role: 'user', content: 'hello world' }] });
    expect(await res.json()).toMatchObject({ success: true, errors: [], result: { response: reply.text, usage: { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 } } });
  });

  it('streams Workers AI frames ending with [DONE]', async () => {
    const res = await post('/ai/run', { model: '@cf/x/y', input: { messages: [{ role: 'user', content: 'a b' }], stream: true } });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await res.text();
    expect(text).toContain('data: {"response":"Echo:"');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('records every request and honours injected faults with times and match', async () => {
    sim.reset();
    sim.injectFault({ type: 'server_error', status: 502 }, { times: 1, match: (r) => r.path.endsWith('/responses') });
    const body = { model: 'openai/x', input: 'hi' };
    expect((await post('/ai/v1/responses', body)).status).toBe(502);
    expect((await post('/ai/v1/responses', body)).status).toBe(200);
    expect(sim.requests.map((r) => r.body)).toEqual([body, body]);
  });

  it('parses fault directives with defaults', () => {
    expect(faultFromDirective('x [[fault:rate_limit]]')).toEqual({ type: 'rate_limit', retryAfterSeconds: undefined });
    expect(faultFromDirective('[[fault:server_error:503]]')).toEqual({ type: 'server_error', status: 503 });
    expect(faultFromDirective('[[fault:cut_stream:clean]]')).toMatchObject({ type: 'cut_stream', clean: true });
    expect(faultFromDirective('[[fault:slow_stream:50]]')).toEqual({ type: 'slow_stream', ms: 50 });
    expect(faultFromDirective('no directive')).toBeUndefined();
    expect(simulateReply({ model: 'm', messages: [{ role: 'user', content: 'hi [[fault:slow_stream]] there' }] }).text).toBe('Echo: hi there');
  });

  it('`npm run simulator` entry prints its base URL', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/simulator/main.ts'], { env: { ...process.env, SIMULATOR_PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(out);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}`)));
      });
      expect(line).toMatch(/CLOUDFLARE_API_BASE_URL=http:\/\/127\.0\.0\.1:\d+\/client\/v4/);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
