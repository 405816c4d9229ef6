package telegram_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/telegram"
	"github.com/umkmbot/umkmbot/bot/telegram/telegramtest"
)

var budi = telegramtest.User{ID: 5002, Name: "Budi", Lang: "id"}

// One update the library cannot decode, between two good ones in the same
// getUpdates batch: the good ones are answered, the bad one is counted and
// logged without its content, and the offset moves past all three.
func TestUndecodableUpdateSkipped(t *testing.T) {
	for _, tc := range []struct {
		name      string
		pipelined bool
	}{{"one batch at a time", false}, {"pipelined", true}} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			obs := &observed{}
			p := r.build("p1", func(c *telegram.Config) {
				if !tc.pipelined {
					c.Journal = nil
				}
				c.Observer = obs
			}, nil)
			r.tg.Text(siti, "/daftar")
			bad := r.tg.PushRaw(`"message":{"message_id":"not-a-number","date":1760000000,` +
				`"chat":{"id":5003,"type":"private"},"text":"NIK 3214015503900001"}`)
			r.tg.Text(budi, "/daftar")
			r.run(p) // one getUpdates gets all three
			ctx, cancel := context.WithTimeout(context.Background(), waitFor)
			defer cancel()
			for _, u := range []telegramtest.User{siti, budi} {
				got, err := r.tg.WaitSent(ctx, u.ID, 1)
				if err != nil {
					t.Fatalf("%s: %v", u.Name, err)
				}
				expect(t, got, "setuju")
			}
			eventually(t, "the offset past every update", func() bool { return r.tg.Unconfirmed() == 0 })
			if n := p.a.Stats.Undecodable.Load(); n != 1 {
				t.Fatalf("%d undecodable updates counted, want 1", n)
			}
			if n := obs.count("telegram_undecodable"); n != 1 {
				t.Fatalf("observer got %d telegram_undecodable events, want 1", n)
			}
			logs := r.logs.String()
			if !strings.Contains(logs, "cannot be decoded") || !strings.Contains(logs, "update="+strconv.Itoa(bad)) {
				t.Fatalf("the skipped update is not logged with its id:\n%s", logs)
			}
			if strings.Contains(logs, "3214015503900001") || strings.Contains(logs, "not-a-number") {
				t.Fatal("the undecodable update's content is in the logs")
			}
		})
	}
}

// TestPipelinedPoll: the next getUpdates, which confirms a batch to
// Telegram, goes out while the batch's Submit calls have not returned.
func TestPipelinedPoll(t *testing.T) {
	r := newRig(t)
	var once sync.Once
	confirmed := make(chan error, 1)
	r.start("p1", nil, func(next telegram.Submitter) telegram.Submitter {
		return submitFunc(func(ctx context.Context, msg bot.Message) error {
			once.Do(func() {
				// Hold the first Submit until the server sees a getUpdates
				// past this update (bounded: the old loop never asks).
				wctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_, err := r.tg.WaitRequest(wctx, "getUpdates", func(q telegramtest.Request) bool { return q.Offset > 1 })
				confirmed <- err
			})
			return next.Submit(ctx, msg)
		})
	})
	if id := r.tg.Text(siti, "/daftar").UpdateID; id != 1 {
		t.Fatalf("update id %d, want 1", id)
	}
	if err := <-confirmed; err != nil {
		t.Fatalf("the next getUpdates was not issued while the batch was being submitted: %v", err)
	}
	expect(t, r.turn(siti, func() {}), "setuju")
}

// TestPipelinedCrashLosesNothing: a process fetches an update, asks for
// the next batch (Telegram now counts the update as taken), and dies
// before the update is queued; the next process submits it from the
// journal.
func TestPipelinedCrashLosesNothing(t *testing.T) {
	r := newRig(t)
	const id = 1 // the first update of a fresh server
	p1 := r.start("p1", nil, func(telegram.Submitter) telegram.Submitter {
		return submitFunc(func(ctx context.Context, msg bot.Message) error {
			wctx, cancel := context.WithTimeout(ctx, waitFor)
			defer cancel()
			r.tg.WaitRequest(wctx, "getUpdates", func(q telegramtest.Request) bool { return q.Offset > id })
			return errors.New("killed before queuing")
		})
	})
	if got := r.tg.Text(siti, "/daftar").UpdateID; got != id {
		t.Fatalf("update id %d, want %d", got, id)
	}
	eventually(t, "the update confirmed to Telegram and not queued", func() bool {
		return r.tg.Unconfirmed() == 0 && p1.a.Stats.SubmitFailed.Load() > 0
	})
	p1.stop()
	if n := r.journal.len(); n != 1 {
		t.Fatalf("%d batches in the journal, want 1", n)
	}
	r.start("p2", nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	got, err := r.tg.WaitSent(ctx, siti.ID, 1)
	if err != nil {
		t.Fatalf("the update was lost: %v", err)
	}
	expect(t, got, "setuju")
	eventually(t, "the journal emptied", func() bool { return r.journal.len() == 0 })
}

// TestPipelinedKeepsChatOrder: many messages of a few people over several
// batches arrive at the dispatcher in each person's order.
func TestPipelinedKeepsChatOrder(t *testing.T) {
	r := newRig(t)
	var mu sync.Mutex
	got := map[string][]string{}
	r.start("p1", nil, func(telegram.Submitter) telegram.Submitter {
		return submitFunc(func(ctx context.Context, msg bot.Message) error {
			time.Sleep(time.Millisecond) // let the next getUpdates overtake
			mu.Lock()
			defer mu.Unlock()
			got[msg.Conv.User] = append(got[msg.Conv.User], msg.Text)
			return nil
		})
	})
	users := []telegramtest.User{siti, budi, {ID: 5004, Name: "Ani"}}
	const n = 60
	for i := range n {
		for _, u := range users {
			r.tg.Text(u, strconv.Itoa(i))
		}
	}
	eventually(t, "every message taken", func() bool {
		mu.Lock()
		defer mu.Unlock()
		total := 0
		for _, m := range got {
			total += len(m)
		}
		return total == n*len(users)
	})
	for user, texts := range got {
		for i, text := range texts {
			if text != strconv.Itoa(i) {
				t.Fatalf("user %s: message %d is %q: out of order", user, i, text)
			}
		}
	}
}

// TestKeptUpdatesCommittedDirectly: the updates of a kept (journaled)
// batch go to the dispatcher as held (SubmitHeld), so a conversation's
// turns after its first are committed in the step that takes them;
// without a journal every update is queued first (Submit).
func TestKeptUpdatesCommittedDirectly(t *testing.T) {
	for _, journal := range []bool{true, false} {
		t.Run(fmt.Sprintf("journal=%v", journal), func(t *testing.T) {
			r := newRig(t)
			p := r.start("p1", func(c *telegram.Config) {
				if !journal {
					c.Journal = nil
				}
			}, nil)
			expect(t, r.turn(siti, func() { r.tg.Text(siti, "/daftar") }), "setuju")
			expect(t, r.turn(siti, func() { r.tg.Text(siti, "1") }), "nama")
			expect(t, r.turn(siti, func() { r.tg.Text(siti, "Siti Aminah") }), "NIK")
			expect(t, r.turn(siti, func() { r.tg.Text(siti, "3214 0155 0390 0001") }), "nomor HP")
			// The first turn has nothing cached; every one after it is
			// direct, the consent's too, which writes the profile (the
			// draft).
			direct := p.disp.Stats.Direct.Load()
			if journal && direct != 3 {
				t.Fatalf("%d turns committed directly, want 3 (every one after the first)", direct)
			}
			if !journal && direct != 0 {
				t.Fatalf("%d turns committed directly without a journal, want 0", direct)
			}
		})
	}
}
