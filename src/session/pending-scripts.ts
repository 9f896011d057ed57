// The Lua scripts of a phone's pending answer in the Redis session driver (redis.ts): the rules of
// pending.ts, each atomic on the server, so two replicas (a hop's claim, a worker's answer, the
// end-of-session notification) cannot interleave. The record is one JSON value per phone,
// `pa:<phone>`: its first question, the second nested in `next`. KEYS and ARGV above each.
export interface PendingCommands {
  ussdPendingClaim(...args: (string | number)[]): Promise<[string, string?]>;
  ussdPendingUpdate(...args: (string | number)[]): Promise<string | null>;
  ussdPendingRead(...args: (string | number)[]): Promise<string | null>;
  ussdPendingDrop(...args: (string | number)[]): Promise<number>;
}

// The record's question `id` (the first, or the one in its `next`), as a Lua function each script
// starts with. A `next` absent is nil; cjson.null is never written (toJson drops undefined).
const ENTRY = `
local function entry(c, id)
  if c.id == id then return c end
  if type(c.next) == 'table' and c.next.id == id then return c.next end
  return nil
end
local function without_next(e)
  local nx = e.next
  e.next = nil
  local out = cjson.encode(e)
  e.next = nx
  return out
end`;

export const PENDING_SCRIPTS = {
  // KEYS pending; ARGV record id now staleMs ttl. Returns {'claimed'}, {'behind', ahead} or
  // {'blocked', other} (pending.ts claimed()).
  ussdPendingClaim: {
    numberOfKeys: 1,
    lua: `
local id, now, stale = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local function on(e)
  return type(e) == 'table' and e.id ~= id and e.answer == nil and e.read == nil and now - e.at < stale
end
local cur = redis.call('GET', KEYS[1])
local head = cur and cjson.decode(cur) or nil
if head and not on(head) then head = head.next end
if on(head) then
  local nx = head.next
  if on(nx) then return {'blocked', cjson.encode(nx)} end
  head.next = cjson.decode(ARGV[1])
  redis.call('SET', KEYS[1], cjson.encode(head), 'EX', ARGV[5])
  head.next = nil
  return {'behind', cjson.encode(head)}
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[5])
return {'claimed'}`,
  },
  // KEYS pending; ARGV id patch. Returns the question after, or nil when there is no such question.
  ussdPendingUpdate: {
    numberOfKeys: 1,
    lua: `${ENTRY}
local cur = redis.call('GET', KEYS[1])
if not cur then return false end
local c = cjson.decode(cur)
local e = entry(c, ARGV[1])
if not e then return false end
for k, v in pairs(cjson.decode(ARGV[2])) do e[k] = v end
redis.call('SET', KEYS[1], cjson.encode(c), 'KEEPTTL')
return without_next(e)`,
  },
  // KEYS pending; ARGV id how. Returns the question before, if this call marked it read.
  ussdPendingRead: {
    numberOfKeys: 1,
    lua: `${ENTRY}
local cur = redis.call('GET', KEYS[1])
if not cur then return false end
local c = cjson.decode(cur)
local e = entry(c, ARGV[1])
if not e or e.read ~= nil then return false end
local before = without_next(e)
e.read = ARGV[2]
redis.call('SET', KEYS[1], cjson.encode(c), 'KEEPTTL')
return before`,
  },
  // KEYS pending; ARGV id. The one behind the first moves up when the first goes.
  ussdPendingDrop: {
    numberOfKeys: 1,
    lua: `
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local c = cjson.decode(cur)
if c.id == ARGV[1] then
  if type(c.next) == 'table' then
    redis.call('SET', KEYS[1], cjson.encode(c.next), 'KEEPTTL')
    return 1
  end
  return redis.call('DEL', KEYS[1])
end
if type(c.next) == 'table' and c.next.id == ARGV[1] then
  c.next = nil
  redis.call('SET', KEYS[1], cjson.encode(c), 'KEEPTTL')
  return 1
end
return 0`,
  },
} as const;
