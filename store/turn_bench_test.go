package store_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/store"
)

// BenchmarkTurnStore measures the turn store alone on real Redis: the
// ingest that takes a conversation and the commit of its turn (a state of
// a registration half done, one reply, the previous reply acknowledged),
// for 1 and 32 people at once. It reports this process's and Redis's CPU per turn
// (user + system: go-redis, the syscalls, encoding), which the flows'
// BenchmarkTurnRedis mixes with the engine's, and round trips per turn.
// Run: go test ./store -run XXX -bench TurnStore -benchmem
func BenchmarkTurnStore(b *testing.B) {
	for _, users := range []int{1, 32} {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) {
			ctx := context.Background()
			a, _, prefix := clientPair(b)
			s := store.New(a, store.Options{Prefix: prefix})
			var c counter
			a.AddHook(&c)
			answers := map[string]string{"nama": "Siti Aminah", "usaha": "Keripik Singkong Bu Siti",
				"kategori": "kuliner", "kabupaten": "3273", "kecamatan": "327301", "alamat": "Jl. Merdeka No. 12"}
			var next atomic.Int64
			var wg sync.WaitGroup
			turn := func(user string, i int, st bot.State) bot.State {
				conv := bot.Conversation{Channel: bot.Telegram, User: user}
				id := fmt.Sprint(i)
				in, err := s.Ingest(ctx, bot.Message{ID: id, Conv: conv, Kind: bot.KindText, Text: "Keripik Singkong"},
					lease("bench"), noFlood)
				if err != nil || in.Result != bot.Taken {
					b.Errorf("ingest: %v, %v", in.Result, err)
					return st
				}
				st = in.Loaded.State
				st.Flow, st.Step, st.Answers = "daftar", bot.StepID(fmt.Sprint("q", i%8)), answers
				st.Updated = time.Unix(1764547200, 0)
				var acked []string
				if i > 0 {
					acked = []string{fmt.Sprint(i-1, ".0")}
				}
				cm, err := s.Commit(ctx, conv, id, lease("bench"), bot.TurnResult{State: st,
					Replies: []bot.Reply{{Text: "Terima kasih, Bapak/Ibu. Apa kategori usaha Anda?",
						Options: []bot.ReplyOption{{Key: "1", Label: "Kuliner"}, {Key: "2", Label: "Kriya"}}}}}, acked)
				if err != nil || cm.Version == 0 {
					b.Errorf("commit: %+v, %v", cm, err)
				}
				st.Version = cm.Version
				return st
			}
			for u := 0; u < users; u++ { // scripts loaded, states written
				turn(fmt.Sprint("tb", u), 0, bot.State{})
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			rcpu0 := redisCPU(b, a.(*redis.Client))
			c.trips.Store(0)
			for u := 0; u < users; u++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var st bot.State
					for i := 1; next.Add(1) <= int64(b.N); i++ {
						st = turn(fmt.Sprint("tb", u), i, st)
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(cpuTime()-cpu0)/1e3/float64(b.N), "go-cpu-µs/turn")
			b.ReportMetric(float64(redisCPU(b, a.(*redis.Client))-rcpu0)/1e3/float64(b.N), "redis-µs/turn")
			b.ReportMetric(float64(c.trips.Load())/float64(b.N), "trips/turn")
		})
	}
}
