package flows_test

import (
	"context"
	"strings"
	"testing"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/flows"
)

// seedMarket handles the directives of the marketplace and galeri
// transcripts:
//
//	# market setup                wire products, outlets (loaded from the region file), curation
//	# market hours ID senin=08.00-16.00 minggu=tutup …   give outlet ID opening hours (test data)
//	# market status ID STATUS [note text…]   the Dinas changes an application's status; serve sends the notice
//	# market notices              print the notifications sent since the last time ("<! " lines)
func seedMarket(t *testing.T, w *world, line string, out *strings.Builder) {
	t.Helper()
	ctx := context.Background()
	f := strings.Fields(strings.TrimPrefix(line, "#"))[1:]
	switch f[0] {
	case "setup":
		wireMarket(t, w)
	case "hours":
		if len(f) < 3 {
			t.Fatalf("%s: want ID and day=hours", line)
		}
		for i, o := range w.deps.Region.Outlets {
			if o.ID != f[1] {
				continue
			}
			hours := map[string]string{}
			for _, kv := range f[2:] {
				k, v, _ := strings.Cut(kv, "=")
				hours[k] = v
			}
			w.deps.Region.Outlets[i].Hours = hours
		}
		wireMarket(t, w)
	case "status":
		if len(f) < 3 {
			t.Fatalf("%s: want ID STATUS [note]", line)
		}
		st, ok := umkm.ParseStatus(f[2])
		if !ok {
			t.Fatalf("%s: unknown status", line)
		}
		if _, err := w.store.SetApplicationStatus(ctx, f[1], st, strings.Join(f[3:], " "), w.now); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		for {
			n, done, ok, err := w.store.NextCurationNotice(ctx, w.deps.Region.Code, 0)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			if !ok {
				break
			}
			to, _ := bot.ParseConversation(n.Conv)
			if err := w.outbox.Notify(ctx, to, flows.CurationNotice(n.App, n.TargetName, string(n.Status), n.Note)); err != nil {
				t.Fatalf("%s: notify: %v", line, err)
			}
			if err := done(ctx); err != nil {
				t.Fatal(err)
			}
		}
	case "notices":
		for _, n := range w.notified {
			for _, l := range strings.Split(n, "\n") {
				out.WriteString(strings.TrimRight("<! "+l, " ") + "\n")
			}
		}
		w.notified = nil
	default:
		t.Fatalf("unknown market directive %q", line)
	}
}

// wireMarket gives the test world the marketplace stores and rebuilds the
// engine around them, as cmd/umkmbot does for the real program.
func wireMarket(t *testing.T, w *world) {
	t.Helper()
	if err := w.store.LoadOutlets(context.Background(), w.deps.Region); err != nil {
		t.Fatal(err)
	}
	w.deps.Products, w.deps.Outlets, w.deps.Curation = w.store, w.store, w.store
	w.engine = bot.NewEngine(bot.EngineConfig{Now: w.clock}, mustFlows(w.t, w.deps), w.store, w.store, w.catalog, nil)
}
