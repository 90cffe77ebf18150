// The shared limit store: one Lua script per check, so every instance sees one atomic view.
// Keys per user share a hash tag ({userId}). Time is Redis's own clock (TIME), so instances
// with skewed clocks still agree on the minute window, the UTC day and the calendar month.
// Spend counters are integers of 1e-10 USD; Redis keeps them as exact 64-bit integers and the
// script compares them as decimal strings, never as Lua floats.
import type { Redis } from 'ioredis';
import { whenReady } from '../../redis.ts';
import type { LimitName, LimitStore, ReservationHandle, ReserveRequest, ReserveResult } from './limit-store.ts';

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
local function le(a, b)
  if string.sub(a, 1, 1) == '-' then return true end
  if #a ~= #b then return #a < #b end
  return a <= b
end
`;

/** Gives back what a reservation booked (its day tokens and month cost) and forgets it. */
const RELEASE = `
local function release(resKey, expKey, rid)
  local v = redis.call('HGET', resKey, rid)
  if v then
    local tk, tn, ck, cn = string.match(v, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
    if redis.call('EXISTS', tk) == 1 then redis.call('DECRBY', tk, tn) end
    if redis.call('EXISTS', ck) == 1 then redis.call('DECRBY', ck, cn) end
    redis.call('HDEL', resKey, rid)
  end
  redis.call('ZREM', expKey, rid)
end
`;

/**
 * ARGV: base, reservationId, rpm, tokensPerDay, budgetUnits ('-1' = none), tokens, costUnits, ttlMs
 * Returns {'OK', day, month} or {'NO', limitName, retryAfterMs}.
 */
const RESERVE = `${CLOCK}${LE}${RELEASE}
local base, id = ARGV[1], ARGV[2]
local rpm, tokLimit, budget = tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local tokens, cost, ttl = tonumber(ARGV[6]), ARGV[7], tonumber(ARGV[8])
local resKey, expKey, rpmKey = base .. ':res', base .. ':resexp', base .. ':rpm'
-- release reservations that lapsed (their instance crashed or lost Redis)
local lapsed = redis.call('ZRANGEBYSCORE', expKey, '-inf', now)
for _, rid in ipairs(lapsed) do
  release(resKey, expKey, rid)
end
redis.call('ZREMRANGEBYSCORE', rpmKey, '-inf', now - 60000)
if rpm >= 0 then
  local n = redis.call('ZCARD', rpmKey)
  if n >= rpm then
    local retry = 60000
    local freeing = redis.call('ZRANGE', rpmKey, n - rpm, n - rpm, 'WITHSCORES')
    if freeing[2] then retry = tonumber(freeing[2]) + 60000 - now end
    if retry < 1 then retry = 1 end
    return {'NO', 'requestsPerMinute', retry}
  end
end
local tokKey = base .. ':tok:' .. day
local usdKey = base .. ':usd:' .. month
if tokLimit >= 0 then
  local used = tonumber(redis.call('GET', tokKey) or '0')
  if used + tokens > tokLimit then return {'NO', 'tokensPerDay', (day + 1) * 86400000 - now} end
end
redis.call('INCRBY', usdKey, cost)
if budget ~= '-1' and not le(redis.call('GET', usdKey), budget) then
  redis.call('DECRBY', usdKey, cost)
  return {'NO', 'monthlyBudgetUsd', 0}
end
if redis.call('PTTL', usdKey) < 0 then redis.call('PEXPIRE', usdKey, 3456000000) end
redis.call('INCRBY', tokKey, tokens)
if redis.call('PTTL', tokKey) < 0 then redis.call('PEXPIRE', tokKey, 172800000) end
redis.call('ZADD', rpmKey, now, id)
redis.call('PEXPIRE', rpmKey, 60000)
redis.call('HSET', resKey, id, tokKey .. '|' .. ARGV[6] .. '|' .. usdKey .. '|' .. cost)
redis.call('ZADD', expKey, now + ttl, id)
redis.call('PEXPIRE', resKey, ttl + 60000)
redis.call('PEXPIRE', expKey, ttl + 60000)
return {'OK', day, month}
`;

/** ARGV: base, reservationId, day, month, tokens, costUnits. */
const SETTLE = `
local base, id = ARGV[1], ARGV[2]
local tokKey, usdKey = base .. ':tok:' .. ARGV[3], base .. ':usd:' .. ARGV[4]
local resKey, expKey = base .. ':res', base .. ':resexp'
local v = redis.call('HGET', resKey, id)
if v then
  local tk, tn, ck, cn = string.match(v, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
  redis.call('DECRBY', tk, tn)
  redis.call('DECRBY', ck, cn)
  redis.call('HDEL', resKey, id)
end
redis.call('ZREM', expKey, id)
redis.call('INCRBY', tokKey, ARGV[5])
redis.call('INCRBY', usdKey, ARGV[6])
if redis.call('PTTL', tokKey) < 0 then redis.call('PEXPIRE', tokKey, 172800000) end
if redis.call('PTTL', usdKey) < 0 then redis.call('PEXPIRE', usdKey, 3456000000) end
return 1
`;

/** ARGV: base, reservationId. */
const CANCEL = `${RELEASE}
local base, id = ARGV[1], ARGV[2]
redis.call('ZREM', base .. ':rpm', id)
release(base .. ':res', base .. ':resexp', id)
return 1
`;

type LimitScripts = {
  sbCancel(...args: string[]): Promise<number>;
  sbReserve(...args: string[]): Promise<[string, string | number, number]>;
  sbSettle(...args: string[]): Promise<number>;
};

export function createRedisLimitStore({ redis, keyPrefix, connectWaitMs = 1_000 }: { redis: Redis; keyPrefix: string; connectWaitMs?: number }): LimitStore {
  redis.defineCommand('sbReserve', { numberOfKeys: 0, lua: RESERVE });
  redis.defineCommand('sbSettle', { numberOfKeys: 0, lua: SETTLE });
  redis.defineCommand('sbCancel', { numberOfKeys: 0, lua: CANCEL });
  const scripts = redis as unknown as LimitScripts;
  const base = (userId: string) => `${keyPrefix}limits:{${userId}}`;

  return {
    kind: 'redis',
    async reserve(r: ReserveRequest): Promise<ReserveResult> {
      const { requestsPerMinute, tokensPerDay, monthlyBudgetUnits } = r.limits;
      await whenReady(redis, connectWaitMs);
      const reply = await scripts.sbReserve(
        base(r.userId),
        r.reservationId,
        String(requestsPerMinute ?? -1),
        String(tokensPerDay ?? -1),
        monthlyBudgetUnits == null ? '-1' : monthlyBudgetUnits.toString(),
        String(r.tokens),
        r.costUnits.toString(),
        String(r.ttlMs),
      );
      if (reply[0] === 'OK') {
        return { ok: true, handle: { userId: r.userId, reservationId: r.reservationId, day: Number(reply[1]), month: Number(reply[2]) } };
      }
      const retryAfterMs = Number(reply[2]);
      return { ok: false, limit: reply[1] as LimitName, ...(retryAfterMs > 0 && { retryAfterMs }) };
    },
    async settle(h: ReservationHandle, tokens: number, costUnits: bigint): Promise<void> {
      await whenReady(redis, connectWaitMs);
      await scripts.sbSettle(base(h.userId), h.reservationId, String(h.day), String(h.month), String(tokens), costUnits.toString());
    },
    async cancel(userId: string, reservationId: string): Promise<void> {
      await whenReady(redis, connectWaitMs);
      await scripts.sbCancel(base(userId), reservationId);
    },
    async close() {
      // The client belongs to the composition root, which closes it.
    },
  };
}
