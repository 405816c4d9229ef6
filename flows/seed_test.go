package flows_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/jobs"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/flows"
)

// seed carries out a transcript directive that belongs to one feature
// ("# training add …"). Each feature keeps its directives in its own
// function; a line no feature knows is kept as a comment.
func seed(t *testing.T, w *world, line string, out *strings.Builder) {
	t.Helper()
	f := strings.Fields(strings.TrimPrefix(line, "#"))
	switch f[0] {
	case "training":
		seedTraining(t, w, line, out)
	case "market":
		seedMarket(t, w, line, out)
	case "rights":
		seedRights(t, w, line, out)
	case "state": // "# state expired": the conversation state of who spoke last is gone (STATE_TTL)
		if err := w.store.Client().Del(context.Background(), w.store.StateKey(w.lastConv)).Err(); err != nil {
			t.Fatal(err)
		}
	default:
		seedHandover(t, w, f, out) // petugas_test.go
	}
}

// writeNotified writes the notifications sent since the last call as
// "<! " lines (regenerated like the bot's replies) and forgets them.
func writeNotified(w *world, out *strings.Builder) {
	for _, n := range w.notified {
		for _, l := range strings.Split(n, "\n") {
			out.WriteString(strings.TrimRight("<! "+l, " ") + "\n")
		}
	}
	w.notified = nil
}

// seedTraining handles the training directives:
//
//	# training add title="…" topic=ecommerce capacity=2 start=2026-12-01T09:00 [end=…]
//	    [deadline=…] [place="…" | online=https://…] [organiser="…"] [description="…"]
//	    [requirements="…"] [kabkota=36.73,36.04] [kecamatan=Plered,Campaka] [sectors=kuliner] [sizes=mikro]
//	# training close ID
//	# training register USER [kabkota=36.73] [kecamatan=Plered] [sector=kuliner] [size=mikro]
//	# training fill ID N          N other owners sign up (taking seats, then the waitlist)
//	# training remind             the reminder runner does one round now
//	# training notices            print the notifications sent since the last time
//
// Times are WIB.
func seedTraining(t *testing.T, w *world, line string, out *strings.Builder) {
	t.Helper()
	ctx := context.Background()
	args := directiveArgs(t, strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(line, "#")), "training")))
	verb := args["_0"]
	switch verb {
	case "add":
		tr := &umkm.Training{Title: args["title"], Topic: seedOr(args["topic"], "ecommerce"), Organiser: seedOr(args["organiser"], "DKUPP Kabupaten Purwakarta"),
			Description: args["description"], Requirements: args["requirements"], Place: args["place"],
			Start: seedWIB(t, args["start"]), Capacity: seedAtoi(t, seedOr(args["capacity"], "75"))}
		tr.End = tr.Start.Add(3 * time.Hour)
		if args["end"] != "" {
			tr.End = seedWIB(t, args["end"])
		}
		if args["deadline"] != "" {
			tr.Deadline = seedWIB(t, args["deadline"])
		}
		if args["online"] != "" {
			tr.Online, tr.Link = true, args["online"]
		}
		tr.Kecamatan, tr.Sectors, tr.SizeClasses = seedList(args["kecamatan"]), seedList(args["sectors"]), seedList(args["sizes"])
		tr.KabKota = seedList(args["kabkota"])
		if err := w.store.CreateTraining(ctx, tr); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
	case "close":
		tr, err := w.store.Training(ctx, args["_1"])
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		tr.Status = umkm.TrainingClosed
		if _, err := w.store.UpdateTraining(ctx, tr); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
	case "register":
		user := args["_1"]
		r := &umkm.Registration{Region: seedOr(args["kabkota"], w.deps.Region.Code), Conv: bot.Conversation{Channel: bot.Console, User: user},
			OwnerName: "Pemilik " + user, NIK: fmt.Sprintf("321401550390%04d", len(user)+int(user[0])), Phone: "+6281234567890",
			BusinessName: "Usaha " + user, Sector: seedOr(args["sector"], "kuliner"), Kecamatan: seedOr(args["kecamatan"], "Plered"),
			SizeClass: seedOr(args["size"], "mikro"), CapitalBracket: "modal_le1m", SalesBracket: "omzet_le2m", RegisteredAt: w.now}
		if err := w.store.CreateRegistration(ctx, r, 5); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
	case "fill":
		for i := 0; i < seedAtoi(t, args["_2"]); i++ {
			c := bot.Conversation{Channel: bot.WhatsApp, User: fmt.Sprintf("6281100000%03d", i)}
			if _, err := w.store.Enrol(ctx, umkm.Enrolment{Training: args["_1"], Conv: c, At: w.now}, true); err != nil {
				t.Fatalf("%s: %v", line, err)
			}
		}
	case "remind":
		r := &jobs.Reminders{Store: w.store, Notifier: w.outbox, Compose: flows.TrainingNotice, Now: w.clock}
		if _, err := r.Tick(ctx); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
	case "notices":
		writeNotified(w, out)
	default:
		t.Fatalf("unknown training directive %q", line)
	}
}

// directiveArgs splits `add title="a b" capacity=2` into positional
// ("_0" = "add") and key=value arguments; values may be double-quoted.
func directiveArgs(t *testing.T, s string) map[string]string {
	t.Helper()
	args := map[string]string{}
	pos := 0
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		var tok string
		end := strings.IndexByte(s, ' ')
		if end < 0 {
			end = len(s)
		}
		if eq := strings.IndexByte(s, '='); eq >= 0 && eq < end && eq+1 < len(s) && s[eq+1] == '"' {
			closing := strings.IndexByte(s[eq+2:], '"')
			if closing < 0 {
				t.Fatalf("unclosed quote in %q", s)
			}
			end = eq + 2 + closing + 1
			tok = s[:eq+1] + s[eq+2:end-1]
		} else {
			tok = s[:end]
		}
		s = s[end:]
		if k, v, ok := strings.Cut(tok, "="); ok {
			args[k] = v
		} else {
			args["_"+strconv.Itoa(pos)] = tok
			pos++
		}
	}
	return args
}

func seedWIB(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.ParseInLocation("2006-01-02T15:04", s, bot.Jakarta)
	if err != nil {
		t.Fatalf("time %q: %v", s, err)
	}
	return tm
}

func seedAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("number %q: %v", s, err)
	}
	return n
}

func seedOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func seedList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
