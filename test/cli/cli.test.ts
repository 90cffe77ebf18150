// The operator CLIs (npm run report / npm run admin), run in-process on a test server's database.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin } from '../../src/cli/admin.ts';
import { cliContext, CliError } from '../../src/cli/context.ts';
import { report } from '../../src/cli/report.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { expectedReport, makeRows, recordAll } from '../usage/ledger-fixture.ts';

let server: TestServer;
let lines: string[];
const ctx = () => cliContext(server.app.services, (l) => lines.push(l));

beforeAll(async () => {
  server = await startTestServer({ GATEWAYS: 'gw-a,gw-b' });
});
afterAll(async () => {
  await server?.close();
});

describe('npm run admin', () => {
  it('creates a user and a working key, sets limits, revokes the key', async () => {
    lines = [];
    await admin(['create-user', '--email', 'Ops@Example.com', '--json'], ctx());
    const user = JSON.parse(lines.join('\n')) as { id: string; email: string };
    expect(user.email).toBe('ops@example.com');

    lines = [];
    await admin(['create-key', '--user', 'ops@example.com', '--name', 'cli', '--json'], ctx());
    const created = JSON.parse(lines.join('\n')) as { secret: string; apiKey: { id: string } };
    expect((await server.trpc(created.secret).me.query()).id).toBe(user.id);

    lines = [];
    await admin(['set-limits', '--user', 'ops@example.com', '--rpm', '60', '--budget', '20.5'], ctx());
    expect(lines[0]).toBe('limits of ops@example.com: rpm 60, tokens/day none, monthly budget 20.5 USD');
    lines = [];
    await admin(['set-limits', '--user', user.id, '--rpm', 'none'], ctx());
    expect(lines[0]).toContain('rpm none');

    lines = [];
    await admin(['revoke-key', '--id', created.apiKey.id], ctx());
    const row = await server.app.db.prisma.apiKey.findUniqueOrThrow({ where: { id: created.apiKey.id } });
    expect(row.revokedAt).not.toBeNull();
  });

  it('manages teams and key limits: one key per app, one budget per team', async () => {
    lines = [];
    await admin(['create-user', '--email', 'app-owner@example.com', '--json'], ctx());
    const owner = JSON.parse(lines.join('\n')) as { id: string };
    lines = [];
    await admin(['create-team', '--name', 'payments', '--budget', '250', '--tokens-per-day', '2000000'], ctx());
    expect(lines[0]).toMatch(/^created team payments \(.+\): rpm none, tokens\/day 2000000, monthly budget 250 USD; members: none$/);
    lines = [];
    await admin(['add-member', '--team', 'payments', '--user', 'app-owner@example.com'], ctx());
    expect(lines[0]).toContain('members: app-owner@example.com');
    lines = [];
    await admin(['set-team-limits', '--team', 'payments', '--rpm', '600', '--budget', 'none'], ctx());
    expect(lines[0]).toContain('rpm 600, tokens/day 2000000, monthly budget none');

    lines = [];
    await admin(['create-key', '--user', owner.id, '--name', 'checkout-service', '--json'], ctx());
    const key = JSON.parse(lines.join('\n')) as { secret: string; apiKey: { id: string } };
    lines = [];
    await admin(['set-key-limits', '--id', key.apiKey.id, '--rpm', '30', '--budget', '5', '--models', '@cf/moonshotai/kimi-k2.6,openai/gpt-5.5'], ctx());
    expect(lines[0]).toBe(`key ${key.apiKey.id} (checkout-service): rpm 30, tokens/day none, monthly budget 5 USD; models: @cf/moonshotai/kimi-k2.6, openai/gpt-5.5`);
    const stored = await server.app.db.prisma.apiKey.findUniqueOrThrow({ where: { id: key.apiKey.id } });
    expect(stored).toMatchObject({ requestsPerMinute: 30, allowedModels: ['@cf/moonshotai/kimi-k2.6', 'openai/gpt-5.5'] });
    const refused = await server.gql(`mutation { generate(input: { model: "anthropic/claude-sonnet-4-5", prompt: "hi" }) { id } }`, {}, key.secret);
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    lines = [];
    await admin(['remove-member', '--team', 'payments', '--user', owner.id], ctx());
    expect(lines[0]).toContain('members: none');
    lines = [];
    await admin(['teams', '--json'], ctx());
    expect((JSON.parse(lines.join('\n')) as Array<{ name: string }>).map((t) => t.name)).toContain('payments');
    await expect(admin(['add-member', '--team', 'nope', '--user', owner.id], ctx())).rejects.toThrow(/no team/);
    await expect(admin(['set-key-limits', '--id', key.apiKey.id, '--models', 'bad model'], ctx())).rejects.toThrow(CliError);
  });

  it('refuses bad input with a message', async () => {
    await expect(admin(['create-user', '--email', 'not-an-email'], ctx())).rejects.toThrow(CliError);
    await expect(admin(['set-limits', '--user', 'nobody@example.com', '--rpm', '5'], ctx())).rejects.toThrow(/no user/);
    await expect(admin(['frobnicate'], ctx())).rejects.toThrow(/usage/);
  });
});

describe('npm run report', () => {
  it('json equals the independent sums; csv and table render every row and the totals', async () => {
    const users = await server.app.db.prisma.user.findMany({ select: { id: true, email: true } });
    const rows = makeRows(users.map((u) => u.id), 120, new Date('2026-11-01T00:00:00Z'), 3 * 86_400_000, 3);
    await recordAll(server.app, rows);

    lines = [];
    await report(['--from', '2026-11-01', '--to', '2026-11-03', '--group-by', 'day,model', '--all', '--format', 'json'], ctx());
    const inRange = rows.filter((r) => r.createdAt < new Date('2026-11-03T00:00:00Z'));
    expect(JSON.parse(lines.join('\n'))).toEqual(expectedReport(inRange, ['DAY', 'MODEL']));

    lines = [];
    await report(['--from', '2026-11-01', '--to', '2026-11-04', '--group-by', 'user', '--format', 'csv'], ctx());
    const csv = lines.join('\n').split('\n');
    expect(csv[0]).toBe('user,requests,inputTokens,outputTokens,cachedInputTokens,cacheWriteTokens,reasoningTokens,totalTokens,costUsd');
    expect(csv.some((l) => l.startsWith('TOTAL'))).toBe(false); // no total row: it breaks imports
    const perUser = new Set(rows.map((r) => r.userId)).size;
    expect(csv.length).toBe(1 + perUser);
    expect(csv.slice(1).every((l) => users.some((u) => l.startsWith(`${u.email},`)))).toBe(true);
    expect(csv.slice(1).reduce((n, l) => n + Number(l.split(',')[1]), 0)).toBe(rows.length);

    const one = users.find((u) => rows.some((r) => r.userId === u.id))!;
    lines = [];
    await report(['--from', '2026-11-01', '--to', '2026-11-04', '--group-by', 'status', '--user', one.email], ctx());
    const table = lines.join('\n').split('\n');
    expect(table[0]).toMatch(/^status\s+requests/);
    expect(table.at(-1)).toMatch(new RegExp(`^TOTAL\\s+${rows.filter((r) => r.userId === one.id).length}\\s`));
  });

  it('refuses bad arguments', async () => {
    await expect(report(['--from', '2026-11-01'], ctx())).rejects.toThrow(/--to/);
    await expect(report(['--from', '2026-11-01', '--to', '2026-11-02', '--group-by', 'hour'], ctx())).rejects.toThrow(/hour/i);
    await expect(report(['--from', '2026-11-02', '--to', '2026-11-01'], ctx())).rejects.toThrow(/after/);
  });
});

describe('--help on every CLI', () => {
  // Every src/cli/*.ts that runs as an entry point (the `import.meta.url === file://argv[1]` guard).
  const cliDir = fileURLToPath(new URL('../../src/cli/', import.meta.url));
  const entries = readdirSync(cliDir).filter((f) => f.endsWith('.ts') && readFileSync(join(cliDir, f), 'utf8').includes('process.argv[1]'));

  it('finds the CLIs', () => {
    expect(entries).toEqual(expect.arrayContaining(['admin.ts', 'report.ts']));
  });

  it.each(entries)('%s --help prints its usage and exits 0 without opening a database', (file) => {
    // A DATA_DIR that cannot be created: opening a database would fail, so exit 0 proves it was not opened.
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(cliDir, file), '--help'], {
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: '', DATA_DIR: '/dev/null/no-such-dir' },
      timeout: 60_000,
    });
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^usage: /);
  });

  it('npm run simulator --help prints its usage and exits 0 without listening', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../../src/simulator/main.ts', import.meta.url)), '--help'], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^usage: npm run simulator/);
    expect(run.stdout).not.toContain('listening');
  });
});
