package store_test

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/store"
)

// BenchmarkTurnSealed: the turn store's ingest and commit on real Redis,
// one person, with a data key, for a registration whose NIK and phone
// were answered turns ago (the answers to seal on every commit). It
// reports this process's CPU per turn; allocs/op are per turn.
// Run: go test ./store -run XXX -bench TurnSealed -benchmem -count 5
func BenchmarkTurnSealed(b *testing.B) {
	ctx := context.Background()
	a, _, prefix := clientPair(b)
	s := store.New(a, store.Options{Prefix: prefix, Cipher: keyring(b, newKey(b))})
	answers := map[string]string{"persetujuan": "1", "nama": "Siti Aminah", "nik": "3214014505880001", "hp": "+6281234567890",
		"usaha": "Keripik Singkong Bu Siti", "sektor": "kuliner", "kecamatan": "321401", "desa": "Anjun", "alamat": "Jl. Merdeka No. 12"}
	conv := bot.Conversation{Channel: bot.Telegram, User: "sealed"}
	var st bot.State
	turn := func(i int) {
		id := fmt.Sprint(i)
		in, err := s.Ingest(ctx, bot.Message{ID: id, Conv: conv, Kind: bot.KindText, Text: "Keripik Singkong"}, lease("bench"), noFlood)
		if err != nil || in.Result != bot.Taken {
			b.Fatalf("ingest: %v, %v", in.Result, err)
		}
		st = in.Loaded.State
		if st.Answers == nil {
			st.Answers = maps.Clone(answers)
		}
		st.Flow, st.Step = "daftar", bot.StepID(fmt.Sprint("q", i%8))
		st.Updated = time.Unix(1764547200, 0)
		var acked []string
		if i > 0 {
			acked = []string{fmt.Sprint(i-1, ".0")}
		}
		cm, err := s.Commit(ctx, conv, id, lease("bench"), bot.TurnResult{State: st,
			Replies: []bot.Reply{{Text: "Terima kasih, Bapak/Ibu. Apa kategori usaha Anda?"}}}, acked)
		if err != nil || cm.Version == 0 {
			b.Fatalf("commit: %+v, %v", cm, err)
		}
	}
	turn(0)
	b.ReportAllocs()
	cpu0 := cpuTime()
	i := 1
	for b.Loop() {
		turn(i)
		i++
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/1e3/float64(b.N), "go-cpu-µs/turn")
}
