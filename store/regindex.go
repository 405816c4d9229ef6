package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot/umkm"
)

// The console's search index, beside the audience index in each
// kabupaten/kota's slot {r:<code>} and kept by the same registration
// scripts (create, update, erase):
//
//	ix:st:<status>  set of ids per umkm.RegStatus… (NIB or not, desa unlisted)
//	ix:w:<word>     set of ids per word of the owner's name, business name
//	                and desa (umkm.SearchWords)
//	ix:dict         sorted set (all scores 0) of those words, and of the
//	                kecamatan's words marked with their ix:k set, so a typed
//	                beginning finds the sets of the words it starts (ZRANGEBYLEX)
//	ix:p:<hmac>     set of ids per last 4 digits of the phone, under the
//	                data key's blind index (digits in clear without a key)
//	all             the registrations by time (registrations.go)
//
// A page of a search is one script in the slot (findRegs): it counts the
// matches (SCARD or SINTERCARD) and takes the page either from the
// matches themselves, sorted, when there are few (at most findSmall), or
// by walking `all` from the cursor and keeping the ids in every set, when
// there are many (then a page is near). Nothing reads every registration,
// and the NIK is searched through its blind index only (RegistrationsByNIK).

const (
	ixWord  = "ix:w:"
	ixPhone = "ix:p:"
	ixDict  = "ix:dict"
	// expandMax bounds the dictionary words one typed beginning stands for.
	expandMax      = 200
	fieldPhoneTail = "phone4"
)

// findSmall: up to this many matches a page intersects them with the
// time order; beyond it walks the registrations in time order. Negative:
// the script picks (a variable for the tests of both ways).
var findSmall = -1

// findChunk is how many registrations a walk reads at a time.
var findChunk = 256

// regWords returns the words of r a search finds it by in ix:w: those of
// the owner's name, the business name and the desa. The kecamatan's words
// point at its ix:k set instead (dictWords), which holds the same ids.
func regWords(r *umkm.Registration) []string {
	return umkm.SearchWords(r.OwnerName+" "+r.BusinessName+" "+r.Desa, 24)
}

// kecMark separates a kecamatan's word from its set in the dictionary:
// "jaya\x01cipocokjaya" stands for ix:k:cipocokjaya.
const kecMark = "\x01"

// dictWords returns the dictionary entries of r: its words, and its
// kecamatan's words marked with the kecamatan (never pruned: a
// kecamatan's name is no one's personal data).
func dictWords(r *umkm.Registration) []string {
	words := regWords(r)
	for _, w := range umkm.SearchWords(r.Kecamatan, 4) {
		words = append(words, w+kecMark+ixName(r.Kecamatan))
	}
	return words
}

// phoneTails returns the index values of the last 4 digits of phone, the
// newest data key's first (nil for a phone with fewer digits).
func (s *RegistrationStore) phoneTails(phone string) []string {
	var d []byte
	for i := 0; i < len(phone); i++ {
		if phone[i] >= '0' && phone[i] <= '9' {
			d = append(d, phone[i])
		}
	}
	if len(d) < 4 {
		return nil
	}
	return s.tailIndex(string(d[len(d)-4:]))
}

func (s *RegistrationStore) tailIndex(tail string) []string {
	if s.cipher == nil {
		return []string{tail}
	}
	return s.cipher.Index(fieldPhoneTail, tail)
}

// pruneWordsScript: KEYS the dictionary, then one word's set per ARGV
// word; drops from the dictionary each word no registration has any more
// (after an erasure or a correction), so a name leaves no trace.
var pruneWordsScript = redis.NewScript(`
for i = 1, #ARGV do
  if redis.call('EXISTS', KEYS[i + 1]) == 0 then redis.call('ZREM', KEYS[1], ARGV[i]) end
end
return 0
`)

// pruneWords drops the words of region's dictionary left without a
// registration.
func (s *RegistrationStore) pruneWords(ctx context.Context, region string, words []string) error {
	if len(words) == 0 {
		return nil
	}
	tag := regionTag(region)
	keys := []string{s.Key(tag, ixDict)}
	args := make([]any, len(words))
	for i, w := range words {
		keys = append(keys, s.Key(tag, ixWord+w))
		args[i] = w
	}
	if err := pruneWordsScript.Run(ctx, s.rdb, keys, args...).Err(); err != nil {
		return fmt.Errorf("prune search words: %w", err)
	}
	return nil
}

// findRegs: KEYS `all`, a scratch key, then per condition either its
// set, or a scratch key followed by the sets whose union it is; ARGV
// limit, "asc" or "desc", the cursor's score ("" for none) and id, the
// most matches taken through an intersection (negative: the square root
// of (limit+1) × registrations, where both ways cost about the same), the
// number of conditions, the walk's chunk, then each condition's number
// of sets. Returns {total, id, score, id, score, …}: up to limit+1 ids
// past the cursor in that order.
//
// Few matches are intersected with `all` into a sorted set of their
// times (ZINTERSTORE, in C), many are found by walking `all` from the
// cursor and keeping the ids in every condition's set; either way the
// page is then read from the cursor.
var findRegs = redis.NewScript(`
local limit = tonumber(ARGV[1])
local asc = ARGV[2] == 'asc'
local cs = tonumber(ARGV[3])
local cid = ARGV[4]
local small = tonumber(ARGV[5])
local ng = tonumber(ARGV[6])
local chunk = tonumber(ARGV[7])
local sets, temps, k = {}, {}, 3
for g = 1, ng do
  local n = tonumber(ARGV[7 + g])
  if n == 1 then
    sets[g] = KEYS[k]; k = k + 1
  else
    local src = {}
    for j = k + 1, k + n do src[#src + 1] = KEYS[j] end
    redis.call('SUNIONSTORE', KEYS[k], unpack(src))
    redis.call('PEXPIRE', KEYS[k], 60000) -- gone even if the script fails before its DEL
    temps[#temps + 1] = KEYS[k]
    sets[g] = KEYS[k]; k = k + n + 1
  end
end
local n = redis.call('ZCARD', KEYS[1])
local total
if ng == 0 then total = n
elseif ng == 1 then total = redis.call('SCARD', sets[1])
else total = redis.call('SINTERCARD', ng, unpack(sets)) end
if small < 0 then small = math.sqrt((limit + 1) * n) end
local src, check = KEYS[1], sets
if ng > 0 and total <= small then
  local args = {KEYS[2], ng + 1, KEYS[1]}
  for g = 1, ng do args[#args + 1] = sets[g] end
  args[#args + 1] = 'WEIGHTS'
  args[#args + 1] = 1
  for g = 1, ng do args[#args + 1] = 0 end
  redis.call('ZINTERSTORE', unpack(args))
  redis.call('PEXPIRE', KEYS[2], 60000)
  temps[#temps + 1] = KEYS[2]
  src, check = KEYS[2], {}
end
local function past(sc, id)
  if not cs then return true end
  if asc then return sc > cs or (sc == cs and id > cid) end
  return sc < cs or (sc == cs and id < cid)
end
local out = {}
local bound, skip = ARGV[3], 0
if bound == '' then if asc then bound = '-inf' else bound = '+inf' end end
while total > 0 and #out <= limit do
  local page
  if asc then page = redis.call('ZRANGEBYSCORE', src, bound, '+inf', 'WITHSCORES', 'LIMIT', skip, chunk)
  else page = redis.call('ZREVRANGEBYSCORE', src, bound, '-inf', 'WITHSCORES', 'LIMIT', skip, chunk) end
  if #page == 0 then break end
  for i = 1, #page, 2 do
    local id, s = page[i], page[i + 1]
    if past(tonumber(s), id) then
      local ok = true
      for g = 1, #check do if redis.call('SISMEMBER', check[g], id) == 0 then ok = false; break end end
      if ok then out[#out + 1] = {id, s}; if #out > limit then break end end
    end
  end
  local last = page[#page]
  if tonumber(last) == tonumber(bound) then
    skip = skip + #page / 2
  else
    bound, skip = last, 0
    for i = #page, 2, -2 do if page[i] == last then skip = skip + 1 else break end end
  end
end
if #temps > 0 then redis.call('DEL', unpack(temps)) end
local res = {total}
for i = 1, #out do res[#res + 1] = out[i][1]; res[#res + 1] = out[i][2] end
return res
`)

// regCursor is a place in the registrations by time: the registration
// time (ms) and id of the page's edge.
type regCursor struct {
	at int64
	id string
}

func (c regCursor) String() string { return strconv.FormatInt(c.at, 10) + "." + c.id }

func parseRegCursor(s string) (regCursor, bool) {
	at, id, ok := strings.Cut(s, ".")
	n, err := strconv.ParseInt(at, 10, 64)
	if !ok || err != nil || id == "" {
		return regCursor{}, false
	}
	return regCursor{n, id}, true
}

type foundReg struct {
	regCursor
	region string
}

// FindRegistrations returns a page of the registrations matching q,
// newest first (oldest first with q.Oldest), from the index: one script
// per kabupaten/kota searched, whatever their number of registrations.
// A region not indexed yet is indexed first (EnsureAudienceIndex).
func (s *RegistrationStore) FindRegistrations(ctx context.Context, q umkm.RegistrationQuery) (umkm.RegistrationPage, error) {
	var page umkm.RegistrationPage
	limit := q.Limit
	if limit <= 0 {
		limit = 25
	}
	limit = min(limit, 1000)
	cur, asc := q.After, q.Oldest
	if q.Before != "" {
		cur, asc = q.Before, !q.Oldest
	}
	var c regCursor
	if cur != "" {
		var ok bool
		if c, ok = parseRegCursor(cur); !ok {
			return page, fmt.Errorf("find registrations: bad cursor %q", cur)
		}
	}
	var found []foundReg
	for _, region := range q.Regions {
		total, ids, err := s.findIn(ctx, region, q, limit, asc, cur != "", c, false)
		if err != nil {
			return page, err
		}
		page.Total += total
		found = append(found, ids...)
	}
	slices.SortFunc(found, func(a, b foundReg) int {
		d := cmp.Or(cmp.Compare(a.at, b.at), strings.Compare(a.id, b.id))
		if asc {
			return d
		}
		return -d
	})
	more := len(found) > limit
	found = found[:min(len(found), limit)]
	back := q.Before != ""
	if back {
		slices.Reverse(found) // fetched towards the newer, shown in the query's order
	}
	if len(found) > 0 {
		first, last := found[0].regCursor.String(), found[len(found)-1].regCursor.String()
		switch {
		case back:
			page.Next = last // the page we came from
			if more {
				page.Prev = first
			}
		default:
			if more {
				page.Next = last
			}
			if cur != "" {
				page.Prev = first
			}
		}
	}
	if q.NoRecords {
		return page, nil
	}
	regs, err := s.loadRegs(ctx, found)
	page.Registrations = regs
	return page, err
}

// findIn runs findRegs in one kabupaten/kota.
func (s *RegistrationStore) findIn(ctx context.Context, region string, q umkm.RegistrationQuery, limit int, asc, hasCursor bool, c regCursor, indexed bool) (int, []foundReg, error) {
	tag := regionTag(region)
	var groups [][]string
	one := func(key string) { groups = append(groups, []string{s.Key(tag, key)}) }
	if q.Kecamatan != "" {
		one("ix:k:" + ixName(q.Kecamatan))
	}
	if q.Sector != "" {
		one("ix:s:" + q.Sector)
	}
	if q.Size != "" {
		one("ix:z:" + q.Size)
	}
	if q.Status != "" {
		one("ix:st:" + q.Status)
	}
	if q.PhoneTail != "" {
		var g []string
		for _, t := range s.tailIndex(q.PhoneTail) {
			g = append(g, s.Key(tag, ixPhone+t))
		}
		groups = append(groups, g)
	}
	// The words' beginnings, and whether the region is indexed, in one
	// round trip.
	dict := s.Key(tag, ixDict)
	var marker *redis.StringCmd
	expand := make([]*redis.StringSliceCmd, len(q.Words))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		marker = p.Get(ctx, s.Key(tag, "ix:v"))
		for i, w := range q.Words {
			expand[i] = p.ZRangeByLex(ctx, dict, &redis.ZRangeBy{Min: "[" + w, Max: "[" + w + "\xff", Count: expandMax})
		}
		return nil
	})
	if err != nil && !isNil(err) {
		return 0, nil, fmt.Errorf("find registrations: %w", err)
	}
	if v, _ := marker.Result(); v != ixVersion && !indexed {
		if err := s.EnsureAudienceIndex(ctx, region); err != nil {
			return 0, nil, err
		}
		return s.findIn(ctx, region, q, limit, asc, hasCursor, c, true)
	}
	for i, w := range q.Words {
		// the words it begins (itself too if it is one); none: its own,
		// empty, set. Two letters match a whole word only: as a beginning
		// they would stand for a large part of the dictionary.
		var g []string
		for _, x := range expand[i].Val() {
			word, kec, isKec := strings.Cut(x, kecMark)
			switch {
			case word != w && utf8.RuneCountInString(w) < 3:
			case isKec:
				g = append(g, s.Key(tag, "ix:k:"+kec))
			default:
				g = append(g, s.Key(tag, ixWord+x))
			}
		}
		slices.Sort(g)
		g = slices.Compact(g)
		if len(g) == 0 {
			g = []string{s.Key(tag, ixWord+w)}
		}
		groups = append(groups, g)
	}
	scratch := func() string {
		return s.Key(tag, "ix:tmp:"+strconv.FormatInt(time.Now().UnixNano(), 36)+"-"+strconv.FormatInt(ixTemp.Add(1), 36))
	}
	keys := []string{s.Key(tag, "all"), scratch()}
	score := ""
	if hasCursor {
		score = strconv.FormatInt(c.at, 10)
	}
	dir := "desc"
	if asc {
		dir = "asc"
	}
	args := []any{limit, dir, score, c.id, findSmall, len(groups), findChunk}
	for _, g := range groups {
		args = append(args, len(g))
		if len(g) > 1 {
			keys = append(keys, scratch())
		}
		keys = append(keys, g...)
	}
	res, err := findRegs.Run(ctx, s.rdb, keys, args...).Slice()
	if err != nil {
		return 0, nil, fmt.Errorf("find registrations in %s: %w", region, err)
	}
	total, _ := res[0].(int64)
	var out []foundReg
	for i := 1; i+1 < len(res); i += 2 {
		id, _ := res[i].(string)
		sc, _ := res[i+1].(string)
		at, err := strconv.ParseFloat(sc, 64)
		if err != nil {
			return 0, nil, fmt.Errorf("find registrations: score %q of %s", sc, id)
		}
		out = append(out, foundReg{regCursor{int64(at), id}, region})
	}
	return int(total), out, nil
}

// loadRegs reads the records of found, in its order: one MGET per
// kabupaten/kota (one slot each). A record erased meanwhile is left out.
func (s *RegistrationStore) loadRegs(ctx context.Context, found []foundReg) ([]*umkm.Registration, error) {
	byRegion := map[string][]int{}
	for i, f := range found {
		byRegion[f.region] = append(byRegion[f.region], i)
	}
	regs := make([]*umkm.Registration, len(found))
	for region, idx := range byRegion {
		tag := regionTag(region)
		keys := make([]string, len(idx))
		for j, i := range idx {
			keys[j] = s.Key(tag, "reg:"+found[i].id)
		}
		bodies, err := s.rdb.MGet(ctx, keys...).Result()
		if err != nil {
			return nil, fmt.Errorf("load registrations: %w", err)
		}
		for j, b := range bodies {
			str, ok := b.(string)
			if !ok {
				continue
			}
			r, _, err := s.decodeReg(found[idx[j]].id, []byte(str))
			if err != nil {
				return nil, err
			}
			regs[idx[j]] = r
		}
	}
	return slices.DeleteFunc(regs, func(r *umkm.Registration) bool { return r == nil }), nil
}

// RegistrationStats counts region's registrations from the index, in one
// round trip: all of them, per kecamatan, sector, size class and status
// asked (in that order), and per week from each of weeks (ascending) to
// the next, the last to now.
func (s *RegistrationStore) RegistrationStats(ctx context.Context, region string, kecamatan, sectors, sizes, statuses []string, weeks []time.Time) (umkm.RegistrationStats, error) {
	var st umkm.RegistrationStats
	tag := regionTag(region)
	if v, err := s.rdb.Get(ctx, s.Key(tag, "ix:v")).Result(); (err == nil || isNil(err)) && v != ixVersion {
		if err := s.EnsureAudienceIndex(ctx, region); err != nil {
			return st, err
		}
	}
	var total *redis.IntCmd
	cards := func(p redis.Pipeliner, kind string, vals []string, fold func(string) string) []*redis.IntCmd {
		cmds := make([]*redis.IntCmd, len(vals))
		for i, v := range vals {
			cmds[i] = p.SCard(ctx, s.Key(tag, "ix:"+kind+":"+fold(v)))
		}
		return cmds
	}
	same := func(v string) string { return v }
	var kc, sc, zc, tc, wc []*redis.IntCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		all := s.Key(tag, "all")
		total = p.ZCard(ctx, all)
		kc = cards(p, "k", kecamatan, ixName)
		sc = cards(p, "s", sectors, same)
		zc = cards(p, "z", sizes, same)
		tc = cards(p, "st", statuses, same)
		for i, w := range weeks {
			max := "+inf"
			if i+1 < len(weeks) {
				max = "(" + strconv.FormatInt(weeks[i+1].UnixMilli(), 10)
			}
			wc = append(wc, p.ZCount(ctx, all, strconv.FormatInt(w.UnixMilli(), 10), max))
		}
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("count registrations of %s: %w", region, err)
	}
	vals := func(cmds []*redis.IntCmd) []int {
		out := make([]int, len(cmds))
		for i, c := range cmds {
			out[i] = int(c.Val())
		}
		return out
	}
	st.Total = int(total.Val())
	st.Kecamatan, st.Sectors, st.Sizes, st.Statuses, st.Weeks = vals(kc), vals(sc), vals(zc), vals(tc), vals(wc)
	return st, nil
}
