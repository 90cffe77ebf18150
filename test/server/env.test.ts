import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/platform/env.ts';

function runMain(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('environment', () => {
  it('PORT=abc stops start-up with a message naming PORT', async () => {
    const { code, stderr } = await runMain({ PORT: 'abc' });
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(stderr).toMatch(/PORT/);
    expect(stderr).toMatch(/Invalid environment/);
  });

  it.each([
    ['DATABASE_URL', 'mysql://x'],
    ['REDIS_URL', 'not a url'],
    ['CLOUDFLARE_API_BASE_URL', 'ftp://x'],
    ['PORT', '70000'],
    ['UPSTREAM_MAX_RETRIES', '9'],
    ['MAX_MESSAGE_BYTES', '-1'],
  ])('%s=%s is refused, naming the variable', (name, value) => {
    expect(() => loadEnv({ [name]: value })).toThrow(new RegExp(name));
  });

  it('a token without an account id is a start-up error naming CLOUDFLARE_ACCOUNT_ID', () => {
    expect(() => loadEnv({ CLOUDFLARE_API_TOKEN: 'x' })).toThrow(/CLOUDFLARE_ACCOUNT_ID/);
  });

  it('production without Cloudflare credentials is a start-up error', () => {
    expect(() => loadEnv({ NODE_ENV: 'production' })).toThrow(/CLOUDFLARE_API_TOKEN/);
  });

  it('defaults follow the contract', () => {
    const env = loadEnv({});
    expect(env.PORT).toBe(4000);
    expect(env.HOST).toBe('127.0.0.1');
    expect(env.CLOUDFLARE_API_BASE_URL).toBe('https://api.cloudflare.com/client/v4');
    expect(env.DATA_DIR).toBe('./.data');
    expect(env.DEFAULT_GATEWAY_ID).toBe('default');
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.REDIS_URL).toBeUndefined();
  });
});

describe('offline mode through the real entry point', () => {
  it('says so loudly, prints a dev admin key that works, and exits cleanly on SIGTERM', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dataDir = await mkdtemp(join(tmpdir(), 'sb-offline-'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { PATH: process.env.PATH ?? '', PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    try {
      let stderr = '';
      const banner = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no banner: ${stderr}`)), 100_000);
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          if (stderr.includes('(GraphiQL headers')) {
            clearTimeout(timer);
            resolve(stderr);
          }
        });
      });
      expect(banner).toContain('OFFLINE MODE');
      const key = /admin key is (dev_\S+)/.exec(banner)![1]!;
      const url = /GraphiQL: (http:\/\/\S+)\/graphql/.exec(banner)![1]!;
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: 'mutation { chat(input: { model: "openai/gpt-5.5", message: "offline hello" }) { assistantMessage { content } } }' }),
      });
      expect(await res.json()).toEqual({ data: { chat: { assistantMessage: { content: 'Echo: offline hello' } } } });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 150_000);
});
