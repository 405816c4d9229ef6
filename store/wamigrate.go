package store

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
)

// Before pseudonyms (wausers.go) a WhatsApp conversation's user was the
// WhatsApp id itself: the phone digits were in key names
// ("{q:17}:c:whatsapp:62812…:state", "{c:whatsapp:62812…}:products",
// ticket indexes), in set members and hash fields (pending and outbox
// sets, the registrations' conv index, training seats, broadcast records)
// and in values (registration and application records, notices, queued
// messages). MigrateWhatsAppUsers rewrites them all to the pseudonyms.

// WhatsAppMigration counts what MigrateWhatsAppUsers did.
type WhatsAppMigration struct {
	Keys      int // keys looked at
	Renamed   int // keys moved to a name without the id
	Rewritten int // keys whose members or values named an id, rewritten
	Users     int // WhatsApp ids given their pseudonym
	Queued    int // broadcast queue entries re-queued under the pseudonym
}

var (
	// waConvRe finds a stored WhatsApp conversation ("whatsapp:<id>"),
	// waJSONRe a bot.Conversation in JSON, and waToRe a relayed reply's
	// recipient; an id is digits (a dash in old group ids), with @lid or
	// @g.us. Pseudonyms start with a letter and are never matched.
	waConvRe = regexp.MustCompile(`whatsapp:([0-9][0-9-]{0,40}(?:@lid|@g\.us)?)`)
	waJSONRe = regexp.MustCompile(`"Channel":"whatsapp","User":"([0-9][0-9-]{0,40}(?:@lid|@g\.us)?)"`)
	waToRe   = regexp.MustCompile(`"to":"([0-9][0-9-]{0,40}(?:@lid|@g\.us)?)"`)
)

func (s *Store) waMigrated() string { return s.Key("meta", "wa-pseudonyms-v1") }

// NeedsWhatsAppMigration reports whether data stored before pseudonyms
// remains: a key name with a WhatsApp id, or a registration of one. When
// none does (a new deployment, or the migration finished) it marks that,
// so later starts ask Redis once.
func (s *Store) NeedsWhatsAppMigration(ctx context.Context, regions []string) (bool, error) {
	if n, err := s.rdb.Exists(ctx, s.waMigrated()).Result(); err != nil || n == 1 {
		return false, err
	}
	keys, err := s.scanKeys(ctx, s.prefix+":*whatsapp:[0-9]*")
	if err != nil {
		return false, fmt.Errorf("look for whatsapp ids: %w", err)
	}
	if len(keys) > 0 {
		return true, nil
	}
	for _, r := range regions {
		f, _, err := s.rdb.HScan(ctx, s.regKeys(r)[2], 0, "whatsapp:[0-9]*", 100).Result()
		if err != nil {
			return false, fmt.Errorf("look for whatsapp ids: %w", err)
		}
		if len(f) > 0 {
			return true, nil
		}
	}
	return false, s.rdb.Set(ctx, s.waMigrated(), "1", 0).Err()
}

// MigrateWhatsAppUsers gives every WhatsApp conversation stored under its
// id its pseudonym: key names, members, fields and values. Run it with
// serve stopped. It is idempotent and resumable: a key whose new name
// exists already is only dropped, in-place rewrites are one transaction
// per key, and what was done is not found again. Broadcast queue entries
// (streams cannot be edited) are queued again under the pseudonym, after
// the rest, with their delivery record; the audit log names nobody.
// progress is called now and then.
func (s *Store) MigrateWhatsAppUsers(ctx context.Context, progress func(WhatsAppMigration)) (WhatsAppMigration, error) {
	var c WhatsAppMigration
	keys, err := s.scanKeys(ctx, s.prefix+":*")
	if err != nil {
		return c, fmt.Errorf("migrate whatsapp ids: scan: %w", err)
	}
	m := &waMigrator{s: s, users: map[string]string{}}
	var queues []string
	for i, k := range keys {
		if k == s.waIDs() || k == s.waMigrated() {
			continue
		}
		c.Keys++
		renamed, rewritten, stream, err := m.key(ctx, k)
		if err != nil {
			c.Users = len(m.users)
			return c, err
		}
		c.Renamed += b2i(renamed)
		c.Rewritten += b2i(rewritten && !renamed)
		if stream && strings.HasPrefix(k, s.prefix+":{b:") && strings.HasSuffix(k, ":q:"+string(bot.WhatsApp)) {
			queues = append(queues, k)
		}
		if progress != nil && i%1000 == 999 {
			c.Users = len(m.users)
			progress(c)
		}
	}
	for _, q := range queues { // after the records they refer to were renamed
		n, err := m.requeue(ctx, q)
		c.Queued += n
		if err != nil {
			c.Users = len(m.users)
			return c, err
		}
	}
	c.Users = len(m.users)
	if err := s.rdb.Set(ctx, s.waMigrated(), "1", 0).Err(); err != nil {
		return c, fmt.Errorf("migrate whatsapp ids: mark done: %w", err)
	}
	return c, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

type waMigrator struct {
	s     *Store
	users map[string]string // id → pseudonym
}

func (m *waMigrator) user(ctx context.Context, id string) (string, error) {
	if u, ok := m.users[id]; ok {
		return u, nil
	}
	u, err := m.s.WhatsAppUser(ctx, id)
	if err != nil {
		return "", err
	}
	m.users[id] = u
	return u, nil
}

// rewrite replaces every WhatsApp id in v by its pseudonym.
func (m *waMigrator) rewrite(ctx context.Context, v string, relay bool) (string, bool, error) {
	var err error
	changed := false
	for _, re := range []*regexp.Regexp{waConvRe, waJSONRe, waToRe} {
		if re == waToRe && !relay {
			continue
		}
		v = re.ReplaceAllStringFunc(v, func(match string) string {
			sub := re.FindStringSubmatchIndex(match)
			u, e := m.user(ctx, match[sub[2]:sub[3]])
			if e != nil {
				err = e
				return match
			}
			changed = true
			return match[:sub[2]] + u + match[sub[3]:]
		})
	}
	return v, changed, err
}

// requeueEntry: KEYS stream, rec; ARGV entry, recipient (pseudonym),
// group. The entry goes to the end of the queue under the pseudonym; a
// send it had begun ("sending|<entry>") follows it, so it is counted
// unknown as any interrupted send.
var requeueEntry = redis.NewScript(`
local id = redis.call('XADD', KEYS[1], '*', 'c', ARGV[2])
if redis.call('HGET', KEYS[2], ARGV[2]) == 'sending|' .. ARGV[1] then
  redis.call('HSET', KEYS[2], ARGV[2], 'sending|' .. id)
end
redis.pcall('XACK', KEYS[1], ARGV[3], ARGV[1])
redis.call('XDEL', KEYS[1], ARGV[1])
return id
`)

// requeue queues the entries of broadcast queue k that name a WhatsApp id
// again under its pseudonym.
func (m *waMigrator) requeue(ctx context.Context, k string) (int, error) {
	rec := strings.TrimSuffix(k, ":q:"+string(bot.WhatsApp)) + ":rec"
	msgs, err := m.s.rdb.XRange(ctx, k, "-", "+").Result()
	if err != nil {
		return 0, fmt.Errorf("migrate %s: %w", k, err)
	}
	n := 0
	for _, msg := range msgs {
		cs, _ := msg.Values["c"].(string)
		id, ok := strings.CutPrefix(cs, "whatsapp:")
		if !ok || IsWhatsAppPseudonym(id) {
			continue
		}
		u, err := m.user(ctx, id)
		if err != nil {
			return n, err
		}
		to := bot.Conversation{Channel: bot.WhatsApp, User: u}.String()
		if err := requeueEntry.Run(ctx, m.s.rdb, []string{k, rec}, msg.ID, to, fanoutGroup).Err(); err != nil {
			return n, fmt.Errorf("migrate %s: %w", k, err)
		}
		n++
	}
	return n, nil
}

// turnKeyRe is a conversation's turn key: its shard follows the user.
var turnKeyRe = regexp.MustCompile(`^\{q:[0-9]+\}:c:whatsapp:([^:]+):(state|profile|inbox)$`)

// key migrates one key; stream reports a stream, left to requeue.
func (m *waMigrator) key(ctx context.Context, k string) (renamed, rewritten, stream bool, err error) {
	s := m.s
	typ, err := s.rdb.Type(ctx, k).Result()
	if err != nil {
		return false, false, false, fmt.Errorf("migrate %s: type: %w", k, err)
	}
	if typ == "stream" || typ == "none" {
		return false, false, typ == "stream", nil
	}
	rest := strings.TrimPrefix(k, s.prefix+":")
	relay := rest == "{wa}:relay"
	dst := k
	if sm := turnKeyRe.FindStringSubmatch(rest); sm != nil && !IsWhatsAppPseudonym(sm[1]) {
		u, err := m.user(ctx, sm[1])
		if err != nil {
			return false, false, false, err
		}
		tk := s.turnKeys(bot.Conversation{Channel: bot.WhatsApp, User: u})
		dst = map[string]string{"state": tk.state, "profile": tk.profile, "inbox": tk.inbox}[sm[2]]
	} else if dst, _, err = m.rewrite(ctx, k, false); err != nil {
		return false, false, false, err
	}
	if typ == "zset" && strings.HasPrefix(rest, "{q:") && (strings.HasSuffix(rest, "}:pending") || strings.HasSuffix(rest, "}:outq")) {
		moved, err := m.moveShardMembers(ctx, k, strings.HasSuffix(rest, ":pending"))
		return false, moved, false, err
	}
	changed, err := m.moveTo(ctx, k, dst, typ, relay)
	return dst != k, changed, false, err
}

// moveShardMembers moves WhatsApp ids of a shard's pending or outbox set
// to their pseudonym's shard, with their score.
func (m *waMigrator) moveShardMembers(ctx context.Context, k string, pending bool) (bool, error) {
	s := m.s
	zs, err := s.rdb.ZRangeWithScores(ctx, k, 0, -1).Result()
	if err != nil {
		return false, fmt.Errorf("migrate %s: %w", k, err)
	}
	moved := false
	for _, z := range zs {
		member, _ := z.Member.(string)
		id, ok := strings.CutPrefix(member, "whatsapp:")
		if !ok || IsWhatsAppPseudonym(id) {
			continue
		}
		u, err := m.user(ctx, id)
		if err != nil {
			return moved, err
		}
		c := bot.Conversation{Channel: bot.WhatsApp, User: u}
		tk := s.turnKeys(c)
		dst := tk.outq
		if pending {
			dst = tk.pending
		}
		if err := s.rdb.ZAdd(ctx, dst, redis.Z{Score: z.Score, Member: c.String()}).Err(); err != nil {
			return moved, fmt.Errorf("migrate %s: %w", k, err)
		}
		if err := s.rdb.ZRem(ctx, k, member).Err(); err != nil {
			return moved, fmt.Errorf("migrate %s: %w", k, err)
		}
		moved = true
	}
	return moved, nil
}

// moveTo writes k's content, rewritten, to dst with k's expiry, then
// deletes k (a key at its new name already was written by an interrupted
// run: only k goes). With dst == k, k is rewritten in one transaction
// when anything in it named a WhatsApp id; changed reports that.
func (m *waMigrator) moveTo(ctx context.Context, k, dst, typ string, relay bool) (changed bool, err error) {
	s := m.s
	if dst != k {
		exists, err := s.rdb.Exists(ctx, dst).Result()
		if err != nil {
			return false, fmt.Errorf("migrate %s: %w", k, err)
		}
		if exists == 1 {
			return true, s.rdb.Del(ctx, k).Err()
		}
	}
	ttl, err := s.rdb.PTTL(ctx, k).Result()
	if err != nil {
		return false, fmt.Errorf("migrate %s: ttl: %w", k, err)
	}
	write, changed, err := m.content(ctx, k, dst, typ, relay)
	if err != nil || !changed && dst == k {
		return false, err
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, dst)
		write(p)
		if ttl > 0 {
			p.PExpire(ctx, dst, ttl)
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("migrate %s: write: %w", k, err)
	}
	if dst != k {
		if err := s.rdb.Del(ctx, k).Err(); err != nil {
			return false, fmt.Errorf("migrate %s: delete: %w", k, err)
		}
	}
	return true, nil
}

// content reads k and returns what writes it, rewritten, to dst, and
// whether anything named a WhatsApp id.
func (m *waMigrator) content(ctx context.Context, k, dst, typ string, relay bool) (func(redis.Pipeliner), bool, error) {
	s := m.s
	changed := false
	rw := func(v string) (string, error) {
		out, ch, err := m.rewrite(ctx, v, relay)
		changed = changed || ch
		return out, err
	}
	fail := func(err error) (func(redis.Pipeliner), bool, error) {
		return nil, false, fmt.Errorf("migrate %s: %w", k, err)
	}
	switch typ {
	case "string":
		v, err := s.rdb.Get(ctx, k).Result()
		if err != nil {
			return fail(err)
		}
		if v, err = rw(v); err != nil {
			return fail(err)
		}
		return func(p redis.Pipeliner) { p.Set(ctx, dst, v, 0) }, changed, nil
	case "hash":
		h, err := s.rdb.HGetAll(ctx, k).Result()
		if err != nil {
			return fail(err)
		}
		out := make(map[string]any, len(h))
		for f, v := range h {
			if f, err = rw(f); err == nil {
				v, err = rw(v)
			}
			if err != nil {
				return fail(err)
			}
			out[f] = v
		}
		return func(p redis.Pipeliner) {
			if len(out) > 0 {
				p.HSet(ctx, dst, out)
			}
		}, changed, nil
	case "set":
		ms, err := s.rdb.SMembers(ctx, k).Result()
		if err != nil {
			return fail(err)
		}
		out := make([]any, len(ms))
		for i, v := range ms {
			if v, err = rw(v); err != nil {
				return fail(err)
			}
			out[i] = v
		}
		return func(p redis.Pipeliner) {
			if len(out) > 0 {
				p.SAdd(ctx, dst, out...)
			}
		}, changed, nil
	case "zset":
		zs, err := s.rdb.ZRangeWithScores(ctx, k, 0, -1).Result()
		if err != nil {
			return fail(err)
		}
		for i := range zs {
			v, _ := zs[i].Member.(string)
			if v, err = rw(v); err != nil {
				return fail(err)
			}
			zs[i].Member = v
		}
		return func(p redis.Pipeliner) {
			if len(zs) > 0 {
				p.ZAdd(ctx, dst, zs...)
			}
		}, changed, nil
	case "list":
		vs, err := s.rdb.LRange(ctx, k, 0, -1).Result()
		if err != nil {
			return fail(err)
		}
		out := make([]any, len(vs))
		for i, v := range vs {
			if v, err = rw(v); err != nil {
				return fail(err)
			}
			out[i] = v
		}
		return func(p redis.Pipeliner) {
			if len(out) > 0 {
				p.RPush(ctx, dst, out...)
			}
		}, changed, nil
	}
	return fail(fmt.Errorf("unexpected type %s", typ))
}
