package flows_test

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/console"
	"github.com/umkmbot/umkmbot/flows"
	"github.com/umkmbot/umkmbot/locales"
)

// corpus reads a corpus file (testdata/corpus/messages.tsv): kind and
// message per line.
func corpus(t *testing.T, file string) [][2]string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][2]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		kind, msg, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("corpus line without a tab: %q", line)
		}
		out = append(out, [2]string{kind, msg})
	}
	return out
}

// registrationTo answers the registration until step is asked, as user,
// and returns the question's text as the bot put it.
func registrationTo(t *testing.T, w *world, user, step string) (bot.Conversation, string) {
	t.Helper()
	conv := bot.Conversation{Channel: bot.Console, User: user}
	answers := []struct{ step, text string }{
		{"persetujuan", "1"}, {"nama", "Siti Aminah"}, {"nik", "3214014505880001"}, {"hp", "081234567890"},
		{"usaha", "Warung Siti"}, {"sektor", "1"}, {"kecamatan", "1"}, {"desa", "11"}, {"desa_lain", "Kampung Baru"},
		{"alamat", "Jl. Veteran No. 12"}, {"produk", "keripik"}, {"modal", "1"}, {"omzet", "1"}, {"pekerja", "2"},
		{"nib", "lewati"}, {"marketplace", "belum"},
	}
	replies := w.say(conv, console.Parse("daftar"))
	for _, a := range answers {
		st := w.state(conv)
		if string(st.Step) != a.step {
			t.Fatalf("registration at %q, expected %q", st.Step, a.step)
		}
		if a.step == step {
			return conv, replies[len(replies)-1].PlainText()
		}
		replies = w.say(conv, console.Parse(a.text))
	}
	t.Fatalf("step %q not reached", step)
	return conv, ""
}

func (w *world) state(conv bot.Conversation) bot.State {
	w.t.Helper()
	st, err := w.store.LoadState(context.Background(), conv)
	if err != nil {
		w.t.Fatal(err)
	}
	return st
}

// freeTextSteps are the registration questions answered by typing.
var freeTextSteps = []string{"nama", "nik", "hp", "usaha", "desa_lain", "alamat", "produk", "pekerja", "nib"}

// TestCorpus sends at least 300 messages real owners write that are not
// answers (greetings, thanks, ok, questions, confusion, slang, typos, emoji,
// amounts, FAQ questions) at every free-text registration question and at
// the product listing's (name, price, weight, stock): none is stored, the
// question stays and is asked again, and greetings, thanks and FAQ
// questions are answered as such; at the menu none of the greetings,
// thanks and FAQ questions gets "belum mengerti".
func TestCorpus(t *testing.T) {
	msgs := corpus(t, corpusFiles["id"])
	if len(msgs) < 300 {
		t.Fatalf("corpus has %d messages, want at least 300", len(msgs))
	}
	w := newWorld(t)
	unknown := w.catalog.Render("id", bot.T("core.unknown"))
	for _, step := range freeTextSteps {
		conv, question := registrationTo(t, w, "corpus-"+step, step)
		before := w.state(conv).Answers[step]
		for _, m := range msgs {
			kind, text := m[0], m[1]
			if (kind == "skip" || kind == "yesno") && step == "nib" {
				continue // skipping the NIB is offered: "lewati" is an answer there
			}
			replies := w.say(conv, console.Parse(text))
			st := w.state(conv)
			if st.Flow != "daftar" || string(st.Step) != step || st.Pending != "" {
				t.Fatalf("at %s, %s %q moved the conversation to %s/%s", step, kind, text, st.Flow, st.Step)
			}
			if got := st.Answers[step]; got != before {
				t.Fatalf("at %s, %s %q was stored as %q", step, kind, text, got)
			}
			all := ""
			for _, r := range replies {
				all += r.PlainText() + "\n"
			}
			if last := replies[len(replies)-1].PlainText(); last != question {
				t.Fatalf("at %s, %s %q: the question was not asked again; replies:\n%s", step, kind, text, all)
			}
			if strings.Contains(all, unknown) {
				t.Fatalf("at %s, %s %q got %q", step, kind, text, unknown)
			}
			first := replies[0].PlainText()
			switch kind {
			case "greet":
				if !strings.Contains(first, "Bapak/Ibu") && !strings.Contains(first, "Waalaikumsalam") && len(replies) < 2 {
					t.Errorf("at %s, greeting %q not answered: %q", step, text, first)
				}
			case "thanks":
				if !strings.Contains(first, "Sama-sama") {
					t.Errorf("at %s, thanks %q not answered: %q", step, text, first)
				}
			case "faq":
				if len(replies) < 2 || first == question || strings.Contains(first, "Mohon") || strings.Contains(first, "Maaf") {
					t.Errorf("at %s, question %q not answered from the FAQ: %q", step, text, first)
				}
			}
		}
	}
	// The same at the free-text questions of a product listing (jualan):
	// amounts are left out at the price and the stock, where a number is
	// the answer.
	seed(t, w, "# market setup", &strings.Builder{})
	product := []struct{ step, text string }{
		{"target", "2"}, {"lanjut", "1"}, {"nama", "Keramik Plered Vas Bunga"}, {"kategori", "kriya"},
		{"harga", "120rb"}, {"berat", "1,8 kg"}, {"stok", "6"},
	}
	for _, step := range []string{"nama", "harga", "berat", "stok"} {
		conv := bot.Conversation{Channel: bot.Console, User: "corpus-jualan-" + step}
		replies := w.say(conv, console.Parse("jualan"))
		for _, a := range product {
			if st := w.state(conv); string(st.Step) != a.step {
				t.Fatalf("jualan at %q, expected %q", st.Step, a.step)
			}
			if a.step == step {
				break
			}
			replies = w.say(conv, console.Parse(a.text))
		}
		question := replies[len(replies)-1].PlainText()
		for _, m := range msgs {
			kind, text := m[0], m[1]
			if kind == "amount" && (step == "harga" || step == "stok") {
				continue
			}
			replies := w.say(conv, console.Parse(text))
			st := w.state(conv)
			if st.Flow != "jualan" || string(st.Step) != step || st.Answers[step] != "" {
				t.Fatalf("at jualan %s, %s %q moved to %s/%s or was stored: %q", step, kind, text, st.Flow, st.Step, st.Answers[step])
			}
			if last := replies[len(replies)-1].PlainText(); last != question {
				t.Fatalf("at jualan %s, %s %q: the question was not asked again", step, kind, text)
			}
		}
	}

	// At the menu, greetings, thanks, ok and FAQ questions are answered,
	// never "belum mengerti".
	conv := bot.Conversation{Channel: bot.Console, User: "corpus-menu"}
	for _, m := range msgs {
		switch m[0] {
		case "greet", "thanks", "ack", "faq":
		default:
			continue
		}
		for _, r := range w.say(conv, console.Parse(m[1])) {
			if strings.Contains(r.PlainText(), unknown) {
				t.Errorf("at the menu, %s %q got %q", m[0], m[1], unknown)
			}
		}
		if st := w.state(conv); st.Flow != "" && st.Step != "" {
			w.say(conv, console.Parse("menu"))
		}
	}
}

// TestEveryStepHasHelp: every question of every flow has its own help text
// in every language, so "bantuan" or "?" explains that question.
func TestEveryStepHasHelp(t *testing.T) {
	w := newWorld(t)
	reg := mustFlows(w.t, w.deps)
	for _, f := range reg.Flows() {
		seen := map[string]bot.StepID{}
		for _, s := range f.Steps {
			if s.Help == "" {
				t.Errorf("flow %s step %s has no help text", f.ID, s.ID)
				continue
			}
			if other, dup := seen[s.Help]; dup {
				t.Errorf("flow %s steps %s and %s share help %s", f.ID, other, s.ID, s.Help)
			}
			seen[s.Help] = s.ID
			for _, lang := range w.catalog.Langs() {
				if !w.catalog.Has(lang, s.Help) {
					t.Errorf("flow %s step %s: help %s missing in %s", f.ID, s.ID, s.Help, lang)
				}
			}
		}
	}
}

// TestRegistrationLengths: on a cheap phone no registration reply is over
// 600 characters except the summary and the full consent text, and a
// re-ask after a wrong answer is at most 3 lines.
func TestRegistrationLengths(t *testing.T) {
	for _, lang := range []string{"id", "en"} {
		t.Run(lang, func(t *testing.T) {
			w := newWorld(t)
			long := map[string]bool{}
			for _, id := range []string{"daftar.summary", "daftar.consent.full"} {
				long[strings.SplitN(w.catalog.Render(lang, bot.Text{ID: id, Data: map[string]any{}}), "\n", 2)[0]] = true
			}
			conv := bot.Conversation{Channel: bot.Console, User: "len-" + lang}
			if lang == "en" {
				w.say(conv, console.Parse("english"))
			}
			check := func(in string, replies []bot.Reply, reask bool) {
				lines := 0
				for _, r := range replies {
					text := r.PlainText()
					first := strings.SplitN(text, "\n", 2)[0]
					if n := utf8.RuneCountInString(text); n > 600 && !long[first] {
						t.Errorf("reply to %q is %d characters:\n%s", in, n, text)
					}
					for _, l := range strings.Split(text, "\n") {
						if strings.TrimSpace(l) != "" {
							lines++
						}
					}
				}
				if reask && lines > 3 {
					t.Errorf("re-ask after %q has %d lines:\n%s", in, lines, joined(replies))
				}
			}
			steps := []struct{ wrong, right string }{
				{"", "daftar"}, {"mungkin", "info"}, {"", "1"}, {"12345", "Siti Aminah"}, {"3214", "3214014505880001"},
				{"021 123456", "081234567890"}, {"x", "Warung Siti"}, {"99", "1"}, {"99", "1"}, {"99", "7"},
				{"a", "Jl. Veteran No. 12"}, {"x", "keripik"}, {"abc", "5 juta"}, {"abc", "10jt"}, {"0", "2"},
				{"123", "lewati"}, {"zzz", "belum"}, {"entah", "ya"},
			}
			for _, s := range steps {
				if s.wrong != "" {
					check(s.wrong, w.say(conv, console.Parse(s.wrong)), true)
				}
				check(s.right, w.say(conv, console.Parse(s.right)), false)
			}
			if st := w.state(conv); st.Flow != "" {
				t.Fatalf("registration did not finish: at %s", st.Step)
			}
		})
	}
}

func joined(rs []bot.Reply) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintln(&b, r.PlainText())
	}
	return b.String()
}

// TestConsentShort: the consent text a person must read before agreeing
// fits a small screen (about 400 characters) in every region and
// language; the full text is one word away.
func TestConsentShort(t *testing.T) {
	w := newWorld(t)
	for _, name := range flows.Regions() {
		region, err := flows.LoadRegion(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, lang := range w.catalog.Langs() {
			short := w.catalog.Render(lang, bot.T("daftar.consent", "Office", region.Office))
			full := w.catalog.Render(lang, bot.T("daftar.consent.full", "Office", region.Office))
			if n := utf8.RuneCountInString(short); n > 420 {
				t.Errorf("%s %s: consent is %d characters:\n%s", name, lang, n, short)
			}
			if !strings.Contains(short, "info") || utf8.RuneCountInString(full) <= utf8.RuneCountInString(short) {
				t.Errorf("%s %s: the short consent does not lead to a fuller text", name, lang)
			}
		}
	}
}

// TestOneFormOfAddress: Indonesian messages address owners as Bapak/Ibu,
// never "Anda", so the bot does not switch between the two. The web
// console's texts (web.id.toml, web_*.id.toml) speak to Dinas officers,
// colleagues, who are addressed as Anda.
func TestOneFormOfAddress(t *testing.T) {
	files, err := fs.Glob(locales.FS, "*.id.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no locale files: %v", err)
	}
	anda := regexp.MustCompile(`(?i)\banda\b`)
	for _, f := range files {
		if f == "web.id.toml" || strings.HasPrefix(f, "web_") {
			continue
		}
		data, err := fs.ReadFile(locales.FS, f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "description") || strings.HasPrefix(line, "#") {
				continue
			}
			if anda.MatchString(line) {
				t.Errorf("%s:%d says Anda: %s", f, i+1, line)
			}
		}
	}
}
