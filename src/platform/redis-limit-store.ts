// The shared limit store: one Lua script per check, so every instance sees one atomic view.
// Each subject (key, user, team) has its own keys under `{prefix}limits:{<level>:<id>}`; a call's
// reservation books against all of its subjects in one script (all or none), and settle and
// cancel treat them together too. (A script touches several subjects' keys, so a Redis Cluster
// would need them in one slot: use a single Redis or Sentinel.) Time is Redis's own clock (TIME),
// so instances with skewed clocks still agree on the minute window, the UTC day and the month.
// Spend counters are integers of 1e-10 USD; Redis keeps them as exact 64-bit integers and the
// script compares them as decimal strings, never as Lua floats.
//
// A month's books are one hash per subject (`:m:<month>`: `usd`, `tok:<day>`, `seeded`). When it
// is missing (a new month, a flushed or evicted Redis, a new Redis), the script answers SEED and
// books nothing; the client reads the subject's books from the ledger and adds them in with a
// seed script that applies only if no other instance seeded first (HEXISTS seeded), then
// retries. Seeding adds to whatever calls settled meanwhile, so a call that settled during the
// seed may count twice (conservative) but never zero times.
import type { Redis } from 'ioredis';
import { whenReady } from './redis.ts';
import {
  EMPTY_LEDGER,
  subjectKey,
  type LedgerBooksSource,
  type LimitLevel,
  type LimitName,
  type LimitStore,
  type ReservationHandle,
  type ReserveRequest,
  type ReserveResult,
  type SubjectRef,
  type SubjectUsage,
} from '../domain/limits/limit-store.ts';

// Shared helpers: now (ms), the UTC day number and year*12+month (Hinnant's civil_from_days).
const CLOCK = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local day = math.floor(now / 86400000)
local z = day + 719468
local era = math.floor(z / 146097)
local doe = z - era * 146097
local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
local mp = math.floor((5 * doy + 2) / 153)
local m = mp < 10 and mp + 3 or mp - 9
local y = yoe + era * 400
if m <= 2 then y = y + 1 end
local month = y * 12 + (m - 1)
`;

// Non-negative integers as decimal strings: a <= b without floats.
const LE = `
local MONTH_TTL = 3456000000
local function le(a, b)
  if string.sub(a, 1, 1) == '-' then return true end
  if #a ~= #b then return #a < #b end
  return a <= b
end
local function neg(n)
  if n == '0' then return '0' end
  return '-' .. n
end
`;

/** Gives back what a reservation booked (its day tokens and month cost) and forgets it. */
const RELEASE = `
local function release(base, rid)
  local resKey, expKey = base .. ':res', base .. ':resexp'
  local v = redis.call('HGET', resKey, rid)
  if v then
    local bk, d, tn, cn = string.match(v, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
    if redis.call('EXISTS', bk) == 1 then
      redis.call('HINCRBY', bk, 'tok:' .. d, neg(tn))
      redis.call('HINCRBY', bk, 'usd', neg(cn))
    end
    redis.call('HDEL', resKey, rid)
  end
  redis.call('ZREM', expKey, rid)
end
local function releaseLapsed(base, now)
  local lapsed = redis.call('ZRANGEBYSCORE', base .. ':resexp', '-inf', now)
  for _, rid in ipairs(lapsed) do release(base, rid) end
  redis.call('ZREMRANGEBYSCORE', base .. ':rpm', '-inf', now - 60000)
end
local function keepMonth(bk)
  if redis.call('PTTL', bk) < 0 then redis.call('PEXPIRE', bk, MONTH_TTL) end
end
`;

/**
 * ARGV: reservationId, tokens, costUnits, ttlMs, n, then per subject: base, level, rpm,
 * tokensPerDay, budgetUnits ('-1' = none).
 * Returns {'OK', day, month}, {'NO', level, limitName, retryAfterMs} or {'SEED', i...} (1-based
 * indexes of the subjects whose books must be seeded first; nothing was booked).
 */
const RESERVE = `${CLOCK}${LE}${RELEASE}
local rid, tokens, cost, ttl, n = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local subs, unseeded = {}, {}
for i = 1, n do
  local o = 5 + (i - 1) * 5
  local s = { base = ARGV[o + 1], level = ARGV[o + 2], rpm = tonumber(ARGV[o + 3]), tok = tonumber(ARGV[o + 4]), budget = ARGV[o + 5] }
  s.books = s.base .. ':m:' .. month
  if redis.call('HEXISTS', s.books, 'seeded') == 0 then unseeded[#unseeded + 1] = i end
  subs[i] = s
end
if #unseeded > 0 then
  local reply = {'SEED'}
  for _, i in ipairs(unseeded) do reply[#reply + 1] = i end
  return reply
end
for _, s in ipairs(subs) do
  releaseLapsed(s.base, now)
  if s.rpm >= 0 then
    local rpmKey = s.base .. ':rpm'
    local c = redis.call('ZCARD', rpmKey)
    if c >= s.rpm then
      local retry = 60000
      local freeing = redis.call('ZRANGE', rpmKey, c - s.rpm, c - s.rpm, 'WITHSCORES')
      if freeing[2] then retry = tonumber(freeing[2]) + 60000 - now end
      if retry < 1 then retry = 1 end
      return {'NO', s.level, 'requestsPerMinute', retry}
    end
  end
  if s.tok >= 0 then
    local used = tonumber(redis.call('HGET', s.books, 'tok:' .. day) or '0')
    if used + tokens > s.tok then return {'NO', s.level, 'tokensPerDay', (day + 1) * 86400000 - now} end
  end
end
for i, s in ipairs(subs) do
  redis.call('HINCRBY', s.books, 'usd', cost)
  if s.budget ~= '-1' and not le(redis.call('HGET', s.books, 'usd'), s.budget) then
    for j = 1, i do redis.call('HINCRBY', subs[j].books, 'usd', neg(cost)) end
    return {'NO', s.level, 'monthlyBudgetUsd', 0}
  end
end
for _, s in ipairs(subs) do
  redis.call('HINCRBY', s.books, 'tok:' .. day, tokens)
  keepMonth(s.books)
  local rpmKey = s.base .. ':rpm'
  redis.call('ZADD', rpmKey, now, rid)
  redis.call('PEXPIRE', rpmKey, 60000)
  local resKey, expKey = s.base .. ':res', s.base .. ':resexp'
  redis.call('HSET', resKey, rid, s.books .. '|' .. day .. '|' .. ARGV[2] .. '|' .. cost)
  redis.call('ZADD', expKey, now + ttl, rid)
  redis.call('PEXPIRE', resKey, ttl + 60000)
  redis.call('PEXPIRE', expKey, ttl + 60000)
end
return {'OK', day, month}
`;

/** ARGV: reservationId, day, month, tokens, costUnits, n, base... */
const SETTLE = `${LE}${RELEASE}
local rid, d, mo, tokens, cost, n = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6])
for i = 1, n do
  local base = ARGV[6 + i]
  release(base, rid)
  local bk = base .. ':m:' .. mo
  redis.call('HINCRBY', bk, 'tok:' .. d, tokens)
  redis.call('HINCRBY', bk, 'usd', cost)
  keepMonth(bk)
end
return 1
`;

/** ARGV: reservationId, n, base... */
const CANCEL = `${LE}${RELEASE}
local rid, n = ARGV[1], tonumber(ARGV[2])
for i = 1, n do
  local base = ARGV[2 + i]
  redis.call('ZREM', base .. ':rpm', rid)
  release(base, rid)
end
return 1
`;

/** ARGV: n, then per subject: base, tokensToday, unitsThisMonth, request times (ms, comma separated). */
const SEED = `${CLOCK}${LE}${RELEASE}
local n = tonumber(ARGV[1])
for i = 1, n do
  local o = 1 + (i - 1) * 4
  local base = ARGV[o + 1]
  local bk = base .. ':m:' .. month
  if redis.call('HEXISTS', bk, 'seeded') == 0 then
    redis.call('HINCRBY', bk, 'tok:' .. day, ARGV[o + 2])
    redis.call('HINCRBY', bk, 'usd', ARGV[o + 3])
    redis.call('HSET', bk, 'seeded', '1')
    keepMonth(bk)
    local j = 0
    for at in string.gmatch(ARGV[o + 4], '[^,]+') do
      local ms = tonumber(at)
      if ms > now - 60000 then
        j = j + 1
        redis.call('ZADD', base .. ':rpm', ms, 'seed:' .. at .. ':' .. j)
      end
    end
    if j > 0 then redis.call('PEXPIRE', base .. ':rpm', 60000) end
  end
end
return 1
`;

/** ARGV: n, base... Returns per subject: seeded (0/1), requests, tokens today, units this month. */
const PEEK = `${CLOCK}${LE}${RELEASE}
local n = tonumber(ARGV[1])
local reply = {}
for i = 1, n do
  local base = ARGV[1 + i]
  local bk = base .. ':m:' .. month
  releaseLapsed(base, now)
  reply[#reply + 1] = redis.call('HEXISTS', bk, 'seeded')
  reply[#reply + 1] = redis.call('ZCARD', base .. ':rpm')
  reply[#reply + 1] = redis.call('HGET', bk, 'tok:' .. day) or '0'
  reply[#reply + 1] = redis.call('HGET', bk, 'usd') or '0'
end
return reply
`;

type Reply = Array<string | number>;
type LimitScripts = {
  sbCancel(...args: string[]): Promise<number>;
  sbReserve(...args: string[]): Promise<Reply>;
  sbSettle(...args: string[]): Promise<number>;
  sbSeed(...args: string[]): Promise<number>;
  sbPeek(...args: string[]): Promise<Reply>;
};

/** Seeding rounds before giving up (another instance keeps losing its books: treated as unavailable). */
const SEED_ROUNDS = 3;

export function createRedisLimitStore({
  redis,
  keyPrefix,
  connectWaitMs = 1_000,
  ledger = EMPTY_LEDGER,
}: {
  redis: Redis;
  keyPrefix: string;
  connectWaitMs?: number;
  ledger?: LedgerBooksSource;
}): LimitStore {
  redis.defineCommand('sbReserve', { numberOfKeys: 0, lua: RESERVE });
  redis.defineCommand('sbSettle', { numberOfKeys: 0, lua: SETTLE });
  redis.defineCommand('sbCancel', { numberOfKeys: 0, lua: CANCEL });
  redis.defineCommand('sbSeed', { numberOfKeys: 0, lua: SEED });
  redis.defineCommand('sbPeek', { numberOfKeys: 0, lua: PEEK });
  const scripts = redis as unknown as LimitScripts;
  const base = (s: SubjectRef) => `${keyPrefix}limits:{${subjectKey(s)}}`;

  /** Seeds in progress in this process: a burst of first calls reads a subject's ledger once. */
  const seeding = new Map<string, Promise<void>>();

  /** Reads a subject's books from the ledger and adds them in (where nobody did first). */
  function seedOne(s: SubjectRef): Promise<void> {
    const key = subjectKey(s);
    let running = seeding.get(key);
    if (!running) {
      running = (async () => {
        const books = await ledger.booksOf(s, new Date());
        await scripts.sbSeed('1', base(s), String(books.tokensToday), books.unitsThisMonth.toString(), books.requestTimes.join(','));
      })().finally(() => seeding.delete(key));
      seeding.set(key, running);
    }
    return running;
  }

  const seed = async (subjects: SubjectRef[]): Promise<void> => void (await Promise.all(subjects.map(seedOne)));

  /** Runs a script that may answer SEED (with 1-based subject indexes), seeding and retrying. */
  async function withSeed<T>(subjects: SubjectRef[], run: () => Promise<Reply>, done: (reply: Reply) => T | undefined): Promise<T> {
    await whenReady(redis, connectWaitMs);
    for (let round = 0; round <= SEED_ROUNDS; round++) {
      const reply = await run();
      const result = done(reply);
      if (result !== undefined) return result;
      if (round < SEED_ROUNDS) await seed(reply.slice(1).map((i) => subjects[Number(i) - 1]!));
    }
    throw new Error('limit books could not be seeded from the ledger (they keep disappearing from Redis)');
  }

  return {
    kind: 'redis',
    async reserve(r: ReserveRequest): Promise<ReserveResult> {
      const subjectArgs = r.subjects.flatMap((s) => [
        base(s),
        s.level,
        String(s.limits.requestsPerMinute ?? -1),
        String(s.limits.tokensPerDay ?? -1),
        s.limits.monthlyBudgetUnits == null ? '-1' : s.limits.monthlyBudgetUnits.toString(),
      ]);
      const refs = r.subjects.map(({ level, id }) => ({ level, id }));
      return withSeed<ReserveResult>(
        refs,
        () => scripts.sbReserve(r.reservationId, String(r.tokens), r.costUnits.toString(), String(r.ttlMs), String(r.subjects.length), ...subjectArgs),
        (reply) => {
          if (reply[0] === 'SEED') return undefined;
          if (reply[0] === 'OK') return { ok: true, handle: { subjects: refs, reservationId: r.reservationId, day: Number(reply[1]), month: Number(reply[2]) } };
          const retryAfterMs = Number(reply[3]);
          return { ok: false, level: reply[1] as LimitLevel, limit: reply[2] as LimitName, ...(retryAfterMs > 0 && { retryAfterMs }) };
        },
      );
    },
    async settle(h: ReservationHandle, tokens: number, costUnits: bigint): Promise<void> {
      await whenReady(redis, connectWaitMs);
      await scripts.sbSettle(h.reservationId, String(h.day), String(h.month), String(tokens), costUnits.toString(), String(h.subjects.length), ...h.subjects.map(base));
    },
    async cancel(subjects: SubjectRef[], reservationId: string): Promise<void> {
      await whenReady(redis, connectWaitMs);
      await scripts.sbCancel(reservationId, String(subjects.length), ...subjects.map(base));
    },
    async usage(subjects: SubjectRef[]): Promise<SubjectUsage[]> {
      if (subjects.length === 0) return [];
      return withSeed<SubjectUsage[]>(
        subjects,
        async () => {
          const reply = await scripts.sbPeek(String(subjects.length), ...subjects.map(base));
          const unseeded = subjects.flatMap((_, i) => (Number(reply[i * 4]) === 1 ? [] : [i + 1]));
          return unseeded.length > 0 ? ['SEED', ...unseeded] : reply;
        },
        (reply) =>
          reply[0] === 'SEED'
            ? undefined
            : subjects.map((_, i) => ({ requests: Number(reply[i * 4 + 1]), tokens: Number(reply[i * 4 + 2]), units: BigInt(String(reply[i * 4 + 3])) })),
      );
    },
    async close() {
      // The client belongs to the composition root, which closes it.
    },
  };
}
