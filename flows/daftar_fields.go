package flows

// The questions of registration (shared with profil) and their parsers.

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/phone"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// withHelp gives every registration question its own help text,
// daftar.<step>.help, where it has none yet.
func withHelp(steps []*bot.Step) {
	for _, s := range steps {
		if s.Help == "" {
			s.Help = "daftar." + string(s.ID) + ".help"
		}
	}
}

// fieldOrder is the order of the summary's numbered lines ("ubah 3").
var fieldOrder = []bot.StepID{"nama", "nik", "hp", "usaha", "sektor", "kecamatan", "desa", "alamat", "produk", "modal", "omzet", "pekerja", "nib", "marketplace"}

// registrationFields are the questions of registration, shared by the
// registration flow and the profile editor.
func registrationFields(d Deps) []*bot.Step {
	return withLocation(d, []*bot.Step{
		{ID: "nama", Prompt: "daftar.nama", Numbered: true, Parse: parsePersonName},
		daftarNIK(d),
		daftarHP(d),
		{ID: "usaha", Prompt: "daftar.usaha", Numbered: true, Parse: textBetween(2, 100, "daftar.usaha.invalid")},
		{ID: "sektor", Prompt: "daftar.sektor", Numbered: true, Options: sectorOptions},
		{ID: "alamat", Prompt: "daftar.alamat", Numbered: true, Parse: textBetween(5, 200, "daftar.alamat.invalid")},
		{ID: "produk", Prompt: "daftar.produk", Numbered: true, Parse: textBetween(2, 200, "daftar.produk.invalid")},
		daftarModal(d),
		daftarOmzet(d),
		daftarPekerja(d),
		{ID: "nib", Prompt: "daftar.nib", Help: "daftar.nib.help", Numbered: true, Optional: true, Parse: parseNIB},
		daftarMarketplace(d),
	})
}

// daftarNIK asks the NIK: checked, and refused when the NIK already has its registrations.
func daftarNIK(d Deps) *bot.Step {
	return &bot.Step{ID: "nik", Prompt: "daftar.nik", Help: "daftar.nik.help", Numbered: true,
		Parse: func(ctx context.Context, t *bot.Turn, in bot.In) (string, bot.Text, error) {
			nik, err := umkm.ParseNIK(in.Text)
			var ne *umkm.NIKError
			if errors.As(err, &ne) {
				return "", bot.T("daftar.nik." + ne.Reason), nil
			} else if err != nil {
				return "", bot.T("daftar.nik.length"), nil
			}
			if d.Registrations != nil && nik != t.Get("nik") {
				ids, err := d.Registrations.RegistrationsByNIK(ctx, d.Region.Code, nik)
				if err != nil {
					return "", bot.Text{}, err
				}
				if len(ids) >= max(d.MaxPerNIK, 1) {
					taken, err := nikTaken(ctx, d, t, ids, nik)
					return "", taken, err
				}
			}
			return nik, bot.Text{}, nil
		},
		Confirm: func(t *bot.Turn, nik string) bot.Text { return bot.T("daftar.nik.ok", "NIK", umkm.MaskNIK(nik)) }}
}

// daftarHP asks the phone number, passed by when the channel knows it.
func daftarHP(d Deps) *bot.Step {
	return &bot.Step{ID: "hp", Prompt: "daftar.hp", Ask: bot.AskContact, Numbered: true,
		Accept: []bot.Kind{bot.KindText, bot.KindContact},
		Skip: func(ctx context.Context, t *bot.Turn) (bool, error) {
			if t.Profile.Phone == "" || t.Editing() {
				return false, nil
			}
			t.Set("hp", t.Profile.Phone)
			return true, nil
		},
		Parse: parsePhoneAnswer}
}

// daftarModal asks the capital bracket (a choice, or an amount).
func daftarModal(d Deps) *bot.Step {
	return &bot.Step{ID: "modal", Prompt: "daftar.modal", Help: "daftar.modal.help", Numbered: true,
		Options: bracketOptions(capitalBrackets, "modal_unknown"), Confirm: bracketConfirm(capitalBrackets),
		Parse: func(ctx context.Context, t *bot.Turn, in bot.In) (string, bot.Text, error) {
			v, problem := bracketAnswer(in, capitalBrackets, capitalTops)
			if problem.IsZero() && sizeClass(v, "") == "besar" {
				return "", bot.T("daftar.not_umkm"), nil
			}
			return v, problem, nil
		}}
}

// daftarOmzet asks the yearly sales bracket; a business too big for UMKM is told so.
func daftarOmzet(d Deps) *bot.Step {
	return &bot.Step{ID: "omzet", Prompt: "daftar.omzet", Help: "daftar.omzet.help", Numbered: true,
		Options: bracketOptions(salesBrackets, "omzet_unknown"), Confirm: bracketConfirm(salesBrackets),
		Parse: func(ctx context.Context, t *bot.Turn, in bot.In) (string, bot.Text, error) {
			v, problem := bracketAnswer(in, salesBrackets, salesTops)
			if problem.IsZero() && sizeClass(t.Get("modal"), v) == "besar" {
				return "", bot.T("daftar.not_umkm"), nil
			}
			return v, problem, nil
		}}
}

// daftarPekerja asks how many people work in the business.
func daftarPekerja(d Deps) *bot.Step {
	return &bot.Step{ID: "pekerja", Prompt: "daftar.pekerja", Numbered: true,
		Parse: func(ctx context.Context, t *bot.Turn, in bot.In) (string, bot.Text, error) {
			n, ok := bot.ParseCount(in.Text)
			if !ok || n > 100000 {
				return "", bot.T("daftar.pekerja.invalid"), nil
			}
			if v, _, money := ParseAmount(in.Text); money && v != int64(n) { // "1 miliar", "500rb"
				return "", bot.T("daftar.pekerja.invalid"), nil
			}
			if n == 0 {
				return "", bot.T("daftar.pekerja.min"), nil
			}
			return strconv.Itoa(n), bot.Text{}, nil
		}}
}

// daftarMarketplace asks which marketplaces the business sells on (several, or none).
func daftarMarketplace(d Deps) *bot.Step {
	return &bot.Step{ID: "marketplace", Prompt: "daftar.marketplace", Numbered: true, Multi: true,
		Options: fixed(d.marketplaceOptions()...),
		Parse: func(ctx context.Context, t *bot.Turn, in bot.In) (string, bot.Text, error) {
			if no, ok := bot.YesNo(in.Text); (ok && !no) || noneWords[in.Norm] {
				return "", bot.Text{}, nil // none: the empty list
			}
			if len(in.Choices) == 0 {
				return "", bot.T("daftar.marketplace.invalid"), nil
			}
			vals := make([]string, len(in.Choices))
			for i, c := range in.Choices {
				vals[i] = c.Value
			}
			return bot.ListValue(vals), bot.Text{}, nil
		}}
}

// withLocation puts the questions of where the business is (daftar_wilayah.go)
// after the sector.
func withLocation(d Deps, steps []*bot.Step) []*bot.Step {
	i := slices.IndexFunc(steps, func(s *bot.Step) bool { return s.ID == "sektor" }) + 1
	return slices.Concat(steps[:i], locationFields(d), steps[i:])
}

var noneWords = map[string]bool{"0": true, "belum": true, "belum ada": true, "tidak ada": true, "gak ada": true, "ga ada": true,
	"nggak ada": true, "tdk ada": true, "blm": true, "blm ada": true, "none": true, "-": true, "kosong": true}

var skipWords = map[string]bool{"lewati": true, "lewat": true, "skip": true, "tidak ada": true, "belum ada": true, "belum": true,
	"blm": true, "gak ada": true, "ga ada": true, "tdk ada": true, "tidak punya": true, "belum punya": true, "-": true, "none": true}

func parseNIB(ctx context.Context, t *bot.Turn, in bot.In) (string, bot.Text, error) {
	if skipWords[in.Norm] {
		return "", bot.Text{}, nil
	}
	if no, ok := bot.YesNo(in.Text); ok && !no {
		return "", bot.Text{}, nil
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
		return "", bot.T("daftar.nib.invalid"), nil
	}
	return digits, bot.Text{}, nil
}

func parsePhoneAnswer(ctx context.Context, t *bot.Turn, in bot.In) (string, bot.Text, error) {
	raw := in.Text
	if c := in.Msg.Contact; in.Msg.Kind == bot.KindContact && c != nil {
		if !c.Self && (c.UserID == "" || c.UserID != t.Conv.User) {
			return "", bot.T("daftar.hp.not_own"), nil
		}
		raw = c.Phone
	}
	p, err := phone.Normalize(raw)
	var pe *phone.Error
	if errors.As(err, &pe) {
		return "", bot.T("daftar.hp." + pe.Reason), nil
	} else if err != nil {
		return "", bot.T("daftar.hp.length"), nil
	}
	return p, bot.Text{}, nil
}

// parsePersonName takes a full name: letters, spaces and the marks names
// carry ('.-,), at least two letters, at most 100 characters. All-lower or
// all-upper names are put in title case.
func parsePersonName(ctx context.Context, t *bot.Turn, in bot.In) (string, bot.Text, error) {
	name := spaced(in.Text)
	letters := 0
	for _, r := range name {
		switch {
		case unicode.IsLetter(r):
			letters++
		case r == ' ' || r == '.' || r == '\'' || r == '-' || r == ',':
		default:
			return "", bot.T("daftar.nama.invalid"), nil
		}
	}
	if letters < 2 || utf8.RuneCountInString(name) > 100 {
		return "", bot.T("daftar.nama.invalid"), nil
	}
	if name == strings.ToLower(name) || name == strings.ToUpper(name) {
		name = titleCase(name)
	}
	return name, bot.Text{}, nil
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
func textBetween(min, max int, problem string) func(context.Context, *bot.Turn, bot.In) (string, bot.Text, error) {
	return func(ctx context.Context, t *bot.Turn, in bot.In) (string, bot.Text, error) {
		s := spaced(in.Text)
		n := utf8.RuneCountInString(s)
		letters := 0
		for _, r := range s {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				letters++
			}
		}
		if n < min || n > max || letters == 0 {
			return "", bot.T(problem, "Min", min, "Max", max), nil
		}
		if _, _, amount := ParseAmount(s); amount { // "5 juta" is no name or address
			return "", bot.T(problem, "Min", min, "Max", max), nil
		}
		return s, bot.Text{}, nil
	}
}

// sectorOptions are the sectors, built once (the engine only reads
// options).
var sectorOptions = fixed(sectorList()...)

func sectorList() []bot.Option {
	opts := make([]bot.Option, len(sectors))
	for i, s := range sectors {
		opts[i] = bot.Option{Key: strconv.Itoa(i + 1), Value: s.code, Label: bot.T("sector." + s.code), Alias: s.alias}
	}
	return opts
}

// marketplaceOptions are the marketplaces an owner may use; the regional
// one is named after the region's own (Plaza Banten in Banten) and
// unnamed where the region has none. They are built once, with the flow.
func (d Deps) marketplaceOptions() []bot.Option {
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
func bracketOptions(brackets []struct{ code, class string }, unknown string) func(context.Context, *bot.Turn) ([]bot.Option, error) {
	opts := make([]bot.Option, len(brackets), len(brackets)+1)
	for i, b := range brackets {
		opts[i] = bot.Option{Key: strconv.Itoa(i + 1), Value: b.code, Label: bot.T("bracket." + b.code)}
	}
	return fixed(append(opts, bot.Option{Key: strconv.Itoa(len(brackets) + 1), Value: unknown, Label: bot.T("bracket." + unknown),
		Alias: []string{"tidak tahu", "tidak tau", "ga tau", "gak tau", "gatau", "tdk tau", "nggak tau", "ngga tau",
			"ga tahu", "gak tahu", "belum tahu", "blm tau", "lupa", "tidak ingat", "ga ingat", "don't know", "dont know", "not sure"}})...)
}

// bracketConfirm shows the bracket an amount was put in ("5 juta" →
// "Sampai Rp1 miliar"), so the owner sees what was understood; a choice by
// its number or words needs no confirmation.
func bracketConfirm(brackets []struct{ code, class string }) func(*bot.Turn, string) bot.Text {
	return func(t *bot.Turn, v string) bot.Text {
		if n, _, ok := ParseAmount(t.Msg.Text); !ok || n <= int64(len(brackets)+1) {
			return bot.Text{}
		}
		return bot.T("daftar.bracket.ok", "Bracket", bot.T("bracket."+v))
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
	return slices.Clip(opts) // built once and shared: an append by a reader must not write into it
}
