package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/store"
)

// TestBatchAfterScriptFlush: when Redis has forgotten the turn scripts
// (a restart, a failover), the calls of a batch that come back NOSCRIPT
// are sent again once the script is loaded, and each caller gets its own
// answer: 64 people at once ingest and commit, twice, with the scripts
// flushed before each round.
func TestBatchAfterScriptFlush(t *testing.T) {
	ctx := context.Background()
	a, _, prefix := clientPair(t)
	s := store.New(a, store.Options{Prefix: prefix})
	const people = 64
	for round := 0; round < 2; round++ {
		if err := a.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for p := 0; p < people; p++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := bot.Conversation{Channel: bot.Telegram, User: fmt.Sprint("flush", p)}
				id, text := fmt.Sprint(round), fmt.Sprint("pesan ", p, " ", round)
				in, err := s.Ingest(ctx, bot.Message{ID: id, Conv: c, Kind: bot.KindText, Text: text}, lease("p"), noFlood)
				if err != nil || in.Result != bot.Taken || in.Loaded.Msg.Text != text || in.Loaded.State.Version != int64(round) {
					t.Errorf("person %d round %d: ingest = %v %q v%d, %v", p, round, in.Result, in.Loaded.Msg.Text, in.Loaded.State.Version, err)
					return
				}
				st := in.Loaded.State
				st.Flow = fmt.Sprint("f", p)
				cm, err := s.Commit(ctx, c, id, lease("p"), bot.TurnResult{State: st, Replies: []bot.Reply{{Text: text}}}, nil)
				if err != nil || cm.Version != int64(round+1) || len(cm.OutIDs) != 1 {
					t.Errorf("person %d round %d: commit = %+v, %v", p, round, cm, err)
				}
			}()
		}
		wg.Wait()
	}
	for p := 0; p < people; p++ {
		c := bot.Conversation{Channel: bot.Telegram, User: fmt.Sprint("flush", p)}
		if st, err := s.LoadState(ctx, c); err != nil || st.Flow != fmt.Sprint("f", p) || st.Version != 2 {
			t.Errorf("person %d: state %q v%d, %v", p, st.Flow, st.Version, err)
		}
	}
}
