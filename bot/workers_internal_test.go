package bot

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestWorkersEndIdleGoroutines: goroutines left waiting end after a
// period or two, one running a function is left alone, and Go starts new
// ones afterwards.
func TestWorkersEndIdleGoroutines(t *testing.T) {
	w := Workers{every: 20 * time.Millisecond}
	defer w.Stop()
	const n = 8
	release, busy := make(chan struct{}), make(chan struct{})
	var ended atomic.Int32
	for range n {
		w.Go(func() { <-release; ended.Add(1) })
	}
	w.Go(func() { <-busy })
	if got := w.live.Load(); got != n+1 {
		t.Fatalf("%d goroutines for %d functions at once", got, n+1)
	}
	close(release)
	eventually(t, "the finished functions", func() bool { return ended.Load() == n })
	eventually(t, "the idle goroutines to end", func() bool { return w.live.Load() == 1 })
	time.Sleep(3 * w.every)
	if got := w.live.Load(); got != 1 {
		t.Fatalf("%d goroutines left, want the busy one", got)
	}
	close(busy)
	ran := make(chan struct{})
	w.Go(func() { close(ran) })
	<-ran
	eventually(t, "every goroutine to end", func() bool { return w.live.Load() == 0 })
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); !ok(); {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
