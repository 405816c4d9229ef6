package web

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// TestTrainingForms: a petugas creates a training from the form, a bad
// form comes back with its errors and values, an edit below the seats
// taken is refused, open and close work.
func TestTrainingForms(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	c := w.login("petugas")
	form := validTrainingForm("Foto produk dengan HP")
	form["kecamatan"] = []string{"Plered", "Bukan Kecamatan"}
	form["sectors"] = []string{"kuliner"}
	form["sizes"] = []string{"mikro"}
	res := c.post("/trainings", form)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", res.StatusCode, res.body)
	}
	all, _ := w.store.AllTrainings(ctx)
	if len(all) != 1 {
		t.Fatalf("%d trainings", len(all))
	}
	tr := all[0]
	if tr.Title != "Foto produk dengan HP" || tr.Capacity != 20 || tr.Status != umkm.TrainingOpen ||
		!slices.Equal(tr.Kecamatan, []string{"Plered"}) || !slices.Equal(tr.Sectors, []string{"kuliner"}) ||
		tr.Start.In(bot.Jakarta).Format(formTime) != form.Get("start") {
		t.Fatalf("stored %+v", tr)
	}
	if res := c.get(res.Header.Get("Location")); !strings.Contains(res.body, "Foto produk dengan HP") {
		t.Fatalf("the list does not show the new training")
	}

	bad := validTrainingForm("")
	bad.Set("end", bad.Get("start"))
	bad.Set("capacity", "nol")
	bad.Set("place", "Aula <b>Desa</b>")
	res = c.post("/trainings", bad)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad form: %d", res.StatusCode)
	}
	for _, id := range []string{"web.training.error.title", "web.training.error.end", "web.training.error.capacity"} {
		if !strings.Contains(res.text, w.cfg.Catalog.Render("id", bot.T(id))) {
			t.Errorf("bad form lacks %s", id)
		}
	}
	if !strings.Contains(res.body, `value="Aula &lt;b&gt;Desa&lt;/b&gt;"`) {
		t.Errorf("bad form does not keep the place as typed")
	}
	if all, _ := w.store.AllTrainings(ctx); len(all) != 1 {
		t.Fatalf("a bad form stored a training")
	}

	// Fill 2 seats, then try to lower the capacity to 1.
	for i := range 2 {
		e := umkm.Enrolment{Training: tr.ID, Conv: bot.Conversation{Channel: bot.Telegram, User: "p" + itoa(i)}, Registration: "UMKM-3214-00000" + itoa(i), At: time.Now()}
		if _, err := w.store.Enrol(ctx, e, false); err != nil {
			t.Fatal(err)
		}
	}
	edit := validTrainingForm("Foto produk dengan HP")
	edit.Set("capacity", "1")
	if res := c.post("/trainings/"+tr.ID, edit); res.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(res.text, w.cfg.Catalog.Render("id", bot.T("web.training.error.below_taken"))) {
		t.Fatalf("capacity below the seats taken: %d", res.StatusCode)
	}
	edit.Set("capacity", "40")
	if res := c.post("/trainings/"+tr.ID, edit); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", res.StatusCode, res.body)
	}
	if got, _ := w.store.Training(ctx, tr.ID); got.Capacity != 40 || got.Confirmed != 2 || len(got.Kecamatan) != 0 {
		t.Fatalf("after edit: capacity %d, confirmed %d, kecamatan %v", got.Capacity, got.Confirmed, got.Kecamatan)
	}
	for _, step := range []struct {
		action string
		want   umkm.TrainingStatus
	}{{"close", umkm.TrainingClosed}, {"open", umkm.TrainingOpen}} {
		c.post("/trainings/"+tr.ID+"/"+step.action, nil)
		if got, _ := w.store.Training(ctx, tr.ID); got.Status != step.want {
			t.Fatalf("%s: status %s", step.action, got.Status)
		}
	}
	if res := c.get("/trainings/999/edit"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown training: %d", res.StatusCode)
	}
}

// TestTrainingParticipants: the training page lists seats then the
// waitlist, a petugas checks an owner in by code (bad and unknown codes
// are told), exports the list; a pengamat sees names masked and no codes.
func TestTrainingParticipants(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	tr := w.training("Kemasan menarik", 2)
	var codes []string
	for i, name := range []string{"Siti Aminah", "Budi Santoso", "Ani Rahayu"} {
		reg := w.register(name, "Usaha "+itoa(i), "Plered", "kuliner", "mikro", "+62812345678"+itoa(10+i))
		e, err := w.store.Enrol(ctx, umkm.Enrolment{Training: tr.ID, Conv: reg.Conv, Registration: reg.ID, At: time.Now()}, true)
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, e.Code)
	}
	off := w.login("petugas")
	page := off.get("/trainings/" + tr.ID)
	if page.StatusCode != http.StatusOK {
		t.Fatalf("training page: %d", page.StatusCode)
	}
	for _, want := range []string{"Siti Aminah", "Budi Santoso", "Ani Rahayu", "daftar tunggu #1", codes[0], "2 dari 2 kursi terisi, 1 daftar tunggu"} {
		if !strings.Contains(page.text, want) {
			t.Errorf("training page lacks %q", want)
		}
	}
	if strings.Index(page.text, "Ani Rahayu") < strings.Index(page.text, "Budi Santoso") {
		t.Errorf("the waitlisted owner is listed before a seat")
	}

	for code, want := range map[string]string{"12": "?checkin=bad", "ACEFGH": "?checkin=unknown", strings.ToLower(codes[2]): "?checkin=notseated"} {
		res := off.post("/trainings/"+tr.ID+"/checkin", url.Values{"code": {code}})
		if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), want) {
			t.Errorf("code %q: %d %q, want %s", code, res.StatusCode, res.Header.Get("Location"), want)
		}
	}
	if res := off.get("/trainings/" + tr.ID + "?checkin=unknown"); !strings.Contains(res.text, "tidak dimiliki peserta") {
		t.Errorf("an unknown code is not told")
	}
	res := off.post("/trainings/"+tr.ID+"/checkin", url.Values{"code": {strings.ToLower(codes[1])}})
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "checked=UMKM-") {
		t.Fatalf("check in: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if page := off.get(res.Header.Get("Location")); !strings.Contains(page.text, "Tercatat hadir") || !strings.Contains(page.text, "1 sudah hadir") {
		t.Errorf("after check-in the page does not say so")
	}
	ps, _ := w.store.Participants(ctx, tr.ID)
	attended := 0
	for _, p := range ps {
		if p.Status == umkm.StatusAttended {
			attended++
		}
	}
	if attended != 1 {
		t.Fatalf("%d attended after one check-in", attended)
	}

	csvRes := off.get("/export/trainings/" + tr.ID + "/participants.csv")
	rows, err := csv.NewReader(strings.NewReader(csvRes.body)).ReadAll()
	if err != nil || len(rows) != 4 || rows[0][0] != "registration_id" {
		t.Fatalf("participants export: %v, %v", rows, err)
	}

	obs := w.login("pengamat").get("/trainings/" + tr.ID)
	if strings.Contains(obs.text, "Siti Aminah") || !strings.Contains(obs.text, "S*** A***") {
		t.Errorf("the pengamat sees owners' names unmasked")
	}
	if strings.Contains(obs.text, codes[0]) || strings.Contains(obs.body, `id="code"`) {
		t.Errorf("the pengamat sees attendance codes or the check-in form")
	}
}
