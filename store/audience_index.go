package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// Audience index: in each kabupaten/kota's slot {r:<code>}, one set of
// registration ids per kecamatan (ix:k:<name without spaces, lower
// case>), sector (ix:s:), size class (ix:z:) and channel (ix:c:), kept by
// the registration scripts; ix:v marks a region whose older registrations
// were indexed too. A broadcast preview then counts an audience with
// SINTERCARD instead of reading every registration. The console's search
// index (regindex.go) lives beside it: status (ix:st:), words (ix:w:),
// the phone's last digits (ix:p:) and the word dictionary (ix:dict); ix:v
// "2" marks a region indexed for both.

var _ umkm.AudienceCounter = (*RegistrationStore)(nil)

// ixVersion is the index's layout; a region marked with an older one is
// indexed again at start.
const ixVersion = "2"

// ixName folds a kecamatan name as umkm.Audience compares them.
func ixName(s string) string { return strings.ReplaceAll(strings.ToLower(s), " ", "") }

// ixKeys returns the index sets registration r belongs to.
func (s *RegistrationStore) ixKeys(r *umkm.Registration) []string {
	tag := regionTag(r.Region)
	keys := []string{s.Key(tag, "ix:k:"+ixName(r.Kecamatan)), s.Key(tag, "ix:s:"+r.Sector),
		s.Key(tag, "ix:z:"+r.SizeClass), s.Key(tag, "ix:c:"+string(r.Conv.Channel))}
	for _, st := range r.Statuses() {
		keys = append(keys, s.Key(tag, "ix:st:"+st))
	}
	for _, w := range regWords(r) {
		keys = append(keys, s.Key(tag, ixWord+w))
	}
	if tails := s.phoneTails(r.Phone); len(tails) > 0 {
		keys = append(keys, s.Key(tag, ixPhone+tails[0]))
	}
	return keys
}

// ixLeaveKeys returns the index sets r may be in: ixKeys, and its phone's
// set under older data keys (a record indexed before a key rotation).
func (s *RegistrationStore) ixLeaveKeys(r *umkm.Registration) []string {
	keys := s.ixKeys(r)
	tag := regionTag(r.Region)
	if tails := s.phoneTails(r.Phone); len(tails) > 1 {
		for _, t := range tails[1:] {
			keys = append(keys, s.Key(tag, ixPhone+t))
		}
	}
	return keys
}

// EnsureAudienceIndex indexes the registrations of region made before the
// index existed (or before its current layout), once (ix:v marks it
// done); running it again changes nothing. Registrations created or
// changed meanwhile are indexed by their own scripts; a profile change
// racing the page that reads the same registration can leave it in a
// stale set until it changes again, so run it at start.
func (s *RegistrationStore) EnsureAudienceIndex(ctx context.Context, region string) error {
	tag := regionTag(region)
	marker := s.Key(tag, "ix:v")
	if v, err := s.rdb.Get(ctx, marker).Result(); err == nil && v == ixVersion {
		return nil
	} else if err != nil && !isNil(err) {
		return fmt.Errorf("index registrations of %s: %w", region, err)
	}
	p := s.rdb.Pipeline()
	flush := func() error {
		if p.Len() == 0 {
			return nil
		}
		_, err := p.Exec(ctx)
		return err
	}
	dict := s.Key(tag, ixDict)
	err := s.EachRegistration(ctx, region, func(r *umkm.Registration) error {
		for _, k := range s.ixKeys(r) {
			p.SAdd(ctx, k, r.ID)
		}
		for _, w := range dictWords(r) {
			p.ZAdd(ctx, dict, redis.Z{Member: w})
		}
		if p.Len() >= 2000 {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return fmt.Errorf("index registrations of %s: %w", region, err)
	}
	return s.rdb.Set(ctx, marker, ixVersion, 0).Err()
}

var ixTemp atomic.Int64

// errNoChannels: CountAudience counts on the channels the audience names;
// a caller counting everyone names the registered ones
// (umkm.AudienceSource.CountOn with bot.Channels.IDs).
var errNoChannels = errors.New("count audience: no channels named (pass the registered channels)")

// CountAudience counts audience a among region's registrations per
// channel from the index: SINTERCARD of one set per condition (a union
// when the condition lists several) and the channel's set, in one
// transaction of the region's slot, on the channels a names (a caller
// counting everyone names the registered channels; none is an error).
// umkm.ErrNoIndex for an audience by training or a region not indexed
// yet.
func (s *RegistrationStore) CountAudience(ctx context.Context, region string, a umkm.Audience) (map[bot.ChannelID]int, error) {
	if len(a.Trainings) > 0 {
		return nil, umkm.ErrNoIndex
	}
	n := map[bot.ChannelID]int{}
	if len(a.KabKota) > 0 && !slices.Contains(a.KabKota, region) {
		return n, nil
	}
	tag := regionTag(region)
	if ok, err := s.rdb.Exists(ctx, s.Key(tag, "ix:v")).Result(); err != nil || ok == 0 {
		if err != nil {
			return nil, fmt.Errorf("count audience: %w", err)
		}
		return nil, umkm.ErrNoIndex
	}
	channels := a.Channels
	if len(channels) == 0 {
		return nil, errNoChannels
	}
	var temps []string
	var conds [][]string
	for _, c := range []struct {
		kind string
		vals []string
	}{{"k", a.Kecamatan}, {"s", a.Sectors}, {"z", a.Sizes}} {
		if len(c.vals) == 0 {
			continue
		}
		keys := make([]string, len(c.vals))
		for i, v := range c.vals {
			if c.kind == "k" {
				v = ixName(v)
			}
			keys[i] = s.Key(tag, "ix:"+c.kind+":"+v)
		}
		conds = append(conds, keys)
	}
	cmds := make([]*redis.IntCmd, len(channels))
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		var sets []string
		for _, keys := range conds {
			if len(keys) == 1 {
				sets = append(sets, keys[0])
				continue
			}
			tmp := s.Key(tag, "ix:tmp:"+strconv.FormatInt(time.Now().UnixNano(), 36)+"-"+strconv.FormatInt(ixTemp.Add(1), 36))
			p.SUnionStore(ctx, tmp, keys...)
			p.Expire(ctx, tmp, time.Minute) // gone even if the DEL below never runs
			temps = append(temps, tmp)
			sets = append(sets, tmp)
		}
		for i, ch := range channels {
			cmds[i] = p.SInterCard(ctx, 0, append(slices.Clone(sets), s.Key(tag, "ix:c:"+string(ch)))...)
		}
		if len(temps) > 0 {
			p.Del(ctx, temps...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("count audience: %w", err)
	}
	for i, ch := range channels {
		if k := int(cmds[i].Val()); k > 0 {
			n[ch] = k
		}
	}
	return n, nil
}
