package store

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/pii"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// oldSealedAnswers and oldAppendEncodedState are the state's encoding as
// it was before answers were sealed while written (a copy of the state,
// sealed in place, then written): the reference the new one must match.
var oldSealedAnswers = map[string]string{"nik": fieldNIK, "hp": fieldPhone}

func oldAppendEncodedState(ci umkm.Cipher, b []byte, st bot.State) ([]byte, error) {
	seal := func(a map[string]string) error {
		for k, field := range oldSealedAnswers {
			if v := a[k]; v != "" {
				sealed, err := ci.Seal(field, v)
				if err != nil {
					return err
				}
				a[k] = sealed
			}
		}
		return nil
	}
	if ci != nil {
		st = st.Clone()
		if err := seal(st.Answers); err != nil {
			return b, err
		}
		for _, f := range st.Stack {
			if err := seal(f.Answers); err != nil {
				return b, err
			}
		}
	}
	return appendState(b, st, nil), nil
}

// oldDecodeState reads a stored state as the code before did.
func oldDecodeState(ci umkm.Cipher, d []byte) (bot.State, error) {
	var st bot.State
	if err := json.Unmarshal(d, &st); err != nil {
		return st, err
	}
	if ci == nil {
		return st, nil
	}
	open := func(a map[string]string) {
		for k, field := range oldSealedAnswers {
			if v := a[k]; v != "" {
				plain, _, err := ci.Open(field, v)
				if err != nil {
					delete(a, k)
					continue
				}
				a[k] = plain
			}
		}
	}
	open(st.Answers)
	for _, f := range st.Stack {
		open(f.Answers)
	}
	return st, nil
}

func testKeyring(t testing.TB) *pii.Keyring {
	t.Helper()
	k, err := pii.NewKey(time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return keyringOf(t, k)
}

// keyringOf parses a keyring of key (id:base64).
func keyringOf(t testing.TB, key string) *pii.Keyring {
	t.Helper()
	ring, err := pii.Parse(key)
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

var sealedValue = regexp.MustCompile(`pii1:[^"]*`)

// TestEncodedStateFormatUnchanged: a state written by the new encoding
// (sealing while writing, with and without the commit's memo) is the
// old encoding's JSON byte for byte but for the sealed values, which each
// code opens from the other's output to the same state.
func TestEncodedStateFormatUnchanged(t *testing.T) {
	at := time.Date(2026, 12, 1, 9, 30, 15, 123456789, time.UTC)
	states := []bot.State{
		{},
		{Flow: "daftar", Step: "nama", Answers: map[string]string{"persetujuan": "1"}, Updated: at},
		benchState(),
		{Flow: "daftar", Step: "hp", Answers: map[string]string{"nik": "3214014505880001", "hp": "", "nama": "Siti \"<&>\" é"}, Updated: at},
		{Flow: "pelatihan", Step: "pilih", Answers: map[string]string{"t": "12"}, Updated: at, Pending: "resume",
			Stack: []bot.Frame{{Flow: "daftar", Version: 2, Step: "usaha", Answers: map[string]string{"nik": "3214014505880001", "hp": "+6281234567890", "nama": "Siti"}, History: []bot.StepID{"nama", "nik", "hp"}},
				{Flow: "profil", Step: "ubah", Answers: map[string]string{"hp": "+6289999999999"}}, {}}},
	}
	ring := testKeyring(t)
	for _, ci := range []umkm.Cipher{nil, ring} {
		s := &ConversationStore{Redis: &Redis{cipher: ci}}
		for i, st := range states {
			old, err := oldAppendEncodedState(ci, nil, st)
			if err != nil {
				t.Fatal(err)
			}
			plain, err := s.appendEncodedState(nil, st)
			if err != nil {
				t.Fatal(err)
			}
			turn, err := s.appendTurnState(nil, bot.Conversation{Channel: bot.Telegram, User: fmt.Sprint("fmt", i)}, st)
			if err != nil {
				t.Fatal(err)
			}
			for name, got := range map[string][]byte{"appendEncodedState": plain, "appendTurnState": turn} {
				if g, w := sealedValue.ReplaceAll(got, []byte("SEALED")), sealedValue.ReplaceAll(old, []byte("SEALED")); string(g) != string(w) {
					t.Errorf("state %d, %s:\n got %s\nwant %s", i, name, g, w)
				}
				if ci != nil && st.Answers["nik"] != "" && !sealedValue.Match(got) {
					t.Errorf("state %d, %s: the NIK is not sealed: %s", i, name, got)
				}
				// The old code reads the new state, the new code the old one.
				fromNew, err := oldDecodeState(ci, got)
				if err != nil {
					t.Fatal(err)
				}
				fromOld, err := s.decodeState([]any{"7", string(old)})
				if err != nil {
					t.Fatal(err)
				}
				fromOld.Version = 0
				want := st
				want.Version = 0
				if diff := cmp.Diff(want, fromNew); diff != "" {
					t.Errorf("state %d, %s, read by the old code (-want +got):\n%s", i, name, diff)
				}
				if diff := cmp.Diff(want, fromOld); diff != "" {
					t.Errorf("state %d, the old encoding read by the new code (-want +got):\n%s", i, diff)
				}
			}
		}
	}
}

// TestEncodeStateLeavesStateAlone: sealing while writing changes nothing
// of the state written (the old code sealed a copy).
func TestEncodeStateLeavesStateAlone(t *testing.T) {
	s := &ConversationStore{Redis: &Redis{cipher: testKeyring(t)}}
	st := benchState()
	st.Stack = []bot.Frame{{Flow: "daftar", Step: "hp", Answers: map[string]string{"nik": "3214014505880001"}}}
	before := st.Clone()
	if _, err := s.appendTurnState(nil, bot.Conversation{Channel: bot.Telegram, User: "alone"}, st); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, st); diff != "" {
		t.Fatalf("state changed (-before +after):\n%s", diff)
	}
}

// answersOf reads the sealed answers of an encoded state as stored (top
// level only).
func answersOf(t *testing.T, d []byte) map[string]string {
	t.Helper()
	var st bot.State
	if err := json.Unmarshal(d, &st); err != nil {
		t.Fatal(err)
	}
	return st.Answers
}

// rotatable is a cipher whose current key can be made an older one
// without a new keyring (a stand-in for any change of the current key).
type rotatable struct {
	*pii.Keyring
	rotated bool
}

func (r *rotatable) Current(v string) bool { return !r.rotated && r.Keyring.Current(v) }

// TestSealMemoNeverReusedForAnotherValue: a commit writes the sealed form
// of an unchanged answer that the conversation's last commit wrote, and
// never one sealed for another value, another answer, another
// conversation, another cipher or a key that is no longer current, nor
// one of an answer a commit since did not write.
func TestSealMemoNeverReusedForAnotherValue(t *testing.T) {
	const nikA, nikB = "3214014505880001", "3214014505880002"
	// Two keys with one id: only the cipher tells their sealed forms apart.
	ring := &rotatable{Keyring: keyringOf(t, "kmemo:"+base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32)))}
	sameID := keyringOf(t, "kmemo:"+base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32)))
	s := &ConversationStore{Redis: &Redis{cipher: ring}}
	c := bot.Conversation{Channel: bot.Telegram, User: "memo-c"}
	d := bot.Conversation{Channel: bot.Telegram, User: "memo-d"}
	encode := func(s *ConversationStore, c bot.Conversation, answers map[string]string) map[string]string {
		t.Helper()
		st := benchState()
		st.Answers = maps.Clone(answers)
		out, err := s.appendTurnState(nil, c, st)
		if err != nil {
			t.Fatal(err)
		}
		return answersOf(t, out)
	}
	opens := func(ci umkm.Cipher, field, sealed, want string) {
		t.Helper()
		plain, ok, err := ci.Open(field, sealed)
		if err != nil || !ok || plain != want {
			t.Fatalf("%s %q opens to %q, %v, %v; want %q", field, sealed, plain, ok, err, want)
		}
	}

	first := encode(s, c, map[string]string{"nik": nikA, "hp": "+6281234567890"})
	opens(ring, fieldNIK, first["nik"], nikA)
	again := encode(s, c, map[string]string{"nik": nikA, "hp": "+6281234567890", "nama": "Siti"})
	if again["nik"] != first["nik"] || again["hp"] != first["hp"] {
		t.Fatalf("unchanged answers sealed again: %q, %q then %q, %q", first["nik"], first["hp"], again["nik"], again["hp"])
	}

	other := encode(s, c, map[string]string{"nik": nikB})
	if other["nik"] == first["nik"] {
		t.Fatal("the sealed form of one NIK was written for another")
	}
	opens(ring, fieldNIK, other["nik"], nikB)

	asPhone := encode(s, c, map[string]string{"hp": nikB}) // the value the NIK had, now another answer
	if asPhone["hp"] == other["nik"] {
		t.Fatal("the sealed form of the NIK was written for the phone")
	}
	opens(ring, fieldPhone, asPhone["hp"], nikB)

	encode(s, c, map[string]string{"nik": nikA})
	elsewhere := encode(s, d, map[string]string{"nik": nikA})
	if mine := encode(s, c, map[string]string{"nik": nikA}); elsewhere["nik"] == mine["nik"] {
		t.Fatal("two conversations share the sealed form of one NIK")
	}

	moved := encode(&ConversationStore{Redis: &Redis{cipher: sameID}}, c, map[string]string{"nik": nikA})
	opens(sameID, fieldNIK, moved["nik"], nikA)

	before := encode(s, c, map[string]string{"nik": nikA, "hp": "+6281234567890"})
	encode(s, c, map[string]string{"nik": nikA}) // a commit without the phone: its form is forgotten
	if again := encode(s, c, map[string]string{"nik": nikA, "hp": "+6281234567890"}); again["hp"] == before["hp"] || again["nik"] != before["nik"] {
		t.Fatalf("after a commit without the phone: phone %q then %q, NIK %q then %q; want the phone sealed afresh, the NIK as before",
			before["hp"], again["hp"], before["nik"], again["nik"])
	}
	encode(s, c, map[string]string{"nama": "Siti"}) // erased: no sealed answer left
	s.seals.mu.Lock()
	_, ok := s.seals.m[c]
	s.seals.mu.Unlock()
	if ok {
		t.Fatal("a conversation without sealed answers is still in the memo")
	}
	if again := encode(s, c, map[string]string{"nik": nikA}); again["nik"] == before["nik"] {
		t.Fatal("a NIK typed again after a commit without it has the form written before")
	}

	before = encode(s, c, map[string]string{"nik": nikA})
	ring.rotated = true
	after := encode(s, c, map[string]string{"nik": nikA})
	if after["nik"] == before["nik"] {
		t.Fatal("a form sealed under a key no longer current was written again")
	}
}

// TestSealMemoBounded: the memo holds at most maxStates conversations.
func TestSealMemoBounded(t *testing.T) {
	var m sealMemo
	for i := range 3 * maxStates {
		m.put(bot.Conversation{Channel: bot.Telegram, User: fmt.Sprint(i)}, 0, "p", "s")
	}
	if n := len(m.m); n > maxStates {
		t.Fatalf("%d conversations kept, want at most %d", n, maxStates)
	}
}
