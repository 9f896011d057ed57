// The Lua scripts of a phone's pending answer in the Redis session driver (redis.ts): the rules of
// pending.ts, each atomic on the server, so two replicas (a hop's claim, a worker's answer, the
// end-of-session notification) cannot interleave. The record is one JSON value per phone,
// `pa:<phone>`. KEYS and ARGV are listed above each.
export interface PendingCommands {
  ussdPendingClaim(...args: (string | number)[]): Promise<string | null>;
  ussdPendingUpdate(...args: (string | number)[]): Promise<string | null>;
  ussdPendingRead(...args: (string | number)[]): Promise<string | null>;
  ussdPendingDrop(...args: (string | number)[]): Promise<number>;
}

export const PENDING_SCRIPTS = {
  // KEYS pending; ARGV record id now staleMs ttl. Returns the record that blocks, or nil (claimed).
  ussdPendingClaim: {
    numberOfKeys: 1,
    lua: `
local cur = redis.call('GET', KEYS[1])
if cur then
  local c = cjson.decode(cur)
  if c.id ~= ARGV[2] and c.answer == nil and c.read == nil and tonumber(ARGV[3]) - c.at < tonumber(ARGV[4]) then
    return cur
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[5])
return false`,
  },
  // KEYS pending; ARGV id patch. Returns the record after, or nil when it is not that question.
  ussdPendingUpdate: {
    numberOfKeys: 1,
    lua: `
local cur = redis.call('GET', KEYS[1])
if not cur then return false end
local c = cjson.decode(cur)
if c.id ~= ARGV[1] then return false end
for k, v in pairs(cjson.decode(ARGV[2])) do c[k] = v end
local out = cjson.encode(c)
redis.call('SET', KEYS[1], out, 'KEEPTTL')
return out`,
  },
  // KEYS pending; ARGV id how. Returns the record before, if this call marked it read.
  ussdPendingRead: {
    numberOfKeys: 1,
    lua: `
local cur = redis.call('GET', KEYS[1])
if not cur then return false end
local c = cjson.decode(cur)
if c.id ~= ARGV[1] or c.read ~= nil then return false end
c.read = ARGV[2]
redis.call('SET', KEYS[1], cjson.encode(c), 'KEEPTTL')
return cur`,
  },
  // KEYS pending; ARGV id
  ussdPendingDrop: {
    numberOfKeys: 1,
    lua: `
local cur = redis.call('GET', KEYS[1])
if cur and cjson.decode(cur).id == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
  },
} as const;
