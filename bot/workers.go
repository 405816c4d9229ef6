package bot

import (
	"sync"
	"time"
)

// Workers runs functions on goroutines kept for reuse: a function goes to
// a goroutine that finished its last one and waits for more, else to a new
// one. A turn needs a stack of some tens of KB; a new goroutine starts
// small and grows its stack by copying it, which was 6 % of serve's CPU
// under the bench harness when every turn (and every Telegram submit)
// started a goroutine of its own. An idle goroutine ends after
// workerIdle, or at Stop. The zero value is ready to use.
type Workers struct {
	once sync.Once
	idle chan runner   // unbuffered: a send succeeds only when a goroutine waits
	quit chan struct{} // closed by Stop
	stop sync.Once
	wg   sync.WaitGroup
}

// workerIdle is how long a goroutine waits for another function.
const workerIdle = 10 * time.Second

func (w *Workers) init() {
	w.once.Do(func() { w.idle, w.quit = make(chan runner), make(chan struct{}) })
}

// A runner is work for Workers: a pointer to a struct that holds what the
// work needs and does it goes in one allocation, where a closure over the
// same values would be two (the closure and what it captures by
// reference: the dispatcher's turn with its loaded state, per message).
type runner interface{ run() }

// funcRunner makes a func a runner (a func value is a pointer: no
// allocation).
type funcRunner func()

func (f funcRunner) run() { f() }

// Go runs f on a waiting goroutine or a new one; it never blocks.
func (w *Workers) Go(f func()) { w.goRun(funcRunner(f)) }

// goRun runs r as Go runs a func.
func (w *Workers) goRun(r runner) {
	w.init()
	select {
	case w.idle <- r:
		return
	default:
	}
	w.wg.Add(1)
	go w.loop(r) // owned: Stop waits for it
}

func (w *Workers) loop(f runner) {
	defer w.wg.Done()
	t := time.NewTimer(workerIdle)
	defer t.Stop()
	for {
		f.run()
		f = nil
		t.Reset(workerIdle)
		select {
		case f = <-w.idle:
		case <-t.C:
			return
		case <-w.quit:
			return
		}
	}
}

// Stop ends the waiting goroutines and waits for those still running a
// function. Go still works afterwards, on goroutines that end with their
// function.
func (w *Workers) Stop() {
	w.init()
	w.stop.Do(func() { close(w.quit) })
	w.wg.Wait()
}
