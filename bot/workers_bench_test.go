package bot

import (
	"sync"
	"testing"
)

// BenchmarkWorkers: functions handed to waiting goroutines, 64 at a time
// as a batch of turns is (go test ./bot -run XXX -bench Workers).
func BenchmarkWorkers(b *testing.B) {
	var w Workers
	defer w.Stop()
	var wg sync.WaitGroup
	done := funcRunner(func() { wg.Done() })
	b.ReportAllocs()
	for i := 0; i < b.N; i += 64 {
		wg.Add(64)
		for range 64 {
			w.goRun(done)
		}
		wg.Wait()
	}
}
