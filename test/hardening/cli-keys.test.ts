// The admin CLI lists users and keys (never a secret), rotates and revokes all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin } from '../../src/cli/admin.ts';
import { cliContext } from '../../src/cli/context.ts';
import { trpcCode } from '../helpers/errors.ts';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let lines: string[] = [];
const ctx = () => cliContext(server.app.services, (l) => void lines.push(l));
beforeAll(async () => {
  server = await startTestServer();
}, 180_000);
afterAll(async () => {
  await server?.close();
});

describe('npm run admin: users and keys', () => {
  it('list-users, list-keys (no secret), rotate-key, revoke-all-keys', async () => {
    const { userId, key } = await createUserWithKey(server, 'cli-keys@example.com');
    lines = [];
    await admin(['list-users'], ctx());
    expect(lines.join('\n')).toMatch(new RegExp(`${userId}\\s+USER\\s+cli-keys@example.com`));

    lines = [];
    await admin(['list-keys', '--user', 'cli-keys@example.com', '--json'], ctx());
    const keys = JSON.parse(lines.join('\n')) as Array<{ id: string; prefix: string }>;
    expect(keys).toHaveLength(1);
    expect(lines.join('\n')).not.toContain(key.split('_').slice(2).join('_'));
    lines = [];
    await admin(['list-keys', '--user', userId], ctx());
    expect(lines[0]).toContain(`sb_${keys[0]!.prefix}_…`);
    expect(lines[0]).toContain('active');

    lines = [];
    await admin(['rotate-key', '--id', keys[0]!.id, '--json'], ctx());
    const rotated = JSON.parse(lines.join('\n')) as { secret: string };
    expect(await trpcCode(server.trpc(key).me.query())).toBe('UNAUTHENTICATED');
    expect((await server.trpc(rotated.secret).me.query()).id).toBe(userId);

    lines = [];
    await admin(['revoke-all-keys', '--user', userId], ctx());
    expect(lines[0]).toBe('revoked 1 key(s)');
    lines = [];
    await admin(['list-keys', '--user', userId], ctx());
    expect(lines[0]).toContain('revoked');
  });
});
