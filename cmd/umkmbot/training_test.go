package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
)

// TestTrainingCLI: the Dinas adds a training, an owner signs up in the
// chat, another waits; the Dinas exports participants, is refused a
// capacity below the seats taken, raises it (the promoted owner's notice is
// queued for serve), and checks an owner in by code.
func TestTrainingCLI(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Client(t)
	env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix}
	day := time.Now().In(bot.Jakarta).AddDate(0, 0, 14).Format("2006-01-02")

	out := umkmbot(t, env, "", "training", "add", "--title", "Desain Kemasan", "--topic", "kemasan",
		"--start", day+" 09:00", "--end", day+" 12:00", "--capacity", "2", "--place", "Aula DKUPP Purwakarta",
		"--kecamatan", "plered,babakan cikao", "--sizes", "mikro,kecil")
	if !strings.Contains(out, "training 1 added") || !strings.Contains(out, "pelatihan_1") {
		t.Fatalf("add said:\n%s", out)
	}
	s := store.New(rdb, store.Options{Prefix: prefix})
	tr, err := s.Training(ctx, "1")
	if err != nil || tr.Organiser == "" || strings.Join(tr.Kecamatan, ",") != "Plered,Babakancikao" || tr.Start.In(bot.Jakarta).Hour() != 9 {
		t.Fatalf("stored training = %+v, %v", tr, err)
	}

	chat := umkmbot(t, env, registration+"pelatihan\n1\n1\n", "chat")
	code := regexp.MustCompile(`Kode hadir: ([A-Z0-9]{6})`).FindStringSubmatch(chat)
	if code == nil {
		t.Fatalf("the chat sign-up gave no attendance code:\n%s", chat)
	}
	ani := bot.Conversation{Channel: bot.WhatsApp, User: "6281200000001"}
	budi := bot.Conversation{Channel: bot.Telegram, User: "4242"}
	if e, err := s.Enrol(ctx, umkm.Enrolment{Training: "1", Conv: ani}, true); err != nil || e.Status != umkm.StatusConfirmed {
		t.Fatalf("second owner = %+v, %v; want a seat", e, err)
	}
	if e, err := s.Enrol(ctx, umkm.Enrolment{Training: "1", Conv: budi}, true); err != nil || e.Position != 1 {
		t.Fatalf("third owner = %+v, %v; want waitlist 1", e, err)
	}

	rows := readCSV(t, umkmbot(t, env, "", "training", "participants", "1", "--format", "csv"))
	if len(rows) != 4 || strings.Join(rows[0], ",") != strings.Join(participantColumns, ",") {
		t.Fatalf("participants = %q", rows)
	}
	if got := strings.Join(rows[1], ","); !strings.HasPrefix(got, "1,terdaftar,,UMKM-3214-000001,Siti Aminah,Keripik Bu Siti,Plered,console,'+62812****7890,"+code[1]) {
		t.Errorf("seat row = %s", got)
	}
	if got := strings.Join(rows[3][:4], ","); got != "1,daftar_tunggu,1," || rows[3][7] != "telegram" {
		t.Errorf("waitlist row = %q", rows[3])
	}
	full := readCSV(t, umkmbot(t, env, "", "training", "participants", "1", "--include-phone"))
	if full[1][8] != "'+6281234567890" {
		t.Errorf("--include-phone: phone = %q", full[1][8])
	}

	var stdout, stderr bytes.Buffer
	err = run(ctx, []string{"training", "edit", "1", "--capacity", "1"}, func(k string) string { return env[k] }, strings.NewReader(""), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "2 seats are already taken") {
		t.Fatalf("capacity 0 with one seat taken: err = %v", err)
	}
	out = umkmbot(t, env, "", "training", "edit", "1", "--capacity", "3")
	if !strings.Contains(out, "1 owners moved from the waitlist") {
		t.Fatalf("raise said:\n%s", out)
	}
	notices, err := s.PopNotices(ctx, 10)
	if err != nil || len(notices) != 1 || notices[0].Enrolment.Conv != budi || notices[0].Kind != umkm.NoticePromoted {
		t.Fatalf("queued notices = %+v, %v; want the promoted owner", notices, err)
	}

	out = umkmbot(t, env, "", "training", "checkin", "1", strings.ToLower(code[1]))
	if !strings.Contains(out, "checked in: UMKM-3214-000001") {
		t.Fatalf("checkin said:\n%s", out)
	}
	umkmbot(t, env, "", "training", "close", "1")
	list := umkmbot(t, env, "", "training", "list")
	if !regexp.MustCompile(`(?m)^1 .* closed +3/3 +0 +kemasan +Desain Kemasan$`).MatchString(list) {
		t.Fatalf("list:\n%s", list)
	}
}
