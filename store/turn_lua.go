package store

import "github.com/redis/go-redis/v9"

// The turn path's Lua scripts (the key layout is in turn.go's comment):
// ingest, take, commit and release, over a small library of helpers.

// luaLib: helpers shared by the scripts.
//
// held(lo, le, now): the lease is someone's and not expired.
// queued(q, qn, list): the state's first queued message (empty: none) and how
// many wait behind it in list (counted when qn is missing: a state
// written before q existed keeps its whole queue in the list).
// dropAcked(out, ids, from, to): out without its leading entries whose
// ids are ARGV[from..to] (in order).
const luaLib = `
local function held(lo, le, now)
  return lo and lo ~= '' and tonumber(le or '0') > now
end
local function queued(q, qn, list)
  local n = tonumber(qn)
  if not n then n = redis.call('LLEN', list) end
  return q or '', n
end
local function dropAcked(out, from, to)
  local j = from
  while out ~= '' and j <= to do
    local sep = string.find(out, '\31', 1, true)
    if not sep then return out end
    local id = string.sub(out, 1, sep - 1)
    while j <= to and ARGV[j] ~= id do j = j + 1 end
    if j > to then return out end
    local e = string.find(out, '\30', sep, true)
    if not e then return '' end
    out = string.sub(out, e + 1)
    j = j + 1
  end
  return out
end
`

// ingestScript: dedupe, flood limit, queue, pending mark and, when the
// conversation is free, the lease with state and profile: one atomic step.
//
// KEYS state inbox pending profile
// ARGV 1 dedupe id (seenKey), 2 entry, 3 now ms, 4 state ttl ms, 5 owner,
// 6 lease until ms, 7 conv, 8 burst, 9 per minute, 10 seen bytes, 11 the
// version of the state the caller has cached ("" none: then d is left out
// when it matches)
//
// Times and versions are written as the strings the caller passed, not
// as Lua numbers: Redis formats a number argument with printf, a few
// percent of its CPU in a turn.
//
// Returns {0} duplicate, {1} queued behind another owner, {5} queued under
// our own lease, {3, lang} flooded (first drop: tell), {4} flooded (told),
// {2, head, v, d, profile...} taken (head "" = this message).
var ingestScript = redis.NewScript(luaLib + `
local now = tonumber(ARGV[3])
local f = redis.call('HMGET', KEYS[1], 'seen', 'lo', 'le', 'ft', 'fat', 'fn', 'v', 'q', 'qn')
local seen = f[1] or '|'
if string.find(seen, '|' .. ARGV[1] .. '|', 1, true) then return {0} end
seen = seen .. ARGV[1] .. '|'
if #seen > tonumber(ARGV[10]) then
  local cut = string.find(seen, '|', math.floor(#seen - tonumber(ARGV[10]) * 3 / 4), true)
  seen = string.sub(seen, cut)
end
local fields = {'seen', seen}
local burst = tonumber(ARGV[8])
if burst > 0 then
  local tokens = tonumber(f[4]) or burst
  local at = tonumber(f[5]) or now
  tokens = math.min(burst, tokens + (now - at) * tonumber(ARGV[9]) / 60000)
  if tokens < 1 then
    redis.call('HSET', KEYS[1], 'seen', seen, 'ft', string.format('%.4f', tokens), 'fat', ARGV[3], 'fn', '1')
    if not f[7] then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
    if f[6] == '1' then return {4} end
    return {3, redis.call('HGET', KEYS[4], 'lang') or ''}
  end
  fields = {'seen', seen, 'ft', string.format('%.4f', tokens - 1), 'fat', ARGV[3], 'fn', '0'}
end
-- The writes that must go together come in an order that leaves nothing
-- half done when one is refused (ACL, out of memory): the pending mark
-- first (a mark without a queue is harmless), then the queue, then the id
-- with the lease; if that is refused the message is taken back.
redis.call('ZADD', KEYS[3], 'NX', ARGV[3], ARGV[7])
local q, qn = queued(f[8], f[9], KEYS[2])
local first = q == '' and qn == 0
if first then
  table.insert(fields, 'q') table.insert(fields, ARGV[2])
  if not f[9] then table.insert(fields, 'qn') table.insert(fields, '0') end
else
  redis.call('RPUSH', KEYS[2], ARGV[2])
  table.insert(fields, 'qn') table.insert(fields, tostring(qn + 1))
end
local code = 2
if held(f[2], f[3], now) then
  if f[2] == ARGV[5] then code = 5 else code = 1 end
else
  table.insert(fields, 'lo') table.insert(fields, ARGV[5])
  table.insert(fields, 'le') table.insert(fields, ARGV[6])
end
local ok = redis.pcall('HSET', KEYS[1], unpack(fields))
if type(ok) == 'table' and ok.err then
  if not first then redis.call('RPOP', KEYS[2]) end
  return ok
end
if not f[7] then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
if code ~= 2 then return {code} end
local head = q
if not first and q == '' then head = redis.call('LINDEX', KEYS[2], 0) end
local d = ''
if f[7] and f[7] ~= ARGV[11] then d = redis.call('HGET', KEYS[1], 'd') or '' end
return {2, head, f[7] or '', d, redis.call('HGETALL', KEYS[4])}
`)

// takeScript: KEYS state inbox pending profile; ARGV owner, lease until
// ms, conv, now ms, cached version. {0} held by another, {1} empty (lease
// and mark dropped), {2, head, v, d, profile...}.
var takeScript = redis.NewScript(luaLib + `
local now = tonumber(ARGV[4])
local f = redis.call('HMGET', KEYS[1], 'lo', 'le', 'v', 'q', 'qn')
local h = held(f[1], f[2], now)
if h and f[1] ~= ARGV[1] then return {0} end
local head = f[4] or ''
if head == '' and (not f[5] or f[5] ~= '0') then head = redis.call('LINDEX', KEYS[2], 0) end
if not head or head == '' then
  if h then redis.call('HSET', KEYS[1], 'lo', '', 'le', '0') end
  redis.call('ZREM', KEYS[3], ARGV[3])
  return {1}
end
redis.call('HSET', KEYS[1], 'lo', ARGV[1], 'le', ARGV[2])
local d = ''
if f[3] and f[3] ~= ARGV[5] then d = redis.call('HGET', KEYS[1], 'd') or '' end
return {2, head, f[3] or '', d, redis.call('HGETALL', KEYS[4])}
`)

// commitScript: the whole end of a turn in one step.
//
// KEYS state profile inbox pending outq
// ARGV 1 owner, 2 version, 3 state JSON, 4 state ttl ms, 5 message id,
// 6 now ms, 7 lease until ms, 8 conv, 9 replies due ms, 10 profile pairs,
// 11 acks, 12 replies, 13 the next version; then the profile field/value
// pairs, the acked ids, the reply entries. The acked entries leave the
// outbox whatever else happens.
//
// Returns {-2} lost the lease, {-3} message gone, {-1, ”, v, d,
// profile...} conflict, {1, backlog} done and released, {2, backlog,
// head} done with the next message.
var commitScript = redis.NewScript(luaLib + `
local now = tonumber(ARGV[6])
local np, na, nr = tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12])
local ai = 14 + 2 * np
local ri = ai + na
local f = redis.call('HMGET', KEYS[1], 'lo', 'le', 'v', 'ex', 'out', 'q', 'qn')
local had = f[5] or ''
local out = dropAcked(had, ai, ri - 1)
local function keepOut()
  if out ~= had then
    redis.call('HSET', KEYS[1], 'out', out)
    if out == '' then redis.call('ZREM', KEYS[5], ARGV[8]) end
  end
end
if held(f[1], f[2], now) and f[1] ~= ARGV[1] then keepOut() return {-2} end
local taken, qn = queued(f[6], f[7], KEYS[3])
local listed = taken == '' and qn > 0
if listed then taken = redis.call('LPOP', KEYS[3]) qn = qn - 1 end
local function putBack()
  if listed and taken then redis.call('LPUSH', KEYS[3], taken) end
end
local idp = ARGV[5] .. '\n'
if not taken or string.sub(taken, 1, #idp) ~= idp then
  putBack()
  keepOut()
  return {-3}
end
if (f[3] or '0') ~= ARGV[2] then
  putBack()
  keepOut()
  return {-1, '', f[3] or '', redis.call('HGET', KEYS[1], 'd') or '', redis.call('HGETALL', KEYS[2])}
end
local backlog = 0
if out ~= '' then backlog = 1 end
if nr > 0 then out = out .. table.concat(ARGV, '', ri, ri + nr - 1) end
local nh = false
if qn > 0 then nh = redis.call('LPOP', KEYS[3]) qn = qn - 1 end
local lo, le = '', '0'
if nh then lo, le = ARGV[1], ARGV[7] end
-- The idle expiry is pushed back at most once a minute ('ex': when).
local ex = f[4] or '0'
local bump = now - tonumber(ex) >= 60000
if bump then ex = ARGV[6] end
local ok = redis.pcall('HSET', KEYS[1], 'v', ARGV[13], 'd', ARGV[3], 'out', out, 'lo', lo, 'le', le, 'ex', ex,
  'q', nh or '', 'qn', tostring(qn))
if type(ok) == 'table' and ok.err then
  if nh then redis.call('LPUSH', KEYS[3], nh) end
  putBack()
  return ok
end
if bump then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
for i = 14, ai - 1, 2 do
  if ARGV[i + 1] == '' then redis.call('HDEL', KEYS[2], ARGV[i]) else redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
end
if nr > 0 and backlog == 0 then
  redis.call('ZADD', KEYS[5], ARGV[9], ARGV[8])
elseif out == '' and had ~= '' then
  redis.call('ZREM', KEYS[5], ARGV[8])
end
if not nh then
  redis.call('ZREM', KEYS[4], ARGV[8])
  return {1, backlog}
end
return {2, backlog, nh}
`)

// releaseScript: KEYS state; ARGV owner.
var releaseScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'lo') == ARGV[1] then redis.call('HSET', KEYS[1], 'lo', '', 'le', '0') end
return 1
`)
