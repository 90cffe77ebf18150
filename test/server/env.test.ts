import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/env.ts';

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
