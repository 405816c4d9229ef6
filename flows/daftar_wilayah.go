package flows

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// Where the business is: the kabupaten/kota (asked only in a deployment
// that serves several), the kecamatan of it, and the desa/kelurahan of
// that kecamatan from the Kemendagri list, or one the list does not have
// ("lainnya", then typed). Answers: kabkota (code), kecamatan (name), desa
// (name), desa_code (code, or "lainnya"), desa_lain (the name as typed).

// desaListMax is the most desa offered as a numbered list; more are typed.
const desaListMax = 10

// desaOther marks a desa the list does not have, in the answer desa_code.
const desaOther = "lainnya"

// chainReturn keeps the summary an edit returns to while the questions
// after a changed answer are asked (a new kecamatan asks its desa).
const chainReturn = "_chain_return"

// unit returns the kabupaten/kota the person's answers are about: the one
// chosen, or the deployment's only one.
func (d Deps) unit(t *bot.Turn) umkm.Region {
	if !d.Region.Multi() {
		return d.Region
	}
	u, _ := d.Region.Unit(t.Get("kabkota"))
	return u
}

// followUps are the questions an answer can make necessary (followUp).
var followUps = map[bot.StepID]bot.StepID{"kabkota": "kecamatan", "kecamatan": "desa", "desa": "desa_lain"}

// followUp names the question a changed answer makes necessary before
// the person returns to a summary or profile, or "".
func (d Deps) followUp(t *bot.Turn, id bot.StepID, old, value string) bot.StepID {
	switch id {
	case "kabkota":
		if value != old { // a kecamatan of the same name elsewhere still asks its desa
			t.Del("kecamatan")
		}
		return "kecamatan"
	case "kecamatan":
		if value != old || t.Get("desa_code") == "" && t.Get("desa") == "" {
			for _, k := range []string{"desa", "desa_code", "desa_lain", "desa_suggest"} {
				t.Del(k)
			}
			return "desa"
		}
	case "desa":
		if t.Get("desa_code") == desaOther {
			return "desa_lain"
		}
	}
	return ""
}

// chained gives a Parse step a Handle that goes on to then, and, when the
// answer changed something during an edit from the summary, asks the
// follow-up questions before returning there.
func (d Deps) chained(s *bot.Step, then bot.StepID) *bot.Step {
	s.Targets = []bot.StepID{then, summaryStep}
	if f, ok := followUps[s.ID]; ok {
		s.Targets = append(s.Targets, f)
	}
	s.Handle = func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
		old := t.Get(string(s.ID))
		value, retry, ok, err := readAnswer(ctx, t, s, in)
		if !ok {
			return retry, err
		}
		t.Set(string(s.ID), value)
		if t.Editing() {
			t.Set(chainReturn, string(t.EndEdit()))
		}
		ret := bot.StepID(t.Get(chainReturn))
		if ret == "" {
			return bot.Goto(then), nil
		}
		if next := d.followUp(t, s.ID, old, value); next != "" {
			return bot.Goto(next), nil
		}
		t.Del(chainReturn)
		return bot.Goto(ret), nil
	}
	return s
}

// readAnswer is the value s takes from in, or (ok false) the reply to a
// problem with it: the question again with the reason, or the reason alone
// when it says what to type (quietProblems).
func readAnswer(ctx context.Context, t *bot.Turn, s *bot.Step, in bot.In) (value string, retry bot.Result, ok bool, err error) {
	value, problem, err := stepValue(ctx, t, s, in)
	if err != nil {
		return "", bot.Result{}, false, err
	}
	if !problem.IsZero() {
		if quietProblems[problem.ID] {
			return "", bot.Result{Next: bot.Stay, Quiet: true, Say: []bot.Out{bot.Say(problem)}}, false, nil
		}
		return "", bot.Retry(problem), false, nil
	}
	return value, bot.Result{}, true, nil
}

// quietProblems are replies to a desa answer that ask the question again
// themselves.
var quietProblems = map[string]bool{"daftar.desa.unknown": true, "daftar.desa.suggest": true, "daftar.desa.elsewhere": true,
	"daftar.kabkota.found": true, "daftar.kabkota.location": true}

// locationFields are the questions of where the business is.
func locationFields(d Deps) []*bot.Step {
	// The lists are built once, here: the kecamatan of each kabupaten/kota
	// served and the desa of each kecamatan short enough to list.
	units := unitOptions(d.Region)
	kecamatan := map[string][]bot.Option{} // by kabupaten/kota code
	desa := map[string][]bot.Option{}      // by kecamatan code
	for _, u := range d.Region.Served() {
		kecamatan[u.Code] = kecamatanOptions(u)
		for _, k := range u.Kecamatan {
			if len(k.Desa) > 0 && len(k.Desa) <= desaListMax {
				desa[k.Code] = desaOptions(k, true)
			}
		}
	}
	return []*bot.Step{
		d.chained(&bot.Step{ID: "kabkota", Prompt: "daftar.kabkota", Accept: []bot.Kind{bot.KindText, bot.KindLocation},
			Skip: func(ctx context.Context, t *bot.Turn) (bool, error) { return !d.Region.Multi(), nil },
			Parse: func(ctx context.Context, t *bot.Turn, in bot.In) (string, bot.Text, error) {
				v, problem := d.parseKabKota(ctx, t, in)
				return v, problem, nil
			},
			Data: func(ctx context.Context, t *bot.Turn) (map[string]any, error) {
				return map[string]any{"Region": d.Region.Name}, nil
			},
			Options: fixed(units...),
		}, "kecamatan"),
		d.chained(&bot.Step{ID: "kecamatan", Prompt: "daftar.kecamatan", Numbered: true,
			Data: func(ctx context.Context, t *bot.Turn) (map[string]any, error) {
				return map[string]any{"Region": d.unit(t).Name}, nil
			},
			Options: func(ctx context.Context, t *bot.Turn) ([]bot.Option, error) { return kecamatan[d.unit(t).Code], nil },
		}, "desa"),
		d.chained(&bot.Step{ID: "desa", Prompt: "daftar.desa", Numbered: true,
			Data: func(ctx context.Context, t *bot.Turn) (map[string]any, error) {
				k, _ := d.unit(t).FindKecamatan(t.Get("kecamatan"))
				return map[string]any{"Kecamatan": k.Name, "Listed": len(k.Desa) > 0 && len(k.Desa) <= desaListMax}, nil
			},
			Options: func(ctx context.Context, t *bot.Turn) ([]bot.Option, error) {
				k, _ := d.unit(t).FindKecamatan(t.Get("kecamatan"))
				if len(k.Desa) == 0 || len(k.Desa) > desaListMax {
					return nil, nil
				}
				return desa[k.Code], nil
			},
			Parse: d.parseDesa,
		}, "desa_lain"),
		d.chained(&bot.Step{ID: "desa_lain", Prompt: "daftar.desa.lain",
			Skip: func(ctx context.Context, t *bot.Turn) (bool, error) { return t.Get("desa_code") != desaOther, nil },
			Data: func(ctx context.Context, t *bot.Turn) (map[string]any, error) {
				return map[string]any{"Kecamatan": t.Get("kecamatan")}, nil
			},
			Parse: textBetween(2, 60, "daftar.desa.invalid"),
		}, "alamat"),
	}
}

// unitOptions are the kabupaten/kota of a deployment, by number or name
// ("kota serang", "kab serang", "serang" when only one is called so).
func unitOptions(r umkm.Region) []bot.Option {
	opts := make([]bot.Option, len(r.Units))
	for i, u := range r.Units {
		opts[i] = bot.Option{Key: strconv.Itoa(i + 1), Value: u.Code, Label: bot.Raw(u.Name),
			Alias: placeAliases(wilayahEntry{u.Code, u.Name})}
	}
	return opts
}

// placePrefixes are words people put before a kecamatan's or desa's name.
var placePrefixes = []string{"kecamatan", "kec", "desa", "ds", "kelurahan", "kel"}

// parseKabKota reads the kabupaten/kota: its number or name (the options),
// or else the name of a kecamatan or desa/kelurahan in it, answered with
// the kabupaten/kota that has one and its number to confirm ("Cipocok
// Jaya ada di: 7. Kota Serang"); a kecamatan name with typos is matched
// too. A shared location cannot tell it: the Kemendagri code list has no
// coordinates or boundaries, so the owner is asked to type the place.
func (d Deps) parseKabKota(ctx context.Context, t *bot.Turn, in bot.In) (string, bot.Text) {
	if in.Choice != nil {
		return in.Choice.Value, bot.Text{}
	}
	if in.Msg != nil && in.Msg.Kind == bot.KindLocation {
		// A place picked on the map comes with its name and address; a
		// bare pin has only coordinates, which the Kemendagri list cannot
		// place.
		if l := in.Msg.Location; l != nil {
			if lines := d.placesInAddress(l.Name + ", " + l.Address); len(lines) > 0 {
				return "", bot.T("daftar.kabkota.found", "List", strings.Join(lines, "\n"), "Count", len(lines))
			}
		}
		return "", bot.T("daftar.kabkota.location")
	}
	text := bot.Normalize(in.Text)
	for _, p := range placePrefixes {
		if rest, ok := strings.CutPrefix(text, p+" "); ok {
			text = rest
			break
		}
	}
	if text == "" {
		return "", bot.T("core.choice.invalid")
	}
	// Exact names: a kecamatan (or its other spelling), else a desa.
	var lines []string
	seen := map[string]bool{}
	add := func(i int, u umkm.Region, place string) {
		if seen[u.Code] || len(lines) >= 6 { // one place per kabupaten/kota: the kecamatan first
			return
		}
		seen[u.Code] = true
		lines = append(lines, strconv.Itoa(i+1)+". "+u.Name+" ("+place+")")
	}
	var kecOpts []bot.Option
	for i, u := range d.Region.Units {
		for _, k := range u.Kecamatan {
			if slices.ContainsFunc(append([]string{k.Name}, k.Aliases...), func(n string) bool { return bot.Normalize(n) == text }) {
				add(i, u, "Kecamatan "+k.Name)
			}
			kecOpts = append(kecOpts, bot.Option{Value: strconv.Itoa(i), Label: bot.Raw(k.Name), Alias: k.Aliases})
		}
		for _, k := range u.Kecamatan {
			for _, ds := range k.Desa {
				if bot.Normalize(ds.Name) == text {
					add(i, u, ds.Name+", Kecamatan "+k.Name)
				}
			}
		}
	}
	if len(lines) == 0 { // a kecamatan typed with a typo
		for _, o := range bot.RankOptions(in.Text, kecOpts, 3) {
			i, _ := strconv.Atoi(o.Value)
			add(i, d.Region.Units[i], "Kecamatan "+o.Label.Raw)
		}
	}
	if len(lines) == 0 {
		return "", bot.T("core.choice.invalid")
	}
	return "", bot.T("daftar.kabkota.found", "List", strings.Join(lines, "\n"), "Count", len(lines))
}

// placeAbbrevs spells out the abbreviations placesInAddress meets.
var placeAbbrevs = strings.NewReplacer(" kab ", " kabupaten ", " kec ", " kecamatan ")

// placesInAddress finds the kabupaten/kota an address names: by its name
// ("Kota Serang", "Kab. Lebak"), else by a kecamatan named in it
// ("Kec. Cipocok Jaya"), as numbered lines for the owner to confirm (an
// address may name several: "Serang" is a kabupaten and a kecamatan).
func (d Deps) placesInAddress(addr string) []string {
	// fold keeps the words: " jl raya petir kec cipocok jaya kota serang ".
	fold := func(s string) string {
		return " " + strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r)
		}), " ") + " "
	}
	words := placeAbbrevs.Replace(fold(addr))
	has := func(name string) bool { n := fold(name); return n != "  " && strings.Contains(words, n) }
	var lines []string
	seen := map[string]bool{}
	add := func(i int, u umkm.Region, place string) {
		if !seen[u.Code] && len(lines) < 6 {
			seen[u.Code] = true
			lines = append(lines, strconv.Itoa(i+1)+". "+u.Name+" ("+place+")")
		}
	}
	for i, u := range d.Region.Units {
		if has(u.Name) {
			add(i, u, u.Name)
		}
	}
	for i, u := range d.Region.Units {
		for _, k := range u.Kecamatan {
			if slices.ContainsFunc(append([]string{k.Name}, k.Aliases...), has) {
				add(i, u, "Kecamatan "+k.Name)
			}
		}
	}
	return lines
}

// desaOptions are the desa/kelurahan of k, numbered when keyed, and
// "lainnya" last.
func desaOptions(k umkm.Kecamatan, keyed bool) []bot.Option {
	opts := make([]bot.Option, 0, len(k.Desa)+1)
	for i, ds := range k.Desa {
		o := bot.Option{Value: ds.Code, Label: bot.Raw(ds.Name)}
		if keyed {
			o.Key = strconv.Itoa(i + 1)
		}
		opts = append(opts, o)
	}
	other := bot.Option{Value: desaOther, Label: bot.T("daftar.desa.other")}
	if keyed {
		other.Key = strconv.Itoa(len(k.Desa) + 1)
	}
	return append(opts, other)
}

var otherWords = map[string]bool{"lainnya": true, "lain": true, "lain lain": true, "lain-lain": true, "yang lain": true,
	"yg lain": true, "other": true, "others": true, "tidak ada di daftar": true, "gak ada di daftar": true,
	"ga ada di daftar": true, "tidak ada": true, "gak ada": true, "ga ada": true, "nggak ada": true, "tdk ada": true}

// desaPrefixes are words people put before a desa's name.
var desaPrefixes = []string{"desa", "ds", "kelurahan", "kel", "kelurahan/desa", "desa/kelurahan"}

// parseDesa reads the desa/kelurahan: a number of the list, a name with
// typos tolerated, a number of the suggestions made after an unclear name,
// or "lainnya". It sets desa_code.
func (d Deps) parseDesa(ctx context.Context, t *bot.Turn, in bot.In) (string, bot.Text, error) {
	k, ok := d.unit(t).FindKecamatan(t.Get("kecamatan"))
	if !ok || len(k.Desa) == 0 { // a kecamatan of a region file without the list
		v, problem, err := textBetween(2, 60, "daftar.desa.invalid")(ctx, t, in)
		if err == nil && problem.IsZero() {
			t.Set("desa_code", "")
		}
		return v, problem, err
	}
	listed := len(k.Desa) <= desaListMax
	pick := func(o bot.Option) (string, bot.Text, error) {
		t.Del("desa_suggest")
		if o.Value == desaOther {
			t.Set("desa_code", desaOther)
			return "", bot.Text{}, nil
		}
		t.Set("desa_code", o.Value)
		t.Del("desa_lain")
		return o.Label.Raw, bot.Text{}, nil
	}
	if otherWords[in.Norm] {
		return pick(bot.Option{Value: desaOther})
	}
	opts := desaOptions(k, listed)
	if codes := t.List("desa_suggest"); len(codes) > 0 && !listed {
		// the numbers of the "did you mean" list just shown
		for i, code := range codes {
			for j := range opts {
				if opts[j].Value == code {
					opts[j].Key = strconv.Itoa(i + 1)
				}
			}
		}
	}
	// The name as the readers below take it: they normalize what they
	// read, and in.Norm is that already (in.Text "Anjun" was normalized
	// again, a string each time).
	text := in.Norm
	for _, p := range desaPrefixes {
		if rest, ok := strings.CutPrefix(in.Norm, p+" "); ok {
			text = rest
		} else if rest, ok := strings.CutPrefix(in.Norm, p+". "); ok {
			text = rest
		}
	}
	if o, ok := bot.MatchOption(text, opts); ok {
		return pick(o)
	}
	name := bot.Normalize(text)
	for _, other := range d.unit(t).Kecamatan { // a desa of another kecamatan
		if other.Code == k.Code {
			continue
		}
		for _, ds := range other.Desa {
			if bot.Normalize(ds.Name) == name {
				return "", bot.T("daftar.desa.elsewhere", "Desa", ds.Name, "Kecamatan", k.Name, "Other", other.Name), nil
			}
		}
	}
	if listed {
		return "", bot.T("daftar.desa.unknown_listed", "Kecamatan", k.Name), nil
	}
	near := bot.RankOptions(text, opts[:len(opts)-1], 3)
	if len(near) == 0 {
		t.Del("desa_suggest")
		return "", bot.T("daftar.desa.unknown", "Kecamatan", k.Name), nil
	}
	codes := make([]string, len(near))
	lines := make([]string, len(near))
	for i, o := range near {
		codes[i] = o.Value
		lines[i] = strconv.Itoa(i+1) + ". " + o.Label.Raw
	}
	t.SetList("desa_suggest", codes)
	return "", bot.T("daftar.desa.suggest", "Kecamatan", k.Name, "List", strings.Join(lines, "\n"), "Count", len(near)), nil
}

// setLocation fills the registration's place from the answers.
func (d Deps) setLocation(t *bot.Turn, r *umkm.Registration) {
	r.Region = d.unit(t).Code
	r.Kecamatan = t.Get("kecamatan")
	r.Desa, r.DesaCode = t.Get("desa"), t.Get("desa_code")
	if r.DesaCode == desaOther {
		r.Desa, r.DesaCode, r.DesaUnlisted = t.Get("desa_lain"), "", true
	}
}

// locationAnswers is the inverse, for editing a stored registration.
func locationAnswers(r *umkm.Registration, t *bot.Turn) {
	t.Set("kabkota", r.Region)
	t.Set("desa_code", r.DesaCode)
	if r.DesaUnlisted {
		t.Set("desa_code", desaOther)
		t.Set("desa_lain", r.Desa)
		t.Set("desa", "")
	}
}

// summary is the template data of a registration's summary or profile:
// summaryData plus, in a deployment of several, the kabupaten/kota.
func (d Deps) summary(r *umkm.Registration) map[string]any {
	data := summaryData(r)
	data["KabKota"] = ""
	if d.Region.Multi() {
		u, _ := d.Region.Unit(r.Region)
		data["KabKota"] = u.Name
	}
	return data
}

// editStep is the question "ubah n" asks: in a deployment of several, the
// kecamatan's line asks the kabupaten/kota first.
func (d Deps) editStep(n int) bot.StepID {
	id := fieldOrder[n-1]
	if id == "kecamatan" && d.Region.Multi() {
		return "kabkota"
	}
	return id
}
