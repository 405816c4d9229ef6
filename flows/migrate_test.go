package flows_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/console"
)

// TestRegistrationStateMigration: a registration left at its summary by
// version 0 of daftar (marketplaces joined by ",", a skipped NIB as "-")
// is resumed by the current version with its answers read right: the
// summary lists both marketplaces and the saved registration has them
// and no NIB.
func TestRegistrationStateMigration(t *testing.T) {
	w := newWorld(t)
	conv := bot.Conversation{Channel: bot.Console, User: "lama"}
	for _, text := range []string{"daftar", "y", "siti aminah", "3214 0155 0390 0001", "0812-3456-7890", "Keripik Singkong Bu Siti",
		"makanan", "plered", "Desa Anjun", "Jl. Raya Anjun No. 5 RT 02/RW 01", "keripik singkong", "1", "1", "3 orang", "lewati", "1, 2"} {
		w.say(conv, console.Parse(text))
	}
	st := w.state(conv)
	if st.Step != "ringkasan" || st.FlowVer != 1 {
		t.Fatalf("not at the summary of version 1: step %q version %d", st.Step, st.FlowVer)
	}
	// What version 0 wrote.
	st.FlowVer = 0
	st.Answers["marketplace"] = strings.Join(bot.SplitList(st.Answers["marketplace"]), ",")
	st.Answers["nib"] = "-"
	if !strings.Contains(st.Answers["marketplace"], ",") {
		t.Fatalf("two marketplaces expected, got %q", st.Answers["marketplace"])
	}
	if _, err := w.store.SaveState(context.Background(), conv, st); err != nil {
		t.Fatal(err)
	}

	summary := w.say(conv, console.Parse("pilihan"))[0].PlainText()
	if !strings.Contains(summary, "Shopee") || !strings.Contains(summary, "Tokopedia") {
		t.Fatalf("summary of the migrated state:\n%s", summary)
	}
	if got := w.state(conv); got.FlowVer != 1 || got.Answers["nib"] != "" || strings.Contains(got.Answers["marketplace"], ",") {
		t.Fatalf("state not migrated: version %d answers %q", got.FlowVer, got.Answers)
	}
	w.say(conv, console.Parse("ya"))
	r, err := w.store.RegistrationFor(context.Background(), w.deps.Region.Code, conv)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Marketplaces) != 2 || r.NIB != "" || slices.Contains(r.Marketplaces, "none") {
		t.Fatalf("saved registration: marketplaces %q NIB %q", r.Marketplaces, r.NIB)
	}
}

// TestRegistrationStateRestart: a state no migration can read (written by
// a version this program does not know) restarts the registration with an
// apology in the person's language and its first question.
func TestRegistrationStateRestart(t *testing.T) {
	w := newWorld(t)
	conv := bot.Conversation{Channel: bot.Console, User: "asing"}
	st := bot.State{Flow: "daftar", FlowVer: 7, Step: "nik", Answers: map[string]string{"nama": "Siti Aminah"},
		History: []bot.StepID{"persetujuan", "nama"}, Updated: w.now}
	if _, err := w.store.SaveState(context.Background(), conv, st); err != nil {
		t.Fatal(err)
	}
	replies := w.say(conv, console.Parse("3214 0155 0390 0001"))
	if len(replies) == 0 || !strings.Contains(replies[0].PlainText(), "sudah kami perbarui") {
		t.Fatalf("replies %+v, want the apology first", replies)
	}
	if got := w.state(conv); got.Step != "persetujuan" || got.FlowVer != 1 || got.Answers["nama"] != "" {
		t.Fatalf("after the restart: step %q version %d answers %q", got.Step, got.FlowVer, got.Answers)
	}
}
