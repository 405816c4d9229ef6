package embedded

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/alicebob/miniredis/v2"
)

// The snapshot file.

type embFile struct {
	Version int       `json:"version"`
	SavedAt time.Time `json:"saved_at"`
	// Clock is the store's TTL clock when the keys were read: expiry times
	// count from it, and journal records replayed after the snapshot carry
	// their own. Version 1 files have none (their SavedAt serves).
	Clock time.Time `json:"clock,omitzero"`
	// Journal is the number of the first journal file to replay after the
	// snapshot; every write before it is in the snapshot.
	Journal uint64   `json:"journal,omitempty"`
	Keys    []embKey `json:"keys"`
}

// embKey is one key. Exactly the field of its type is set.
type embKey struct {
	Key       embString      `json:"key"`
	Type      string         `json:"type"`
	ExpiresAt time.Time      `json:"expires_at,omitzero"`
	String    *embString     `json:"string,omitempty"`
	Hash      [][2]embString `json:"hash,omitempty"` // field, value; by field
	List      []embString    `json:"list,omitempty"`
	Set       []embString    `json:"set,omitempty"`    // sorted
	ZSet      []embZMember   `json:"zset,omitempty"`   // by score, then member
	Stream    []embEntry     `json:"stream,omitempty"` // oldest first
}

type embZMember struct {
	Member embString `json:"member"`
	Score  string    `json:"score"` // strconv 'g' -1: exact, and "+Inf"/"-Inf" fit
}

type embEntry struct {
	ID     string      `json:"id"`
	Values []embString `json:"values"` // field, value, field, value, ...
}

// embString is a Redis string: a JSON string when it is valid UTF-8 (the
// file stays readable), else {"base64": "..."} (it stays exact).
type embString string

func (s embString) MarshalJSON() ([]byte, error) {
	if utf8.ValidString(string(s)) {
		return json.Marshal(string(s))
	}
	return json.Marshal(struct {
		B64 string `json:"base64"`
	}{base64.StdEncoding.EncodeToString([]byte(s))})
}

func (s *embString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = embString(v)
		return nil
	}
	var v struct {
		B64 *string `json:"base64"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v.B64 == nil {
		return errors.New(`want a string or {"base64": ...}`)
	}
	raw, err := base64.StdEncoding.DecodeString(*v.B64)
	if err != nil {
		return err
	}
	*s = embString(raw)
	return nil
}

// Loading.

// embLoad decodes a snapshot into m, which must be empty. Expiry times count
// from the snapshot's clock, which it returns: the caller replays the journal
// from there and then moves the clock to now. Keys already expired at that
// clock are left out. Errors name keys by position: key names carry phone
// numbers.
func embLoad(m *miniredis.Miniredis, data []byte, now time.Time) (f embFile, loaded int, err error) {
	if err := json.Unmarshal(data, &f); err != nil {
		return f, 0, err
	}
	if f.Version != 1 && f.Version != embSnapshotVersion {
		return f, 0, fmt.Errorf("unsupported snapshot version %d (this program reads versions 1 and %d)", f.Version, embSnapshotVersion)
	}
	if f.Clock.IsZero() {
		f.Clock = now // version 1: expiry against the wall clock
	}
	for i, k := range f.Keys {
		var ttl time.Duration
		if !k.ExpiresAt.IsZero() {
			if ttl = k.ExpiresAt.Sub(f.Clock); ttl <= 0 {
				continue
			}
		}
		if err := embRestore(m, k); err != nil {
			return f, 0, fmt.Errorf("key #%d (%s): %w", i+1, k.Type, err)
		}
		if ttl > 0 {
			m.SetTTL(string(k.Key), ttl)
		}
		loaded++
	}
	return f, loaded, nil
}

func embRestore(m *miniredis.Miniredis, k embKey) error {
	key := string(k.Key)
	if m.Exists(key) {
		return errors.New("appears twice")
	}
	n := 0
	switch k.Type {
	case "string":
		if k.String == nil {
			return errors.New("no value")
		}
		return m.Set(key, string(*k.String))
	case "hash":
		fv := make([]string, 0, 2*len(k.Hash))
		for _, p := range k.Hash {
			fv = append(fv, string(p[0]), string(p[1]))
		}
		n = len(k.Hash)
		if n > 0 {
			m.HSet(key, fv...)
		}
	case "list":
		n = len(k.List)
		if n > 0 {
			if _, err := m.Push(key, embStrings(k.List)...); err != nil {
				return err
			}
		}
	case "set":
		n = len(k.Set)
		if n > 0 {
			if _, err := m.SetAdd(key, embStrings(k.Set)...); err != nil {
				return err
			}
		}
	case "zset":
		n = len(k.ZSet)
		for _, z := range k.ZSet {
			score, err := strconv.ParseFloat(z.Score, 64)
			if err != nil {
				return fmt.Errorf("score: %w", err)
			}
			if _, err := m.ZAdd(key, score, string(z.Member)); err != nil {
				return err
			}
		}
	case "stream":
		n = len(k.Stream)
		for _, en := range k.Stream {
			if len(en.Values) == 0 || len(en.Values)%2 != 0 {
				return fmt.Errorf("entry %s: want field, value pairs", en.ID)
			}
			if _, err := m.XAdd(key, en.ID, embStrings(en.Values)); err != nil {
				return fmt.Errorf("entry %s: %w", en.ID, err)
			}
		}
	default:
		return fmt.Errorf("unknown type %q", k.Type)
	}
	if n == 0 {
		return errors.New("no elements")
	}
	return nil
}

func embStrings(s []embString) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = string(v)
	}
	return out
}

// Saving.

// embSnapshotScript reads database 0 in one go: miniredis runs a script under
// its lock, so no command runs halfway through. Each key is
// {name, type, pttl, value}.
const embSnapshotScript = `
local out = {}
for _, k in ipairs(redis.call('KEYS', '*')) do
  local t = redis.call('TYPE', k)['ok']
  local v = {}
  if t == 'string' then v = {redis.call('GET', k)}
  elseif t == 'hash' then v = redis.call('HGETALL', k)
  elseif t == 'list' then v = redis.call('LRANGE', k, 0, -1)
  elseif t == 'set' then v = redis.call('SMEMBERS', k)
  elseif t == 'zset' then v = redis.call('ZRANGE', k, 0, -1, 'WITHSCORES')
  elseif t == 'stream' then v = redis.call('XRANGE', k, '-', '+')
  end
  out[#out+1] = {k, t, redis.call('PTTL', k), v}
end
return out`

// embDecode turns the script's reply into keys, sorted by name. skipped
// counts the keys left out, by type. clock is the TTL clock at the read and ttl gives a key's exact time to
// live (PTTL is rounded to the millisecond).
func embDecode(res []any, clock time.Time, ttl func(string) time.Duration) (keys []embKey, skipped map[string]int, err error) {
	for _, r := range res {
		row, ok := r.([]any)
		if !ok || len(row) != 4 {
			return nil, nil, fmt.Errorf("unexpected reply %T", r)
		}
		name, _ := row[0].(string)
		typ, _ := row[1].(string)
		pttl, _ := row[2].(int64)
		vals, _ := row[3].([]any)
		k := embKey{Key: embString(name), Type: typ}
		if pttl > 0 {
			d := ttl(name)
			if d <= 0 {
				d = time.Duration(pttl) * time.Millisecond
			}
			k.ExpiresAt = clock.Add(d).UTC()
		}
		ok, err := embDecodeValue(&k, vals)
		if err != nil {
			return nil, nil, fmt.Errorf("%s key: %w", typ, err)
		}
		if !ok {
			if skipped == nil {
				skipped = map[string]int{}
			}
			if typ == "stream" {
				typ = "empty stream"
			}
			skipped[typ]++
			continue
		}
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b embKey) int { return strings.Compare(string(a.Key), string(b.Key)) })
	return keys, skipped, nil
}

// embDecodeValue fills the field of k's type; false means the key cannot be kept.
func embDecodeValue(k *embKey, vals []any) (bool, error) {
	// strs reads a flat reply of strings; pairs asks for an even length.
	strs := func(pairs bool) ([]embString, error) {
		if pairs && len(vals)%2 != 0 {
			return nil, fmt.Errorf("odd reply length %d", len(vals))
		}
		out := make([]embString, len(vals))
		for i, v := range vals {
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("unexpected element %T", v)
			}
			out[i] = embString(s)
		}
		return out, nil
	}
	switch k.Type {
	case "string":
		s, err := strs(false)
		if err != nil {
			return false, err
		}
		if len(s) != 1 {
			return false, fmt.Errorf("want 1 value, got %d", len(s))
		}
		k.String = &s[0]
	case "list":
		s, err := strs(false)
		if err != nil {
			return false, err
		}
		k.List = s
	case "set":
		s, err := strs(false)
		if err != nil {
			return false, err
		}
		slices.Sort(s)
		k.Set = s
	case "hash":
		s, err := strs(true)
		if err != nil {
			return false, err
		}
		for i := 0; i < len(s); i += 2 {
			k.Hash = append(k.Hash, [2]embString{s[i], s[i+1]})
		}
		slices.SortFunc(k.Hash, func(a, b [2]embString) int { return strings.Compare(string(a[0]), string(b[0])) })
	case "zset":
		s, err := strs(true)
		if err != nil {
			return false, err
		}
		for i := 0; i < len(s); i += 2 {
			f, err := strconv.ParseFloat(string(s[i+1]), 64)
			if err != nil {
				return false, fmt.Errorf("score: %w", err)
			}
			k.ZSet = append(k.ZSet, embZMember{Member: s[i], Score: strconv.FormatFloat(f, 'g', -1, 64)})
		}
	case "stream":
		for _, v := range vals {
			en, ok := v.([]any)
			if !ok || len(en) != 2 {
				return false, fmt.Errorf("unexpected entry %T", v)
			}
			id, _ := en[0].(string)
			fv, _ := en[1].([]any)
			entry := embEntry{ID: id}
			for _, x := range fv {
				s, ok := x.(string)
				if !ok {
					return false, fmt.Errorf("unexpected entry value %T", x)
				}
				entry.Values = append(entry.Values, embString(s))
			}
			k.Stream = append(k.Stream, entry)
		}
		return len(k.Stream) > 0, nil
	default:
		return false, nil
	}
	return true, nil
}

// embEncode writes f as JSON with one key per line: readable, and a diff of
// two snapshots shows the keys that changed.
func embEncode(f embFile) ([]byte, error) {
	savedAt, err := json.Marshal(f.SavedAt)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	clock, err := json.Marshal(f.Clock)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(&b, "{\"version\": %d,\n\"saved_at\": %s,\n\"clock\": %s,\n\"journal\": %d,\n\"keys\": [", f.Version, savedAt, clock, f.Journal)
	for i, k := range f.Keys {
		line, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
		b.Write(line)
	}
	b.WriteString("\n]}\n")
	return b.Bytes(), nil
}

// embWriteFile replaces name with data atomically: a reader sees the old file
// or the new one, and after a crash the new one is complete or absent.
func embWriteFile(name string, data []byte) error {
	dir := filepath.Dir(name)
	tmp, err := os.CreateTemp(dir, filepath.Base(name)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write snapshot %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write snapshot %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write snapshot %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	// Make the rename itself durable.
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	return nil
}
