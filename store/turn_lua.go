package store

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
)

// The turn path's Lua scripts (the key layout is in turn.go's comment):
// ingest, take, commit and release, over a small library of helpers.

// The scripts' helpers. A Lua function defined in a script is a closure
// made at every call (some 400 to 600 instructions of Redis's each, more
// with upvalues: a dozen were 3 % of a turn), so the lease and queue
// helpers are Go functions that write their Lua into the scripts' text,
// and the outbox's (luaOut) are defined only in the branches that need
// them.
//
// luaHeld(lo): the lease is someone's (lo) and not expired (its expiry
// 'le' is read only then: most turns find the lease free or their own);
// the script's local now is the time.
// luaKey(part): the conversation's key part ('inbox', 'profile'), KEYS[1]
// being its state: the scripts build the keys they seldom use rather than
// take them (each argument costs Redis some 1,000 instructions), all in
// the state's hash slot.
// luaQueued(q, qn): locals q and qn, the state's first queued message
// (empty: none) and how many wait behind it in the inbox list, from the
// fields' values q and qn (counted when qn is missing: a state written
// before q existed keeps its whole queue in the list).
//
// luaOut:
// acked(oi, acks): the outbox ids oi ("<id>\30" each) without the leading
// ones that are in acks (the same form), and how many went.
// cut(ob, n): the outbox entries ob without the first n.
// legacyOut(key, out, oi): the outbox of a state written before 'ob' and
// 'oi' ('out' holds the entries, first), as entries and ids.
// ackOut(key, ob, left, n, legacy): writes the outbox after its first n
// entries went, left the ids of the rest (ob: the entries if read, else
// nil).
func luaHeld(lo string) string {
	return "(" + lo + " and " + lo + " ~= '' and tonumber(redis.call('HGET', KEYS[1], 'le') or '0') > now)"
}

func luaKey(part string) string { return "(string.sub(KEYS[1], 1, -6) .. '" + part + "')" }

func luaQueued(q, qn string) string {
	return "local q, qn = " + q + " or '', 0\nif " + qn + " ~= '0' then qn = tonumber(" + qn +
		") or redis.call('LLEN', " + luaKey("inbox") + ") end\n"
}

const luaOut = `
local function count(s)
  local n, at = 0, 0
  while true do
    at = string.find(s, '\30', at + 1, true)
    if not at then return n end
    n = n + 1
  end
end
local function acked(oi, acks)
  if acks == '' or oi == '' then return oi, 0 end
  if oi == acks then return '', count(oi) end
  acks = '\30' .. acks
  local n = 0
  while oi ~= '' do
    local e = string.find(oi, '\30', 1, true)
    if not e or not string.find(acks, '\30' .. string.sub(oi, 1, e) , 1, true) then break end
    oi = string.sub(oi, e + 1)
    n = n + 1
  end
  return oi, n
end
local function cut(ob, n)
  local at = 0
  for i = 1, n do
    at = string.find(ob, '\30', at + 1, true)
    if not at then return '' end
  end
  if at == 0 then return ob end
  return string.sub(ob, at + 1)
end
local function legacyOut(key, out, oi)
  local ids, at = {}, 1
  while true do
    local sep = string.find(out, '\31', at, true)
    local e = sep and string.find(out, '\30', sep, true)
    if not e then break end
    table.insert(ids, string.sub(out, at, sep - 1) .. '\30')
    at = e + 1
  end
  return string.sub(out, 1, at - 1) .. (redis.call('HGET', key, 'ob') or ''), table.concat(ids) .. oi
end
local function ackOut(key, ob, left, n, legacy)
  local rest = ''
  if left ~= '' then rest = cut(ob or redis.call('HGET', key, 'ob') or '', n) end
  if legacy then
    redis.call('HSET', key, 'ob', rest, 'oi', left, 'out', '')
  else
    redis.call('HSET', key, 'ob', rest, 'oi', left)
  end
end
`

// ingestLua: dedupe, flood limit, queue, pending mark and, when the
// conversation is free, the lease with state and profile: one atomic step.
//
// KEYS state pending
// ARGV 1 dedupe id (seenKey), 2 entry, 3 now ms, 4 owner, 5 lease until
// ms, 6 conv, 7 the version of the state the caller has cached ("" none:
// then d is left out when it matches), 8 the token of the profile it has
// cached (the same for the profile), 9 a new profile token (for a state
// that has none)
//
// The state's TTL (ms) and the flood limit are written into the script's
// text (ingestScript), not passed: each argument costs Redis some 1,000
// instructions a call, and a number in the text needs no tonumber.
//
// The flood bucket of a state written before 'fl' (ft, fat, fn) is left
// to expire with it: such a person starts with a full bucket.
//
// Times and versions are written as the strings the caller passed, not
// as Lua numbers: Redis formats a number argument with printf, a few
// percent of its CPU in a turn.
//
// Lease until "0" (bot.Lease.Offer): a free conversation is left free.
//
// Returns {0} duplicate, {1} queued behind another owner, {5} queued under
// our own lease, {7} queued and left free (lease until "0"), {3, lang}
// flooded (first drop: tell), {4} flooded (told),
// {2, head, v, d, profile token, profile pairs or 0 (the cached one)}
// taken (head "" = this message).
func ingestLua(ttl string, lim bot.FloodLimit) string {
	return ingestHead(ttl, lim, "", 14) + ingestTail(ttl, "f[4] and f[4] ~= ARGV[7]")
}

// ingestHead is the start of the scripts that ingest a message (ingestLua,
// directLua): the state's fields read (seen, lo, fl, v, q, qn, pv, then
// more), the dedupe, and the flood limit; it leaves the fields to write
// in fields (size slots), n of them used.
func ingestHead(ttl string, lim bot.FloodLimit, more string, size int) string {
	return `
local now = tonumber(ARGV[3])
local f = redis.call('HMGET', KEYS[1], 'seen', 'lo', 'fl', 'v', 'q', 'qn', 'pv'` + more + `)
local seen = f[1] or '|'
if string.find(seen, '|' .. ARGV[1] .. '|', 1, true) then return {0} end
seen = seen .. ARGV[1] .. '|'
if #seen > ` + seenBytesLua + ` then
  seen = string.sub(seen, string.find(seen, '|', #seen - ` + seenKeepLua + `, true))
end
-- The fields to write: a table made at its full size (growing one is
-- a rehash), n of them used, each pair set in place (a put function
-- would be a closure made at every call).
local fields, n = {'seen', seen` + strings.Repeat(", false", size-2) + `}, 2
` + floodLua(ttl, lim)
}

// ingestTail is the rest of an ingest: the message queued, the pending
// mark, and the lease with state and profile when the conversation is
// free; the state's JSON is sent when sendD (a Lua condition) holds.
func ingestTail(ttl, sendD string) string {
	return `
-- The writes that must go together come in an order that leaves nothing
-- half done when one is refused (ACL, out of memory): the pending mark
-- first (a mark without a queue is harmless), then the queue, then the id
-- with the lease; if that is refused the message is taken back.
redis.call('ZADD', KEYS[2], 'NX', ARGV[3], ARGV[6])
` + luaQueued("f[5]", "f[6]") + `local first = q == '' and qn == 0
if first then
  fields[n + 1], fields[n + 2], n = 'q', ARGV[2], n + 2
  if not f[6] then fields[n + 1], fields[n + 2], n = 'qn', '0', n + 2 end
else
  redis.call('RPUSH', ` + luaKey("inbox") + `, ARGV[2])
  fields[n + 1], fields[n + 2], n = 'qn', tostring(qn + 1), n + 2
end
local code = 2
if ` + luaHeld("f[2]") + ` then
  if f[2] == ARGV[4] then code = 5 else code = 1 end
elseif ARGV[5] == '0' then
  code = 7
else
  fields[n + 1], fields[n + 2], n = 'lo', ARGV[4], n + 2
  fields[n + 1], fields[n + 2], n = 'le', ARGV[5], n + 2
end
local pv = f[7]
if not pv then
  pv = ARGV[9]
  fields[n + 1], fields[n + 2], n = 'pv', pv, n + 2
end
local ok = redis.pcall('HSET', KEYS[1], unpack(fields, 1, n))
if type(ok) == 'table' and ok.err then
  if not first then redis.call('RPOP', ` + luaKey("inbox") + `) end
  return ok
end
if not f[4] then redis.call('PEXPIRE', KEYS[1], '` + ttl + `') end
if code ~= 2 then return {code} end
local head = q
if not first and q == '' then head = redis.call('LINDEX', ` + luaKey("inbox") + `, 0) end
local d = ''
if ` + sendD + ` then d = redis.call('HGET', KEYS[1], 'd') or '' end
local prof = 0
if pv ~= ARGV[8] then prof = redis.call('HGETALL', ` + luaKey("profile") + `) end
return {2, head, f[4] or '', d, pv, prof}
`
}

// directLua: a turn computed before its message was queued (see
// bot.DirectInbox) is committed in the step that would have queued it,
// when nothing came between: the message is new, within the flood limit,
// the conversation free (or its lease ours), nothing queued, and the
// state and profile still the ones the turn read. Then it writes what a
// commit writes, without queueing, pending mark or lease; else it queues
// the message as the ingest does, the state's JSON always sent.
//
// KEYS state pending outq
// ARGV 1–9 as the ingest's (7 and 8 being the version and profile token
// the turn read), 10 state JSON, 11 replies due ms, 12 the next version,
// 13 the acked reply ids, 14 the replies' outbox entries, 15 their ids;
// when the profile changes, 16 a new profile token and 17… the profile
// field/value pairs.
//
// Returns {6, backlog} committed, else what the ingest returns.
func directLua(ttl string, lim bot.FloodLimit) string {
	return ingestHead(ttl, lim, ", 'oi', 'ex'", 20) + `
if f[4] == ARGV[7] and f[7] == ARGV[8] and f[8] and (f[5] or '') == '' and f[6] == '0'
  and (f[2] == ARGV[4] or not ` + luaHeld("f[2]") + `) then
  local oi = f[8]
` + luaAck("an", "ARGV[13]") + `  fields[n + 1], fields[n + 2], fields[n + 3], fields[n + 4], n = 'v', ARGV[12], 'd', ARGV[10], n + 4
  if f[2] and f[2] ~= '' then fields[n + 1], fields[n + 2], fields[n + 3], fields[n + 4], n = 'lo', '', 'le', '0', n + 4 end
  local bump = now - tonumber(f[9] or '0') >= 60000
  if bump then fields[n + 1], fields[n + 2], n = 'ex', ARGV[3], n + 2 end
` + luaOutFields(outArgs{nf: "n", n: "an", entries: "ARGV[14]", ids: "ARGV[15]"}) + `  if #ARGV > 15 then fields[n + 1], fields[n + 2], n = 'pv', ARGV[16], n + 2 end
  local ok = redis.pcall('HSET', KEYS[1], unpack(fields, 1, n))
  if type(ok) == 'table' and ok.err then return ok end
  if bump then redis.call('PEXPIRE', KEYS[1], '` + ttl + `') end
` + luaProfileWrite(17) + luaOutq("ARGV[15]", "ARGV[11]", "ARGV[6]") + `  if left == '' then return {6, 0} end
  return {6, 1}
end` + ingestTail(ttl, "f[4]")
}

// floodLua is the ingest's flood limit lim, a token bucket kept as the
// time it is full again (GCRA): a message may come while that is at most
// the burst less one interval ahead of now, and moves it one interval
// on. Negative: the person was told. Nothing for no limit.
func floodLua(ttl string, lim bot.FloodLimit) string {
	if lim.Burst <= 0 {
		return ""
	}
	every := 1e12 // never refilled: as good as
	if lim.PerMinute > 0 {
		every = 60000 / float64(lim.PerMinute)
	}
	return `
do
  local full = tonumber(f[3]) or 0
  local told = full < 0
  if told then full = -full end
  if full < now then full = now end
  if full - now > ` + luaNumber(float64(lim.Burst-1)*every) + ` then
    if told then
      redis.call('HSET', KEYS[1], 'seen', seen)
    else
      redis.call('HSET', KEYS[1], 'seen', seen, 'fl', tostring(-full))
    end
    if not f[4] then redis.call('PEXPIRE', KEYS[1], '` + ttl + `') end
    if told then return {4} end
    return {3, redis.call('HGET', ` + luaKey("profile") + `, 'lang') or ''}
  end
  fields[n + 1], fields[n + 2], n = 'fl', tostring(full + ` + luaNumber(every) + `), n + 2
end`
}

// luaNumber is f as a Lua number literal.
func luaNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

type ingestKey struct {
	ttl time.Duration
	lim bot.FloodLimit
}

// ingestScripts holds an ingest script per state TTL and flood limit
// (ingestKey): a process uses two or three.
var ingestScripts sync.Map

// ingestScript is the ingest script for a state TTL and a flood limit.
func ingestScript(ttl time.Duration, lim bot.FloodLimit) *redis.Script {
	return scriptFor(&ingestScripts, ttl, lim, ingestLua)
}

// takeScript: KEYS state pending; ARGV owner, lease until
// ms, conv, now ms, cached version, cached profile token, new profile
// token. {0} held by another, {1} empty (lease and mark dropped), {2, head,
// v, d, profile token, profile pairs or 0}.
var takeScript = redis.NewScript(`
local now = tonumber(ARGV[4])
local f = redis.call('HMGET', KEYS[1], 'lo', 'v', 'q', 'qn', 'pv')
local h = ` + luaHeld("f[1]") + `
if h and f[1] ~= ARGV[1] then return {0} end
local head = f[3] or ''
if head == '' and (not f[4] or f[4] ~= '0') then head = redis.call('LINDEX', ` + luaKey("inbox") + `, 0) end
if not head or head == '' then
  if h then redis.call('HSET', KEYS[1], 'lo', '', 'le', '0') end
  redis.call('ZREM', KEYS[2], ARGV[3])
  return {1}
end
local pv = f[5]
if pv then
  redis.call('HSET', KEYS[1], 'lo', ARGV[1], 'le', ARGV[2])
else
  pv = ARGV[7]
  redis.call('HSET', KEYS[1], 'lo', ARGV[1], 'le', ARGV[2], 'pv', pv)
end
local d = ''
if f[2] and f[2] ~= ARGV[5] then d = redis.call('HGET', KEYS[1], 'd') or '' end
local prof = 0
if pv ~= ARGV[6] then prof = redis.call('HGETALL', ` + luaKey("profile") + `) end
return {2, head, f[2] or '', d, pv, prof}
`)

// commitLua: the whole end of a turn in one step.
//
// KEYS state pending outq
// ARGV 1 owner, 2 version, 3 state JSON, 4 message id, 5 now ms, 6 lease
// until ms, 7 conv, 8 replies due ms, 9 the next version, 10 the acked
// reply ids ("<id>\x1e" each), 11 the replies' outbox entries, 12 their
// ids (as 10); when the profile changes, 13 a new profile token and the
// profile field/value pairs. The acked entries leave the outbox whatever
// else happens. The state's TTL (ms) is written into the text
// (commitScript).
//
// The usual commit acknowledges every reply of the turn before and adds
// its own: it reads only the ids ('oi') and writes the new entries as
// they came, never reading the entries ('ob'); they are read only when
// some must stay (a backlog).
//
// Returns {-2} lost the lease, {-3} message gone, {-1, "", v, d, "",
// profile pairs} conflict, {1, backlog} done and released, {2, backlog,
// head} done with the next message.
func commitLua(ttl string) string {
	return `
local now = tonumber(ARGV[5])
local f = redis.call('HMGET', KEYS[1], 'lo', 'v', 'ex', 'oi', 'q', 'qn')
local oi, ob, legacy = f[4] or '', nil, false
if not f[4] then -- written before 'oi', maybe with 'out'
  local out = redis.call('HGET', KEYS[1], 'out')
  legacy = out and out ~= ''
  if legacy then
` + luaOut + `
    ob, oi = legacyOut(KEYS[1], out, oi)
  end
end
-- The acked replies: usually every one kept, and then how many does not
-- matter (n is only ever cut's when some are left).
` + luaAck("n", "ARGV[10]") + `-- The turn fails (fail) when another holds the lease, the message is
-- gone, or the state changed; a message taken from the list goes back.
local fail, listed
` + luaQueued("f[5]", "f[6]") + `local taken = q
if f[1] ~= ARGV[1] and ` + luaHeld("f[1]") + ` then
  fail = {-2}
else
  listed = taken == '' and qn > 0
  if listed then taken = redis.call('LPOP', ` + luaKey("inbox") + `) qn = qn - 1 end
  local idp = ARGV[4] .. '\n'
  if not taken or string.sub(taken, 1, #idp) ~= idp then
    fail = {-3}
  elseif (f[2] or '0') ~= ARGV[2] then
    fail = {-1, '', f[2] or '', redis.call('HGET', KEYS[1], 'd') or '', '', redis.call('HGETALL', ` + luaKey("profile") + `)}
  end
  if fail and listed and taken then redis.call('LPUSH', ` + luaKey("inbox") + `, taken) end
end
if fail then
  -- The acked entries leave the outbox whatever else happens.
  if n > 0 or legacy then
` + luaOut + `
    ackOut(KEYS[1], ob, left, n, legacy)
    if left == '' then redis.call('ZREM', KEYS[3], ARGV[7]) end
  end
  return fail
end
local backlog = 0
if left ~= '' then backlog = 1 end
local nh = false
if qn > 0 then nh = redis.call('LPOP', ` + luaKey("inbox") + `) qn = qn - 1 end
local lo, le = '', '0'
if nh then lo, le = ARGV[1], ARGV[6] end
-- The idle expiry is pushed back at most once a minute ('ex': when).
-- Fields are written only when they change.
local bump = now - tonumber(f[3] or '0') >= 60000
local fields, nf = {'v', ARGV[9], 'd', ARGV[3], 'lo', lo, 'le', le,
  false, false, false, false, false, false, false, false, false, false, false, false, false, false}, 8
if bump then fields[nf + 1], fields[nf + 2], nf = 'ex', ARGV[5], nf + 2 end
if nh or (f[5] and f[5] ~= '') then fields[nf + 1], fields[nf + 2], nf = 'q', nh or '', nf + 2 end
if qn > 0 or f[6] ~= '0' then fields[nf + 1], fields[nf + 2], nf = 'qn', tostring(qn), nf + 2 end
` + luaOutFields(outArgs{nf: "nf", n: "n", entries: "ARGV[11]", ids: "ARGV[12]", first: " or not f[4]", legacy: " or legacy", ob: "ob or "}) + `if legacy then fields[nf + 1], fields[nf + 2], nf = 'out', '', nf + 2 end
if #ARGV > 12 then fields[nf + 1], fields[nf + 2], nf = 'pv', ARGV[13], nf + 2 end
local ok = redis.pcall('HSET', KEYS[1], unpack(fields, 1, nf))
if type(ok) == 'table' and ok.err then
  if nh then redis.call('LPUSH', ` + luaKey("inbox") + `, nh) end
  if listed and taken then redis.call('LPUSH', ` + luaKey("inbox") + `, taken) end
  return ok
end
if bump then redis.call('PEXPIRE', KEYS[1], '` + ttl + `') end
` + luaProfileWrite(14) + luaOutq("ARGV[12]", "ARGV[8]", "ARGV[7]") + `if not nh then
  redis.call('ZREM', KEYS[2], ARGV[7])
  return {1, backlog}
end
return {2, backlog, nh}
`
}

// luaAck: left, the ids in oi not acknowledged by acks (a Lua
// expression), and cnt, how many were: usually every one kept, and then
// how many does not matter (cnt is only ever cut's when some are left).
func luaAck(cnt, acks string) string {
	return `local left, ` + cnt + ` = oi, 0
if oi == ` + acks + ` and oi ~= '' then
  left, ` + cnt + ` = '', 1
elseif oi ~= '' and ` + acks + ` ~= '' then
` + luaOut + `
  left, ` + cnt + ` = acked(oi, ` + acks + `)
end
`
}

// outArgs names what luaOutFields works on: the fields' count (nf), the
// acked count (n), the new entries and ids (Lua expressions), the extra
// conditions to rewrite the outbox even when nothing changed (first,
// legacy: " or <cond>" or ""), and the entries when read already ("ob
// or ", else "").
type outArgs struct{ nf, n, entries, ids, first, legacy, ob string }

// luaOutFields adds the outbox's fields to write after a turn (luaAck's
// left and count, and its new entries).
func luaOutFields(a outArgs) string {
	return `if left == '' then
  if oi ~= '' or ` + a.ids + ` ~= ''` + a.first + ` then
    fields[` + a.nf + ` + 1], fields[` + a.nf + ` + 2], fields[` + a.nf + ` + 3], fields[` + a.nf + ` + 4], ` + a.nf + ` = 'ob', ` + a.entries + `, 'oi', ` + a.ids + `, ` + a.nf + ` + 4
  end
elseif ` + a.n + ` > 0 or ` + a.ids + ` ~= ''` + a.legacy + ` then
` + luaOut + `
  fields[` + a.nf + ` + 1], fields[` + a.nf + ` + 2], ` + a.nf + ` = 'ob', cut(` + a.ob + `redis.call('HGET', KEYS[1], 'ob') or '', ` + a.n + `) .. ` + a.entries + `, ` + a.nf + ` + 2
  fields[` + a.nf + ` + 1], fields[` + a.nf + ` + 2], ` + a.nf + ` = 'oi', left .. ` + a.ids + `, ` + a.nf + ` + 2
end
`
}

// luaProfileWrite writes the profile's field/value pairs from ARGV[from]
// on (an empty value deletes its field).
func luaProfileWrite(from int) string {
	return `if #ARGV > ` + strconv.Itoa(from-1) + ` then
  local pk = ` + luaKey("profile") + `
  for i = ` + strconv.Itoa(from) + `, #ARGV, 2 do
    if ARGV[i + 1] == '' then redis.call('HDEL', pk, ARGV[i]) else redis.call('HSET', pk, ARGV[i], ARGV[i + 1]) end
  end
end
`
}

// luaOutq keeps the conversation (conv) in its shard's outbox-due set
// (KEYS[3]) while it has replies not acknowledged: due at due when the
// turn added some (ids) behind none left, gone when none are left.
func luaOutq(ids, due, conv string) string {
	return `if ` + ids + ` ~= '' and left == '' then
  redis.call('ZADD', KEYS[3], ` + due + `, ` + conv + `)
elseif left == '' and ` + ids + ` == '' and oi ~= '' then
  redis.call('ZREM', KEYS[3], ` + conv + `)
end
`
}

// directScripts holds a direct script per state TTL and flood limit.
var directScripts sync.Map

// directScript is the direct script for a state TTL and a flood limit.
func directScript(ttl time.Duration, lim bot.FloodLimit) *redis.Script {
	return scriptFor(&directScripts, ttl, lim, directLua)
}

// scriptFor is the script made by mk for a state TTL and a flood limit,
// made once per process and kept in m.
func scriptFor(m *sync.Map, ttl time.Duration, lim bot.FloodLimit, mk func(ttl string, lim bot.FloodLimit) string) *redis.Script {
	if lim.Burst <= 0 {
		lim = bot.FloodLimit{}
	}
	k := ingestKey{ttl, lim}
	if sc, ok := m.Load(k); ok {
		return sc.(*redis.Script)
	}
	sc, _ := m.LoadOrStore(k, redis.NewScript(mk(strconv.FormatInt(ttl.Milliseconds(), 10), lim)))
	return sc.(*redis.Script)
}

// commitScripts holds a commit script per state TTL.
var commitScripts sync.Map

// commitScript is the commit script for a state TTL.
func commitScript(ttl time.Duration) *redis.Script {
	if sc, ok := commitScripts.Load(ttl); ok {
		return sc.(*redis.Script)
	}
	sc, _ := commitScripts.LoadOrStore(ttl, redis.NewScript(commitLua(strconv.FormatInt(ttl.Milliseconds(), 10))))
	return sc.(*redis.Script)
}

// releaseScript: KEYS state; ARGV owner.
var releaseScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'lo') == ARGV[1] then redis.call('HSET', KEYS[1], 'lo', '', 'le', '0') end
return 1
`)
