package flows

import (
	"context"
	"time"

	"github.com/umkmbot/umkmbot/bot"
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
	steps := []*bot.Step{daftarPersetujuan(d)}
	steps = append(steps, registrationFields(d)...)
	steps = append(steps, &bot.Step{
		ID:     summaryStep,
		Prompt: "daftar.summary",
		Data: func(ctx context.Context, t *bot.Turn) (map[string]any, error) {
			return d.summary(answersToRegistration(d, t)), nil
		},
		// "ubah 3" goes to the question of line 3 (editStep); a NIK taken
		// meanwhile asks it again.
		Targets: append([]bot.StepID{"kabkota", "nik"}, fieldOrder...),
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			if n, ok := editNumber(in.Norm); ok {
				return editField(t, d.editStep(n), summaryStep), nil
			}
			if editWords[in.Norm] {
				return bot.Result{Next: bot.Stay, Quiet: true, Say: []bot.Out{bot.Say(bot.T("profil.which"))}}, nil
			}
			if yes, ok := bot.YesNo(in.Text); !ok || !yes {
				return bot.Result{Next: bot.Stay, Quiet: true, Say: []bot.Out{bot.Say(bot.T("daftar.summary.unclear"))}}, nil
			}
			return confirmRegistration(ctx, d, t)
		},
	})
	withHelp(steps)
	return &bot.Flow{
		ID:       "daftar",
		Version:  1, // one list encoding (bot.ListValue), no "none" or "-"
		Migrate:  migrateRegistration,
		Title:    "daftar.title",
		Triggers: []string{"daftar", "registrasi", "register", "pendaftaran", "daftar umkm"},
		Menu:     10,
		Draft:    true,
		Visible: func(ctx context.Context, t *bot.Turn) (bool, error) {
			reg, err := d.registration(ctx, t)
			if err != nil {
				return false, err
			}
			return reg == nil, nil
		},
		Begin: daftarBegin(d),
		Steps: steps,
	}
}

// daftarPersetujuan asks consent to store the data (the full text on "info"); yes goes on to the name.
func daftarPersetujuan(d Deps) *bot.Step {
	return &bot.Step{
		ID:     "persetujuan",
		Prompt: "daftar.consent",
		Data: func(ctx context.Context, t *bot.Turn) (map[string]any, error) {
			return map[string]any{"Office": d.Region.Office}, nil
		},
		Options: yesNoOptions("daftar.consent.yes", "daftar.consent.no"),
		Targets: []bot.StepID{"nama"},
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			if infoWords[in.Norm] {
				return fullConsent(ctx, t, d)
			}
			yes, ok := answerYes(in)
			if !ok { // a short re-ask: the consent text is long for a small screen
				return bot.Result{Next: bot.Stay, Quiet: true, Say: []bot.Out{{
					Texts: []bot.Text{bot.T("daftar.consent.unclear")}, Options: yesNo("daftar.consent.yes", "daftar.consent.no")}}}, nil
			}
			if !yes {
				return bot.Finish(bot.Say(bot.T("daftar.consent.declined"))), nil
			}
			t.Set("consent_at", t.Now.UTC().Format(time.RFC3339))
			t.Set("consent_reply", in.Text)
			t.Set("consent_version", ConsentVersion+"/"+t.Lang)
			return bot.Goto("nama"), nil
		},
	}
}

// daftarBegin starts the flow, with the deep-link or command argument.
func daftarBegin(d Deps) func(context.Context, *bot.Turn, string) (bot.Result, error) {
	return func(ctx context.Context, t *bot.Turn, arg string) (bot.Result, error) {
		r, err := d.registration(ctx, t)
		if err != nil {
			return bot.Result{}, err
		}
		if r != nil {
			return bot.Finish(bot.Say(bot.T("daftar.already", "ID", r.ID))), nil
		}
		return bot.Goto("persetujuan"), nil
	}
}

// fullConsent shows the full consent text (asked for with info) and keeps
// the yes/no question.
func fullConsent(ctx context.Context, t *bot.Turn, d Deps) (bot.Result, error) {
	return bot.Result{Next: bot.Stay, Quiet: true, Say: []bot.Out{{
		Texts:   []bot.Text{{ID: "daftar.consent.full", Data: map[string]any{"Office": d.Region.Office}}},
		Options: yesNo("daftar.consent.yes", "daftar.consent.no")}}}, nil
}

// infoWords ask for the full consent text.
var infoWords = map[string]bool{"info": true, "informasi": true, "keterangan": true, "selengkapnya": true,
	"lengkap": true, "baca": true, "detail": true, "more": true, "full": true}
