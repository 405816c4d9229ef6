package flows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/phone"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// ConsentVersion identifies the consent text (locale ids daftar.consent and
// daftar.consent.full, the short form and the full one behind "info") an
// owner agreed to; change it whenever that text changes. The stored proof
// adds the language it was shown in: "consent-2026-12/id". Changing the
// consent text means a new version: registered owners are asked again
// (flow persetujuan). 2026-12: the short text with the full one behind
// info, and the rights over chat (data saya, ubah data, hapus data).
const ConsentVersion = "consent-2026-12"

// Sectors offered at registration (code, then words that pick it).
var sectors = []struct {
	code  string
	alias []string
}{
	{"kuliner", []string{"makanan", "minuman", "makanan minuman", "makanan dan minuman", "mamin", "makan", "food", "kue", "jajanan"}},
	{"fesyen", []string{"fashion", "fesyen", "pakaian", "baju", "busana", "konveksi", "batik"}},
	{"kriya", []string{"kerajinan", "kriya", "craft", "keramik", "anyaman"}},
	{"pertanian", []string{"pertanian", "tani", "perikanan", "ikan", "peternakan", "olahan hasil tani", "kebun"}},
	{"jasa", []string{"jasa", "servis", "service", "bengkel", "salon", "laundry"}},
	{"perdagangan", []string{"perdagangan", "dagang", "toko", "warung", "kelontong", "jualan"}},
	{"lainnya", []string{"lainnya", "lain", "lain lain", "other"}},
}

// Brackets of modal usaha and annual sales with the PP 7/2021 class each
// implies ("besar" = above the UMKM bands).
var capitalBrackets = []struct{ code, class string }{
	{"modal_le1m", "mikro"}, {"modal_1m5m", "kecil"}, {"modal_5m10m", "menengah"}, {"modal_gt10m", "besar"},
}
var salesBrackets = []struct{ code, class string }{
	{"omzet_le2m", "mikro"}, {"omzet_2m15m", "kecil"}, {"omzet_15m50m", "menengah"}, {"omzet_gt50m", "besar"},
}

// Marketplaces an owner may already use.
var marketplaces = []struct {
	code  string
	alias []string
}{
	{"shopee", []string{"shopee", "shope", "sopi"}},
	{"tokopedia", []string{"tokopedia", "tokped"}},
	{"lazada", []string{"lazada"}},
	{"tiktok", []string{"tiktok", "tiktok shop", "tik tok"}},
	{"bukalapak", []string{"bukalapak", "bl"}},
	{"daerah", []string{"marketplace daerah", "marketplace pemda"}},
	{"ekatalog", []string{"e-katalog", "ekatalog", "katalog", "lkpp"}},
	{"lainnya", []string{"lainnya", "lain"}},
}

var classRank = map[string]int{"mikro": 1, "kecil": 2, "menengah": 3, "besar": 4}

// sizeClass derives the PP 7/2021 class from the two brackets: the higher
// of the class by modal usaha (the registration criterion) and the class by
// annual sales (the criterion for support programmes), so a business is
// never placed below what either figure says.
func sizeClass(capital, sales string) string {
	best := ""
	for _, b := range capitalBrackets {
		if b.code == capital {
			best = b.class
		}
	}
	for _, b := range salesBrackets {
		if b.code == sales && classRank[b.class] > classRank[best] {
			best = b.class
		}
	}
	return best
}

func init() { register("daftar", newDaftar) }

// newDaftar builds the registration flow: consent, thirteen questions, a
// summary to check and change, and the registration number.
func newDaftar(d Deps) *bot.Flow {
	steps := []*bot.Step{{
		ID:     "persetujuan",
		Prompt: "daftar.consent",
		Data: func(ctx context.Context, t *bot.Turn) map[string]any {
			return map[string]any{"Office": d.Region.Office}
		},
		Options: yesNoOptions("daftar.consent.yes", "daftar.consent.no"),
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) bot.Result {
			if infoWords[in.Norm] {
				return fullConsent(ctx, t, d)
			}
			yes, ok := answerYes(in)
			if !ok { // a short re-ask: the consent text is long for a small screen
				return bot.Result{Next: bot.Stay, Quiet: true, Say: []bot.Out{{
					Texts: []bot.Text{bot.T("daftar.consent.unclear")}, Options: yesNoOptions("daftar.consent.yes", "daftar.consent.no")(ctx, t)}}}
			}
			if !yes {
				return bot.Finish(bot.Say(bot.T("daftar.consent.declined")))
			}
			t.Set("consent_at", t.Now.UTC().Format(time.RFC3339))
			t.Set("consent_reply", in.Text)
			t.Set("consent_version", ConsentVersion+"/"+t.Lang)
			return bot.Goto("nama")
		},
	}}
	steps = append(steps, registrationFields(d)...)
	steps = append(steps, &bot.Step{
		ID:     "ringkasan",
		Prompt: "daftar.summary",
		Data: func(ctx context.Context, t *bot.Turn) map[string]any {
			return d.summary(answersToRegistration(d, t))
		},
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) bot.Result {
			if n, ok := editNumber(in.Norm); ok {
				return editField(t, d.editStep(n), "ringkasan")
			}
			if editWords[in.Norm] {
				return bot.Result{Next: bot.Stay, Quiet: true, Say: []bot.Out{bot.Say(bot.T("profil.which"))}}
			}
			if yes, ok := bot.YesNo(in.Text); !ok || !yes {
				return bot.Result{Next: bot.Stay, Quiet: true, Say: []bot.Out{bot.Say(bot.T("daftar.summary.unclear"))}}
			}
			return confirmRegistration(ctx, d, t)
		},
	})
	withHelp(steps)
	return &bot.Flow{
		ID:       "daftar",
		Title:    "daftar.title",
		Triggers: []string{"daftar", "registrasi", "register", "pendaftaran", "daftar umkm"},
		Menu:     10,
		Draft:    true,
		Visible: func(ctx context.Context, t *bot.Turn) bool {
			return d.registration(ctx, t) == nil
		},
		Begin: func(ctx context.Context, t *bot.Turn, arg string) bot.Result {
			if r := d.registration(ctx, t); r != nil {
				return bot.Finish(bot.Say(bot.T("daftar.already", "ID", r.ID)))
			}
			return bot.Goto("persetujuan")
		},
		Steps: steps,
	}
}

// withHelp gives every registration question its own help text,
// daftar.<step>.help, where it has none yet.
func withHelp(steps []*bot.Step) {
	for _, s := range steps {
		if s.Help == "" {
			s.Help = "daftar." + s.ID + ".help"
		}
	}
}

// fieldOrder is the order of the summary's numbered lines ("ubah 3").
var fieldOrder = []string{"nama", "nik", "hp", "usaha", "sektor", "kecamatan", "desa", "alamat", "produk", "modal", "omzet", "pekerja", "nib", "marketplace"}

// registrationFields are the questions of registration, shared by the
// registration flow and the profile editor.
func registrationFields(d Deps) []*bot.Step {
	return withLocation(d, []*bot.Step{
		{ID: "nama", Prompt: "daftar.nama", Numbered: true, Parse: parsePersonName},
		{ID: "nik", Prompt: "daftar.nik", Help: "daftar.nik.help", Numbered: true,
			Parse: func(ctx context.Context, t *bot.Turn, in bot.In) (string, bot.Text) {
				nik, err := umkm.ParseNIK(in.Text)
				var ne *umkm.NIKError
				if errors.As(err, &ne) {
					return "", bot.T("daftar.nik." + ne.Reason)
				} else if err != nil {
					return "", bot.T("daftar.nik.length")
				}
				if d.Registrations != nil && nik != t.Get("nik") {
					ids, err := d.Registrations.RegistrationsByNIK(ctx, d.Region.Code, nik)
					if err != nil {
						t.Fail(err)
						return "", bot.Text{}
					}
					if len(ids) >= max(d.MaxPerNIK, 1) {
						return "", nikTaken(ctx, d, t, ids, nik)
					}
				}
				return nik, bot.Text{}
			},
			Confirm: func(t *bot.Turn, nik string) bot.Text { return bot.T("daftar.nik.ok", "NIK", umkm.MaskNIK(nik)) }},
		{ID: "hp", Prompt: "daftar.hp", Ask: bot.AskContact, Numbered: true,
			Accept: []bot.Kind{bot.KindText, bot.KindContact},
			Skip: func(ctx context.Context, t *bot.Turn) bool {
				if t.Profile.Phone == "" || t.Editing() {
					return false
				}
				t.Set("hp", t.Profile.Phone)
				return true
			},
			Parse: parsePhoneAnswer},
		{ID: "usaha", Prompt: "daftar.usaha", Numbered: true, Parse: textBetween(2, 100, "daftar.usaha.invalid")},
		{ID: "sektor", Prompt: "daftar.sektor", Numbered: true, Options: sectorOptions},
		{ID: "alamat", Prompt: "daftar.alamat", Numbered: true, Parse: textBetween(5, 200, "daftar.alamat.invalid")},
		{ID: "produk", Prompt: "daftar.produk", Numbered: true, Parse: textBetween(2, 200, "daftar.produk.invalid")},
		{ID: "modal", Prompt: "daftar.modal", Help: "daftar.modal.help", Numbered: true,
			Options: bracketOptions(capitalBrackets, "modal_unknown"),
			Parse: func(ctx context.Context, t *bot.Turn, in bot.In) (string, bot.Text) {
				v, problem := bracketAnswer(in, capitalBrackets, capitalTops)
				if problem.IsZero() && sizeClass(v, "") == "besar" {
					return "", bot.T("daftar.not_umkm")
				}
				return v, problem
			}},
		{ID: "omzet", Prompt: "daftar.omzet", Help: "daftar.omzet.help", Numbered: true,
			Options: bracketOptions(salesBrackets, "omzet_unknown"),
			Parse: func(ctx context.Context, t *bot.Turn, in bot.In) (string, bot.Text) {
				v, problem := bracketAnswer(in, salesBrackets, salesTops)
				if problem.IsZero() && sizeClass(t.Get("modal"), v) == "besar" {
					return "", bot.T("daftar.not_umkm")
				}
				return v, problem
			}},
		{ID: "pekerja", Prompt: "daftar.pekerja", Numbered: true,
			Parse: func(ctx context.Context, t *bot.Turn, in bot.In) (string, bot.Text) {
				n, ok := bot.ParseCount(in.Text)
				if !ok || n > 100000 {
					return "", bot.T("daftar.pekerja.invalid")
				}
				if v, _, money := ParseAmount(in.Text); money && v != int64(n) { // "1 miliar", "500rb"
					return "", bot.T("daftar.pekerja.invalid")
				}
				if n == 0 {
					return "", bot.T("daftar.pekerja.min")
				}
				return strconv.Itoa(n), bot.Text{}
			}},
		{ID: "nib", Prompt: "daftar.nib", Help: "daftar.nib.help", Numbered: true, Optional: true, Parse: parseNIB},
		{ID: "marketplace", Prompt: "daftar.marketplace", Numbered: true, Multi: true,
			Options: d.marketplaceOptions,
			Parse: func(ctx context.Context, t *bot.Turn, in bot.In) (string, bot.Text) {
				if no, ok := bot.YesNo(in.Text); (ok && !no) || noneWords[in.Norm] {
					return "none", bot.Text{}
				}
				if len(in.Choices) == 0 {
					return "", bot.T("daftar.marketplace.invalid")
				}
				vals := make([]string, len(in.Choices))
				for i, c := range in.Choices {
					vals[i] = c.Value
				}
				return strings.Join(vals, ","), bot.Text{}
			}},
	})
}

// withLocation puts the questions of where the business is (daftar_wilayah.go)
// after the sector.
func withLocation(d Deps, steps []*bot.Step) []*bot.Step {
	i := slices.IndexFunc(steps, func(s *bot.Step) bool { return s.ID == "sektor" }) + 1
	return slices.Concat(steps[:i], locationFields(d), steps[i:])
}

// fullConsent shows the full consent text (asked for with info) and keeps
// the yes/no question.
func fullConsent(ctx context.Context, t *bot.Turn, d Deps) bot.Result {
	return bot.Result{Next: bot.Stay, Quiet: true, Say: []bot.Out{{
		Texts:   []bot.Text{{ID: "daftar.consent.full", Data: map[string]any{"Office": d.Region.Office}}},
		Options: yesNoOptions("daftar.consent.yes", "daftar.consent.no")(ctx, t)}}}
}

// infoWords ask for the full consent text.
var infoWords = map[string]bool{"info": true, "informasi": true, "keterangan": true, "selengkapnya": true,
	"lengkap": true, "baca": true, "detail": true, "more": true, "full": true}

var noneWords = map[string]bool{"0": true, "belum": true, "belum ada": true, "tidak ada": true, "gak ada": true, "ga ada": true,
	"nggak ada": true, "tdk ada": true, "blm": true, "blm ada": true, "none": true, "-": true, "kosong": true}

var skipWords = map[string]bool{"lewati": true, "lewat": true, "skip": true, "tidak ada": true, "belum ada": true, "belum": true,
	"blm": true, "gak ada": true, "ga ada": true, "tdk ada": true, "tidak punya": true, "belum punya": true, "-": true, "none": true}

func parseNIB(ctx context.Context, t *bot.Turn, in bot.In) (string, bot.Text) {
	if skipWords[in.Norm] {
		return "-", bot.Text{}
	}
	if no, ok := bot.YesNo(in.Text); ok && !no {
		return "-", bot.Text{}
	}
	digits := strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9':
			return r
		case r == ' ' || r == '.' || r == '-':
			return -1
		}
		return 'x'
	}, strings.TrimSpace(strings.TrimPrefix(strings.ToLower(strings.TrimSpace(in.Text)), "nib")))
	if len(digits) != 13 || strings.Contains(digits, "x") {
		return "", bot.T("daftar.nib.invalid")
	}
	return digits, bot.Text{}
}

func parsePhoneAnswer(ctx context.Context, t *bot.Turn, in bot.In) (string, bot.Text) {
	raw := in.Text
	if c := in.Msg.Contact; in.Msg.Kind == bot.KindContact && c != nil {
		if !c.Self && (c.UserID == "" || c.UserID != t.Conv.User) {
			return "", bot.T("daftar.hp.not_own")
		}
		raw = c.Phone
	}
	p, err := phone.Normalize(raw)
	var pe *phone.Error
	if errors.As(err, &pe) {
		return "", bot.T("daftar.hp." + pe.Reason)
	} else if err != nil {
		return "", bot.T("daftar.hp.length")
	}
	return p, bot.Text{}
}

// parsePersonName takes a full name: letters, spaces and the marks names
// carry ('.-,), at least two letters, at most 100 characters. All-lower or
// all-upper names are put in title case.
func parsePersonName(ctx context.Context, t *bot.Turn, in bot.In) (string, bot.Text) {
	name := strings.Join(strings.Fields(in.Text), " ")
	letters := 0
	for _, r := range name {
		switch {
		case unicode.IsLetter(r):
			letters++
		case r == ' ' || r == '.' || r == '\'' || r == '-' || r == ',':
		default:
			return "", bot.T("daftar.nama.invalid")
		}
	}
	if letters < 2 || utf8.RuneCountInString(name) > 100 {
		return "", bot.T("daftar.nama.invalid")
	}
	if name == strings.ToLower(name) || name == strings.ToUpper(name) {
		name = titleCase(name)
	}
	return name, bot.Text{}
}

// titleCase capitalises each word and each part after '-' or '.' as names
// and titles are written ("al-fatih" → "Al-Fatih", "s.pd" → "S.Pd"), leaving
// letters after an apostrophe ("Ma'ruf") and the particles bin/binti small.
func titleCase(s string) string {
	words := strings.Fields(strings.ToLower(s))
	for i, w := range words {
		if i > 0 && lowerParticles[w] {
			continue
		}
		var b strings.Builder
		up := true
		for _, r := range w {
			if up && unicode.IsLetter(r) {
				r, up = unicode.ToUpper(r), false
			}
			if r == '-' || r == '.' {
				up = true
			} else if unicode.IsLetter(r) || r == '\'' {
				up = false
			}
			b.WriteRune(r)
		}
		words[i] = b.String()
	}
	return strings.Join(words, " ")
}

var lowerParticles = map[string]bool{"bin": true, "binti": true}

// textBetween accepts free text of min to max characters.
func textBetween(min, max int, problem string) func(context.Context, *bot.Turn, bot.In) (string, bot.Text) {
	return func(ctx context.Context, t *bot.Turn, in bot.In) (string, bot.Text) {
		s := strings.Join(strings.Fields(in.Text), " ")
		n := utf8.RuneCountInString(s)
		letters := 0
		for _, r := range s {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				letters++
			}
		}
		if n < min || n > max || letters == 0 {
			return "", bot.T(problem, "Min", min, "Max", max)
		}
		if _, _, amount := ParseAmount(s); amount { // "5 juta" is no name or address
			return "", bot.T(problem, "Min", min, "Max", max)
		}
		return s, bot.Text{}
	}
}

func yesNoOptions(yes, no string) func(context.Context, *bot.Turn) []bot.Option {
	return func(context.Context, *bot.Turn) []bot.Option {
		return []bot.Option{
			{Key: "1", Value: "yes", Label: bot.T(yes)},
			{Key: "2", Value: "no", Label: bot.T(no)},
		}
	}
}

// answerYes reads a yes/no answer from a numbered choice or from words.
func answerYes(in bot.In) (yes, ok bool) {
	if in.Choice != nil {
		return in.Choice.Value == "yes", true
	}
	return bot.YesNo(in.Text)
}

func sectorOptions(context.Context, *bot.Turn) []bot.Option {
	opts := make([]bot.Option, len(sectors))
	for i, s := range sectors {
		opts[i] = bot.Option{Key: strconv.Itoa(i + 1), Value: s.code, Label: bot.T("sector." + s.code), Alias: s.alias}
	}
	return opts
}

// marketplaceOptions are the marketplaces an owner may use; the regional
// one is named after the region's own (Plaza Banten in Banten) and
// unnamed where the region has none.
func (d Deps) marketplaceOptions(context.Context, *bot.Turn) []bot.Option {
	local := ""
	if r := d.market().regional(d.Region.Code); r != nil {
		local = r.Name
	}
	opts := make([]bot.Option, len(marketplaces))
	for i, m := range marketplaces {
		opts[i] = bot.Option{Key: strconv.Itoa(i + 1), Value: m.code, Label: bot.T("marketplace." + m.code), Alias: m.alias}
		if m.code == "daerah" {
			opts[i].Label = bot.T("marketplace.daerah", "Example", local)
			if local != "" {
				opts[i].Alias = append(slices.Clip(m.alias), local)
			}
		}
	}
	return opts
}

// bracketOptions lists the brackets and, last, "tidak tahu" (value
// unknown): the size class then comes from the other figure alone.
func bracketOptions(brackets []struct{ code, class string }, unknown string) func(context.Context, *bot.Turn) []bot.Option {
	return func(context.Context, *bot.Turn) []bot.Option {
		opts := make([]bot.Option, len(brackets), len(brackets)+1)
		for i, b := range brackets {
			opts[i] = bot.Option{Key: strconv.Itoa(i + 1), Value: b.code, Label: bot.T("bracket." + b.code)}
		}
		return append(opts, bot.Option{Key: strconv.Itoa(len(brackets) + 1), Value: unknown, Label: bot.T("bracket." + unknown),
			Alias: []string{"tidak tahu", "tidak tau", "ga tau", "gak tau", "gatau", "tdk tau", "nggak tau", "ngga tau",
				"ga tahu", "gak tahu", "belum tahu", "blm tau", "lupa", "tidak ingat", "ga ingat", "don't know", "dont know", "not sure"}})
	}
}

// bracketAnswer reads a bracket question's answer: a choice, or an amount
// ("5 juta", "dibawah 1 milyar") put in its bracket.
func bracketAnswer(in bot.In, brackets []struct{ code, class string }, tops []int64) (string, bot.Text) {
	// An amount first: "5 juta" is not choice 5. A bare small number is.
	if v, rel, ok := ParseAmount(in.Text); ok && v > int64(len(brackets)+1) {
		return bracketOf(v, rel, tops, brackets), bot.Text{}
	}
	if in.Choice != nil {
		return in.Choice.Value, bot.Text{}
	}
	return "", bot.T("daftar.bracket.invalid")
}

// kecamatanOptions are the kecamatan of a region; a deployment of several
// kabupaten/kota lists them all, each labelled with its kabupaten/kota.
func kecamatanOptions(r umkm.Region) []bot.Option {
	var opts []bot.Option
	for _, u := range r.Served() {
		for _, k := range u.Kecamatan {
			o := bot.Option{Key: strconv.Itoa(len(opts) + 1), Value: k.Name, Label: bot.Raw(k.Name), Alias: k.Aliases}
			if r.Multi() {
				o.Label, o.Alias = bot.Raw(k.Name+" ("+u.Name+")"), append([]string{k.Name}, k.Aliases...)
			}
			opts = append(opts, o)
		}
	}
	return opts
}

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
func editField(t *bot.Turn, id string, ret string) bot.Result {
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
		NIB:            strings.TrimPrefix(t.Get("nib"), "-"),
		ConsentVersion: t.Get("consent_version"),
		ConsentReply:   t.Get("consent_reply"),
	}
	d.setLocation(t, r)
	r.SizeClass = sizeClass(r.CapitalBracket, r.SalesBracket)
	r.Workers, _ = strconv.Atoi(t.Get("pekerja"))
	if m := t.Get("marketplace"); m != "" && m != "none" {
		r.Marketplaces = strings.Split(m, ",")
	}
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
	if r.NIB == "" {
		t.Set("nib", "-")
	}
	t.Set("marketplace", "none")
	if len(r.Marketplaces) > 0 {
		t.Set("marketplace", strings.Join(r.Marketplaces, ","))
	}
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

func confirmRegistration(ctx context.Context, d Deps, t *bot.Turn) bot.Result {
	r := answersToRegistration(d, t)
	if r.SizeClass == "besar" {
		return bot.Retry(bot.T("daftar.not_umkm"))
	}
	r.RegisteredAt = d.now()
	r.UpdatedAt = r.RegisteredAt
	if d.Registrations == nil {
		t.Fail(fmt.Errorf("no registration store"))
		return bot.Result{}
	}
	err := d.Registrations.CreateRegistration(ctx, r, d.MaxPerNIK)
	t.Forget(registrationKey)
	var dup *umkm.DuplicateNIKError
	if errors.As(err, &dup) {
		t.ReturnTo("ringkasan")
		return bot.Goto("nik", bot.Say(nikTaken(ctx, d, t, []string{dup.Existing}, r.NIK)))
	}
	if err != nil {
		t.Fail(err)
		return bot.Result{}
	}
	return bot.Finish(bot.Say(bot.T("daftar.done", "ID", r.ID, "Name", r.OwnerName)))
}

// nikTaken answers someone whose NIK already has its registrations. The
// owner's own conversation hears its number; anyone else only hears that
// the NIK is taken and whom to ask, so typing a NIK does not tell whether
// its owner is registered under which number.
func nikTaken(ctx context.Context, d Deps, t *bot.Turn, ids []string, nik string) bot.Text {
	if r := d.registration(ctx, t); r != nil && slices.Contains(ids, r.ID) {
		return bot.T("daftar.nik.registered", "ID", r.ID, "NIK", umkm.MaskNIK(nik), "Contact", d.contact(ctx, t))
	}
	return bot.T("daftar.nik.taken", "Office", d.Region.Office, "Contact", d.contact(ctx, t))
}
