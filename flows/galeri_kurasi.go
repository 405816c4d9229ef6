package flows

import (
	"context"
	"errors"
	"strconv"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// The galeri's product curation: choosing the outlet or event and the
// products, submitting the application, its status and notices.

// galeriKurasi asks which outlet or event a product curation application is for.
func galeriKurasi(d Deps) *bot.Step {
	return &bot.Step{
		ID:     "kurasi",
		Prompt: "galeri.kurasi",
		Options: func(ctx context.Context, t *bot.Turn) ([]bot.Option, error) {
			return curationTargets(ctx, d, t)
		},
		Targets: []bot.StepID{"kurasi_produk"},
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			if in.Choice == nil {
				return bot.Retry(bot.T("core.choice.invalid")), nil
			}
			t.Set("ktarget", in.Choice.Value)
			t.Set("ktname", in.Choice.Alias[0])
			ps, err := d.products(ctx, t)
			if err != nil {
				return bot.Result{}, err
			}
			if len(ps) == 0 {
				return bot.Finish(bot.Say(bot.T("galeri.kurasi.no_products"))), nil
			}
			return bot.Goto("kurasi_produk"), nil
		},
	}
}

// galeriKurasiProduk asks which saved products to submit (several).
func galeriKurasiProduk(d Deps) *bot.Step {
	return &bot.Step{
		ID:     "kurasi_produk",
		Prompt: "galeri.kurasi.produk",
		Multi:  true,
		Options: func(ctx context.Context, t *bot.Turn) ([]bot.Option, error) {
			ps, err := d.products(ctx, t)
			if err != nil {
				return nil, err
			}
			return productOptions(ps), nil
		},
		Targets: []bot.StepID{"kurasi_yakin"},
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			if len(in.Choices) == 0 {
				return bot.Retry(bot.T("galeri.kurasi.produk.invalid")), nil
			}
			names := make([]string, len(in.Choices))
			for i, c := range in.Choices {
				names[i] = c.Alias[0]
			}
			t.SetList("kprod", names)
			return bot.Goto("kurasi_yakin"), nil
		},
	}
}

// galeriKurasiYakin confirms the curation application before it is submitted.
func galeriKurasiYakin(d Deps) *bot.Step {
	return &bot.Step{
		ID:     "kurasi_yakin",
		Prompt: "galeri.kurasi.yakin",
		Data: func(ctx context.Context, t *bot.Turn) (map[string]any, error) {
			return map[string]any{"Target": t.Get("ktname"), "Products": t.List("kprod")}, nil
		},
		Options: yesNoOptions("galeri.kurasi.yes", "galeri.kurasi.no"),
		Targets: []bot.StepID{"kurasi_yakin"},
		Calls:   []string{"daftar"}, // registration first
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			yes, ok := answerYes(in)
			if !ok {
				return bot.Retry(bot.T("galeri.kurasi.unclear")), nil
			}
			if !yes {
				return bot.Finish(bot.Say(bot.T("galeri.kurasi.cancelled"))), nil
			}
			return submitCuration(ctx, d, t)
		},
	}
}

// retailTarget is the curation target for modern-retail programmes.
const retailTarget = "ritel"

func curationTargets(ctx context.Context, d Deps, t *bot.Turn) ([]bot.Option, error) {
	var opts []bot.Option
	outlets, err := d.outlets(ctx, t)
	if err != nil {
		return nil, err
	}
	for _, o := range outlets {
		opts = append(opts, bot.Option{Key: strconv.Itoa(len(opts) + 1), Value: o.ID, Label: bot.Raw(o.Name), Alias: []string{o.Name}})
	}
	name := retailTarget
	if tg := d.market().target(retailTarget); tg != nil {
		name = tg.Name
	}
	return append(opts, bot.Option{Key: strconv.Itoa(len(opts) + 1), Value: retailTarget, Label: bot.Raw(name),
		Alias: []string{name, "ritel", "indomaret", "alfamart"}}), nil
}

func submitCuration(ctx context.Context, d Deps, t *bot.Turn) (bot.Result, error) {
	reg, err := d.registration(ctx, t)
	if err != nil {
		return bot.Result{}, err
	}
	if reg == nil {
		return bot.Result{Call: "daftar", Next: "kurasi_yakin"}, nil
	}
	if d.Curation == nil {
		return bot.Result{}, errors.New("no curation store")
	}
	a := &umkm.Application{Region: d.Region.Code, Conv: t.Conv, RegistrationID: reg.ID, Business: reg.BusinessName,
		Target: t.Get("ktarget"), TargetName: t.Get("ktname"), Products: t.List("kprod"), CreatedAt: d.now()}
	err = d.Curation.SubmitApplication(ctx, a)
	var dup *umkm.AlreadyAppliedError
	if errors.As(err, &dup) {
		return bot.Finish(bot.Say(bot.T("galeri.kurasi.already", "ID", dup.ID, "Target", a.TargetName))), nil
	}
	if err != nil {
		return bot.Result{}, err
	}
	return bot.Finish(bot.Say(bot.T("galeri.kurasi.sent", "ID", a.ID, "Target", a.TargetName))), nil
}

func curationStatus(ctx context.Context, d Deps, t *bot.Turn) (bot.Out, error) {
	if d.Curation == nil {
		return bot.Say(bot.T("galeri.status.none")), nil
	}
	apps, err := d.Curation.ApplicationsFor(ctx, d.Region.Code, t.Conv)
	if err != nil {
		return bot.Out{}, err
	}
	if len(apps) == 0 {
		return bot.Say(bot.T("galeri.status.none")), nil
	}
	texts := []bot.Text{bot.N("galeri.status.head", len(apps))}
	for _, a := range apps {
		texts = append(texts, bot.T("galeri.status.item", "ID", a.ID, "Target", a.TargetName,
			"Status", bot.T("galeri.status."+string(a.Status)), "Date", day(a.UpdatedAt), "Note", a.Note, "HasNote", a.Note != ""))
	}
	return bot.Say(texts...), nil
}

// CurationNotice is the message that tells an owner their curation
// application changed status (sent by serve from the notice queue).
func CurationNotice(appID, target, status, note string) bot.Out {
	return bot.Say(bot.T("galeri.notice", "ID", appID, "Target", target,
		"Status", bot.T("galeri.status."+status), "Note", note, "HasNote", note != ""),
		bot.T("galeri.notice.next."+status))
}
