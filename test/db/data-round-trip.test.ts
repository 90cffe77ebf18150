// What the ledger and reports rely on, checked on whichever database the env selects: raw
// multi-row inserts with parameters, Decimal and timestamptz round-trips, error kinds.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbErrorKind, multiRowInsert, openDatabase, Prisma } from '../../src/db/index.ts';
import type { Database } from '../../src/db/index.ts';
import { freshDatabase } from '../helpers/database.ts';
import type { FreshDatabase } from '../helpers/database.ts';

let fresh: FreshDatabase;
let db: Database;
const userId = randomUUID();

beforeAll(async () => {
  fresh = await freshDatabase();
  db = await openDatabase(fresh);
  await db.prisma.user.create({ data: { id: userId, email: 'owner@example.com' } });
});
afterAll(async () => {
  await db?.close();
  await fresh?.cleanup();
});

describe('raw SQL escape hatch', () => {
  it('inserts several rows with one parameterized multi-row INSERT', async () => {
    const at = new Date('2026-11-24T10:11:12.345Z');
    const columns = [
      { name: 'id', cast: 'uuid' },
      { name: 'callId', cast: 'uuid' },
      { name: 'userId', cast: 'uuid' },
      { name: 'requestedModel' },
      { name: 'api', cast: '"UpstreamApi"' },
      { name: 'gatewayId' },
      { name: 'status', cast: '"CallStatus"' },
      { name: 'latencyMs', cast: 'int' },
      { name: 'costUsd', cast: 'numeric' },
      { name: 'createdAt', cast: 'timestamptz' },
      { name: 'inputTokens', cast: 'int' },
    ];
    const row = (api: string, status: string, latency: number, cost: Prisma.Decimal | null) =>
      [randomUUID(), randomUUID(), userId, 'm', api, 'g', status, latency, cost, at, 3];
    const { sql, params } = multiRowInsert('UsageRecord', columns, [
      row('RESPONSES', 'OK', 5, new Prisma.Decimal('0.0000000001')),
      row('RUN', 'ERROR', 7, new Prisma.Decimal('1234567890.1234567891')),
      row('MESSAGES', 'CANCELLED', 9, null),
    ]);
    expect(await db.prisma.$executeRawUnsafe(sql, ...params)).toBe(3);

    const viaOrm = await db.prisma.usageRecord.findMany({ orderBy: { latencyMs: 'asc' } });
    expect(viaOrm.map((r) => [r.api, r.status, r.costUsd?.toFixed(10) ?? null, r.createdAt.toISOString(), r.inputTokens])).toEqual([
      ['RESPONSES', 'OK', '0.0000000001', at.toISOString(), 3],
      ['RUN', 'ERROR', '1234567890.1234567891', at.toISOString(), 3],
      ['MESSAGES', 'CANCELLED', null, at.toISOString(), 3],
    ]);
    expect(viaOrm[0]?.costUsd).toBeInstanceOf(Prisma.Decimal);
  });

  it('keeps a Decimal raw parameter exact (Prisma 6.19 sent it through float64)', async () => {
    const exact = new Prisma.Decimal('1234567890.1234567891');
    const [kept] = await db.prisma.$queryRawUnsafe<{ v: Prisma.Decimal }[]>('SELECT $1::numeric AS v', exact);
    expect(kept?.v.toFixed(10)).toBe('1234567890.1234567891');
  });

  it('returns the same JS types from raw queries on both databases', async () => {
    const [row] = await db.prisma.$queryRawUnsafe<Record<string, unknown>[]>(
      `SELECT sum("costUsd") AS cost, max("createdAt") AS at, count(*) AS n, sum("inputTokens") AS tokens,
              min(api::text) AS api, $1::numeric AS param
         FROM "UsageRecord" WHERE "userId" = $2::uuid`,
      new Prisma.Decimal('2.5'),
      userId,
    );
    expect(row?.cost).toBeInstanceOf(Prisma.Decimal);
    expect((row?.cost as Prisma.Decimal).toFixed(10)).toBe('1234567890.1234567892');
    expect(row?.at).toEqual(new Date('2026-11-24T10:11:12.345Z'));
    expect(row?.n).toBe(3n); // count(*) and sum(int) are bigint: BigInt on both
    expect(row?.tokens).toBe(9n);
    expect(row?.api).toBe('MESSAGES');
    expect((row?.param as Prisma.Decimal).toString()).toBe('2.5');
  });
});

describe('Decimal and timestamptz through Prisma', () => {
  it('round-trips exactly', async () => {
    const created = await db.prisma.modelPrice.create({
      data: {
        id: randomUUID(),
        model: 'openai/gpt-5.5',
        version: 1,
        effectiveFrom: new Date('2026-01-01T00:00:00.001Z'),
        inputPerMTok: new Prisma.Decimal('1.2500000001'),
        outputPerMTok: '9999999999.9999999999',
        source: 'test',
      },
    });
    const read = await db.prisma.modelPrice.findUniqueOrThrow({ where: { id: created.id } });
    expect(read.inputPerMTok.toFixed(10)).toBe('1.2500000001');
    expect(read.outputPerMTok.toFixed(10)).toBe('9999999999.9999999999');
    expect(read.effectiveFrom.toISOString()).toBe('2026-01-01T00:00:00.001Z');
    expect(read.cachedInputPerMTok).toBeNull();

    await db.prisma.modelPrice.updateMany({
      where: { id: created.id, outputPerMTok: '9999999999.9999999999' },
      data: { outputPerMTok: { decrement: new Prisma.Decimal('0.0000000001') } },
    });
    const sum = await db.prisma.modelPrice.aggregate({ _sum: { outputPerMTok: true, inputPerMTok: true } });
    expect(sum._sum.outputPerMTok?.toFixed(10)).toBe('9999999999.9999999998');
    expect(sum._sum.inputPerMTok?.toFixed(10)).toBe('1.2500000001');
  });
});

describe('dbErrorKind', () => {
  it('maps a duplicate key to unique_violation, through Prisma and raw SQL', async () => {
    const duplicate = db.prisma.user.create({ data: { id: randomUUID(), email: 'owner@example.com' } });
    await expect(duplicate).rejects.toSatisfy((e) => dbErrorKind(e) === 'unique_violation');
    const raw = db.prisma.$executeRawUnsafe(
      'INSERT INTO "User" (id, email) VALUES ($1::uuid, $2)',
      randomUUID(),
      'owner@example.com',
    );
    await expect(raw).rejects.toSatisfy((e) => dbErrorKind(e) === 'unique_violation');
  });

  it('maps a missing parent to foreign_key_violation', async () => {
    const orphan = db.prisma.apiKey.create({
      data: { id: randomUUID(), userId: randomUUID(), name: 'k', prefix: 'p1', secretHash: 'h' },
    });
    await expect(orphan).rejects.toSatisfy((e) => dbErrorKind(e) === 'foreign_key_violation');
  });

  it('maps other failures to other', async () => {
    await expect(db.prisma.$queryRawUnsafe('SELECT 1/0')).rejects.toSatisfy((e) => dbErrorKind(e) === 'other');
    expect(dbErrorKind(new Error('boom'))).toBe('other');
    expect(dbErrorKind(undefined)).toBe('other');
  });

  it('maps raw SQLSTATEs and Prisma codes', () => {
    const known = (code: string) =>
      new Prisma.PrismaClientKnownRequestError('x', { code, clientVersion: Prisma.prismaVersion.client });
    expect(dbErrorKind(known('P2002'))).toBe('unique_violation');
    expect(dbErrorKind(known('P2003'))).toBe('foreign_key_violation');
    expect(dbErrorKind(known('P2034'))).toBe('serialization_failure');
    expect(dbErrorKind(known('P1001'))).toBe('connection');
    // A transaction that could not start in time (every connection lost or taken): UNAVAILABLE, never INTERNAL.
    expect(dbErrorKind(known('P2028'))).toBe('connection');
    expect(dbErrorKind({ code: '40001' })).toBe('serialization_failure');
    expect(dbErrorKind({ cause: { code: '08006' } })).toBe('connection');
    expect(dbErrorKind(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe('connection');
  });
});

describe('serialization failures', () => {
  it('maps a write conflict under SERIALIZABLE to serialization_failure (PostgreSQL only)', async (ctx) => {
    if (db.kind !== 'postgres') ctx.skip(); // PGlite is one connection: no concurrent transactions
    const id = randomUUID();
    await db.prisma.gateway.create({ data: { id, name: 'g' } });
    const iso = Prisma.TransactionIsolationLevel.Serializable;
    let release!: () => void;
    const bothRead = new Promise<void>((r) => (release = r));
    let reads = 0;
    const bump = (name: string) =>
      db.prisma.$transaction(
        async (tx) => {
          await tx.gateway.findUniqueOrThrow({ where: { id } });
          if (++reads === 2) release();
          await bothRead;
          await tx.gateway.update({ where: { id }, data: { name } });
        },
        { isolationLevel: iso },
      );
    const results = await Promise.allSettled([bump('a'), bump('b')]);
    const failed = results.filter((r) => r.status === 'rejected');
    expect(failed).toHaveLength(1);
    expect(dbErrorKind((failed[0] as PromiseRejectedResult).reason)).toBe('serialization_failure');
  });
});
