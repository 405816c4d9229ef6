package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// Hand-over tickets (issue 14). Each ticket has its own hash tag, so a
// ticket's two keys live together on one cluster node and its claim is a
// single-key transaction:
//   {tk:<id>}:t        hash: the ticket's fields
//   {tk:<id>}:m        list: its messages (JSON), oldest first
//   {tk:<id>}:seen     set: the chat message ids added, so a turn run again adds none twice
// The index shares the tag {tki}:
//   open               zset id → opened (ms), oldest first
//   closed             zset id → closed (ms)
//   conv:<conv>        the conversation's open ticket id
//   byconv:<conv>      set of all the conversation's ticket ids (data saya, hapus data)
//   seq                counter for ids
// A closed ticket, its messages and the files officers sent in it expire
// after TicketTTL (the files are kept while it is open); the index
// entries of expired tickets are dropped when they are next read.

const ticketIndexTag = "tki"

var _ umkm.TicketStore = (*TicketStore)(nil)

func (s *TicketStore) ticketKey(id string) string  { return s.Key("tk:"+id, "t") }
func (s *TicketStore) ticketMsgs(id string) string { return s.Key("tk:"+id, "m") }
func (s *TicketStore) ticketSeen(id string) string { return s.Key("tk:"+id, "seen") }
func (s *TicketStore) tkIndex(parts ...string) string {
	return s.Key(ticketIndexTag, parts...)
}

// OpenTicket stores a new ticket with its first message (see
// umkm.TicketStore). A conversation has one open ticket: when it already
// has one, that one's id is returned and nothing is added.
func (s *TicketStore) OpenTicket(ctx context.Context, t *umkm.Ticket, first umkm.TicketMsg) (string, int, error) {
	convKey := s.tkIndex("conv", t.Conv.String())
	if id, err := s.OpenTicketOf(ctx, t.Conv); err != nil || id != "" {
		pos, perr := s.ticketPosition(ctx, id)
		return id, pos, errors.Join(err, perr)
	}
	n, err := s.rdb.Incr(ctx, s.tkIndex("seq")).Result()
	if err != nil {
		return "", 0, fmt.Errorf("open ticket: %w", err)
	}
	id := fmt.Sprintf("TK-%06d", n)
	won, err := s.rdb.SetNX(ctx, convKey, id, 0).Result()
	if err != nil {
		return "", 0, fmt.Errorf("open ticket: %w", err)
	}
	if !won { // opened by a turn running at the same moment
		id, err = s.rdb.Get(ctx, convKey).Result()
		if err != nil {
			return "", 0, fmt.Errorf("open ticket: %w", err)
		}
		pos, err := s.ticketPosition(ctx, id)
		return id, pos, err
	}
	msg, err := json.Marshal(first)
	if err != nil {
		return "", 0, fmt.Errorf("encode ticket message: %w", err)
	}
	opened := t.Opened
	if opened.IsZero() {
		opened = s.now()
	}
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.ticketKey(id), map[string]any{
			"conv": t.Conv.String(), "region": t.Region, "reg": t.RegID, "business": t.Business, "flow": t.Flow,
			"lang": t.Lang, "status": string(umkm.TicketOpen), "opened": opened.UnixMilli(),
		})
		p.RPush(ctx, s.ticketMsgs(id), msg)
		if first.ID != "" {
			p.SAdd(ctx, s.ticketSeen(id), first.ID)
		}
		p.ZAdd(ctx, s.tkIndex("open"), redis.Z{Score: float64(opened.UnixMilli()), Member: id})
		p.SAdd(ctx, s.tkIndex("byconv", t.Conv.String()), id)
		return nil
	})
	if err != nil {
		return "", 0, fmt.Errorf("open ticket %s: %w", id, err)
	}
	pos, err := s.ticketPosition(ctx, id)
	return id, pos, err
}

// ticketPosition is the ticket's place among the open tickets (1 first).
func (s *TicketStore) ticketPosition(ctx context.Context, id string) (int, error) {
	if id == "" {
		return 0, nil
	}
	r, err := s.rdb.ZRank(ctx, s.tkIndex("open"), id).Result()
	if isNil(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("ticket %s position: %w", id, err)
	}
	return int(r) + 1, nil
}

// OpenTicketOf returns the conversation's open ticket id, "" for none.
func (s *TicketStore) OpenTicketOf(ctx context.Context, c bot.Conversation) (string, error) {
	id, err := s.rdb.Get(ctx, s.tkIndex("conv", c.String())).Result()
	if isNil(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("open ticket of %s: %w", c.Masked(), err)
	}
	return id, nil
}

// AddTicketMsg appends a message to an open ticket; umkm.ErrTicketClosed
// when it is closed or gone.
func (s *TicketStore) AddTicketMsg(ctx context.Context, id string, m umkm.TicketMsg) error {
	status, err := s.rdb.HGet(ctx, s.ticketKey(id), "status").Result()
	if isNil(err) || (err == nil && status != string(umkm.TicketOpen)) {
		return fmt.Errorf("ticket %s: %w", id, umkm.ErrTicketClosed)
	}
	if err != nil {
		return fmt.Errorf("ticket %s: %w", id, err)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode ticket message: %w", err)
	}
	if m.ID != "" {
		n, err := s.rdb.SAdd(ctx, s.ticketSeen(id), m.ID).Result()
		if err != nil {
			return fmt.Errorf("ticket %s: add message: %w", id, err)
		}
		if n == 0 {
			return nil // added by an earlier run of the same turn
		}
	}
	if err := s.rdb.RPush(ctx, s.ticketMsgs(id), b).Err(); err != nil {
		return fmt.Errorf("ticket %s: add message: %w", id, err)
	}
	return nil
}

// releaseConvScript: KEYS conv key; ARGV id. Deletes the conversation's
// open-ticket pointer when it still names this ticket.
var releaseConvScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// CloseTicket closes a ticket (see umkm.TicketStore); closing a closed
// ticket again changes nothing. The ticket then expires after TicketTTL.
func (s *TicketStore) CloseTicket(ctx context.Context, id, by, outcome string, at time.Time) error {
	t, err := s.Ticket(ctx, id, true)
	if errors.Is(err, bot.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if t.Status == umkm.TicketClosed {
		return nil
	}
	if err := releaseConvScript.Run(ctx, s.rdb, []string{s.tkIndex("conv", t.Conv.String())}, id).Err(); err != nil && !isNil(err) {
		return fmt.Errorf("close ticket %s: %w", id, err)
	}
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.ticketKey(id), "status", string(umkm.TicketClosed), "closed", at.UnixMilli(), "closed_by", by, "outcome", outcome)
		p.Expire(ctx, s.ticketKey(id), s.ticketTTL)
		p.Expire(ctx, s.ticketMsgs(id), s.ticketTTL)
		p.Expire(ctx, s.ticketSeen(id), s.ticketTTL)
		for _, f := range s.officerFiles(t) {
			p.Expire(ctx, f, s.ticketTTL) // the files expire with the ticket
		}
		p.ZRem(ctx, s.tkIndex("open"), id)
		p.ZAdd(ctx, s.tkIndex("closed"), redis.Z{Score: float64(at.UnixMilli()), Member: id})
		return nil
	})
	if err != nil {
		return fmt.Errorf("close ticket %s: %w", id, err)
	}
	return nil
}

// Ticket reads one ticket, with its messages when msgs; bot.ErrNotFound.
func (s *TicketStore) Ticket(ctx context.Context, id string, msgs bool) (*umkm.Ticket, error) {
	ts, err := s.loadTickets(ctx, []string{id}, msgs)
	if err != nil {
		return nil, fmt.Errorf("ticket %s: %w", id, err)
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("ticket %s: %w", id, bot.ErrNotFound)
	}
	return ts[0], nil
}

func decodeTicket(id string, f map[string]string) *umkm.Ticket {
	ms := func(k string) time.Time {
		n, err := strconv.ParseInt(f[k], 10, 64)
		if err != nil || n == 0 {
			return time.Time{}
		}
		return time.UnixMilli(n)
	}
	c, _ := bot.ParseConversation(f["conv"])
	return &umkm.Ticket{ID: id, Conv: c, Region: f["region"], RegID: f["reg"], Business: f["business"], Flow: f["flow"],
		Lang: f["lang"], Status: umkm.TicketStatus(f["status"]), Opened: ms("opened"), Officer: f["officer"],
		LeaseUntil: ms("lease"), Claimed: ms("claimed"), FirstAnswer: ms("first"), Closed: ms("closed"), ClosedBy: f["closed_by"],
		Outcome: f["outcome"], Reminded: f["reminded"] != "", MovedTo: f["moved_to"], MovedBy: f["moved_by"]}
}

// Tickets lists open tickets oldest first, or the latest closed ones,
// up to max, without their messages.
func (s *TicketStore) Tickets(ctx context.Context, closed bool, max int) ([]*umkm.Ticket, error) {
	var ids []string
	var err error
	if closed {
		ids, err = s.rdb.ZRevRange(ctx, s.tkIndex("closed"), 0, int64(max)-1).Result()
	} else {
		ids, err = s.rdb.ZRange(ctx, s.tkIndex("open"), 0, int64(max)-1).Result()
	}
	if err != nil {
		return nil, fmt.Errorf("list tickets: %w", err)
	}
	return s.loadTickets(ctx, ids, false)
}

// loadTickets reads tickets in one pipeline, dropping the index entries of
// expired ones.
func (s *TicketStore) loadTickets(ctx context.Context, ids []string, msgs bool) ([]*umkm.Ticket, error) {
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	lists := make([]*redis.StringSliceCmd, len(ids))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGetAll(ctx, s.ticketKey(id))
			if msgs {
				lists[i] = p.LRange(ctx, s.ticketMsgs(id), 0, -1)
			}
		}
		return nil
	})
	if err != nil && !isNil(err) {
		return nil, fmt.Errorf("load tickets: %w", err)
	}
	var out []*umkm.Ticket
	var gone []any
	for i, id := range ids {
		if len(cmds[i].Val()) == 0 {
			gone = append(gone, id)
			continue
		}
		t := decodeTicket(id, cmds[i].Val())
		if msgs {
			for _, raw := range lists[i].Val() {
				var tm umkm.TicketMsg
				if json.Unmarshal([]byte(raw), &tm) == nil {
					t.Messages = append(t.Messages, tm)
				}
			}
		}
		out = append(out, t)
	}
	if len(gone) > 0 {
		s.rdb.ZRem(ctx, s.tkIndex("closed"), gone...)
	}
	return out, nil
}

// ClaimTicket gives the ticket's claim to officer until now+lease: when
// nobody holds it, its lease ran out, or officer holds it already (then it
// is renewed). Another officer's live claim is a *umkm.HeldError naming them.
func (s *TicketStore) ClaimTicket(ctx context.Context, id, officer string, lease time.Duration, now time.Time) (*umkm.Ticket, error) {
	var t *umkm.Ticket
	err := s.ticketTx(ctx, id, officer, now, func(p redis.Pipeliner, cur *umkm.Ticket) {
		p.HSet(ctx, s.ticketKey(id), "officer", officer, "lease", now.Add(lease).UnixMilli())
		p.HSetNX(ctx, s.ticketKey(id), "claimed", now.UnixMilli())
		if cur.MovedTo != "" && cur.MovedTo != officer { // taken by someone else meanwhile
			p.HDel(ctx, s.ticketKey(id), "moved_to", "moved_by")
			cur.MovedTo, cur.MovedBy = "", ""
		}
		cur.Officer, cur.LeaseUntil = officer, now.Add(lease)
		t = cur
	})
	return t, err
}

// AnswerTicket records an officer's text reply (see AnswerTicketMsg).
func (s *TicketStore) AnswerTicket(ctx context.Context, id, officer, text string, lease time.Duration, now time.Time) (int, error) {
	return s.AnswerTicketMsg(ctx, id, umkm.TicketMsg{Officer: officer, Kind: bot.KindText, Text: text}, lease, now)
}

// AnswerTicketMsg records an officer's reply, text with a picture or
// document (m.Media) or without: m.Officer must hold the claim or take it
// (see ClaimTicket), which is renewed. It returns the reply's number in the
// ticket, for an id the dispatcher dedupes on.
func (s *TicketStore) AnswerTicketMsg(ctx context.Context, id string, m umkm.TicketMsg, lease time.Duration, now time.Time) (int, error) {
	m.At, m.From = now, umkm.FromOfficer
	if m.Kind == "" {
		m.Kind = bot.KindText
	}
	b, err := json.Marshal(m)
	if err != nil {
		return 0, fmt.Errorf("encode ticket message: %w", err)
	}
	var n *redis.IntCmd
	err = s.ticketTx(ctx, id, m.Officer, now, func(p redis.Pipeliner, cur *umkm.Ticket) {
		n = p.RPush(ctx, s.ticketMsgs(id), b)
		p.HSet(ctx, s.ticketKey(id), "officer", m.Officer, "lease", now.Add(lease).UnixMilli())
		p.HSetNX(ctx, s.ticketKey(id), "claimed", now.UnixMilli())
		p.HSetNX(ctx, s.ticketKey(id), "first", now.UnixMilli())
		p.HDel(ctx, s.ticketKey(id), "moved_to", "moved_by") // answered: no longer new to anyone
	})
	if err != nil {
		return 0, err
	}
	if m.Media != nil && m.Media.Ref != "" {
		// The file lives as long as its ticket: kept while the ticket is
		// open, then expiring with it (CloseTicket), erased with it
		// (EraseTickets). Its own key is in another slot, so not in the
		// transaction: a failure here leaves it its upload's expiry.
		if err := s.rdb.Persist(ctx, s.imageKey(m.Media.Ref)).Err(); err != nil {
			return 0, fmt.Errorf("keep ticket %s file: %w", id, err)
		}
	}
	return int(n.Val()), nil
}

// TransferTicket moves the ticket's claim from one officer to another
// (until now+lease): from must hold it, or nobody does; an admin moving a
// ticket another officer holds passes that officer as from. The move is
// kept in the ticket's messages, so both officers and later readers see
// it. A *umkm.HeldError names a third officer who holds it meanwhile.
func (s *TicketStore) TransferTicket(ctx context.Context, id, from, to string, lease time.Duration, now time.Time) (*umkm.Ticket, error) {
	if to == "" || to == from {
		return nil, fmt.Errorf("ticket %s: transfer to %q: %w", id, to, umkm.ErrTransferTarget)
	}
	b, err := json.Marshal(umkm.TicketMsg{At: now, From: umkm.FromDesk, Officer: from, Kind: bot.KindText, TransferTo: to})
	if err != nil {
		return nil, fmt.Errorf("encode ticket message: %w", err)
	}
	var t *umkm.Ticket
	err = s.ticketTx(ctx, id, from, now, func(p redis.Pipeliner, cur *umkm.Ticket) {
		p.RPush(ctx, s.ticketMsgs(id), b)
		p.HSet(ctx, s.ticketKey(id), "officer", to, "lease", now.Add(lease).UnixMilli(), "moved_to", to, "moved_by", from)
		p.HSetNX(ctx, s.ticketKey(id), "claimed", now.UnixMilli())
		cur.Officer, cur.LeaseUntil, cur.MovedTo, cur.MovedBy = to, now.Add(lease), to, from
		t = cur
	})
	return t, err
}

// ticketTx runs change on an open ticket that officer may hold, in a
// WATCH transaction retried when the ticket changed meanwhile.
func (s *TicketStore) ticketTx(ctx context.Context, id, officer string, now time.Time, change func(redis.Pipeliner, *umkm.Ticket)) error {
	key := s.ticketKey(id)
	for try := 0; try < 16; try++ {
		err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			f, err := tx.HGetAll(ctx, key).Result()
			if err != nil {
				return err
			}
			if len(f) == 0 {
				return fmt.Errorf("ticket %s: %w", id, bot.ErrNotFound)
			}
			cur := decodeTicket(id, f)
			if cur.Status != umkm.TicketOpen {
				return fmt.Errorf("ticket %s: %w", id, umkm.ErrTicketClosed)
			}
			if h := cur.HeldBy(now); h != "" && h != officer {
				return &umkm.HeldError{Officer: h, Until: cur.LeaseUntil}
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error { change(p, cur); return nil })
			return err
		}, key)
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		return err
	}
	return fmt.Errorf("ticket %s: changed concurrently too often", id)
}

// RemindTickets returns the open tickets nobody holds that have waited
// longer than wait, each once: the first caller marks it reminded.
func (s *TicketStore) RemindTickets(ctx context.Context, wait time.Duration, now time.Time) ([]*umkm.Ticket, error) {
	ids, err := s.rdb.ZRangeByScore(ctx, s.tkIndex("open"), &redis.ZRangeBy{Min: "-inf",
		Max: strconv.FormatInt(now.Add(-wait).UnixMilli(), 10)}).Result()
	if err != nil {
		return nil, fmt.Errorf("tickets to remind: %w", err)
	}
	ts, err := s.loadTickets(ctx, ids, false)
	if err != nil {
		return nil, err
	}
	var out []*umkm.Ticket
	for _, t := range ts {
		if t.Reminded || !t.Waiting(now) {
			continue
		}
		won, err := s.rdb.HSetNX(ctx, s.ticketKey(t.ID), "reminded", now.UnixMilli()).Result()
		if err != nil {
			return out, fmt.Errorf("mark ticket %s reminded: %w", t.ID, err)
		}
		if won {
			out = append(out, t)
		}
	}
	return out, nil
}

// TicketsOf returns every ticket of a conversation kept, with messages,
// oldest first (data saya).
func (s *TicketStore) TicketsOf(ctx context.Context, c bot.Conversation) ([]*umkm.Ticket, error) {
	ids, err := s.rdb.SMembers(ctx, s.tkIndex("byconv", c.String())).Result()
	if err != nil {
		return nil, fmt.Errorf("tickets of %s: %w", c.Masked(), err)
	}
	slices.Sort(ids)
	return s.loadTickets(ctx, ids, true)
}

// EraseTickets deletes every ticket of a conversation with its messages,
// the files officers sent in them and the index entries (hapus data), and
// returns how many tickets there were.
func (s *TicketStore) EraseTickets(ctx context.Context, c bot.Conversation) (int, error) {
	ids, err := s.rdb.SMembers(ctx, s.tkIndex("byconv", c.String())).Result()
	if err != nil {
		return 0, fmt.Errorf("tickets of %s: %w", c.Masked(), err)
	}
	// The pictures and documents officers sent in them go too (they may
	// show the owner's own papers); they are kept like broadcast pictures.
	ts, err := s.loadTickets(ctx, ids, true)
	if err != nil {
		return 0, fmt.Errorf("erase tickets of %s: %w", c.Masked(), err)
	}
	var files []string
	for _, t := range ts {
		files = append(files, s.officerFiles(t)...)
	}
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, f := range files {
			p.Del(ctx, f)
		}
		for _, id := range ids {
			p.Del(ctx, s.ticketKey(id))
			p.Del(ctx, s.ticketMsgs(id))
			p.Del(ctx, s.ticketSeen(id))
			p.ZRem(ctx, s.tkIndex("open"), id)
			p.ZRem(ctx, s.tkIndex("closed"), id)
		}
		p.Del(ctx, s.tkIndex("conv", c.String()))
		p.Del(ctx, s.tkIndex("byconv", c.String()))
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("erase tickets of %s: %w", c.Masked(), err)
	}
	return len(ids), nil
}

// officerFiles are the keys of the pictures and documents officers sent
// in a ticket (t loaded with its messages).
func (s *TicketStore) officerFiles(t *umkm.Ticket) []string {
	var files []string
	for _, m := range t.Messages {
		if m.From == umkm.FromOfficer && m.Media != nil && m.Media.Ref != "" {
			files = append(files, s.imageKey(m.Media.Ref))
		}
	}
	return files
}
