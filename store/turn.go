package store

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
)

// The turn path. A conversation's turn keys and its shard's pending and
// outbox-due sets share one hash tag, "{q:<shard>}", so each step of a
// turn is one script in one Redis Cluster slot:
//
//	<prefix>:{q:17}:c:telegram:42:state    hash: v (version), d (state JSON), and the turn's
//	                                       bookkeeping: seen (recent message ids, dedupe),
//	                                       ft/fat/fn (flood limit bucket), lo/le (lease owner
//	                                       and expiry), out (replies not yet delivered)
//	<prefix>:{q:17}:c:telegram:42:profile  hash of profile fields (no expiry)
//	<prefix>:{q:17}:c:telegram:42:inbox    list of "<id>\n<message JSON>"
//	<prefix>:{q:17}:pending                conversations with queued messages
//	<prefix>:{q:17}:outq                   conversations with undelivered replies, by due time
//
// shard = fnv32a("telegram:42") % Shards. Keeping the bookkeeping in the
// state hash makes a turn two scripts of about six commands each.
//
// The outbox field is a run of entries "<id>\x1f<reply JSON>\x1e"
// (encoding/json escapes control characters, so neither byte occurs in a
// reply).

// Shards is the number of partitions of the conversations.
const Shards = 256

// seenBytes bounds the recent message ids kept per conversation for
// dedupe; the oldest go first and the rest expire with the state. Ids
// longer than 12 bytes are kept as a 12-byte fingerprint (seenKey), so
// the window holds at least the last 36 ids of any channel (some 70
// Telegram ones): more than a flood burst, and every message a platform
// can redeliver after a crash short of a flood. It was 4096 bytes: Redis
// interns every string a script reads or builds and hashes all of its
// bytes (its Lua is patched against hash flooding), so reading and
// rewriting 3.5 KB of ids was a quarter of Redis's CPU in a turn.
const seenBytes = 640

// seenKey is the id a message is deduplicated by: the id itself when
// short, else "#" and 11 characters of its FNV-64a hash (64 bits: a false
// duplicate among the ids of one conversation is out of reach).
func seenKey(id string) string {
	if len(id) <= 12 {
		return id
	}
	h := fnv.New64a()
	h.Write([]byte(id))
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], h.Sum64())
	return "#" + base64.RawURLEncoding.EncodeToString(b[:])
}

func shardOf(c bot.Conversation) int {
	h := fnv.New32a()
	h.Write([]byte(c.Channel))
	h.Write([]byte{':'})
	h.Write([]byte(c.User))
	return int(h.Sum32() % Shards)
}

func shardTag(n int) string { return "q:" + strconv.Itoa(n) }

// turnKeys are the keys of one conversation's turn path, and conv its
// id ("telegram:42") as the shard sets list it.
type turnKeys struct {
	state, profile, inbox, pending, outq, conv string
}

// turnKeys builds all of c's keys in one string and slices them out of
// it (a substring shares its string's bytes): one allocation instead of
// seven, in every script call of a turn.
func (s *ConversationStore) turnKeys(c bot.Conversation) turnKeys {
	tag := shardTag(shardOf(c))
	// base:c:conv:state base:c:conv:profile base:c:conv:inbox
	// base:pending base:outq, with base = <prefix>:{<tag>} (as Key)
	n := len(s.prefix) + 3 + len(tag)
	convLen := len(c.Channel) + 1 + len(c.User)
	var b strings.Builder
	b.Grow(3*(n+3+convLen+1) + len("stateprofileinbox") + 2*n + len(":pending:outq"))
	base := func() {
		b.WriteString(s.prefix)
		b.WriteString(":{")
		b.WriteString(tag)
		b.WriteByte('}')
	}
	var ends [5]int
	for i, suffix := range [3]string{"state", "profile", "inbox"} {
		base()
		b.WriteString(":c:")
		b.WriteString(string(c.Channel))
		b.WriteByte(':')
		b.WriteString(c.User)
		b.WriteByte(':')
		b.WriteString(suffix)
		ends[i] = b.Len()
	}
	base()
	b.WriteString(":pending")
	ends[3] = b.Len()
	base()
	b.WriteString(":outq")
	ends[4] = b.Len()
	all := b.String()
	convAt := n + len(":c:")
	return turnKeys{
		state: all[:ends[0]], profile: all[ends[0]:ends[1]], inbox: all[ends[1]:ends[2]],
		pending: all[ends[2]:ends[3]], outq: all[ends[3]:ends[4]], conv: all[convAt : convAt+convLen],
	}
}

func (s *ConversationStore) stateKey(c bot.Conversation) string   { return s.turnKeys(c).state }
func (s *ConversationStore) profileKey(c bot.Conversation) string { return s.turnKeys(c).profile }

// StateKey is the key of c's state (for tests and tools).
func (s *ConversationStore) StateKey(c bot.Conversation) string { return s.stateKey(c) }

// luaLib: helpers shared by the scripts.
//
// held(lo, le, now): the lease is someone's and not expired.
// dropAcked(out, ids, from, to): out without its leading entries whose
// ids are ARGV[from..to] (in order).
const luaLib = `
local function held(lo, le, now)
  return lo and lo ~= '' and tonumber(le or '0') > now
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
local f = redis.call('HMGET', KEYS[1], 'seen', 'lo', 'le', 'ft', 'fat', 'fn', 'v')
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
local n = redis.call('RPUSH', KEYS[2], ARGV[2])
local code = 2
if held(f[2], f[3], now) then
  if f[2] == ARGV[5] then code = 5 else code = 1 end
else
  table.insert(fields, 'lo') table.insert(fields, ARGV[5])
  table.insert(fields, 'le') table.insert(fields, ARGV[6])
end
local ok = redis.pcall('HSET', KEYS[1], unpack(fields))
if type(ok) == 'table' and ok.err then
  redis.call('RPOP', KEYS[2])
  return ok
end
if not f[7] then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
if code ~= 2 then return {code} end
local head = ''
if n > 1 then head = redis.call('LINDEX', KEYS[2], 0) end
local d = ''
if f[7] and f[7] ~= ARGV[11] then d = redis.call('HGET', KEYS[1], 'd') or '' end
return {2, head, f[7] or '', d, redis.call('HGETALL', KEYS[4])}
`)

// takeScript: KEYS state inbox pending profile; ARGV owner, lease until
// ms, conv, now ms, cached version. {0} held by another, {1} empty (lease
// and mark dropped), {2, head, v, d, profile...}.
var takeScript = redis.NewScript(luaLib + `
local now = tonumber(ARGV[4])
local f = redis.call('HMGET', KEYS[1], 'lo', 'le', 'v')
local h = held(f[1], f[2], now)
if h and f[1] ~= ARGV[1] then return {0} end
local head = redis.call('LINDEX', KEYS[2], 0)
if not head then
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
local f = redis.call('HMGET', KEYS[1], 'lo', 'le', 'v', 'ex', 'out')
local had = f[5] or ''
local out = dropAcked(had, ai, ri - 1)
local function keepOut()
  if out ~= had then
    redis.call('HSET', KEYS[1], 'out', out)
    if out == '' then redis.call('ZREM', KEYS[5], ARGV[8]) end
  end
end
if held(f[1], f[2], now) and f[1] ~= ARGV[1] then keepOut() return {-2} end
local taken = redis.call('LPOP', KEYS[3])
local idp = ARGV[5] .. '\n'
if not taken or string.sub(taken, 1, #idp) ~= idp then
  if taken then redis.call('LPUSH', KEYS[3], taken) end
  keepOut()
  return {-3}
end
if (f[3] or '0') ~= ARGV[2] then
  redis.call('LPUSH', KEYS[3], taken)
  keepOut()
  return {-1, '', f[3] or '', redis.call('HGET', KEYS[1], 'd') or '', redis.call('HGETALL', KEYS[2])}
end
local backlog = 0
if out ~= '' then backlog = 1 end
if nr > 0 then out = out .. table.concat(ARGV, '', ri, ri + nr - 1) end
local nh = redis.call('LINDEX', KEYS[3], 0)
local lo, le = '', '0'
if nh then lo, le = ARGV[1], ARGV[7] end
-- The idle expiry is pushed back at most once a minute ('ex': when).
local ex = f[4] or '0'
if now - tonumber(ex) >= 60000 then ex = ARGV[6] end
local ok = redis.pcall('HSET', KEYS[1], 'v', ARGV[13], 'd', ARGV[3], 'out', out, 'lo', lo, 'le', le, 'ex', ex)
if type(ok) == 'table' and ok.err then
  redis.call('LPUSH', KEYS[3], taken)
  return ok
end
if ex == ARGV[6] then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
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

// Ingest queues msg (see bot.Inbox).
func (s *ConversationStore) Ingest(ctx context.Context, msg bot.Message, lease bot.Lease, lim bot.FloodLimit) (bot.Ingest, error) {
	entry, err := s.encodeEntry(msg)
	if err != nil {
		return bot.Ingest{}, err
	}
	k := s.turnKeys(msg.Conv)
	now := s.now().UnixMilli()
	res, err := s.batch.run(ctx, ingestScript, []string{k.state, k.inbox, k.pending, k.profile},
		seenKey(msg.ID), entry, now, s.stateTTL.Milliseconds(), lease.Owner, now+lease.TTL.Milliseconds(),
		k.conv, lim.Burst, lim.PerMinute, seenBytes, s.states.version(msg.Conv)).Slice()
	if err != nil {
		return bot.Ingest{}, fmt.Errorf("queue message: %w", err)
	}
	switch code, _ := res[0].(int64); code {
	case 0:
		return bot.Ingest{Result: bot.Duplicate}, nil
	case 1:
		return bot.Ingest{Result: bot.Queued}, nil
	case 5:
		return bot.Ingest{Result: bot.Ours}, nil
	case 3:
		lang, _ := res[1].(string)
		return bot.Ingest{Result: bot.Flooded, Notice: true, Lang: lang}, nil
	case 4:
		return bot.Ingest{Result: bot.Flooded}, nil
	}
	l, err := s.decodeLoaded(ctx, msg.Conv, res[1:])
	if err != nil {
		return bot.Ingest{}, err
	}
	if l.Msg.ID == "" {
		l.Msg = msg
	}
	return bot.Ingest{Result: bot.Taken, Loaded: l}, nil
}

// Acquire takes c for lease.Owner if it is free or already theirs.
func (s *ConversationStore) Acquire(ctx context.Context, c bot.Conversation, lease bot.Lease) (bot.Loaded, bool, error) {
	k := s.turnKeys(c)
	now := s.now().UnixMilli()
	res, err := s.batch.run(ctx, takeScript, []string{k.state, k.inbox, k.pending, k.profile},
		lease.Owner, now+lease.TTL.Milliseconds(), k.conv, now, s.states.version(c)).Slice()
	if err != nil {
		return bot.Loaded{}, false, fmt.Errorf("take conversation: %w", err)
	}
	if code, _ := res[0].(int64); code != 2 {
		return bot.Loaded{}, false, nil
	}
	l, err := s.decodeLoaded(ctx, c, res[1:])
	return l, err == nil, err
}

// Commit writes a turn's outcome (see bot.Inbox).
func (s *ConversationStore) Commit(ctx context.Context, c bot.Conversation, msgID string, lease bot.Lease, o bot.TurnResult, acked []string) (bot.Committed, error) {
	d, err := s.encodeState(o.State)
	if err != nil {
		return bot.Committed{}, err
	}
	now := s.now()
	k := s.turnKeys(c)
	var prof []string
	if o.Lang != "" {
		prof = append(prof, bot.FieldLang, o.Lang)
	}
	if o.Draft != nil {
		prof = append(prof, bot.FieldDraft, *o.Draft)
	}
	if o.Phone != "" {
		phone, err := s.profileValue(bot.FieldPhone, o.Phone)
		if err != nil {
			return bot.Committed{}, fmt.Errorf("seal phone: %w", err)
		}
		prof = append(prof, bot.FieldPhone, phone)
	}
	ms := now.UnixMilli()
	nv := o.State.Version + 1
	args := make([]any, 0, 13+len(prof)+len(acked)+len(o.Replies))
	args = append(args, lease.Owner, o.State.Version, d, s.stateTTL.Milliseconds(), msgID, ms,
		ms+lease.TTL.Milliseconds(), k.conv, ms+s.sendDeadline.Milliseconds(), len(prof)/2, len(acked), len(o.Replies), nv)
	for _, p := range prof {
		args = append(args, p)
	}
	for _, a := range acked {
		args = append(args, a)
	}
	ids := make([]string, len(o.Replies))
	for i, r := range o.Replies {
		ids[i] = outID(msgID, i)
		e, err := encodeOut(ids[i], r)
		if err != nil {
			return bot.Committed{}, err
		}
		args = append(args, e)
	}
	res, err := s.batch.run(ctx, commitScript, []string{k.state, k.profile, k.inbox, k.pending, k.outq}, args...).Slice()
	if err != nil {
		return bot.Committed{}, fmt.Errorf("commit turn: %w", err)
	}
	code, _ := res[0].(int64)
	switch code {
	case -2:
		return bot.Committed{Lost: true}, nil
	case -3:
		return bot.Committed{Gone: true}, nil
	case -1:
		s.states.drop(c)
		l, err := s.decodeLoaded(ctx, c, res[1:])
		if err != nil {
			return bot.Committed{}, err
		}
		return bot.Committed{Conflict: true, Next: &l}, nil
	}
	backlog, _ := res[1].(int64)
	st := o.State
	st.Version = nv
	s.states.put(c, st)
	out := bot.Committed{Version: nv, Backlog: backlog > 0, OutIDs: ids, At: now}
	if code == 2 {
		head, _ := res[2].(string)
		m := s.decodeEntry(c, head)
		out.Next = &bot.Loaded{Msg: m}
	}
	return out, nil
}

// Release gives c's lease up if owner holds it.
func (s *ConversationStore) Release(ctx context.Context, c bot.Conversation, owner string) error {
	if err := releaseScript.Run(ctx, s.rdb, []string{s.turnKeys(c).state}, owner).Err(); err != nil {
		return fmt.Errorf("release conversation: %w", err)
	}
	return nil
}

// Pending lists conversations with queued messages, oldest first per shard
// (at most 100 per shard), reading every shard in one pipeline.
func (s *ConversationStore) Pending(ctx context.Context) ([]bot.Conversation, error) {
	cmds := make([]*redis.StringSliceCmd, Shards)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range cmds {
			cmds[i] = p.ZRange(ctx, s.Key(shardTag(i), "pending"), 0, 99)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list queued conversations: %w", err)
	}
	var out []bot.Conversation
	for _, cmd := range cmds {
		for _, id := range cmd.Val() {
			if c, ok := bot.ParseConversation(id); ok {
				out = append(out, c)
			}
		}
	}
	return out, nil
}

func outID(msgID string, i int) string { return msgID + "." + strconv.Itoa(i) }

// An inbox entry is "<id>\n<message JSON>"; the conversation is implied by
// the key, so it is left out. A message that may carry a NIK or a phone
// number (a run of 9 or more digits in its text, a phone the channel
// gave, a shared contact) is sealed like the state's answers while it
// waits for its turn: "<id>\n!<sealed JSON>". Most messages carry none and
// cost no encryption.
func (s *ConversationStore) encodeEntry(m bot.Message) (string, error) {
	m.Conv = bot.Conversation{}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encode message: %w", err)
	}
	if s.cipher != nil && (m.Phone != "" || m.Contact != nil || bot.MaskNumbers(m.Text) != m.Text) {
		sealed, err := s.cipher.Seal(fieldMessage, string(b))
		if err != nil {
			return "", fmt.Errorf("seal message: %w", err)
		}
		return m.ID + "\n!" + sealed, nil
	}
	return m.ID + "\n" + string(b), nil
}

// fieldMessage binds a sealed inbox entry to its use.
const fieldMessage = "message"

func (s *ConversationStore) decodeEntry(c bot.Conversation, entry string) bot.Message {
	id, body, _ := strings.Cut(entry, "\n")
	if sealed, ok := strings.CutPrefix(body, "!"); ok {
		body = "" // no key that opens it: unsupported below
		if s.cipher != nil {
			if plain, _, err := s.cipher.Open(fieldMessage, sealed); err == nil {
				body = plain
			}
		}
	}
	var m bot.Message
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		// A corrupt entry (or one sealed under a key no longer configured)
		// must not block the conversation forever: hand it on as an
		// unsupported message, which the engine answers politely.
		return bot.Message{ID: id, Conv: c, Kind: bot.KindUnsupported}
	}
	m.ID, m.Conv = id, c
	return m
}

func encodeOut(id string, r bot.Reply) (string, error) {
	b := make([]byte, 0, len(id)+len(r.Text)+64+32*len(r.Options))
	b = append(append(b, id...), '\x1f')
	b = append(appendReply(b, r), '\x1e')
	return string(b), nil
}

// appendReply appends r's JSON as json.Marshal writes it (TestReplyJSON),
// without its reflection.
func appendReply(b []byte, r bot.Reply) []byte {
	b = append(b, `{"Text":`...)
	b = appendJSONString(b, r.Text)
	b = append(b, `,"Options":`...)
	if r.Options == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, o := range r.Options {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"Key":`...)
			b = appendJSONString(b, o.Key)
			b = append(b, `,"Label":`...)
			b = appendJSONString(b, o.Label)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"Ask":`...)
	b = appendJSONString(b, string(r.Ask))
	if r.File != nil {
		b = append(b, `,"File":{"Name":`...)
		b = appendJSONString(b, r.File.Name)
		b = append(b, `,"Text":`...)
		b = appendJSONString(b, r.File.Text)
		b = append(b, '}')
	}
	if r.Attach != nil { // rare (an officer's file): the library's encoding
		a, _ := json.Marshal(r.Attach) // plain strings and numbers: cannot fail
		b = append(b, `,"Attach":`...)
		b = append(b, a...)
	}
	return append(b, '}')
}

// decodeOut splits an outbox field into its entries.
func decodeOut(out string) []bot.OutEntry {
	var es []bot.OutEntry
	for out != "" {
		e, rest, _ := strings.Cut(out, "\x1e")
		out = rest
		id, body, _ := strings.Cut(e, "\x1f")
		var r bot.Reply
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			r = bot.Reply{} // undecodable: delivered as nothing rather than blocking the rest
		}
		es = append(es, bot.OutEntry{ID: id, Reply: r})
	}
	return es
}

// decodeLoaded reads {head, v, d, {profile pairs}}; d is "" when the
// state at version v is the one cached.
func (s *ConversationStore) decodeLoaded(ctx context.Context, c bot.Conversation, res []any) (bot.Loaded, error) {
	var l bot.Loaded
	if head, _ := res[0].(string); head != "" {
		l.Msg = s.decodeEntry(c, head)
	}
	v, _ := res[1].(string)
	d, _ := res[2].(string)
	if v != "" && d == "" {
		n, _ := strconv.ParseInt(v, 10, 64)
		st, ok := s.states.get(c, n)
		if !ok { // dropped from the cache meanwhile: read it
			var err error
			if st, err = s.LoadState(ctx, c); err != nil {
				return bot.Loaded{}, err
			}
		}
		l.State = st
	} else {
		st, err := s.decodeState([]any{res[1], res[2]})
		if err != nil {
			return bot.Loaded{}, err
		}
		l.State = st
	}
	pairs, _ := res[3].([]any)
	m := make(map[string]string, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		k, _ := pairs[i].(string)
		v, _ := pairs[i+1].(string)
		m[k] = v
	}
	l.Profile = s.decodeProfile(m)
	return l, nil
}

// The outbox.

// dueScript claims c's outbox for a sender: KEYS outq state; ARGV conv,
// now ms, claim ms. "" when not due or empty, else the outbox field.
var dueScript = redis.NewScript(`
local due = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not due or tonumber(due) > tonumber(ARGV[2]) then return '' end
local out = redis.call('HGET', KEYS[2], 'out') or ''
if out == '' then redis.call('ZREM', KEYS[1], ARGV[1]) return '' end
redis.call('ZADD', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[3]), ARGV[1])
return out
`)

// ackScript: KEYS state outq; ARGV conv, now ms, then ids in order. Drops
// the acked entries off the head of the outbox; an empty outbox leaves the
// due set, and entries left behind (committed while earlier ones were
// being sent) are due at once.
var ackScript = redis.NewScript(luaLib + `
local had = redis.call('HGET', KEYS[1], 'out') or ''
local out = dropAcked(had, 3, #ARGV)
if out == had then return 0 end
redis.call('HSET', KEYS[1], 'out', out)
if out == '' then
  redis.call('ZREM', KEYS[2], ARGV[1])
else
  local due = redis.call('ZSCORE', KEYS[2], ARGV[1])
  if not due or tonumber(due) > tonumber(ARGV[2]) then redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1]) end
end
return 1
`)

var _ bot.Outbound = (*ConversationStore)(nil)

// Due claims conversations whose undelivered replies are due (see bot.Outbound).
func (s *ConversationStore) Due(ctx context.Context, claim time.Duration, max int) (map[bot.Conversation][]bot.OutEntry, error) {
	now := s.now().UnixMilli()
	cmds := make([]*redis.StringSliceCmd, Shards)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range cmds {
			cmds[i] = p.ZRangeByScore(ctx, s.Key(shardTag(i), "outq"), &redis.ZRangeBy{Min: "-inf", Max: strconv.FormatInt(now, 10), Count: int64(max)})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list due replies: %w", err)
	}
	var convs []bot.Conversation
	for _, cmd := range cmds {
		for _, id := range cmd.Val() {
			if c, ok := bot.ParseConversation(id); ok {
				convs = append(convs, c)
			}
		}
	}
	if len(convs) == 0 {
		return nil, nil
	}
	claims := make([]*redis.Cmd, len(convs))
	err = s.scriptPipeline(ctx, dueScript, func(p redis.Pipeliner) {
		for i, c := range convs {
			k := s.turnKeys(c)
			claims[i] = dueScript.EvalSha(ctx, p, []string{k.outq, k.state}, c.String(), now, claim.Milliseconds())
		}
	})
	if err != nil {
		return nil, fmt.Errorf("claim due replies: %w", err)
	}
	out := map[bot.Conversation][]bot.OutEntry{}
	for i, cmd := range claims {
		if v, _ := cmd.Text(); v != "" {
			out[convs[i]] = decodeOut(v)
		}
	}
	return out, nil
}

// Ack removes delivered entries, all conversations in one pipeline.
func (s *ConversationStore) Ack(ctx context.Context, acks map[bot.Conversation][]string) error {
	if len(acks) == 0 {
		return nil
	}
	now := s.now().UnixMilli()
	err := s.scriptPipeline(ctx, ackScript, func(p redis.Pipeliner) {
		for c, ids := range acks {
			k := s.turnKeys(c)
			args := make([]any, 0, 2+len(ids))
			args = append(args, c.String(), now)
			for _, id := range ids {
				args = append(args, id)
			}
			ackScript.EvalSha(ctx, p, []string{k.state, k.outq}, args...)
		}
	})
	if err != nil {
		return fmt.Errorf("ack replies: %w", err)
	}
	return nil
}

// Retry sets when c's remaining replies are due again.
func (s *ConversationStore) Retry(ctx context.Context, c bot.Conversation, at time.Time) error {
	k := s.turnKeys(c)
	if err := s.rdb.ZAddXX(ctx, k.outq, redis.Z{Score: float64(at.UnixMilli()), Member: c.String()}).Err(); err != nil {
		return fmt.Errorf("reschedule replies: %w", err)
	}
	return nil
}

var _ bot.QueueStatser = (*ConversationStore)(nil)

// QueueStats reports how many conversations have queued messages and
// undelivered replies, and the age of the oldest, in one pipeline over the
// shards. Depths count conversations, not messages: a conversation's queue
// is drained in order, so it is the number of people waiting.
func (s *ConversationStore) QueueStats(ctx context.Context) (bot.QueueStats, error) {
	type pair struct {
		n     *redis.IntCmd
		first *redis.ZSliceCmd
	}
	in, out := make([]pair, Shards), make([]pair, Shards)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := 0; i < Shards; i++ {
			pk, ok := s.Key(shardTag(i), "pending"), s.Key(shardTag(i), "outq")
			in[i] = pair{p.ZCard(ctx, pk), p.ZRangeWithScores(ctx, pk, 0, 0)}
			out[i] = pair{p.ZCard(ctx, ok), p.ZRangeWithScores(ctx, ok, 0, 0)}
		}
		return nil
	})
	if err != nil {
		return bot.QueueStats{}, fmt.Errorf("queue stats: %w", err)
	}
	now := s.now()
	var qs bot.QueueStats
	sum := func(ps []pair, outbox bool) (int64, time.Duration) {
		var n int64
		var oldest time.Duration
		for _, p := range ps {
			n += p.n.Val()
			if z := p.first.Val(); len(z) > 0 {
				at := time.UnixMilli(int64(z[0].Score))
				if outbox {
					at = at.Add(-s.sendDeadline) // the due time is the commit time plus the deadline
				}
				if age := now.Sub(at); age > oldest {
					oldest = age
				}
			}
		}
		return n, oldest
	}
	qs.InboxDepth, qs.InboxOldest = sum(in, false)
	qs.OutboxDepth, qs.OutboxOldest = sum(out, true)
	return qs, nil
}

// scriptPipeline runs fill's EVALSHAs of sc in one pipeline; when Redis
// does not know the script (a restart, a new node) it loads it and runs
// the pipeline again.
func (s *ConversationStore) scriptPipeline(ctx context.Context, sc *redis.Script, fill func(p redis.Pipeliner)) error {
	for try := 0; ; try++ {
		cmds, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error { fill(p); return nil })
		if err == nil || isNil(err) {
			return nil
		}
		noscript := false
		for _, c := range cmds {
			if e := c.Err(); e != nil && strings.HasPrefix(e.Error(), "NOSCRIPT") {
				noscript = true
			}
		}
		if !noscript || try > 0 {
			return err
		}
		if err := sc.Load(ctx, s.rdb).Err(); err != nil {
			return err
		}
	}
}
