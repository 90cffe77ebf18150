// `npm start` runs the server as npm's direct child (exec, node --import tsx), so SIGTERM to the
// npm pid reaches the server: a stream in flight finishes, then every process is gone.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { graphqlSse } from '../helpers/clients.ts';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm start', () => {
  it('kill -TERM <npm start pid> finishes a stream in flight and leaves no process', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sb-npm-start-'));
    const npm = spawn('npm', ['start', '--silent'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn', SHUTDOWN_GRACE_MS: '20000' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
    try {
      let stderr = '';
      const banner = await new Promise<{ graphiql: string; devAdminKey: string }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no banner: ${stderr}`)), 90_000);
        npm.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          const line = stderr.split('\n').find((l) => l.includes('"offline":true'));
          if (line) {
            clearTimeout(timer);
            resolve(JSON.parse(line) as { graphiql: string; devAdminKey: string });
          }
        });
      });
      const url = banner.graphiql.replace(/\/graphql$/, '');
      const children = (await readFile(`/proc/${npm.pid}/task/${npm.pid}/children`, 'utf8')).trim().split(/\s+/).filter(Boolean).map(Number);
      expect(children).toHaveLength(1);
      const server = children[0]!;

      let terminated = false;
      const stream = graphqlSse<{ __typename: string; text?: string }>(
        url,
        banner.devAdminKey,
        'subscription($input: GenerateInput!) { generateStream(input: $input) { __typename ... on TextDelta { text } } }',
        { input: { model: 'openai/gpt-5.5', prompt: 'one two three four five six seven [[fault:slow_stream:250]]' } },
        (events) => {
          if (!terminated && events.length === 1) {
            terminated = true;
            process.kill(npm.pid!, 'SIGTERM');
          }
          return false;
        },
      );
      const { events, errors } = await stream;
      expect(terminated).toBe(true);
      expect(errors).toEqual([]);
      expect(events.at(-1)?.__typename).toBe('GenerationCompleted');
      expect(await exited).toBe(0);
      await new Promise((r) => setTimeout(r, 200));
      expect(alive(server)).toBe(false);
    } finally {
      npm.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 150_000);
});
