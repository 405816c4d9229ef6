package store

import (
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/pii"
)

// benchState is a registration two thirds done: the NIK and the phone
// answered (sealed when stored), a draft of another flow on the stack.
func benchState() bot.State {
	return bot.State{Version: 12, Flow: "daftar", FlowVer: 2, Step: "modal",
		Answers: map[string]string{"persetujuan": "1", "nama": "Siti Aminah", "nik": "3214014505880001", "hp": "+6281234567890",
			"usaha": "Keripik Singkong Bu Siti", "sektor": "kuliner", "kecamatan": "321401", "desa": "Anjun", "desa_code": "32.14.01.1007",
			"alamat": "Jl. Raya Anjun No. 5 RT 02/RW 03", "produk": "keripik singkong, opak"},
		History: []bot.StepID{"persetujuan", "nama", "nik", "hp", "usaha", "sektor", "kecamatan", "desa", "alamat", "produk"},
		Updated: time.Date(2026, 12, 1, 9, 30, 15, 123456789, time.UTC), LastMsg: "m1234"}
}

func benchStore(b testing.TB) *ConversationStore {
	k, err := pii.NewKey(time.Now(), nil)
	if err != nil {
		b.Fatal(err)
	}
	ring, err := pii.Parse(k)
	if err != nil {
		b.Fatal(err)
	}
	return &ConversationStore{Redis: &Redis{cipher: ring}}
}

// BenchmarkEncodeState: a commit's encoding of the state of a registration
// two thirds done, turn after turn (the answers sealed in an earlier turn
// unchanged): as it was (a copy sealed, then written), sealed while
// written, and with the commit's memo (appendTurnState).
func BenchmarkEncodeState(b *testing.B) {
	s := benchState()
	cs := benchStore(b)
	c := bot.Conversation{Channel: bot.Telegram, User: "bench"}
	buf := make([]byte, 0, 1024)
	for _, enc := range []struct {
		name string
		f    func([]byte, bot.State) ([]byte, error)
	}{
		{"before", func(b []byte, st bot.State) ([]byte, error) { return oldAppendEncodedState(cs.cipher, b, st) }},
		{"sealed-while-written", cs.appendEncodedState},
		{"memo", func(b []byte, st bot.State) ([]byte, error) { return cs.appendTurnState(b, c, st) }},
	} {
		b.Run(enc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if buf, err = enc.f(buf[:0], s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
