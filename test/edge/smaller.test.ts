// The smaller findings of this edge: team members read each other's id and email only (role and
// limits used to show), and a GraphQL idempotency conflict answers HTTP 409 as tRPC does (it was 200).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

interface Member {
  id: string;
  email: string;
  role: string | null;
  limits: { tokensPerDay: number | null } | null;
}

describe('team members', () => {
  it("see each other's id and email; role and limits only their own; admins see all", async () => {
    const a = await createUserWithKey(server, 'edge-team-a@example.com');
    const b = await createUserWithKey(server, 'edge-team-b@example.com');
    const admin = server.trpc();
    await admin.admin.setUserLimits.mutate({ userId: b.userId, tokensPerDay: 1234 });
    const team = await admin.admin.teams.create.mutate({ name: 'edge-team' });
    await admin.admin.teams.addMember.mutate({ teamId: team.id, userId: a.userId });
    await admin.admin.teams.addMember.mutate({ teamId: team.id, userId: b.userId });

    const query = '{ teams { id members { id email role limits { tokensPerDay } } } }';
    const seenByA = await server.gql<{ teams: Array<{ members: Member[] }> }>(query, {}, a.key);
    expect(seenByA.errors).toBeUndefined();
    const members = seenByA.data!.teams[0]!.members;
    expect(members.find((m) => m.id === b.userId)).toEqual({ id: b.userId, email: 'edge-team-b@example.com', role: null, limits: null });
    expect(members.find((m) => m.id === a.userId)).toMatchObject({ role: 'USER', limits: { tokensPerDay: null } });

    const viaTrpc = await server.trpc(a.key).teams.list.query();
    const other = viaTrpc[0]!.members.find((m) => m.id === b.userId)!;
    expect(other.role).toBeNull();
    expect(other.limits).toBeNull();
    expect(JSON.stringify(viaTrpc)).not.toContain('1234');

    const seenByAdmin = await server.gql<{ teams: Array<{ id: string; members: Member[] }> }>(query);
    const asAdmin = seenByAdmin.data!.teams.find((t) => t.id === team.id)!.members.find((m) => m.id === b.userId);
    expect(asAdmin).toMatchObject({ role: 'USER', limits: { tokensPerDay: 1234 } });
  });
});

describe('GraphQL idempotency conflict', () => {
  it('answers HTTP 409 with IDEMPOTENCY_CONFLICT', async () => {
    const { key } = await createUserWithKey(server, 'edge-idem@example.com');
    const generate = (prompt: string) =>
      server.gql<{ generate: { id: string } }>(`mutation { generate(input: {model: "openai/gpt-5.5", prompt: "${prompt}", idempotencyKey: "edge-1"}) { id } }`, {}, key);
    const first = await generate('first');
    expect(first.status).toBe(200);
    expect(first.data?.generate.id).toBeTruthy();
    const conflict = await generate('another input');
    expect(conflict.status).toBe(409);
    expect(conflict.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(conflict.errors?.[0]?.extensions).not.toHaveProperty('http');
  });
});
