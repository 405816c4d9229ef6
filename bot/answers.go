package bot

import "strings"

// Answers are kept as strings by key (State.Answers). A list answer (the
// marketplaces picked, a broadcast's kecamatan) has one encoding for every
// flow: the items joined by listSep, the ASCII unit separator, which
// CleanText strips from whatever a person types, so no item can contain
// it. An empty list is an absent (or empty) answer; there is no "none" or
// "-" marker.
const listSep = "\x1f"

// ListValue encodes vals as one answer: what a Parse of a list returns,
// and what Turn.SetList stores.
func ListValue(vals []string) string { return strings.Join(vals, listSep) }

// List returns the list answer under key; an absent key is the empty list.
func (t *Turn) List(key string) []string { return SplitList(t.Get(key)) }

// SetList stores a list answer; an empty list removes the key.
func (t *Turn) SetList(key string, vals []string) {
	if len(vals) == 0 {
		t.Del(key)
		return
	}
	t.Set(key, ListValue(vals))
}

// SplitList decodes an answer ListValue encoded ("" is the empty list).
func SplitList(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, listSep)
}

// Migrate is a Flow.Migrate: it upgrades the answers a state saved by an
// older version (from) of the flow holds, in place, or returns an error
// when they cannot be read, and the flow starts again.
type Migrate func(from int, answers map[string]string) error

// MigrateList re-encodes the answer under key from an older list encoding
// (items joined by sep; any of empties, such as "none" or "-", meaning the
// empty list): a Migrate's building block.
func MigrateList(answers map[string]string, key, sep string, empties ...string) {
	v, ok := answers[key]
	if !ok {
		return
	}
	for _, e := range empties {
		if v == e {
			delete(answers, key)
			return
		}
	}
	if v == "" {
		delete(answers, key)
		return
	}
	answers[key] = ListValue(strings.Split(v, sep))
}
