package embedded

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// BenchmarkJournaledWrite measures a SET that is on disk before its reply,
// with 1, 16 and 64 concurrent writers (go-redis pool of 64); "plain" is
// miniredis without the journal, for comparison.
func BenchmarkJournaledWrite(b *testing.B) {
	for _, plain := range []bool{false, true} {
		for _, conc := range []int{1, 16, 64} {
			name := fmt.Sprintf("writers=%d", conc)
			if plain {
				name = "plain/" + name
			}
			b.Run(name, func(b *testing.B) { benchWrites(b, conc, plain) })
		}
	}
}

func benchWrites(b *testing.B, conc int, plain bool) {
	url, stats := "", func() JournalStats { return JournalStats{} }
	if plain {
		m := miniredis.NewMiniRedis()
		must(b, m.Start())
		defer m.Close()
		url = "redis://" + m.Addr() + "/0"
	} else {
		d := open(b, b.TempDir())
		url, stats = d.URL(), d.JournalStats
	}
	opt, _ := redis.ParseURL(url)
	opt.PoolSize = 64
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	ctx := context.Background()
	before := stats()
	var next atomic.Int64
	b.ResetTimer()
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				if err := rdb.Set(ctx, "k"+strconv.FormatInt(i%1000, 10), "nilai", 0).Err(); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	s := stats()
	b.ReportMetric(float64(s.Syncs-before.Syncs)/float64(b.N), "fsyncs/op")
	b.ReportMetric(float64(s.Bytes-before.Bytes)/float64(b.N), "journal-B/op")
}
