// The Lua scripts of the Redis session driver (redis.ts), one per store operation, each run
// atomically by Redis as one command: the lease check and the writes cannot interleave with
// another replica's. KEYS and ARGV are listed above each; redis.ts passes them in that order.
export type ScriptReply = string | number | null;
export interface ScriptCommands {
  ussdSessionBegin(...args: (string | number)[]): Promise<ScriptReply[]>;
  ussdSessionCommit(...args: (string | number)[]): Promise<number>;
  ussdSessionRelease(...args: (string | number)[]): Promise<number>;
  ussdSessionAdvance(...args: (string | number)[]): Promise<number>;
  ussdSessionPutAnswer(...args: (string | number)[]): Promise<number>;
  ussdProfileCache(...args: (string | number)[]): Promise<number>;
}

// Lua keeps false (Redis nil) inside the reply table, so positions never shift.
export const SCRIPTS = {
  // KEYS lease session profile day hopMinute questionMinute pending; ARGV token leaseMs (0: no
  // lease) minuteTtl countHop ('1': count this hop, '0': it was counted by an earlier read)
  ussdSessionBegin: {
    numberOfKeys: 7,
    lua: `
local got = false
if ARGV[2] ~= '0' then got = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) end
local s = redis.call('HMGET', KEYS[2], 'state', 'answer', 'v')
local p = redis.call('HMGET', KEYS[3], 'lang', 'subscribedUntil', 'r', 'payment', 'paymentSeen')
local today = redis.call('GET', KEYS[4])
local hops
if ARGV[4] == '1' then
  hops = redis.call('INCR', KEYS[5])
  redis.call('EXPIRE', KEYS[5], ARGV[3])
else
  hops = redis.call('GET', KEYS[5])
end
local questions = redis.call('GET', KEYS[6])
local pending = redis.call('GET', KEYS[7])
return { got and 1 or 0, s[1], s[2], p[1], p[2], today, hops, questions, s[3], pending, p[3], p[4], p[5] }`,
  },
  // KEYS lease session profile day questionMinute; ARGV token state answerMode answer sessionTtl
  // profileTtl questionAsked dayTtl minuteTtl [profileField profileValue]...
  ussdSessionCommit: {
    numberOfKeys: 5,
    lua: `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], 'state', ARGV[2], 'v', ARGV[1])
if ARGV[3] == 'set' then redis.call('HSET', KEYS[2], 'answer', ARGV[4])
elseif ARGV[3] == 'clear' then redis.call('HDEL', KEYS[2], 'answer') end
redis.call('EXPIRE', KEYS[2], ARGV[5])
if #ARGV > 9 then
  redis.call('HSET', KEYS[3], unpack(ARGV, 10))
  redis.call('EXPIRE', KEYS[3], ARGV[6])
end
if ARGV[7] == '1' then
  redis.call('INCR', KEYS[4])
  redis.call('EXPIRE', KEYS[4], ARGV[8])
  redis.call('INCR', KEYS[5])
  redis.call('EXPIRE', KEYS[5], ARGV[9])
end
redis.call('DEL', KEYS[1])
return 1`,
  },
  // KEYS lease session hopMinute; ARGV version state newVersion sessionTtl minuteTtl hopLimit.
  // 0: held or changed (nothing counted), -1: over the hop limit (counted, not written), 1: written.
  ussdSessionAdvance: {
    numberOfKeys: 3,
    lua: `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if ARGV[1] == '' then
  if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
elseif redis.call('HGET', KEYS[2], 'v') ~= ARGV[1] then return 0 end
local hops = redis.call('INCR', KEYS[3])
redis.call('EXPIRE', KEYS[3], ARGV[5])
local limit = tonumber(ARGV[6])
if limit > 0 and hops > limit then return -1 end
redis.call('HSET', KEYS[2], 'state', ARGV[2], 'v', ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return 1`,
  },
  // KEYS lease; ARGV token
  ussdSessionRelease: {
    numberOfKeys: 1,
    lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
  },
  // KEYS profile; ARGV profileTtl mode ('fill' | 'forget') [field value]...
  // The whole cached profile replaced, `r` marking it as read from the records store.
  ussdProfileCache: {
    numberOfKeys: 1,
    lua: `
redis.call('DEL', KEYS[1])
if ARGV[2] == 'fill' then
  redis.call('HSET', KEYS[1], 'r', '1', unpack(ARGV, 3))
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return 1`,
  },
  // KEYS session; ARGV answer sessionTtl
  ussdSessionPutAnswer: {
    numberOfKeys: 1,
    lua: `
redis.call('HSET', KEYS[1], 'answer', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1`,
  },
} as const;
