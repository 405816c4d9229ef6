package store

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
)

// The turn path. A conversation's turn keys and its shard's pending and
// outbox-due sets share one hash tag, "{q:<shard>}", so each step of a
// turn is one script in one Redis Cluster slot:
//
//	<prefix>:{q:17}:c:telegram:42:state    hash: v (version), d (state JSON), and the turn's
//	                                       bookkeeping: seen (recent message ids, dedupe),
//	                                       fl (flood limit bucket), lo/le (lease owner
//	                                       and expiry), ob/oi (the outbox: replies not yet
//	                                       delivered, and their ids), q (the first queued
//	                                       message), qn (how many wait behind it in the
//	                                       inbox list), pv (the profile's token)
//	<prefix>:{q:17}:c:telegram:42:profile  hash of profile fields (no expiry)
//	<prefix>:{q:17}:c:telegram:42:inbox    list of "<id>\n<message JSON>": the messages
//	                                       queued behind q
//	<prefix>:{q:17}:pending                conversations with queued messages
//	<prefix>:{q:17}:outq                   conversations with undelivered replies, by due time
//
// shard = fnv32a("telegram:42") % Shards. Keeping the bookkeeping in the
// state hash makes a turn two scripts of about six commands each. The
// small fields stay separate: packed into one string (fl, qn, le, lo),
// they cost Redis more to split and join in Lua than the fields saved
// (callgrind, BenchmarkTurnRedis: ~222k → ~234k instructions a turn).
//
// The outbox is 'ob', a run of entries "<id>\x1f<reply JSON>\x1e"
// (encoding/json escapes control characters, so neither byte occurs in a
// reply), and 'oi', their ids ("<id>\x1e" each). Redis hashes every byte
// of every string a script reads, builds or is given, so a commit reads
// only the ids: the usual one acknowledges all the replies of the turn
// before and writes its own entries as they came. A state written before
// 'ob' has its outbox in 'out' (the same entries, no ids): the first
// script that finds it moves it into 'ob' and 'oi'.
//
// The profile's token 'pv' changes, in the step that writes it, with
// every change of the profile (a commit, SetProfile, an erasure): the
// scripts that take a conversation send the profile only when the caller
// has not cached it under the current token. Tokens are random: none is
// given twice.
//
// The queue is q followed by the inbox list: a message that finds it
// empty goes into q with the HSET the ingest makes anyway, and a commit
// reads q with the state, so the usual turn (one message at a time)
// touches no list at all. The commit moves the list's head into q. A
// state without qn (written before q existed) has its whole queue in the
// list: the scripts count it (LLEN) and take from the list until it is
// empty, and from then on use q.

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

// The script's copies of seenBytes and of what a trim keeps of it (3/4).
var (
	seenBytesLua = strconv.Itoa(seenBytes)
	seenKeepLua  = strconv.Itoa(seenBytes * 3 / 4)
)

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
// it (a substring shares its string's bytes). The turn's script calls
// write the keys they take straight into their buffer instead (turnCall).
func (s *ConversationStore) turnKeys(c bot.Conversation) turnKeys {
	n := shardOf(c)
	b := make([]byte, 0, 5*(len(s.prefix)+len(c.Channel)+len(c.User)+24))
	var ends [5]int
	for i, part := range [3]string{"state", "profile", "inbox"} {
		b = s.appendConvKey(b, n, c, part)
		ends[i] = len(b)
	}
	b = append(s.appendShard(b, n), ":pending"...)
	ends[3] = len(b)
	b = append(s.appendShard(b, n), ":outq"...)
	ends[4] = len(b)
	all := string(b)
	convAt := len(s.appendShard(nil, n)) + len(":c:")
	return turnKeys{
		state: all[:ends[0]], profile: all[ends[0]:ends[1]], inbox: all[ends[1]:ends[2]],
		pending: all[ends[2]:ends[3]], outq: all[ends[3]:ends[4]],
		conv: all[convAt : convAt+len(c.Channel)+1+len(c.User)],
	}
}

// appendShard appends the start of every key of shard n's conversations,
// "<prefix>:{q:<n>}" (as Key with shardTag).
func (s *ConversationStore) appendShard(b []byte, n int) []byte {
	b = append(append(b, s.prefix...), ":{q:"...)
	return append(strconv.AppendInt(b, int64(n), 10), '}')
}

// appendConvKey appends the key of part of c, in its shard n.
func (s *ConversationStore) appendConvKey(b []byte, n int, c bot.Conversation, part string) []byte {
	b = appendConv(append(s.appendShard(b, n), ":c:"...), c)
	return append(append(b, ':'), part...)
}

// appendConv appends c's id as the shard sets list it, "telegram:42".
func appendConv(b []byte, c bot.Conversation) []byte {
	return append(append(append(b, c.Channel...), ':'), c.User...)
}

// turnCall starts a call of script whose keys are c's state and its
// shard's pending set, and with outq its outbox-due set, written into the
// call's buffer.
func (s *ConversationStore) turnCall(ctx context.Context, script *redis.Script, c bot.Conversation, outq bool) *call {
	n := shardOf(c)
	cl := s.batch.call(ctx, script)
	cl.buf = s.appendConvKey(cl.buf, n, c, "state")
	cl.nkeys++
	cl.end()
	cl.buf = append(s.appendShard(cl.buf, n), ":pending"...)
	cl.nkeys++
	cl.end()
	if outq {
		cl.buf = append(s.appendShard(cl.buf, n), ":outq"...)
		cl.nkeys++
		cl.end()
	}
	return cl
}

// conv adds c's id (appendConv).
func (cl *call) conv(c bot.Conversation) *call {
	cl.buf = appendConv(cl.buf, c)
	return cl.end()
}

func (s *ConversationStore) stateKey(c bot.Conversation) string   { return s.turnKeys(c).state }
func (s *ConversationStore) profileKey(c bot.Conversation) string { return s.turnKeys(c).profile }

// StateKey is the key of c's state (for tests and tools).
func (s *ConversationStore) StateKey(c bot.Conversation) string { return s.stateKey(c) }

// Ingest queues msg (see bot.Inbox).
func (s *ConversationStore) Ingest(ctx context.Context, msg bot.Message, lease bot.Lease, lim bot.FloodLimit) (bot.Ingest, error) {
	c := s.turnCall(ctx, ingestScript(s.stateTTL, lim), msg.Conv, false).str(seenKey(msg.ID))
	var err error
	if c.buf, err = s.appendEntry(c.buf, msg); err != nil {
		c.free()
		return bot.Ingest{}, err
	}
	now := s.now().UnixMilli()
	c.end().int(now).str(lease.Owner)
	if lease.Offer {
		c.str("0") // leave it free (ingestLua)
	} else {
		c.int(now + lease.TTL.Milliseconds())
	}
	c.conv(msg.Conv)
	s.versions(c, msg.Conv)
	res, err := s.batch.run(c)
	if err != nil {
		return bot.Ingest{}, fmt.Errorf("queue message: %w", err)
	}
	return s.ingested(ctx, msg, res)
}

// ingested reads what an ingest of msg answered.
func (s *ConversationStore) ingested(ctx context.Context, msg bot.Message, res []any) (bot.Ingest, error) {
	switch code, _ := res[0].(int64); code {
	case 0:
		return bot.Ingest{Result: bot.Duplicate}, nil
	case 1:
		return bot.Ingest{Result: bot.Queued}, nil
	case 5:
		return bot.Ingest{Result: bot.Ours}, nil
	case 7:
		return bot.Ingest{Result: bot.Free}, nil
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
	now := s.now().UnixMilli()
	cl := s.turnCall(ctx, takeScript, c, false).
		str(lease.Owner).int(now + lease.TTL.Milliseconds()).conv(c).int(now)
	s.versions(cl, c)
	res, err := s.batch.run(cl)
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
	now := s.now()
	prof, err := s.profileChanges(o)
	if err != nil {
		return bot.Committed{}, err
	}
	ms := now.UnixMilli()
	nv := o.State.Version + 1
	ids := replyIDs(msgID, len(o.Replies))
	cl := s.turnCall(ctx, commitScript(s.stateTTL), c, true).str(lease.Owner).int(o.State.Version)
	if cl.buf, err = s.appendTurnState(cl.buf, c, o.State); err != nil {
		cl.free()
		return bot.Committed{}, err
	}
	cl.end().str(msgID).int(ms).
		int(ms + lease.TTL.Milliseconds()).conv(c).int(ms + s.sendDeadline.Milliseconds()).int(nv)
	s.outcomeTail(cl, c, o.Replies, acked, ids, prof)
	res, err := s.batch.run(cl)
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

// profileChanges are the profile field/value pairs a turn's outcome
// writes (the phone sealed).
func (s *ConversationStore) profileChanges(o bot.TurnResult) ([]string, error) {
	if o.Lang == "" && o.Draft == nil && o.Phone == "" {
		return nil, nil
	}
	prof := make([]string, 0, 6)
	if o.Lang != "" {
		prof = append(prof, bot.FieldLang, o.Lang)
	}
	if o.Draft != nil {
		prof = append(prof, bot.FieldDraft, *o.Draft)
	}
	if o.Phone != "" {
		phone, err := s.profileValue(bot.FieldPhone, o.Phone)
		if err != nil {
			return nil, fmt.Errorf("seal phone: %w", err)
		}
		prof = append(prof, bot.FieldPhone, phone)
	}
	return prof, nil
}

// replyIDs are the outbox ids of a turn's n replies.
func replyIDs(msgID string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = outID(msgID, i)
	}
	return ids
}

// outcomeTail adds the arguments a commit ends with: the acked reply ids,
// the replies' outbox entries and their ids, and when the profile changes
// (prof) a new profile token, returned, and its pairs (c's cached profile
// is then dropped).
func (s *ConversationStore) outcomeTail(cl *call, c bot.Conversation, replies []bot.Reply, acked, ids, prof []string) (token string) {
	cl.buf = appendIDs(cl.buf, acked)
	cl.end()
	for i, r := range replies {
		cl.buf = appendOut(cl.buf, ids[i], r)
	}
	cl.end()
	cl.buf = appendIDs(cl.buf, ids)
	cl.end()
	if len(prof) == 0 {
		return ""
	}
	token = newProfileToken()
	cl.str(token)
	for _, p := range prof {
		cl.str(p)
	}
	s.states.dropProfile(c)
	return token
}

// changed is p with o's profile changes (profileChanges) applied.
func changed(p bot.Profile, o bot.TurnResult) bot.Profile {
	if o.Lang != "" {
		p.Lang = o.Lang
	}
	if o.Draft != nil {
		p.Draft = *o.Draft
	}
	if o.Phone != "" {
		p.Phone = o.Phone
	}
	return p
}

// Cached returns c's cached state and profile (see bot.DirectInbox).
func (s *ConversationStore) Cached(c bot.Conversation) (bot.Loaded, string, bool) {
	st, p, token, ok := s.states.handOver(c)
	if !ok {
		return bot.Loaded{}, "", false
	}
	return bot.Loaded{State: st, Profile: p}, token, true
}

// CommitDirect commits a turn computed before its message was queued, or
// queues the message (see bot.DirectInbox).
func (s *ConversationStore) CommitDirect(ctx context.Context, msg bot.Message, lease bot.Lease, lim bot.FloodLimit, token string, o bot.TurnResult, acked []string) (bot.Direct, error) {
	c := msg.Conv
	prof, err := s.profileChanges(o)
	if err != nil {
		return bot.Direct{}, err
	}
	cl := s.turnCall(ctx, directScript(s.stateTTL, lim), c, true).str(seenKey(msg.ID))
	if cl.buf, err = s.appendEntry(cl.buf, msg); err != nil {
		cl.free()
		return bot.Direct{}, err
	}
	now := s.now()
	ms := now.UnixMilli()
	nv := o.State.Version + 1
	cl.end().int(ms).str(lease.Owner).int(ms + lease.TTL.Milliseconds()).conv(c).
		int(o.State.Version).str(token).token()
	if cl.buf, err = s.appendTurnState(cl.buf, c, o.State); err != nil {
		cl.free()
		return bot.Direct{}, err
	}
	ids := replyIDs(msg.ID, len(o.Replies))
	cl.end().int(ms + s.sendDeadline.Milliseconds()).int(nv)
	// The profile the turn read, for the cache after it (outcomeTail
	// drops it): the script commits only while it is the stored one.
	read, readOK := s.states.profile(c, token)
	newToken := s.outcomeTail(cl, c, o.Replies, acked, ids, prof)
	res, err := s.batch.run(cl)
	if err != nil {
		return bot.Direct{}, fmt.Errorf("commit turn: %w", err)
	}
	if code, _ := res[0].(int64); code == 6 {
		backlog, _ := res[1].(int64)
		st := o.State
		st.Version = nv
		s.states.own(c, st) // the dispatcher is done with the state: no copy
		if newToken != "" && readOK {
			s.states.putProfile(c, newToken, changed(read, o))
		}
		return bot.Direct{Committed: true, Backlog: backlog > 0, OutIDs: ids}, nil
	}
	in, err := s.ingested(ctx, msg, res)
	return bot.Direct{Ingest: in}, err
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

// newProfileToken returns a token for a profile version: random, so that
// no token is ever given twice, by any process (math/rand/v2's generator
// is seeded per process).
func newProfileToken() string { return string(appendProfileToken(nil)) }

func appendProfileToken(b []byte) []byte { return strconv.AppendUint(b, rand.Uint64(), 36) }

// token adds a new profile token (newProfileToken).
func (c *call) token() *call {
	c.buf = appendProfileToken(c.buf)
	return c.end()
}

// versions adds the version of conv's cached state and the token of its
// cached profile ("" for none), and a new profile token: the scripts
// that take a conversation send what is not cached.
func (s *ConversationStore) versions(c *call, conv bot.Conversation) {
	v, ok, pv := s.states.version(conv)
	if ok {
		c.int(v)
	} else {
		c.str("")
	}
	c.str(pv).token()
}

// decodeLoaded reads {head, v, d, profile token, {profile pairs} or 0}; d
// is "" when the state at version v is the one cached, and the profile 0
// when the one cached under the token is current.
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
	token, _ := res[3].(string)
	pairs, ok := res[4].([]any)
	if !ok {
		if p, ok := s.states.profile(c, token); ok {
			l.Profile = p
			return l, nil
		}
		var err error // dropped from the cache meanwhile: read it
		if l.Profile, err = s.Profile(ctx, c); err != nil {
			return bot.Loaded{}, err
		}
		return l, nil
	}
	m := make(map[string]string, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		k, _ := pairs[i].(string)
		v, _ := pairs[i+1].(string)
		m[k] = v
	}
	l.Profile = s.decodeProfile(m)
	s.states.putProfile(c, token, l.Profile)
	return l, nil
}

// The outbox.

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
