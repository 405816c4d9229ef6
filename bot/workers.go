package bot

import (
	"sync"
	"sync/atomic"
	"time"
)

// Workers runs functions on goroutines kept for reuse: a function goes to
// a goroutine that finished its last one and waits for more, else to a new
// one. A turn needs a stack of some tens of KB; a new goroutine starts
// small and grows its stack by copying it, which was 6 % of serve's CPU
// under the bench harness when every turn (and every Telegram submit)
// started a goroutine of its own. Goroutines left idle end: at every
// workerIdle, as many as stayed waiting all through the last one. The
// zero value is ready to use; Stop ends them all.
//
// A waiting goroutine waits on the channel alone, with no timer of its
// own: arming and disarming one around every wait (a timer in a select
// joins and leaves its P's timer heap each time) was 5 % of serve's CPU
// under the harness, and bot CPU per turn fell 6–9 % without it.
type Workers struct {
	once sync.Once
	idle chan runner   // unbuffered: a send succeeds only when a goroutine waits
	quit chan struct{} // closed by Stop
	stop sync.Once
	wg   sync.WaitGroup

	every   time.Duration // how often idle goroutines are ended (0: workerIdle)
	waiting atomic.Int32  // goroutines waiting for a function
	fewest  atomic.Int32  // the fewest waiting since the reaper last looked
	live    atomic.Int32  // goroutines, waiting or running
}

// workerIdle is how long a goroutine waits for another function, at
// least, before it may end.
const workerIdle = 10 * time.Second

func (w *Workers) init() {
	w.once.Do(func() {
		w.idle, w.quit = make(chan runner), make(chan struct{})
		w.wg.Add(1)
		go w.reap()
	})
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

// leave is the runner that tells a waiting goroutine to end.
type leave struct{}

func (leave) run() {}

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
	w.live.Add(1)
	go w.loop(r) // owned: Stop waits for it
}

func (w *Workers) loop(f runner) {
	defer w.wg.Done()
	defer w.live.Add(-1)
	for {
		f.run()
		f = nil
		w.waiting.Add(1)
		select {
		case f = <-w.idle:
		case <-w.quit:
			return
		}
		n := w.waiting.Add(-1)
		for low := w.fewest.Load(); n < low && !w.fewest.CompareAndSwap(low, n); low = w.fewest.Load() {
		}
		if _, end := f.(leave); end {
			return
		}
	}
}

// reap ends, at every period, as many goroutines as waited all through
// the period before: the fewest that were waiting at any moment of it.
func (w *Workers) reap() {
	defer w.wg.Done()
	every := w.every
	if every <= 0 {
		every = workerIdle
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-w.quit:
			return
		case <-t.C:
		}
	ending:
		for n := w.fewest.Swap(w.waiting.Load()); n > 0; n-- {
			select {
			case w.idle <- leave{}:
			default: // none waits any more: they found work meanwhile
				break ending
			}
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
