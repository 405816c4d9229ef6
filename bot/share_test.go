package bot_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/store/redistest"
)

// byConv records the replies of every conversation, from every process
// that sends them.
type byConv struct {
	mu  sync.Mutex
	got map[string][]string
}

func (r *byConv) Send(ctx context.Context, to bot.Conversation, rep bot.Reply) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got[to.User] = append(r.got[to.User], rep.Text)
	return nil
}

func (r *byConv) of(user string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got[user]...)
}

// slowTurns makes every turn of a process take a while, so that it has
// more conversations in work than it shares at.
type slowTurns struct {
	h    bot.Handler
	took time.Duration
}

func (s slowTurns) Turn(ctx context.Context, l *bot.Loaded) (bot.TurnResult, error) {
	time.Sleep(s.took)
	return s.h.Turn(ctx, l)
}

// TestTurnsSharedBetweenProcesses: every message comes to p1 (a channel
// with one poller), which works on few conversations at a time and
// offers the rest; p2 takes offers. Both compute turns, and still every
// message is applied once and in its person's order, and answered. Half
// the people send their answers one by one, half all at once.
func TestTurnsSharedBetweenProcesses(t *testing.T) {
	for _, held := range []bool{false, true} {
		t.Run(fmt.Sprintf("held=%v", held), func(t *testing.T) {
			_, prefix := redistest.Client(t)
			rec := &byConv{got: map[string][]string{}}
			cfg := bot.DispatcherConfig{ShareAbove: 3}
			p1 := newTurnProc(t, prefix, "p1", nil, cfg, rec)
			p2 := newTurnProc(t, prefix, "p2", nil, cfg, rec)
			p1.held = held
			p1.w.h = slowTurns{h: p1.w.h, took: 3 * time.Millisecond}
			p1.run(t)
			p2.run(t)
			const users, answers = 24, 6
			var wg sync.WaitGroup
			for u := range users {
				wg.Add(1)
				go func() {
					defer wg.Done()
					user := fmt.Sprint("u", u)
					c := bot.Conversation{Channel: bot.Console, User: user}
					say := func(id, s string) bool {
						m := bot.Message{ID: user + "-" + id, Conv: c, Kind: bot.KindText, Text: s}
						take := p1.disp.Submit
						if held {
							take = p1.disp.SubmitHeld
						}
						for deadline := time.Now().Add(10 * time.Second); take(context.Background(), m) != nil; {
							if time.Now().After(deadline) {
								t.Errorf("%s: message %s never taken", user, id)
								return false
							}
							time.Sleep(time.Millisecond)
						}
						return true
					}
					answered := func(n int) bool { // n answers replied to
						deadline := time.Now().Add(10 * time.Second)
						for len(firsts(oks(rec.of(user)))) < n {
							if time.Now().After(deadline) {
								t.Errorf("%s: %d answers replied to, want %d: %q", user, len(firsts(oks(rec.of(user)))), n, rec.of(user))
								return false
							}
							time.Sleep(2 * time.Millisecond)
						}
						return true
					}
					if !say("start", "catat") {
						return
					}
					for i := range answers {
						if !say(fmt.Sprint(i), fmt.Sprint("a", i)) {
							return
						}
						if u%2 == 0 && !answered(i+1) {
							return
						}
					}
					answered(answers)
				}()
			}
			wg.Wait()
			if t.Failed() {
				return
			}
			for u := range users {
				user := fmt.Sprint("u", u)
				st, err := p1.store.LoadState(context.Background(), bot.Conversation{Channel: bot.Console, User: user})
				if err != nil {
					t.Fatal(err)
				}
				var want []string
				for i := range answers {
					want = append(want, fmt.Sprint("a", i))
				}
				if got := strings.TrimSuffix(st.Answers["log"], ","); got != strings.Join(want, ",") {
					t.Errorf("%s: state history %q, want %q: a message applied twice, lost or out of order", user, got, strings.Join(want, ","))
				}
				// Replies may repeat (a resend: the tests' processes resend
				// after 100 ms, within the ack hold), but go out in order.
				got := firsts(oks(rec.of(user)))
				if len(got) != answers {
					t.Errorf("%s: replies %q, want ok a0 … ok a%d in order", user, rec.of(user), answers-1)
				}
				for i, r := range got {
					if r != fmt.Sprint("ok a", i) {
						t.Errorf("%s: reply %d is %q: out of order (%q)", user, i, r, rec.of(user))
						break
					}
				}
			}
			offered, helped := p1.disp.Stats.Offered.Load(), p2.disp.Stats.Helped.Load()
			t.Logf("p1: %d turns, %d offered; p2: %d turns, %d offers taken", p1.w.turns.Load(), offered, p2.w.turns.Load(), helped)
			if offered == 0 || helped == 0 || p2.w.turns.Load() == 0 {
				t.Fatalf("nothing was shared: p1 offered %d, p2 took %d offers and computed %d turns", offered, helped, p2.w.turns.Load())
			}
		})
	}
}

// firsts is replies without repeats of the reply before.
func firsts(replies []string) []string {
	var out []string
	for _, r := range replies {
		if len(out) == 0 || out[len(out)-1] != r {
			out = append(out, r)
		}
	}
	return out
}

// oks are the replies to answers ("ok …"), in the order sent.
func oks(replies []string) []string {
	var out []string
	for _, r := range replies {
		if strings.HasPrefix(r, "ok ") {
			out = append(out, r)
		}
	}
	return out
}
