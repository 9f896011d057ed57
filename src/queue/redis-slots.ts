// The Redis SlotPool and ClaimStore: model slots counted across every replica (issue 13 §2) and
// at-most-once marks. Each host's slots are a sorted set of holders scored by lease expiry, so a
// replica that dies (SIGKILL) frees its slots once their lease runs out; a holder renews its
// lease while it generates. One Lua script takes a slot atomically by the rules of slot-rules.ts.
// It must not hang a caller: every command is bounded by the client's commandTimeout.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { API_WAIT_MS, apiShare, SLOT_LEASE_MS } from './slot-rules.ts';
import type { ClaimStore, SlotKind, SlotLease, SlotPool } from './types.ts';

// KEYS host1..hostN api apiWait; ARGV now holder leaseMs kind share apiWaitMs order(csv) max1..maxN
// Returns the host index (0-based) taken, or -1.
const ACQUIRE = `
local n = #KEYS - 2
local now = tonumber(ARGV[1])
local api, wait = KEYS[n + 1], KEYS[n + 2]
redis.call('ZREMRANGEBYSCORE', api, '-inf', now)
local apiHeld = redis.call('ZCARD', api)
local share = tonumber(ARGV[5])
local total = 0
for i = 1, n do total = total + tonumber(ARGV[7 + i]) end
if ARGV[4] == 'api' and apiHeld >= share then return -1 end
if ARGV[4] == 'ussd' and total >= 2 and apiHeld < share and redis.call('EXISTS', wait) == 1 then return -1 end
for host in string.gmatch(ARGV[7], '[^,]+') do
  local i = tonumber(host) + 1
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
  if redis.call('ZCARD', KEYS[i]) < tonumber(ARGV[7 + i]) then
    redis.call('ZADD', KEYS[i], now + tonumber(ARGV[3]), ARGV[2])
    redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[3]) * 2)
    if ARGV[4] == 'api' then
      redis.call('ZADD', api, now + tonumber(ARGV[3]), ARGV[2])
      redis.call('PEXPIRE', api, tonumber(ARGV[3]) * 2)
      redis.call('DEL', wait)
    end
    return i - 1
  end
end
if ARGV[4] == 'api' then redis.call('SET', wait, '1', 'PX', ARGV[6]) end
return -1`;

// KEYS hostKey api; ARGV holder expiry: renews a held lease (XX: never re-adds a released one).
const RENEW = `
redis.call('ZADD', KEYS[1], 'XX', ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[2], 'XX', ARGV[2], ARGV[1])
return 1`;

// KEYS key; ARGV expected value(or '') ttlSeconds: replaces or deletes a value still as expected.
const SWAP = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) end
return 1`;

interface SlotCommands {
  ussdSlotAcquire(...args: (string | number)[]): Promise<number>;
  ussdSlotRenew(...args: (string | number)[]): Promise<number>;
  ussdClaimSwap(...args: (string | number)[]): Promise<number>;
}

export interface RedisSlotOptions {
  prefix: string;
  /** Slots per host, in OLLAMA_HOST order; a host is named by its index and URL. */
  hosts: readonly { url: string; max: number }[];
  leaseMs?: number;
  clock?: () => number;
}

/** The pool owns nothing: `redis` is the session store's client, closed by its owner. */
export function createRedisSlotPool(redis: Redis, options: RedisSlotOptions): SlotPool {
  const { prefix } = options;
  const leaseMs = options.leaseMs ?? SLOT_LEASE_MS;
  const clock = options.clock ?? Date.now;
  defineScripts(redis);
  const scripts = redis as unknown as SlotCommands;
  const hostKeys = options.hosts.map((h, i) => `${prefix}slots:${i}:${h.url}`);
  const max = options.hosts.map((h) => h.max);
  const apiKey = `${prefix}slots:api`;
  const waitKey = `${prefix}slots:api-wait`;
  const share = apiShare(max.reduce((a, b) => a + b, 0));
  const owner = randomBytes(6).toString('base64url');
  let seq = 0;
  const leases = new Set<{ stop(): void }>();

  return {
    async tryAcquire(order: readonly number[], kind: SlotKind): Promise<SlotLease | null> {
      if (order.length === 0) return null;
      const holder = `${owner}.${++seq}`;
      const host = await scripts.ussdSlotAcquire(
        hostKeys.length + 2, // the number of keys: this script takes one per host
        ...hostKeys,
        apiKey,
        waitKey,
        clock(),
        holder,
        leaseMs,
        kind,
        share,
        API_WAIT_MS,
        order.join(','),
        ...max,
      );
      if (host < 0) return null;
      const key = hostKeys[host] as string;
      // Renewed at a third of the lease, so two missed renewals still keep it.
      const timer = setInterval(() => {
        void scripts.ussdSlotRenew(key, apiKey, holder, clock() + leaseMs).catch(() => {});
      }, leaseMs / 3);
      timer.unref();
      const entry = { stop: () => clearInterval(timer) };
      leases.add(entry);
      let released = false;
      return {
        host,
        async release() {
          if (released) return;
          released = true;
          entry.stop();
          leases.delete(entry);
          await redis
            .multi()
            .zrem(key, holder)
            .zrem(apiKey, holder)
            .exec()
            .catch(() => {}); // a slot not given back frees itself when its lease runs out
        },
      };
    },
    async inUse() {
      const now = clock();
      const counts = await Promise.all(hostKeys.map((k) => redis.zcount(k, now, '+inf')));
      return counts.map(Number);
    },
    async close() {
      for (const l of leases) l.stop();
      leases.clear();
    },
  };
}

export function createRedisClaims(redis: Redis, prefix: string): ClaimStore {
  defineScripts(redis);
  const scripts = redis as unknown as SlotCommands;
  const k = (key: string) => `${prefix}claim:${key}`;
  return {
    async claim(key, value, ttlSeconds) {
      return (await redis.set(k(key), value, 'EX', ttlSeconds, 'NX')) === 'OK';
    },
    get: (key) => redis.get(k(key)),
    async swap(key, expected, value, ttlSeconds) {
      return (await scripts.ussdClaimSwap(k(key), expected, value ?? '', ttlSeconds)) === 1;
    },
  };
}

function defineScripts(redis: Redis): void {
  const r = redis as unknown as Record<string, unknown>;
  if (typeof r['ussdSlotAcquire'] === 'function') return;
  redis.defineCommand('ussdSlotAcquire', { lua: ACQUIRE });
  redis.defineCommand('ussdSlotRenew', { numberOfKeys: 2, lua: RENEW });
  redis.defineCommand('ussdClaimSwap', { numberOfKeys: 1, lua: SWAP });
}
