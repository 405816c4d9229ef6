package store

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/umkmbot/umkmbot/bot"
)

// TestStateJSON: the state's hand-written JSON is json.Marshal's, byte for
// byte, for states with every field, empty ones, frames, and strings with
// quotes, control characters, HTML characters, line separators, non-ASCII
// and invalid UTF-8; and it decodes to the same state.
func TestStateJSON(t *testing.T) {
	at := time.Date(2026, 12, 1, 9, 30, 15, 123456789, time.FixedZone("WIB", 7*3600))
	odd := "a\"b\\c\nd\re\tf\b\f\x01g\x1fh<i>j&k\u2028l\u2029m é 👋 \xff\xfe end"
	states := []bot.State{
		{},
		{Updated: at},
		{Flow: "daftar", Step: "nama", Answers: map[string]string{}, History: []bot.StepID{}, Updated: at},
		{Flow: "daftar", Step: "omzet", Answers: map[string]string{"nama": "Siti Aminah", "nik": "sealed:abc==", "desa_code": "32.14.01.1007", "z": "", "": "empty key"},
			History: []bot.StepID{"persetujuan", "nama", "nik"}, Pending: "resume", Updated: at, Misses: 2, Missed: []string{"halo", odd}, LastMsg: "m12"},
		{Flow: odd, FlowVer: 3, Step: bot.StepID(odd), Answers: map[string]string{odd: odd}, History: []bot.StepID{bot.StepID(odd)}, Updated: at.UTC(),
			Stack: []bot.Frame{{Flow: "pelatihan", Version: 2, Step: "pilih", Answers: map[string]string{"t": "1"}, History: []bot.StepID{"a"}}, {}, {Flow: "daftar", Step: bot.Done}}},
	}
	for i, st := range states {
		want, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		got := appendState(nil, st, nil)
		if string(got) != string(want) {
			t.Errorf("state %d:\n got %s\nwant %s", i, got, want)
		}
		var a, b bot.State
		if err := json.Unmarshal(got, &a); err != nil {
			t.Fatalf("state %d: %s does not decode: %v", i, got, err)
		}
		json.Unmarshal(want, &b)
		if diff := cmp.Diff(b, a); diff != "" {
			t.Errorf("state %d decodes differently (-json.Marshal +appendState):\n%s", i, diff)
		}
	}
}

// TestTurnKeys: the keys sliced out of one string are the ones Key builds,
// and those a turn's script call writes into its buffer.
func TestTurnKeys(t *testing.T) {
	for _, prefix := range []string{"", "umkm", "t42"} {
		s := &ConversationStore{Redis: &Redis{prefix: prefix}, batch: &batcher{}}
		for _, c := range []bot.Conversation{{Channel: bot.Telegram, User: "42"}, {Channel: bot.WhatsApp, User: "6281234567890@s.whatsapp.net"}, {Channel: bot.Console, User: ""}} {
			base := s.Key(shardTag(shardOf(c)))
			conv := base + ":c:" + c.String() + ":"
			want := turnKeys{state: conv + "state", profile: conv + "profile", inbox: conv + "inbox",
				pending: base + ":pending", outq: base + ":outq", conv: c.String()}
			if got := s.turnKeys(c); got != want {
				t.Errorf("prefix %q, %v: turnKeys = %+v, want %+v", prefix, c, got, want)
			}
			// A turn's script call writes the same keys, and the same id.
			cl := s.turnCall(context.Background(), commitScript(time.Hour), c, true).conv(c)
			var args []string
			from := 0
			for _, e := range cl.ends {
				args = append(args, string(cl.buf[from:e]))
				from = e
			}
			if w := []string{want.state, want.pending, want.outq, want.conv}; cl.nkeys != 3 || !slices.Equal(args, w) {
				t.Errorf("prefix %q, %v: turnCall wrote %d keys of %q, want 3 of %q", prefix, c, cl.nkeys, args, w)
			}
			cl.free()
		}
	}
}

// TestReplyJSON: a reply's hand-written JSON is json.Marshal's, byte for
// byte, with and without options and file, and with odd text.
func TestReplyJSON(t *testing.T) {
	odd := "a\"b\\c\nd\b\f\x01<&> \u2028 é 👋 \xff"
	for i, r := range []bot.Reply{
		{},
		{Text: "Halo"},
		{Text: odd, Options: []bot.ReplyOption{}, Ask: bot.AskContact},
		{Text: "Pilih", Options: []bot.ReplyOption{{Key: "1", Label: "Plered"}, {Key: odd, Label: odd}}},
		{Text: "Data", File: &bot.ReplyFile{Name: "data.txt", Text: odd}},
		{Text: "Foto dari petugas", Attach: &bot.Attachment{Media: bot.Media{Type: bot.AttachPhoto, Ref: "r1", Mime: "image/jpeg", Size: 12, Name: odd}, From: bot.Telegram}},
	} {
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendReply(nil, r); string(got) != string(want) {
			t.Errorf("reply %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

// TestHandWrittenJSONKnowsEveryField: the hand-written encoders of the
// state, the reply and the inbox entry write the fields they know; a field
// added to bot.State, bot.Frame, bot.Reply or bot.Message must be added to
// them (and to the
// cases above), or it would be silently dropped from every stored state,
// kept reply or queued message.
func TestHandWrittenJSONKnowsEveryField(t *testing.T) {
	for _, c := range []struct {
		v     any
		known []string
	}{
		{bot.State{}, []string{"Version", "Flow", "FlowVer", "Step", "Answers", "History", "Stack", "Pending", "Updated", "Misses", "Missed", "LastMsg"}},
		{bot.Frame{}, []string{"Flow", "Version", "Step", "Answers", "History"}},
		{bot.Reply{}, []string{"Text", "Options", "Ask", "File", "Attach"}},
		{bot.ReplyOption{}, []string{"Key", "Label"}},
		{bot.ReplyFile{}, []string{"Name", "Text"}},
		{bot.Message{}, []string{"ID", "Conv", "Time", "Kind", "Text", "Command", "StartArg", "Location", "Media", "Contact", "Phone", "Name", "LangHint"}},
	} {
		typ := reflect.TypeOf(c.v)
		var got []string
		for i := range typ.NumField() {
			got = append(got, typ.Field(i).Name)
		}
		if !slices.Equal(got, c.known) {
			t.Errorf("%s has fields %v; the hand-written JSON (appendState, appendReply) knows %v", typ, got, c.known)
		}
	}
}

// TestEntryJSON: an inbox entry's hand-written JSON is json.Marshal's,
// byte for byte, for messages with every field it writes, none, odd
// text, and times with and without fractions and zones; a message with a
// location, media or a contact is left to json.Marshal.
func TestEntryJSON(t *testing.T) {
	odd := "a\"b\\c\nd\b\f\x01<&> \u2028 é 👋 \xff"
	wib := time.FixedZone("WIB", 7*3600)
	for i, m := range []bot.Message{
		{},
		{ID: "1", Kind: bot.KindText, Text: "halo"},
		{ID: "2", Time: time.Date(2026, 12, 1, 9, 30, 15, 0, time.UTC), Kind: bot.KindText, Text: "/daftar x", Command: true,
			StartArg: "pelatihan_12", Phone: "+628123", Name: "Siti", LangHint: "id"},
		{Time: time.Date(2026, 12, 1, 9, 30, 15, 123456789, wib), Kind: bot.KindText, Text: odd, StartArg: odd, Name: odd, LangHint: odd, Phone: odd},
		{Time: time.Unix(1764547200, 5000), Kind: bot.Kind(odd)},
		{Text: "x", Command: true},
	} {
		want, err := json.Marshal(entryJSON(m))
		if err != nil {
			t.Fatal(err)
		}
		got, ok := appendEntryJSON([]byte("pre"), m)
		if !ok || string(got) != "pre"+string(want) {
			t.Errorf("message %d: appendEntryJSON = %q, %v; want %q", i, got, ok, "pre"+string(want))
		}
	}
	for i, m := range []bot.Message{
		{Kind: bot.KindLocation, Location: &bot.Location{Lat: -6.5, Lon: 107.4}},
		{Kind: bot.KindPhoto, Media: &bot.Media{Type: "photo", Ref: "f1"}},
		{Kind: bot.KindContact, Contact: &bot.Contact{Phone: "+628123"}},
		{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, // json.Marshal refuses it too
	} {
		if got, ok := appendEntryJSON([]byte("pre"), m); ok || string(got) != "pre" {
			t.Errorf("message %d: appendEntryJSON = %q, %v; want it left to json.Marshal", i, got, ok)
		}
	}
}

// TestInboxEntry: an inbox entry decodes to the message it was written
// from, whatever fields it has; an entry written with every field (before
// entryJSON) decodes the same; and a text message's entry is short.
func TestInboxEntry(t *testing.T) {
	s := &ConversationStore{Redis: &Redis{}}
	c := bot.Conversation{Channel: bot.Telegram, User: "42"}
	at := time.Date(2026, 12, 1, 9, 30, 15, 0, time.UTC)
	for i, m := range []bot.Message{
		{ID: "1", Kind: bot.KindText, Text: "halo"},
		{ID: "2", Time: at, Kind: bot.KindText, Text: "/daftar x", Command: true, StartArg: "pelatihan_12", Name: "Siti", LangHint: "id"},
		{ID: "3", Kind: bot.KindLocation, Location: &bot.Location{Lat: -6.5, Lon: 107.4, Name: "Alun-alun"}},
		{ID: "4", Kind: bot.KindPhoto, Media: &bot.Media{Type: "photo", Ref: "f1", Size: 10, W: 1, H: 2}},
		{ID: "5", Kind: bot.KindContact, Contact: &bot.Contact{Phone: "+628123", Self: true}, Phone: "+628123"},
		{ID: "6"},
	} {
		m.Conv = c
		e, err := s.encodeEntry(m)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.decodeEntry(c, e); !reflect.DeepEqual(got, m) {
			t.Errorf("message %d: %q decodes to %+v, want %+v", i, e, got, m)
		}
		full, _ := json.Marshal(m) // as entries were written before
		if got := s.decodeEntry(c, m.ID+"\n"+string(full)); !reflect.DeepEqual(got, m) {
			t.Errorf("message %d: the old entry decodes to %+v, want %+v", i, got, m)
		}
	}
	if e, _ := s.encodeEntry(bot.Message{ID: "12345", Conv: c, Kind: bot.KindText, Text: "Siti Aminah"}); len(e) > 48 {
		t.Errorf("a text message's entry is %d bytes: %q", len(e), e)
	}
}

// FuzzAppendJSONString: a string is written as encoding/json writes it,
// whatever its bytes (control characters, quotes, HTML characters,
// U+2028, invalid UTF-8).
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "Warung Bu Siti", "a\"b\\c", "<&>", "\x00\x1f\x7f", "\u2028\u2029", "\xff\xfe", "Jl. Raya No. 5\n"} {
		f.Add(s)
	}
	for c := 0; c < 256; c++ {
		f.Add(string([]byte{'x', byte(c), 'y'}))
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Fatalf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	})
}

// TestStateCacheHandOver: a cached state is handed over once (to the turn
// that took its conversation) and is not found again until a commit puts
// one back: two turns never share a state's maps.
func TestStateCacheHandOver(t *testing.T) {
	var c stateCache
	k := bot.Conversation{Channel: bot.Console, User: "u"}
	c.own(k, bot.State{Version: 1, Answers: map[string]string{"a": "1"}})
	if _, _, _, ok := c.handOver(k); ok {
		t.Fatal("a state was handed over without a cached profile")
	}
	c.putProfile(k, "t1", bot.Profile{Lang: "en"})
	if v, ok, _ := c.version(k); !ok || v != 1 {
		t.Fatalf("version = %d, %v; want 1", v, ok)
	}
	if _, ok := c.get(k, 2); ok {
		t.Fatal("a state of another version was handed over")
	}
	st, ok := c.get(k, 1)
	if !ok || st.Answers["a"] != "1" {
		t.Fatalf("get = %+v, %v", st, ok)
	}
	if _, ok := c.get(k, 1); ok {
		t.Fatal("a state was handed over twice")
	}
	if _, _, _, ok := c.handOver(k); ok {
		t.Fatal("a handed-over state was handed over again")
	}
	if _, ok, _ := c.version(k); ok {
		t.Fatal("a handed-over state is still reported cached")
	}
	c.own(k, bot.State{Version: 2})
	if st, p, token, ok := c.handOver(k); !ok || st.Version != 2 || p.Lang != "en" || token != "t1" {
		t.Fatalf("handOver after the commit put it back = %+v, %+v, %q, %v", st, p, token, ok)
	}
	if _, _, _, ok := c.handOver(k); ok {
		t.Fatal("a state was handed over twice")
	}
	c.own(k, bot.State{Version: 3})
	c.drop(k)
	if _, ok := c.get(k, 3); ok {
		t.Fatal("a dropped state was handed over")
	}
}

// TestStateCacheHoldsTenThousand: the busiest hour the service is sized
// for, 10,000 conversations, stays cached whole, and the cache stays
// bounded past it.
func TestStateCacheHoldsTenThousand(t *testing.T) {
	var c stateCache
	conv := func(i int) bot.Conversation {
		return bot.Conversation{Channel: bot.Telegram, User: strconv.Itoa(100000 + i)}
	}
	for i := range 10_000 {
		c.own(conv(i), bot.State{Version: int64(i + 1)})
		c.putProfile(conv(i), "t", bot.Profile{})
	}
	for i := range 10_000 {
		if _, _, _, ok := c.handOver(conv(i)); !ok {
			t.Fatalf("conversation %d of 10,000 is no longer cached", i)
		}
	}
	for i := range 3 * maxStates {
		c.own(conv(i), bot.State{Version: 1})
		c.putProfile(conv(i), "t", bot.Profile{})
	}
	if len(c.m) > maxStates || len(c.p) > maxStates {
		t.Fatalf("%d states and %d profiles cached, want at most %d", len(c.m), len(c.p), maxStates)
	}
}
