package flows

// The registration's summary: reading it back from the answers, "ubah 3",
// and saving it.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/phone"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// summaryStep shows every answer for a last check ("ubah 3" edits one).
const summaryStep bot.StepID = "ringkasan"

// editNumber reads "ubah 3" / "ganti 3" / "edit 3", or a bare "3" (after
// "ubah" asked which).
func editNumber(norm string) (int, bool) {
	if n, err := strconv.Atoi(strings.Trim(norm, ". ")); err == nil {
		return n, n >= 1 && n <= len(fieldOrder)
	}
	for _, verb := range []string{"ubah", "ganti", "edit", "koreksi", "perbaiki", "change"} {
		if rest, ok := strings.CutPrefix(norm, verb); ok {
			rest = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), "no"))
			rest = strings.Trim(rest, ". ")
			n, err := strconv.Atoi(rest)
			if err == nil && n >= 1 && n <= len(fieldOrder) {
				return n, true
			}
			return 0, false
		}
	}
	return 0, false
}

var editWords = map[string]bool{"ubah": true, "ubah data": true, "edit": true, "ganti": true, "koreksi": true, "perbaiki": true}

// editField jumps to the question id of the summary and comes back to ret.
func editField(t *bot.Turn, id, ret bot.StepID) bot.Result {
	t.ReturnTo(ret)
	return bot.Goto(id)
}

// answersToRegistration builds a registration from the flow's answers.
func answersToRegistration(d Deps, t *bot.Turn) *umkm.Registration {
	r := &umkm.Registration{
		Conv:           t.Conv,
		OwnerName:      t.Get("nama"),
		NIK:            t.Get("nik"),
		Phone:          t.Get("hp"),
		BusinessName:   t.Get("usaha"),
		Sector:         t.Get("sektor"),
		Address:        t.Get("alamat"),
		MainProducts:   t.Get("produk"),
		CapitalBracket: t.Get("modal"),
		SalesBracket:   t.Get("omzet"),
		NIB:            t.Get("nib"),
		ConsentVersion: t.Get("consent_version"),
		ConsentReply:   t.Get("consent_reply"),
	}
	d.setLocation(t, r)
	r.SizeClass = sizeClass(r.CapitalBracket, r.SalesBracket)
	r.Workers, _ = strconv.Atoi(t.Get("pekerja"))
	r.Marketplaces = t.List("marketplace")
	if at, err := time.Parse(time.RFC3339, t.Get("consent_at")); err == nil {
		r.ConsentAt = at
	}
	return r
}

// registrationToAnswers is the inverse, for editing a stored registration.
func registrationToAnswers(r *umkm.Registration, t *bot.Turn) {
	for k, v := range map[string]string{
		"nama": r.OwnerName, "nik": r.NIK, "hp": r.Phone, "usaha": r.BusinessName, "sektor": r.Sector,
		"kecamatan": r.Kecamatan, "desa": r.Desa, "alamat": r.Address, "produk": r.MainProducts,
		"modal": r.CapitalBracket, "omzet": r.SalesBracket, "pekerja": strconv.Itoa(r.Workers),
	} {
		t.Set(k, v)
	}
	t.Set("nib", r.NIB)
	t.SetList("marketplace", r.Marketplaces)
	locationAnswers(r, t)
}

// summaryData is the template data of a registration's summary, with the
// NIK and phone masked.
func summaryData(r *umkm.Registration) map[string]any {
	var mps []bot.Text
	for _, m := range r.Marketplaces {
		mps = append(mps, bot.T("marketplace."+m))
	}
	if len(mps) == 0 {
		mps = []bot.Text{bot.T("daftar.summary.none")}
	}
	nib := bot.Raw(r.NIB)
	if r.NIB == "" {
		nib = bot.T("daftar.summary.none")
	}
	data := map[string]any{
		"ID": r.ID, "Name": r.OwnerName, "NIK": umkm.MaskNIK(r.NIK), "Phone": phone.Mask(r.Phone),
		"Business": r.BusinessName, "Kecamatan": r.Kecamatan, "Desa": r.Desa, "Address": r.Address,
		"Products": r.MainProducts, "Workers": r.Workers, "NIB": nib, "Marketplaces": mps,
		"Sector": bot.T("sector." + r.Sector), "Capital": bot.T("bracket." + r.CapitalBracket),
		"Sales": bot.T("bracket." + r.SalesBracket), "Class": bot.T("class." + r.SizeClass),
	}
	return data
}

func confirmRegistration(ctx context.Context, d Deps, t *bot.Turn) (bot.Result, error) {
	r := answersToRegistration(d, t)
	if r.SizeClass == "besar" {
		return bot.Retry(bot.T("daftar.not_umkm")), nil
	}
	r.RegisteredAt = d.now()
	r.UpdatedAt = r.RegisteredAt
	if d.Registrations == nil {
		return bot.Result{}, fmt.Errorf("no registration store")
	}
	err := d.Registrations.CreateRegistration(ctx, r, d.MaxPerNIK)
	t.Forget(registrationKey)
	var dup *umkm.DuplicateNIKError
	if errors.As(err, &dup) {
		t.ReturnTo(summaryStep)
		taken, err := nikTaken(ctx, d, t, []string{dup.Existing}, r.NIK)
		return bot.Goto("nik", bot.Say(taken)), err
	}
	if err != nil {
		return bot.Result{}, err
	}
	// r is what the store now holds (CreateRegistration's contract): the
	// menu after "Pendaftaran berhasil" asks whether the person is
	// registered, and need not read it back from Redis.
	t.Remember(registrationKey, r)
	return bot.Finish(bot.Say(bot.T("daftar.done", "ID", r.ID, "Name", r.OwnerName))), nil
}

// nikTaken answers someone whose NIK already has its registrations. The
// owner's own conversation hears its number; anyone else only hears that
// the NIK is taken and whom to ask, so typing a NIK does not tell whether
// its owner is registered under which number.
func nikTaken(ctx context.Context, d Deps, t *bot.Turn, ids []string, nik string) (bot.Text, error) {
	r, err := d.registration(ctx, t)
	if err != nil {
		return bot.Text{}, err
	}
	if r != nil && slices.Contains(ids, r.ID) {
		return bot.T("daftar.nik.registered", "ID", r.ID, "NIK", umkm.MaskNIK(nik), "Contact", d.contact(ctx, t)), nil
	}
	return bot.T("daftar.nik.taken", "Office", d.Region.Office, "Contact", d.contact(ctx, t)), nil
}
